package ops

import (
	"math"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// GELU is the exact Gaussian error linear unit x·Φ(x) = ½x(1 + erf(x/√2)),
// built under s.SubScope("gelu").
func GELU(s *op.Scope, x tf.Output) tf.Output {
	ls := s.SubScope("gelu")
	if !checkFloat(ls, "GELU", nil, x) {
		return tf.Output{}
	}
	dt := x.DataType()
	e := op.Erf(ls, op.Mul(ls.SubScope("scale"), x, scalar(ls, "inv_sqrt2", 1/math.Sqrt2, dt)))
	half := op.Mul(ls.SubScope("half"), x, scalar(ls, "half_c", 0.5, dt))
	return op.Mul(ls, half, op.Add(ls, e, scalar(ls, "one", 1, dt)))
}

// GELUApprox is the tanh approximation of GELU,
// ½x(1 + tanh(√(2/π)(x + 0.044715x³))), built under s.SubScope("gelu_approx").
func GELUApprox(s *op.Scope, x tf.Output) tf.Output {
	ls := s.SubScope("gelu_approx")
	if !checkFloat(ls, "GELUApprox", nil, x) {
		return tf.Output{}
	}
	dt := x.DataType()
	x3 := op.Mul(ls.SubScope("cube"), op.Mul(ls.SubScope("square"), x, x), x)
	inner := op.Add(ls.SubScope("inner"), x, op.Mul(ls.SubScope("c3"), x3, scalar(ls, "c", 0.044715, dt)))
	t := op.Tanh(ls, op.Mul(ls.SubScope("scale"), inner, scalar(ls, "sqrt_2_over_pi", math.Sqrt(2/math.Pi), dt)))
	half := op.Mul(ls.SubScope("half"), x, scalar(ls, "half_c", 0.5, dt))
	return op.Mul(ls, half, op.Add(ls, t, scalar(ls, "one", 1, dt)))
}

// SiLU is the sigmoid linear unit (swish) x·σ(x), built under s.SubScope("silu").
func SiLU(s *op.Scope, x tf.Output) tf.Output {
	ls := s.SubScope("silu")
	if !checkFloat(ls, "SiLU", nil, x) {
		return tf.Output{}
	}
	return op.Mul(ls, x, op.Sigmoid(ls, x))
}
