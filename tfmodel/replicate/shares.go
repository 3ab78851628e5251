package replicate

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Shares divides the rows (axis 0) of a batch fed to the chief into K
// consecutive shares, one per replica: K−1 shares of ⌊B/K⌋ rows and the
// rest to the last. A share is empty only when B < K.
type Shares struct {
	K int
	// Sizes are the rows of each share, int32 [K].
	Sizes tf.Output
	// Batch is B, the rows of the whole batch (int32 scalar).
	Batch tf.Output
	sizes []tf.Output
}

// NewShares builds the share sizes of the batch x (any rank ≥ 1) under s.
func NewShares(s *op.Scope, x tf.Output, k int) Shares {
	sh := Shares{K: k}
	if k < 1 {
		s.UpdateErr("NewShares", fmt.Errorf("replicate: %d replicas", k))
		return sh
	}
	sh.Batch = op.StridedSlice(s.SubScope("b"), op.Shape(s, x, op.ShapeOutType(tf.Int32)),
		op.Const(s.SubScope("b0"), []int32{0}), op.Const(s.SubScope("b1"), []int32{1}), op.Const(s.SubScope("b2"), []int32{1}),
		op.StridedSliceShrinkAxisMask(1))
	base := op.FloorDiv(s.SubScope("base"), sh.Batch, op.Const(s.SubScope("k"), int32(k)))
	last := op.Sub(s.SubScope("last"), sh.Batch, op.Mul(s.SubScope("rest"), base, op.Const(s.SubScope("k1"), int32(k-1))))
	sh.sizes = make([]tf.Output, k)
	for i := range sh.sizes {
		sh.sizes[i] = base
	}
	sh.sizes[k-1] = last
	sh.Sizes = op.Pack(s.SubScope("sizes"), sh.sizes)
	return sh
}

// Split returns the K shares of x, whose axis 0 has the batch's rows.
func (sh Shares) Split(s *op.Scope, x tf.Output) []tf.Output {
	if s.Err() != nil {
		return make([]tf.Output, sh.K)
	}
	return op.SplitV(s, x, sh.Sizes, op.Const(s.SubScope("axis"), int32(0)), int64(sh.K))
}

// Fractions returns each share's part of the batch, n_i / B, as scalars of
// dtype: the weights that turn the means over the shares into the mean over
// the batch (Σ n_i/B · mean_i).
func (sh Shares) Fractions(s *op.Scope, dtype tf.DataType) []tf.Output {
	if s.Err() != nil {
		return make([]tf.Output, sh.K)
	}
	b := op.Cast(s.SubScope("batch"), sh.Batch, dtype)
	out := make([]tf.Output, sh.K)
	for i, n := range sh.sizes {
		is := s.SubScope(fmt.Sprintf("share_%d", i))
		out[i] = op.Div(is, op.Cast(is.SubScope("n"), n, dtype), b)
	}
	return out
}

// WeightedSum returns Σ w_i · x_i for scalars x_i and weights w_i, where a
// term with weight 0 is 0 even if x_i is not finite (the mean over an empty
// share is NaN).
func WeightedSum(s *op.Scope, xs, ws []tf.Output) tf.Output {
	if s.Err() != nil {
		return tf.Output{}
	}
	if len(xs) != len(ws) || len(xs) == 0 {
		s.UpdateErr("WeightedSum", fmt.Errorf("replicate: %d values and %d weights", len(xs), len(ws)))
		return tf.Output{}
	}
	terms := make([]tf.Output, len(xs))
	for i := range xs {
		terms[i] = op.MulNoNan(s.SubScope(fmt.Sprintf("w%d", i)), xs[i], ws[i])
	}
	return Sum(s.SubScope("sum"), terms)
}

// Concat joins the replicas' per-row results (axis 0) in share order: the
// rows of the whole batch.
func Concat(s *op.Scope, xs []tf.Output) tf.Output {
	switch {
	case len(xs) == 0 || s.Err() != nil:
		return tf.Output{}
	case len(xs) == 1:
		return xs[0]
	}
	return op.ConcatV2(s, xs, op.Const(s.SubScope("axis"), int32(0)))
}

// Sum adds xs (one tensor needs no op).
func Sum(s *op.Scope, xs []tf.Output) tf.Output {
	if len(xs) == 1 {
		return xs[0]
	}
	return op.AddN(s, xs)
}
