package tfmodel

import (
	"math"
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// clipRun finalizes s and fetches outs.
func clipRun(t *testing.T, s *op.Scope, outs []tf.Output) []*tf.Tensor {
	t.Helper()
	g, err := s.Finalize()
	if err != nil {
		t.Fatal(err)
	}
	sess, err := tf.NewSession(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	res, err := sess.Run(nil, outs, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// The torch agreement of clipping inside a training step is checked by
// TestAdamGolden (scripts/optim_golden.py); this table checks shapes, ranks,
// dtypes and both sides of the min(1, ·).
func TestClipByGlobalNorm(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dt      tf.DataType
		grads   []interface{}
		maxNorm float64
		norm    float64 // sqrt of the sum of all squares, by hand
	}{
		{"clipped", tf.Double, []interface{}{[]float64{3, 4}, [][]float64{{12}}}, 6.5, 13},
		{"not clipped", tf.Double, []interface{}{[]float64{3, 4}, [][]float64{{12}}}, 100, 13},
		{"scalar and rank 3", tf.Double, []interface{}{2.0, [][][]float64{{{1, 1}, {1, 1}}, {{1, 1}, {1, 1}}}}, 1, math.Sqrt(12)},
		{"float32", tf.Float, []interface{}{[]float32{-3, 4}, []float32{0, 0}}, 2.5, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := op.NewScope()
			grads := make([]tf.Output, len(tc.grads))
			for i, g := range tc.grads {
				grads[i] = op.Const(s.SubScope("g"), g)
			}
			clipped, norm := ClipByGlobalNorm(s.SubScope("clip"), grads, tc.maxNorm)
			res := clipRun(t, s, append([]tf.Output{norm}, clipped...))
			rtol := 1e-12
			if tc.dt == tf.Float {
				rtol = 1e-6
			}
			if got := optimFlat(res[0].Value())[0]; !optimClose(got, tc.norm, rtol) {
				t.Fatalf("norm %v, want %v", got, tc.norm)
			}
			scale := math.Min(1, tc.maxNorm/(tc.norm+1e-6))
			for i, g := range tc.grads {
				in := optimFlat(g)
				out := optimFlat(res[1+i].Value())
				if res[1+i].DataType() != tc.dt || len(res[1+i].Shape()) != grads[i].Shape().NumDimensions() {
					t.Fatalf("gradient %d: dtype %v shape %v", i, res[1+i].DataType(), res[1+i].Shape())
				}
				for j := range in {
					if !optimClose(out[j], in[j]*scale, rtol) {
						t.Fatalf("gradient %d[%d] = %v, want %v", i, j, out[j], in[j]*scale)
					}
				}
			}
		})
	}
}

func TestClipByGlobalNormErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		grads   []interface{}
		maxNorm float64
		want    string
	}{
		{"zero max norm", []interface{}{[]float32{1}}, 0, "must be positive"},
		{"NaN max norm", []interface{}{[]float32{1}}, math.NaN(), "must be positive"},
		{"infinite max norm", []interface{}{[]float32{1}}, math.Inf(1), "must be positive"},
		{"no gradients", nil, 1, "no gradients"},
		{"mixed dtypes", []interface{}{[]float32{1}, []float64{1}}, 1, "gradient 1 has dtype"},
		{"integer gradients", []interface{}{[]int32{1}}, 1, "want float or double"},
	} {
		s := op.NewScope()
		var grads []tf.Output
		for _, g := range tc.grads {
			grads = append(grads, op.Const(s.SubScope("g"), g))
		}
		ClipByGlobalNorm(s, grads, tc.maxNorm)
		if _, err := s.Finalize(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}
