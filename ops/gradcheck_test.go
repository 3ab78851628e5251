package ops

import (
	"math/rand/v2"
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// gradCase is a layer built in float64 for a gradient check.
type gradCase struct {
	name string
	// in is the shape of the float64 input fed to x; nil means the layer
	// has no differentiable input and x is unset.
	in []int64
	// ph is the static shape of the input placeholder (-1: unknown); nil means in.
	ph    []int64
	build func(s *op.Scope, vs *tfmodel.Store, x tf.Output) tf.Output
	// zero lists variables (by name suffix) whose gradient is zero by
	// construction, e.g. the attention key bias, which shifts every score
	// of a query equally and so cancels in the softmax.
	zero []string
}

const (
	gradStep = 1e-6 // central-difference step
	gradTol  = 1e-6 // |analytic - numeric| ≤ gradTol·max(|numeric|, rms(numeric), rms(all numeric)/100)
)

// checkGradients compares the TF_AddGradients gradients of
// loss = Σ w ⊙ layer(x) (w fixed and random) with respect to the input and
// to every variable's Value with central finite differences. Inputs and
// variable values are random and fed directly (feeding a ReadVariableOp's
// output replaces the read), so the variables are never initialized.
func checkGradients(t *testing.T, c gradCase) {
	t.Helper()
	rng := rand.New(rand.NewPCG(uint64(len(c.name)), 0x5eed))
	normal := func(shape []int64, std float64) []float64 {
		v := make([]float64, numElements(shape))
		for i := range v {
			v[i] = std * rng.NormFloat64()
		}
		return v
	}

	s := op.NewScope()
	vs := tfmodel.NewStore(1, tf.Double)
	var x tf.Output
	if c.in != nil {
		ph := c.ph
		if ph == nil {
			ph = c.in
		}
		x = op.Placeholder(s.SubScope("x"), tf.Double, op.PlaceholderShape(tf.MakeShape(ph...)))
	}
	y := c.build(s.SubScope("layer"), vs, x)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	rank := y.Shape().NumDimensions()
	if rank < 0 {
		t.Fatal("layer output has unknown rank")
	}
	w := op.Placeholder(s.SubScope("w"), tf.Double)
	loss := sumAll(s.SubScope("loss"), op.Mul(s.SubScope("weighted"), w, y), rank)

	type target struct {
		name  string
		out   tf.Output
		shape []int64
		data  []float64
	}
	var targets []*target
	if c.in != nil {
		targets = append(targets, &target{name: "input", out: x, shape: c.in, data: normal(c.in, 1)})
	}
	for _, v := range vs.All() {
		targets = append(targets, &target{name: v.Name, out: v.Value, shape: v.Shape, data: normal(v.Shape, 0.5)})
	}
	if len(targets) == 0 {
		t.Fatal("nothing to differentiate")
	}
	outs := make([]tf.Output, len(targets))
	for i, tg := range targets {
		outs[i] = tg.out
	}
	grads := op.Gradients(s.SubScope("grad"), []tf.Output{loss}, outs)
	sess := session(t, s)

	feeds := map[tf.Output]*tf.Tensor{}
	for _, tg := range targets {
		feeds[tg.out] = newTensor(t, tf.Double, tg.shape, tg.data)
	}
	yt, err := sess.Run(feeds, []tf.Output{y}, nil)
	if err != nil {
		t.Fatal(err)
	}
	feeds[w] = newTensor(t, tf.Double, yt[0].Shape(), normal(yt[0].Shape(), 1))
	for i, g := range grads {
		if g.Op == nil {
			t.Fatalf("no gradient for %s", targets[i].name)
		}
	}
	analytic := run(t, sess, feeds, grads...)

	numeric := make([][]float64, len(targets))
	var all []float64
	for i, tg := range targets {
		numeric[i] = make([]float64, len(tg.data))
		pert := append([]float64(nil), tg.data...)
		for j := range pert {
			var l [2]float64
			for k, h := range []float64{gradStep, -gradStep} {
				pert[j] = tg.data[j] + h
				feeds[tg.out] = newTensor(t, tf.Double, tg.shape, pert)
				l[k] = run(t, sess, feeds, loss)[0][0]
			}
			pert[j] = tg.data[j]
			numeric[i][j] = (l[0] - l[1]) / (2 * gradStep)
		}
		feeds[tg.out] = newTensor(t, tf.Double, tg.shape, tg.data)
		all = append(all, numeric[i]...)
	}
	// Gradients that are zero or tiny by construction are compared on the
	// scale of all gradients: finite differences only resolve them to ~1e-9.
	floor := rms(all) / 100
	for i, tg := range targets {
		zero := false
		for _, z := range c.zero {
			zero = zero || strings.HasSuffix(tg.name, z)
		}
		if zero {
			if m := maxAbs(analytic[i]); m > 1e-12*rms(all) {
				t.Errorf("d loss/d %s should vanish, max |gradient| = %g", tg.name, m)
			}
		} else if maxAbs(numeric[i]) == 0 {
			t.Errorf("d loss/d %s is identically zero: the check would be vacuous", tg.name)
		}
		if err := closeTo(analytic[i], numeric[i], gradTol, max(rms(numeric[i]), floor)); err != nil {
			t.Errorf("d loss/d %s: %v", tg.name, err)
		}
	}
}

// gradRate and gradSeed make dropout masks fixed, so layers with dropout
// are deterministic, piecewise-linear functions in the gradient checks.
func gradRate(s *op.Scope, v float64) tf.Output { return op.Const(s.SubScope("rate"), v) }
func gradSeed(s *op.Scope) tf.Output            { return op.Const(s.SubScope("seed"), []int64{11, 12}) }

func TestGradients(t *testing.T) {
	type S = *op.Scope
	type V = *tfmodel.Store
	type X = tf.Output
	cases := []gradCase{
		{"dense_2d", []int64{3, 4}, nil, func(s S, vs V, x X) X { return Dense(s, vs, "d", x, 3) }, nil},
		{"dense_3d", []int64{2, 3, 4}, nil, func(s S, vs V, x X) X { return Dense(s, vs, "d", x, 2) }, nil},
		{"dense_dynamic", []int64{2, 3, 4}, []int64{-1, -1, 4}, func(s S, vs V, x X) X { return Dense(s, vs, "d", x, 2) }, nil},
		{"dense_nobias", []int64{2, 3}, nil, func(s S, vs V, x X) X { return Dense(s, vs, "d", x, 2, NoBias()) }, nil},
		{"conv_same_s1", []int64{1, 4, 4, 2}, nil, func(s S, vs V, x X) X { return Conv2D(s, vs, "c", x, 2, 3, 1, Same) }, nil},
		{"conv_same_s2", []int64{1, 5, 5, 2}, nil, func(s S, vs V, x X) X { return Conv2D(s, vs, "c", x, 2, 3, 2, Same) }, nil},
		{"conv_valid_s2", []int64{2, 5, 5, 1}, nil, func(s S, vs V, x X) X { return Conv2D(s, vs, "c", x, 3, 3, 2, Valid) }, nil},
		{"upsample2x", []int64{1, 2, 3, 2}, nil, func(s S, _ V, x X) X { return Upsample2x(s, x) }, nil},
		{"groupnorm", []int64{2, 3, 3, 4}, nil, func(s S, vs V, x X) X { return GroupNorm(s, vs, "n", x, 2, 1e-5) }, nil},
		{"groupnorm_dynamic", []int64{2, 2, 3, 2}, []int64{-1, -1, -1, 2}, func(s S, vs V, x X) X { return GroupNorm(s, vs, "n", x, 1, 1e-5) }, nil},
		{"layernorm", []int64{2, 3, 4}, nil, func(s S, vs V, x X) X { return LayerNorm(s, vs, "n", x, 1e-5) }, nil},
		{"gelu", []int64{3, 4}, nil, func(s S, _ V, x X) X { return GELU(s, x) }, nil},
		{"gelu_approx", []int64{3, 4}, nil, func(s S, _ V, x X) X { return GELUApprox(s, x) }, nil},
		{"silu", []int64{3, 4}, nil, func(s S, _ V, x X) X { return SiLU(s, x) }, nil},
		{"dropout", []int64{4, 5}, nil, func(s S, _ V, x X) X { return Dropout(s, x, gradRate(s, 0.4), gradSeed(s)) }, nil},
		{"embedding", nil, nil, func(s S, vs V, _ X) X {
			y, _ := Embedding(s, vs, "e", op.Const(s.SubScope("ids"), [][]int32{{0, 3, 3}, {4, 1, 0}}), 5, 3)
			return y
		}, nil},
		{"embedding_logits", []int64{2, 2, 3}, nil, func(s S, vs V, x X) X {
			_, emb := Embedding(s, vs, "e", op.Const(s.SubScope("ids"), []int32{0}), 5, 3)
			return EmbeddingLogits(s, vs, "logits", x, emb)
		}, nil},
		{"mhsa", []int64{2, 3, 4}, nil, func(s S, vs V, x X) X {
			return MultiHeadSelfAttention(s, vs, "attn", x, 2, gradRate(s, 0.3), gradSeed(s))
		}, []string{"key/bias"}},
		{"transformer_post", []int64{2, 3, 4}, nil, func(s S, vs V, x X) X {
			cfg := TransformerConfig{Heads: 2, MLPDim: 6, Eps: 1e-5, Rate: gradRate(s, 0.2), Seed: gradSeed(s)}
			return TransformerBlock(s, vs, "block", x, cfg)
		}, []string{"key/bias"}},
		{"transformer_pre", []int64{1, 3, 4}, []int64{-1, 3, 4}, func(s S, vs V, x X) X {
			cfg := TransformerConfig{Heads: 1, MLPDim: 5, Eps: 1e-5, PreLN: true, ApproxGELU: true, Rate: gradRate(s, 0.2), Seed: gradSeed(s)}
			return TransformerBlock(s, vs, "block", x, cfg)
		}, []string{"key/bias"}},
		{"resblock_same", []int64{1, 3, 3, 2}, nil, func(s S, vs V, x X) X { return ResBlock(s, vs, "res", x, 2, 1, 1e-5) }, nil},
		{"resblock_shortcut", []int64{1, 3, 3, 2}, nil, func(s S, vs V, x X) X { return ResBlock(s, vs, "res", x, 4, 2, 1e-5) }, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkGradients(t, c) })
	}
}
