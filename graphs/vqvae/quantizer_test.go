package vqvae

import (
	"math"
	"math/rand/v2"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// TestQuantizerAgainstBruteForce checks ids, losses, the straight-through
// gradient and the codebook gradient against a direct Go computation.
func TestQuantizerAgainstBruteForce(t *testing.T) {
	for _, normalize := range []bool{false, true} {
		t.Run(map[bool]string{false: "euclidean", true: "normalized"}[normalize], func(t *testing.T) {
			testQuantizer(t, normalize)
		})
	}
}

// unit returns v scaled to length 1.
func unit(v []float64) []float64 {
	n := 0.0
	for _, x := range v {
		n += x * x
	}
	n = math.Sqrt(n)
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x / n
	}
	return out
}

func testQuantizer(t *testing.T, normalize bool) {
	const B, H, W, C, K = 2, 3, 3, 4, 5
	const beta = 0.25
	rng := rand.New(rand.NewPCG(1, 2))
	z := make([]float64, B*H*W*C)
	for i := range z {
		z[i] = rng.NormFloat64()
	}
	cb := make([][]float64, K)
	for k := range cb {
		cb[k] = make([]float64, C)
		for c := range cb[k] {
			cb[k][c] = rng.NormFloat64()
		}
	}
	s := op.NewScope()
	vs := tfmodel.NewStore(1, tf.Double)
	q := &Quantizer{Codes: K, Dim: C, Beta: beta, Normalize: normalize, dtype: tf.Double}
	q.Codebook = vs.Variable(s.SubScope("vq"), "codebook", []int64{K, C}, tfmodel.Values(cb))
	zIn := op.Placeholder(s.SubScope("z"), tf.Double, op.PlaceholderShape(tf.MakeShape(B, H, W, C)))
	out := q.Quantize(s, zIn)
	w := op.Placeholder(s.SubScope("w"), tf.Double, op.PlaceholderShape(tf.MakeShape(B, H, W, C)))
	stLoss := op.Sum(s.SubScope("stloss"), op.Mul(s.SubScope("wst"), w, out.ST), op.Const(s.SubScope("ax"), []int32{0, 1, 2, 3}))
	init := vs.InitOp(s)
	g, err := s.Finalize()
	if err != nil {
		t.Fatal(err)
	}
	gz, err := g.AddGradients("gz", []tf.Output{stLoss}, []tf.Output{zIn}, nil)
	if err != nil {
		t.Fatal(err)
	}
	gcb, err := g.AddGradients("gcb", []tf.Output{out.CodebookLoss}, []tf.Output{q.Codebook.Value}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sess, err := tf.NewSession(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if _, err := sess.Run(nil, nil, []*tf.Operation{init}); err != nil {
		t.Fatal(err)
	}
	zt, _ := tf.NewTensor(z)
	// The reference works on what the quantizer compares: unit vectors
	// when normalising (then the gradients include the normalisation's
	// Jacobian and only the forward values are compared).
	zr := append([]float64(nil), z...)
	cbr := cb
	if normalize {
		for i := 0; i < len(z)/C; i++ {
			copy(zr[i*C:(i+1)*C], unit(z[i*C:(i+1)*C]))
		}
		cbr = make([][]float64, K)
		for k := range cb {
			cbr[k] = unit(cb[k])
		}
	}
	zt.Reshape([]int64{B, H, W, C})
	wv := make([]float64, len(z))
	for i := range wv {
		wv[i] = rng.Float64()
	}
	wt, _ := tf.NewTensor(wv)
	wt.Reshape([]int64{B, H, W, C})
	res, err := sess.Run(map[tf.Output]*tf.Tensor{zIn: zt, w: wt},
		[]tf.Output{out.IDs, out.CodebookLoss, out.CommitLoss, out.ST, gz[0], gcb[0], out.Used}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := res[0].Value().([][][]int32)
	// Brute force.
	N := B * H * W
	wantIDs := make([]int, N)
	var mse float64
	wantG := make([][]float64, K)
	for k := range wantG {
		wantG[k] = make([]float64, C)
	}
	used := map[int]bool{}
	for i := 0; i < N; i++ {
		best, bestD := -1, math.Inf(1)
		for k := 0; k < K; k++ {
			d := 0.0
			for c := 0; c < C; c++ {
				x := zr[i*C+c] - cbr[k][c]
				d += x * x
			}
			if d < bestD {
				best, bestD = k, d
			}
		}
		wantIDs[i] = best
		used[best] = true
		mse += bestD
		for c := 0; c < C; c++ {
			wantG[best][c] += 2 * (cbr[best][c] - zr[i*C+c]) / float64(N*C)
		}
	}
	mse /= float64(N * C)
	for i := 0; i < N; i++ {
		b, y, x := i/(H*W), (i/W)%H, i%W
		if int(ids[b][y][x]) != wantIDs[i] {
			t.Fatalf("id %d = %d, want %d", i, ids[b][y][x], wantIDs[i])
		}
	}
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Errorf("%s = %.15g, want %.15g", name, got, want)
		}
	}
	near("codebook loss", res[1].Value().(float64), mse)
	near("commit loss", res[2].Value().(float64), beta*mse)
	st := res[3].Value().([][][][]float64)
	g0 := res[4].Value().([][][][]float64)
	for i := 0; i < N; i++ {
		b, y, x := i/(H*W), (i/W)%H, i%W
		for c := 0; c < C; c++ {
			near("ST value", st[b][y][x][c], cbr[wantIDs[i]][c])
			if !normalize {
				near("ST grad", g0[b][y][x][c], wv[((b*H+y)*W+x)*C+c])
			}
		}
	}
	g1 := res[5].Value().([][]float64)
	if !normalize {
		for k := 0; k < K; k++ {
			for c := 0; c < C; c++ {
				near("codebook grad", g1[k][c], wantG[k][c])
			}
		}
	}
	near("used", float64(res[6].Value().(float32)), float64(len(used)))
}
