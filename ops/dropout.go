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
	if !checkFloat(ls, "Dropout", nil, x) {
		return tf.Output{}
	}
	if rate.Op == nil || seed.Op == nil {
		fail(ls, "Dropout", "rate and seed must be set")
		return tf.Output{}
	}
	if rate.DataType() != x.DataType() || rate.Shape().NumDimensions() > 0 {
		fail(ls, "Dropout", "rate must be a %v scalar, got %v %v", dtypeName(x.DataType()), dtypeName(rate.DataType()), rate.Shape())
		return tf.Output{}
	}
	if sh := seed.Shape(); seed.DataType() != tf.Int64 || sh.NumDimensions() > 1 || (sh.NumDimensions() == 1 && sh.Size(0) >= 0 && sh.Size(0) != 2) {
		fail(ls, "Dropout", "seed must be int64[2], got %v %v", dtypeName(seed.DataType()), sh)
		return tf.Output{}
	}
	dt := x.DataType()
	shape := op.Shape(ls, x, op.ShapeOutType(tf.Int64))
	// The Shape op's full name is unique in the graph: it tells this layer's stream.
	stream := op.Const(ls.SubScope("stream"), []int64{0, nameHash(shape.Op.Name())})
	u := op.StatelessRandomUniform(ls, shape, op.BitwiseXor(ls, seed, stream), op.StatelessRandomUniformDtype(dt))
	// u ∈ [0, 1): keep with probability 1 - rate; rate 0 keeps everything.
	keep := op.Cast(ls, op.GreaterEqual(ls, u, rate), dt)
	one := scalar(ls, "one", 1, dt)
	scale := op.DivNoNan(ls, one, op.Sub(ls, one, rate))
	return op.Mul(ls.SubScope("scale"), op.Mul(ls.SubScope("mask"), x, keep), scale)
}
