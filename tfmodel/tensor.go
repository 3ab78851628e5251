package tfmodel

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
)

// NewTensorShaped makes a tensor of the given shape from flat row-major data
// ([]float32, []int32, …).
func NewTensorShaped(data interface{}, shape ...int64) (*tf.Tensor, error) {
	t, err := tf.NewTensor(data)
	if err != nil {
		return nil, err
	}
	if err := t.Reshape(shape); err != nil {
		return nil, err
	}
	return t, nil
}

// Float32s returns a float32 tensor's elements in row-major order. It
// flattens t in place (its shape becomes 1-D).
func Float32s(t *tf.Tensor) ([]float32, error) {
	if t.DataType() != tf.Float {
		return nil, fmt.Errorf("tensor has dtype %v, want float32", t.DataType())
	}
	if err := flatten(t); err != nil {
		return nil, err
	}
	if v, ok := t.Value().(float32); ok {
		return []float32{v}, nil
	}
	return t.Value().([]float32), nil
}

// Int32s returns an int32 tensor's elements in row-major order. It flattens
// t in place (its shape becomes 1-D).
func Int32s(t *tf.Tensor) ([]int32, error) {
	if t.DataType() != tf.Int32 {
		return nil, fmt.Errorf("tensor has dtype %v, want int32", t.DataType())
	}
	if err := flatten(t); err != nil {
		return nil, err
	}
	if v, ok := t.Value().(int32); ok {
		return []int32{v}, nil
	}
	return t.Value().([]int32), nil
}

func flatten(t *tf.Tensor) error {
	shape := t.Shape()
	if len(shape) <= 1 {
		return nil
	}
	n := int64(1)
	for _, d := range shape {
		n *= d
	}
	return t.Reshape([]int64{n})
}
