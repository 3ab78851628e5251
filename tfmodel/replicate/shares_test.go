package replicate

import (
	"fmt"
	"math"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// TestShares: share sizes, the rows of each share, the fractions n_i/B,
// and a weighted sum where an empty share's NaN mean counts as 0.
func TestShares(t *testing.T) {
	cases := []struct {
		rows, k int
		sizes   string
	}{
		{7, 3, "[2 2 3]"},
		{6, 2, "[3 3]"},
		{1, 2, "[0 1]"},
		{4, 1, "[4]"},
	}
	for _, c := range cases {
		s := op.NewScope()
		x := op.Placeholder(s.SubScope("x"), tf.Float, op.PlaceholderShape(tf.MakeShape(-1, 2)))
		sh := NewShares(s.SubScope("shares"), x, c.k)
		parts := sh.Split(s.SubScope("split"), x)
		fr := sh.Fractions(s.SubScope("fractions"), tf.Float)
		// The mean of each share's first column, weighted: the mean of the batch's.
		means := make([]tf.Output, c.k)
		for i, p := range parts {
			ps := s.SubScope(fmt.Sprintf("mean%d", i))
			col := op.Slice(ps, p, op.Const(ps.SubScope("b"), []int32{0, 0}), op.Const(ps.SubScope("n"), []int32{-1, 1}))
			means[i] = op.Mean(ps.SubScope("m"), col, op.Const(ps.SubScope("ax"), []int32{0, 1}))
		}
		mean := WeightedSum(s.SubScope("weighted"), means, fr)
		joined := Concat(s.SubScope("concat"), parts)
		g, err := s.Finalize()
		if err != nil {
			t.Fatal(err)
		}
		sess, err := tf.NewSession(g, nil)
		if err != nil {
			t.Fatal(err)
		}
		rows := make([][]float32, c.rows)
		var want float64
		for i := range rows {
			rows[i] = []float32{float32(i*i + 1), float32(-i)}
			want += float64(rows[i][0]) / float64(c.rows)
		}
		in, _ := tf.NewTensor(rows)
		out, err := sess.Run(map[tf.Output]*tf.Tensor{x: in}, []tf.Output{sh.Sizes, mean, joined}, nil)
		sess.Close()
		if err != nil {
			t.Fatalf("%d rows, %d shares: %v", c.rows, c.k, err)
		}
		if got := fmt.Sprint(out[0].Value()); got != c.sizes {
			t.Errorf("%d rows, %d shares: sizes %s, want %s", c.rows, c.k, got, c.sizes)
		}
		if got := float64(out[1].Value().(float32)); math.Abs(got-want) > 1e-5*math.Abs(want) {
			t.Errorf("%d rows, %d shares: weighted mean %v, want %v", c.rows, c.k, got, want)
		}
		if got := fmt.Sprint(out[2].Value()); got != fmt.Sprint(rows) {
			t.Errorf("%d rows, %d shares: concatenated shares %s, want %v", c.rows, c.k, got, rows)
		}
	}
}
