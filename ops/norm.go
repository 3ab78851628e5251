package ops

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// GroupNorm normalizes NHWC input x [B, H, W, C] over (H, W, C/groups) per
// sample and group, then scales and shifts per channel:
// y = (x - mean) / sqrt(var + eps) · gamma + beta, with the biased variance.
// Variables under s.SubScope(name): "gamma" [C] (ones) and "beta" [C]
// (zeros). C must be known and divisible by groups; eps must be > 0.
func GroupNorm(s *op.Scope, vs *tfmodel.Store, name string, x tf.Output, groups int64, eps float64, opts ...Option) tf.Output {
	o := newOptions(opts)
	ls := s.SubScope(name)
	y := groupNorm(ls, vs, x, groups, eps, o)
	o.checkUsed(ls, "GroupNorm")
	return y
}

func groupNorm(ls *op.Scope, vs *tfmodel.Store, x tf.Output, groups int64, eps float64, o *options) tf.Output {
	if !checkFloat(ls, "GroupNorm", vs, x) {
		return tf.Output{}
	}
	dims, ok := checkRank(ls, "GroupNorm", x, 4, false, 3)
	if !ok {
		return tf.Output{}
	}
	c := dims[3]
	switch {
	case groups <= 0 || c%groups != 0:
		fail(ls, "GroupNorm", "%d channels are not divisible into %d groups", c, groups)
		return tf.Output{}
	case !(eps > 0):
		fail(ls, "GroupNorm", "eps = %v, want > 0", eps)
		return tf.Output{}
	}
	gamma := o.variable(ls, vs, "gamma", []int64{c}, tfmodel.Ones())
	beta := o.variable(ls, vs, "beta", []int64{c}, tfmodel.Zeros())
	if ls.Err() != nil {
		return tf.Output{}
	}
	xg := reshapeLike(ls.SubScope("split_groups"), x, x, 3, []int64{groups, c / groups})
	n := normalize(ls, xg, []int32{1, 2, 4}, eps)
	n = reshapeLike(ls.SubScope("merge_groups"), n, x, 3, []int64{c})
	return affine(ls, n, gamma, beta)
}

// LayerNorm normalizes x [..., D] over its last axis and scales and shifts
// it: y = (x - mean) / sqrt(var + eps) · gamma + beta, with the biased
// variance. Variables under s.SubScope(name): "gamma" [D] (ones) and "beta"
// [D] (zeros). D must be known; eps must be > 0.
func LayerNorm(s *op.Scope, vs *tfmodel.Store, name string, x tf.Output, eps float64, opts ...Option) tf.Output {
	o := newOptions(opts)
	ls := s.SubScope(name)
	y := layerNorm(ls, vs, x, eps, o)
	o.checkUsed(ls, "LayerNorm")
	return y
}

func layerNorm(ls *op.Scope, vs *tfmodel.Store, x tf.Output, eps float64, o *options) tf.Output {
	if !checkFloat(ls, "LayerNorm", vs, x) {
		return tf.Output{}
	}
	dims, ok := checkRank(ls, "LayerNorm", x, 1, true, -1)
	if !ok {
		return tf.Output{}
	}
	if !(eps > 0) {
		fail(ls, "LayerNorm", "eps = %v, want > 0", eps)
		return tf.Output{}
	}
	d := dims[len(dims)-1]
	gamma := o.variable(ls, vs, "gamma", []int64{d}, tfmodel.Ones())
	beta := o.variable(ls, vs, "beta", []int64{d}, tfmodel.Zeros())
	if ls.Err() != nil {
		return tf.Output{}
	}
	n := normalize(ls, x, []int32{int32(len(dims) - 1)}, eps)
	return affine(ls, n, gamma, beta)
}

// normalize returns (x - mean) / sqrt(var + eps) with moments over axes.
func normalize(ls *op.Scope, x tf.Output, axes []int32, eps float64) tf.Output {
	s := ls.SubScope("normalize")
	ax := op.Const(s.SubScope("axes"), axes)
	mean := op.Mean(s.SubScope("mean"), x, ax, op.MeanKeepDims(true))
	d := op.Sub(s, x, mean)
	variance := op.Mean(s.SubScope("variance"), op.Square(s, d), ax, op.MeanKeepDims(true))
	inv := op.Rsqrt(s, op.Add(s, variance, scalar(s, "eps", eps, x.DataType())))
	return op.Mul(s, d, inv)
}

// affine returns n·gamma + beta, broadcasting over the last axis.
func affine(ls *op.Scope, n tf.Output, gamma, beta *tfmodel.Variable) tf.Output {
	s := ls.SubScope("affine")
	return op.Add(s, op.Mul(s, n, gamma.Value), beta.Value)
}
