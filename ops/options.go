package ops

import (
	"sort"

	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// Option changes how a layer builder creates its variables. Options given to
// a composite layer (ResBlock, MultiHeadSelfAttention, TransformerBlock) also
// apply to the layers inside it.
type Option func(*options)

type options struct {
	prefix     string                         // path of the current sub-layer, relative to the top-level layer, with trailing "/"
	inits      map[string]tfmodel.Initializer // relative variable path -> initializer
	used       map[string]bool                // inits that matched a variable; shared by sub-layers
	kernelInit tfmodel.Initializer            // default for every "kernel"
	noBias     bool
}

// Init sets the initializer of the variable at path, relative to the layer
// the option is passed to: "kernel" for a Dense layer, "attn/query/kernel" or
// "mlp/fc2/bias" for a TransformerBlock. A path that matches no variable is
// an error, so a typo cannot silently leave a variable at its default.
func Init(path string, init tfmodel.Initializer) Option {
	return func(o *options) { o.inits[path] = init }
}

// KernelInit sets the default initializer of every "kernel" variable (Dense
// and Conv2D weights); Init still takes precedence. The built-in default is
// tfmodel.GlorotUniform, as in Keras.
func KernelInit(init tfmodel.Initializer) Option {
	return func(o *options) { o.kernelInit = init }
}

// NoBias drops the "bias" variable of Dense, Conv2D and EmbeddingLogits
// layers (in a composite layer: of all of them).
func NoBias() Option {
	return func(o *options) { o.noBias = true }
}

func newOptions(opts []Option) *options {
	o := &options{inits: map[string]tfmodel.Initializer{}, used: map[string]bool{}}
	for _, f := range opts {
		if f != nil {
			f(o)
		}
	}
	return o
}

// sub returns the options of the sub-layer called name.
func (o *options) sub(name string) *options {
	c := *o
	c.prefix = o.prefix + name + "/"
	return &c
}

// initFor returns the initializer of variable v of the current layer.
func (o *options) initFor(v string, def tfmodel.Initializer) tfmodel.Initializer {
	key := o.prefix + v
	if in, ok := o.inits[key]; ok {
		o.used[key] = true
		return in
	}
	if v == "kernel" && o.kernelInit != nil {
		return o.kernelInit
	}
	return def
}

// checkUsed reports Init paths that matched no variable of the layer built in ls.
func (o *options) checkUsed(ls *op.Scope, layer string) {
	var unused []string
	for k := range o.inits {
		if !o.used[k] {
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		fail(ls, layer, "Init paths %q match no variable of this layer", unused)
	}
}

// variable creates variable v of the current layer in ls.
func (o *options) variable(ls *op.Scope, vs *tfmodel.Store, v string, shape []int64, def tfmodel.Initializer) *tfmodel.Variable {
	return vs.Variable(ls, v, shape, o.initFor(v, def))
}
