package tfmodel

import (
	"fmt"
	"math"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// InitArgs describes the variable an Initializer builds a value for.
type InitArgs struct {
	Shape  []int64
	ShapeT tf.Output // Shape as an int64 constant
	DType  tf.DataType
	Seed   tf.Output // int64[2] seed for stateless random ops
}

// Initializer builds the initial value of a variable in the graph.
type Initializer interface {
	Build(s *op.Scope, a InitArgs) tf.Output
}

type initFunc func(s *op.Scope, a InitArgs) tf.Output

func (f initFunc) Build(s *op.Scope, a InitArgs) tf.Output { return f(s, a) }

// scalar is a constant of type dt. Each call gets its own sub-scope: the Go op
// wrappers name ops by type, so two Casts in one scope would collide.
func scalar(s *op.Scope, v float64, dt tf.DataType) tf.Output {
	s = s.SubScope("scalar")
	return op.Cast(s, op.Const(s, v), dt)
}

// Constant fills the variable with v.
func Constant(v float64) Initializer {
	return initFunc(func(s *op.Scope, a InitArgs) tf.Output {
		return op.Fill(s, a.ShapeT, scalar(s, v, a.DType))
	})
}

// Zeros fills the variable with 0.
func Zeros() Initializer { return Constant(0) }

// Ones fills the variable with 1.
func Ones() Initializer { return Constant(1) }

// Normal draws from N(0, std²).
func Normal(std float64) Initializer {
	return initFunc(func(s *op.Scope, a InitArgs) tf.Output {
		n := op.StatelessRandomNormal(s, a.ShapeT, a.Seed, op.StatelessRandomNormalDtype(a.DType))
		return op.Mul(s, n, scalar(s, std, a.DType))
	})
}

// TruncatedNormal draws from N(0, std²) truncated to ±2 std.
func TruncatedNormal(std float64) Initializer {
	return initFunc(func(s *op.Scope, a InitArgs) tf.Output {
		n := op.StatelessTruncatedNormal(s, a.ShapeT, a.Seed, op.StatelessTruncatedNormalDtype(a.DType))
		return op.Mul(s, n, scalar(s, std, a.DType))
	})
}

// Uniform draws from U[lo, hi).
func Uniform(lo, hi float64) Initializer {
	return initFunc(func(s *op.Scope, a InitArgs) tf.Output {
		u := op.StatelessRandomUniform(s, a.ShapeT, a.Seed, op.StatelessRandomUniformDtype(a.DType))
		return op.Add(s, op.Mul(s, u, scalar(s, hi-lo, a.DType)), scalar(s, lo, a.DType))
	})
}

// Fans returns (fan_in, fan_out) of a weight shape the way Keras computes
// them: [in, out] for dense kernels, [kh, kw, in, out] for conv kernels.
func Fans(shape []int64) (fanIn, fanOut float64) {
	switch len(shape) {
	case 0:
		return 1, 1
	case 1:
		return float64(shape[0]), float64(shape[0])
	case 2:
		return float64(shape[0]), float64(shape[1])
	}
	rf := int64(1)
	for _, d := range shape[:len(shape)-2] {
		rf *= d
	}
	return float64(rf * shape[len(shape)-2]), float64(rf * shape[len(shape)-1])
}

// GlorotUniform draws from U[-l, l] with l = sqrt(6 / (fan_in + fan_out)).
func GlorotUniform() Initializer {
	return initFunc(func(s *op.Scope, a InitArgs) tf.Output {
		in, out := Fans(a.Shape)
		l := math.Sqrt(6 / (in + out))
		return Uniform(-l, l).Build(s, a)
	})
}

// HeNormal draws from a truncated normal with std sqrt(2 / fan_in), for layers followed by ReLU-like activations.
func HeNormal() Initializer {
	return initFunc(func(s *op.Scope, a InitArgs) tf.Output {
		in, _ := Fans(a.Shape)
		// 0.8796... is the std of a unit normal truncated at ±2: divide it out as Keras does.
		return TruncatedNormal(math.Sqrt(2/in)/0.87962566103423978).Build(s, a)
	})
}

// Values initializes the variable with fixed values (any Go value tf.NewTensor
// accepts, with the variable's shape and dtype). Used by tests and imports.
func Values(v interface{}) Initializer {
	return initFunc(func(s *op.Scope, a InitArgs) tf.Output {
		t, err := tf.NewTensor(v)
		if err != nil {
			s.UpdateErr("Values", err)
			return tf.Output{}
		}
		if t.DataType() != a.DType {
			s.UpdateErr("Values", fmt.Errorf("initial value has dtype %v, variable has %v", t.DataType(), a.DType))
			return tf.Output{}
		}
		if !sameShape(t.Shape(), a.Shape) {
			s.UpdateErr("Values", fmt.Errorf("initial value has shape %v, variable has %v", t.Shape(), a.Shape))
			return tf.Output{}
		}
		return op.Const(s, t)
	})
}

func sameShape(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
