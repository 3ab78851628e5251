package ops

import (
	"fmt"
	"math"
	"reflect"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// newTensor makes a tensor of dtype dt (Float, Double, Int32 or Int64)
// with the given shape from flat row-major data.
func newTensor(t testing.TB, dt tf.DataType, shape []int64, data []float64) *tf.Tensor {
	t.Helper()
	var flat interface{}
	switch dt {
	case tf.Float:
		v := make([]float32, len(data))
		for i, d := range data {
			v[i] = float32(d)
		}
		flat = v
	case tf.Double:
		flat = append([]float64(nil), data...)
	case tf.Int32:
		v := make([]int32, len(data))
		for i, d := range data {
			v[i] = int32(d)
		}
		flat = v
	case tf.Int64:
		v := make([]int64, len(data))
		for i, d := range data {
			v[i] = int64(d)
		}
		flat = v
	default:
		t.Fatalf("newTensor: unsupported dtype %v", dt)
	}
	tt, err := tf.NewTensor(flat)
	if err != nil {
		t.Fatal(err)
	}
	if err := tt.Reshape(shape); err != nil {
		t.Fatalf("reshape %d values to %v: %v", len(data), shape, err)
	}
	return tt
}

// values returns a nested Go value of the given shape and dtype, as
// tfmodel.Values wants it.
func values(t testing.TB, dt tf.DataType, shape []int64, data []float64) interface{} {
	t.Helper()
	return newTensor(t, dt, shape, data).Value()
}

// flatten returns the elements of a numeric tensor as float64, row-major.
func flatten(t testing.TB, tt *tf.Tensor) []float64 {
	t.Helper()
	var out []float64
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Slice, reflect.Array:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		case reflect.Float32, reflect.Float64:
			out = append(out, v.Float())
		case reflect.Int32, reflect.Int64:
			out = append(out, float64(v.Int()))
		default:
			t.Fatalf("flatten: unsupported element kind %v", v.Kind())
		}
	}
	walk(reflect.ValueOf(tt.Value()))
	return out
}

func numElements(shape []int64) int {
	n := 1
	for _, d := range shape {
		n *= int(d)
	}
	return n
}

// session finalizes s and opens a session on the graph, closed at the end of the test.
func session(t testing.TB, s *op.Scope) *tf.Session {
	t.Helper()
	g, err := s.Finalize()
	if err != nil {
		t.Fatal(err)
	}
	return sessionOf(t, g)
}

// sessionOf opens a session on g, closed at the end of the test.
func sessionOf(t testing.TB, g *tf.Graph) *tf.Session {
	t.Helper()
	sess, err := tf.NewSession(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	return sess
}

// run evaluates fetches and returns them flattened.
func run(t testing.TB, sess *tf.Session, feeds map[tf.Output]*tf.Tensor, fetches ...tf.Output) [][]float64 {
	t.Helper()
	res, err := sess.Run(feeds, fetches, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]float64, len(res))
	for i, r := range res {
		out[i] = flatten(t, r)
	}
	return out
}

// initStore runs the store's initializers.
func initStore(t testing.TB, sess *tf.Session, initOp *tf.Operation) {
	t.Helper()
	if _, err := sess.Run(nil, nil, []*tf.Operation{initOp}); err != nil {
		t.Fatal(err)
	}
}

// sumAll is Σ x over all axes of a tensor of the given rank.
func sumAll(s *op.Scope, x tf.Output, rank int) tf.Output {
	axes := make([]int32, rank)
	for i := range axes {
		axes[i] = int32(i)
	}
	return op.Sum(s, x, op.Const(s.SubScope("axes"), axes))
}

// maxAbs is max |x_i|.
func maxAbs(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// closeTo reports the first element where |got - want| > tol·max(|want|, floor).
func closeTo(got, want []float64, tol, floor float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("got %d values, want %d", len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(got[i] - want[i]); !(d <= tol*math.Max(math.Abs(want[i]), floor)) {
			return fmt.Errorf("element %d: got %.10g, want %.10g (|diff| %.3g, relative %.3g)",
				i, got[i], want[i], d, d/math.Max(math.Abs(want[i]), floor))
		}
	}
	return nil
}
