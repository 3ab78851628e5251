package ops

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// Dense is a fully connected layer y = x·kernel + bias over the last axis:
// x [..., in] → y [..., units], with variables "kernel" [in, units]
// (default tfmodel.GlorotUniform) and "bias" [units] (zeros; see NoBias)
// under s.SubScope(name). Inputs of rank > 2 are reshaped to 2-D around the
// MatMul; the last dimension must be known.
func Dense(s *op.Scope, vs *tfmodel.Store, name string, x tf.Output, units int64, opts ...Option) tf.Output {
	o := newOptions(opts)
	ls := s.SubScope(name)
	y := dense(ls, vs, x, units, o)
	o.checkUsed(ls, "Dense")
	return y
}

func dense(ls *op.Scope, vs *tfmodel.Store, x tf.Output, units int64, o *options) tf.Output {
	if !checkFloat(ls, "Dense", vs, x) {
		return tf.Output{}
	}
	dims, ok := checkRank(ls, "Dense", x, 2, true, -1)
	if !ok {
		return tf.Output{}
	}
	if units <= 0 {
		fail(ls, "Dense", "units = %d, want > 0", units)
		return tf.Output{}
	}
	in := dims[len(dims)-1]
	kernel := o.variable(ls, vs, "kernel", []int64{in, units}, tfmodel.GlorotUniform())
	var bias *tfmodel.Variable
	if !o.noBias {
		bias = o.variable(ls, vs, "bias", []int64{units}, tfmodel.Zeros())
	}
	if ls.Err() != nil {
		return tf.Output{}
	}
	x2 := x
	if len(dims) != 2 {
		fs := ls.SubScope("flatten")
		x2 = op.Reshape(fs, x, op.Const(fs, []int64{-1, in}))
	}
	y := op.MatMul(ls, x2, kernel.Value)
	if bias != nil {
		y = op.BiasAdd(ls, y, bias.Value)
	}
	if len(dims) != 2 {
		y = reshapeLike(ls.SubScope("unflatten"), y, x, len(dims)-1, []int64{units})
	}
	return y
}
