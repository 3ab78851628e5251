package ops

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Dropout zeroes each element of x with probability rate and scales the
// kept ones by 1/(1 - rate), under s.SubScope("dropout"). rate is a scalar
// of x's dtype and seed an int64[2], both usually fed: one graph serves
// training (feed the rate) and evaluation (a PlaceholderWithDefault of 0).
// With rate 0 the output equals x exactly; with rate 1 it is all zeros.
//
// The mask comes from StatelessRandomUniform, so the same seed gives the
// same mask. Each Dropout folds a constant derived from its own op names
// into the seed, so different dropout layers of one graph draw independent
// masks from the same fed seed. Feed a new seed per training step.
func Dropout(s *op.Scope, x, rate, seed tf.Output) tf.Output {
	ls := s.SubScope("dropout")
	if !checkDropout(ls, "Dropout", x, rate, seed) {
		return tf.Output{}
	}
	dt := x.DataType()
	keep := keepMask(ls, x, rate, seed)
	one := scalar(ls, "one", 1, dt)
	scale := op.DivNoNan(ls, one, op.Sub(ls, one, rate))
	return op.Mul(ls.SubScope("scale"), op.Mul(ls.SubScope("mask"), x, keep), scale)
}

// DropMask returns x's dropout keep mask under s: ones and zeros of x's
// dtype, each zero with probability rate (a scalar of x's dtype), drawn
// from seed (int64[2]) as Dropout draws them. A layer that applies the
// 1/(1 - rate) scale elsewhere (attention scales V instead of the
// probabilities) uses it with its own scope; Dropout(s, x, …) equals
// x·DropMask(s.SubScope("dropout"), x, …)/(1 - rate). At rate 1 the
// 16-bit masks (see keepMask) still keep one element in 65,536; the
// scale, 0 there, zeroes them.
func DropMask(s *op.Scope, x, rate, seed tf.Output) tf.Output {
	if !checkDropout(s, "DropMask", x, rate, seed) {
		return tf.Output{}
	}
	return keepMask(s, x, rate, seed)
}

// checkDropout checks Dropout's and DropMask's arguments: x floating
// point, rate a scalar of x's dtype, seed int64[2].
func checkDropout(ls *op.Scope, name string, x, rate, seed tf.Output) bool {
	if !checkFloat(ls, name, nil, x) {
		return false
	}
	if rate.Op == nil || seed.Op == nil {
		fail(ls, name, "rate and seed must be set")
		return false
	}
	if rate.DataType() != x.DataType() || rate.Shape().NumDimensions() > 0 {
		fail(ls, name, "rate must be a %v scalar, got %v %v", dtypeName(x.DataType()), dtypeName(rate.DataType()), rate.Shape())
		return false
	}
	if sh := seed.Shape(); seed.DataType() != tf.Int64 || sh.NumDimensions() > 1 || (sh.NumDimensions() == 1 && sh.Size(0) >= 0 && sh.Size(0) != 2) {
		fail(ls, name, "seed must be int64[2], got %v %v", dtypeName(seed.DataType()), sh)
		return false
	}
	return true
}

// keepMask is Dropout's mask of x under ls. The stream is a constant from
// the full name of the mask's Shape op (unique in the graph) XORed into
// seed, so layers draw independent masks from one fed seed.
//
// When x's last dimension is known and even (every dropout of the
// transformer), each decision takes 16 random bits instead of 32: half as
// many uint32 words from StatelessRandomUniformFullInt, bit-cast to
// uint16 pairs along the last axis, and an element is kept when its
// uint16 is ≥ round(rate·65536) (clamped to 65535). Philox's work, the
// largest part of dropout's cost in a training step, halves; the rate is
// exact to 2⁻¹⁶ (0.1 keeps with probability 1 − 6554/65536). Other shapes
// draw a float uniform per element and keep it when it is ≥ rate.
func keepMask(ls *op.Scope, x, rate, seed tf.Output) tf.Output {
	dt := x.DataType()
	shape := op.Shape(ls, x, op.ShapeOutType(tf.Int64))
	stream := op.Const(ls.SubScope("stream"), []int64{0, nameHash(shape.Op.Name())})
	key := op.BitwiseXor(ls, seed, stream)
	xs := x.Shape()
	rank := xs.NumDimensions()
	if rank < 1 || xs.Size(rank-1) < 2 || xs.Size(rank-1)%2 != 0 {
		u := op.StatelessRandomUniform(ls, shape, key, op.StatelessRandomUniformDtype(dt))
		// u ∈ [0, 1): keep with probability 1 - rate; rate 0 keeps everything.
		return op.Cast(ls, op.GreaterEqual(ls, u, rate), dt)
	}
	hs := ls.SubScope("bits16")
	half := op.ConcatV2(hs.SubScope("half_shape"), []tf.Output{
		op.Slice(hs, shape, op.Const(hs.SubScope("begin"), []int64{0}), op.Const(hs.SubScope("lead"), []int64{int64(rank - 1)})),
		op.Const(hs.SubScope("half_last"), []int64{xs.Size(rank-1) / 2}),
	}, op.Const(hs.SubScope("axis"), int32(0)))
	words := op.StatelessRandomUniformFullInt(hs, half, key, op.StatelessRandomUniformFullIntDtype(tf.Uint32))
	bits := op.Reshape(hs, op.Bitcast(hs, words, tf.Uint16), shape) // [..., last/2, 2] → x's shape
	ts := hs.SubScope("threshold")
	scaled := op.Round(ts, op.Mul(ts, op.Cast(ts.SubScope("rate"), rate, tf.Float), op.Const(ts.SubScope("levels"), float32(1<<16))))
	threshold := op.Cast(ts, op.Minimum(ts, scaled, op.Const(ts.SubScope("max"), float32(1<<16-1))), tf.Uint16)
	return op.Cast(ls, op.GreaterEqual(ls, bits, threshold), dt)
}
