package ops

import (
	"math"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// MultiHeadSelfAttention is bidirectional (unmasked) multi-head
// self-attention over x [B, N, D]: Dense projections "query", "key" and
// "value" (each D → D), split into heads [B, heads, N, D/heads],
// softmax(Q·Kᵀ/√(D/heads))·V per head, heads merged back to [B, N, D] and a
// Dense output projection "out" (D → D), all under s.SubScope(name).
//
// If rate is set (a scalar of x's dtype, see Dropout), the attention
// probabilities get dropout with seed; a zero tf.Output{} rate means no
// attention dropout. N and D must be known and D divisible by heads; B may
// be unknown.
func MultiHeadSelfAttention(s *op.Scope, vs *tfmodel.Store, name string, x tf.Output, heads int64, rate, seed tf.Output, opts ...Option) tf.Output {
	o := newOptions(opts)
	ls := s.SubScope(name)
	y := attention(ls, vs, x, heads, rate, seed, o)
	o.checkUsed(ls, "MultiHeadSelfAttention")
	return y
}

func attention(ls *op.Scope, vs *tfmodel.Store, x tf.Output, heads int64, rate, seed tf.Output, o *options) tf.Output {
	const layer = "MultiHeadSelfAttention"
	if !checkFloat(ls, layer, vs, x) {
		return tf.Output{}
	}
	dims, ok := checkRank(ls, layer, x, 3, false, 1, 2)
	if !ok {
		return tf.Output{}
	}
	n, d := dims[1], dims[2]
	if heads <= 0 || d%heads != 0 {
		fail(ls, layer, "model dimension %d is not divisible by %d heads", d, heads)
		return tf.Output{}
	}
	dh := d / heads
	dt := x.DataType()

	// project returns the named projection of x split into heads: [B, H, N, Dh].
	project := func(name string) tf.Output {
		p := dense(ls.SubScope(name), vs, x, d, o.sub(name))
		if ls.Err() != nil {
			return tf.Output{}
		}
		hs := ls.SubScope(name + "_heads")
		p = op.Reshape(hs, p, op.Const(hs.SubScope("shape"), []int64{-1, n, heads, dh}))
		return op.Transpose(hs, p, op.Const(hs.SubScope("perm"), []int32{0, 2, 1, 3}))
	}
	q, k, v := project("query"), project("key"), project("value")
	if ls.Err() != nil {
		return tf.Output{}
	}

	ss := ls.SubScope("scores")
	logits := op.BatchMatMulV2(ss, q, k, op.BatchMatMulV2AdjY(true)) // [B, H, N, N]
	logits = op.Mul(ss, logits, scalar(ss, "scale", 1/math.Sqrt(float64(dh)), dt))
	// The C++ Softmax gradient assumes 2-D logits.
	sm := ls.SubScope("softmax")
	probs := op.Reshape(sm.SubScope("flatten"), logits, op.Const(sm.SubScope("flat_shape"), []int64{-1, n}))
	probs = op.Softmax(sm, probs)
	probs = op.Reshape(sm.SubScope("unflatten"), probs, op.Const(sm.SubScope("shape"), []int64{-1, heads, n, n}))
	if rate.Op != nil {
		probs = Dropout(ls, probs, rate, seed)
	}

	cs := ls.SubScope("context")
	ctx := op.BatchMatMulV2(cs, probs, v) // [B, H, N, Dh]
	ctx = op.Transpose(cs, ctx, op.Const(cs.SubScope("perm"), []int32{0, 2, 1, 3}))
	ctx = op.Reshape(cs, ctx, op.Const(cs.SubScope("shape"), []int64{-1, n, d}))
	return dense(ls.SubScope("out"), vs, ctx, d, o.sub("out"))
}
