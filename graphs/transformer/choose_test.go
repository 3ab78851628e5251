package transformer

import (
	"math"
	"math/rand/v2"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// refChoose is inpaint's Go choose (decode.go) on one row of K logits: the
// first maximum, or the inverse-CDF sample for u, with its log-probability.
func refChoose(row []float32, u float64, sample bool) (int32, float64) {
	best, bestV := -1, math.Inf(-1)
	for k, l := range row {
		if x := float64(l); x > bestV {
			best, bestV = k, x
		}
	}
	sum := 0.0
	for _, l := range row {
		sum += math.Exp(float64(l) - bestV)
	}
	logZ := bestV + math.Log(sum)
	if !sample {
		return int32(best), bestV - logZ
	}
	target := u * sum
	pick, acc := best, 0.0
	for k, l := range row {
		e := math.Exp(float64(l) - bestV)
		if e == 0 {
			continue
		}
		pick = k
		if acc += e; target < acc {
			break
		}
	}
	return int32(pick), float64(row[pick]) - logZ
}

// runChoices evaluates buildChoices on logits [b, n, k] and uniforms [b, n]
// with every position masked but those listed in known.
func runChoices(t *testing.T, logits []float32, uniform []float64, b, n, k int64, known ...int) (argmax []int32, argmaxLogP []float64, sample []int32, sampleLogP []float64) {
	t.Helper()
	s := op.NewScope()
	l := op.Placeholder(s.SubScope("logits"), tf.Float, op.PlaceholderShape(tf.MakeShape(-1, n, k)))
	u := op.Placeholder(s.SubScope("uniform"), tf.Double, op.PlaceholderShape(tf.MakeShape(-1, n)))
	tok := op.Placeholder(s.SubScope("tokens"), tf.Int32, op.PlaceholderShape(tf.MakeShape(-1, n)))
	c := buildChoices(s.SubScope("choose"), tok, l, u, int32(k), k)
	tokens := make([]int32, b*n)
	for i := range tokens {
		tokens[i] = int32(k)
	}
	for _, i := range known {
		tokens[i] = 1
	}
	g, err := s.Finalize()
	if err != nil {
		t.Fatal(err)
	}
	sess, err := tfmodel.NewSession(g, tfmodel.SessionOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	out, err := sess.Run(map[tf.Output]*tf.Tensor{l: mustTensor(t, logits, b, n, k), u: mustTensor(t, uniform, b, n), tok: mustTensor(t, tokens, b, n)},
		[]tf.Output{c.argmax, c.argmaxLogP, c.sample, c.sampleLogP}, nil)
	if err != nil {
		t.Fatal(err)
	}
	argmax, _ = tfmodel.Int32s(out[0])
	sample, _ = tfmodel.Int32s(out[2])
	return argmax, float64s(out[1]), sample, float64s(out[3])
}

// randomChoiceInputs draws logits for rows positions of k classes, normal
// with standard deviation sd, and one uniform per position.
func randomChoiceInputs(rng *rand.Rand, rows, k int, sd float64) ([]float32, []float64) {
	logits := make([]float32, rows*k)
	for i := range logits {
		logits[i] = float32(rng.NormFloat64() * sd)
	}
	uniform := make([]float64, rows)
	for i := range uniform {
		uniform[i] = rng.Float64()
	}
	return logits, uniform
}

func float64s(t *tf.Tensor) []float64 {
	var flat []float64
	for _, row := range t.Value().([][]float64) {
		flat = append(flat, row...)
	}
	return flat
}

// TestChoicesMatchGo checks the graph's argmax and inverse-CDF sample
// against the Go loop's choose on random rows and on the edge cases: ties
// (first maximum wins), classes whose exp underflows to 0 (never sampled),
// u = 0 and u just below 1.
func TestChoicesMatchGo(t *testing.T) {
	const b, n, k = 3, 5, 7
	logits, uniform := randomChoiceInputs(rand.New(rand.NewPCG(1, 2)), b*n, k, 3)
	row := func(i int) []float32 { return logits[i*k : (i+1)*k] }
	copy(row(0), []float32{1, 5, 2, 5, 5, 0, -1}) // ties: argmax 1
	uniform[0] = 0
	copy(row(1), []float32{-1e30, 2, -1e30, 2, -1e30, -1e30, -1e30}) // zero terms are never sampled
	uniform[1] = 1 - 1e-16
	copy(row(2), []float32{-1e30, 2, -1e30, 2, -1e30, -1e30, -1e30})
	uniform[2] = 0.4
	copy(row(3), []float32{3, 3, 3, 3, 3, 3, 3}) // uniform distribution
	uniform[3] = 0.999
	known := []int{4, 9} // not masked: not computed, 0
	argmax, argmaxLogP, sample, sampleLogP := runChoices(t, logits, uniform, b, n, k, known...)
	for _, i := range known {
		if argmax[i] != 0 || argmaxLogP[i] != 0 || sample[i] != 0 || sampleLogP[i] != 0 {
			t.Errorf("known position %d: %d %v %d %v, want zeros", i, argmax[i], argmaxLogP[i], sample[i], sampleLogP[i])
		}
	}
	for i := 0; i < b*n; i++ {
		if i == known[0] || i == known[1] {
			continue
		}
		wa, wal := refChoose(row(i), 0, false)
		ws, wsl := refChoose(row(i), uniform[i], true)
		if argmax[i] != wa || math.Abs(argmaxLogP[i]-wal) > 1e-12 {
			t.Errorf("row %d %v: argmax %d (log p %v), Go %d (%v)", i, row(i), argmax[i], argmaxLogP[i], wa, wal)
		}
		if sample[i] != ws || math.Abs(sampleLogP[i]-wsl) > 1e-12 {
			t.Errorf("row %d %v u=%v: sample %d (log p %v), Go %d (%v)", i, row(i), uniform[i], sample[i], sampleLogP[i], ws, wsl)
		}
	}
	if argmax[0] != 1 || sample[1] != 3 || sample[2] != 1 || sample[3] != 6 {
		t.Errorf("edge cases: argmax[0] %d (want 1), samples %d %d %d (want 3 1 6)", argmax[0], sample[1], sample[2], sample[3])
	}
}

// TestSampleFrequencies checks that the sample follows the softmax: with
// evenly spaced uniforms, class k is drawn in proportion to p(k).
func TestSampleFrequencies(t *testing.T) {
	const n, k = 1000, 4
	row := []float32{0, 1, 2, -1}
	logits := make([]float32, 0, n*k)
	uniform := make([]float64, n)
	for i := range uniform {
		logits = append(logits, row...)
		uniform[i] = (float64(i) + 0.5) / n
	}
	_, _, sample, logp := runChoices(t, logits, uniform, 1, n, k)
	z := 0.0
	for _, l := range row {
		z += math.Exp(float64(l))
	}
	counts := make([]int, k)
	for i, s := range sample {
		counts[s]++
		if want := float64(row[s]) - math.Log(z); math.Abs(logp[i]-want) > 1e-12 {
			t.Fatalf("sample %d: log p %v, want %v", i, logp[i], want)
		}
	}
	for c, got := range counts {
		if want := n * math.Exp(float64(row[c])) / z; math.Abs(float64(got)-want) > 1 {
			t.Errorf("class %d drawn %d times, want %.1f", c, got, want)
		}
	}
}

// TestChoicesBatchInvariant checks that a row's choices and their
// log-probabilities are the same bits whatever else is in the batch. The
// masked-row counts (here 1 to 15 per image) are rarely a multiple of the
// vector width, so without padding a row's float64 Log and Exp would run in
// Eigen's scalar tail in one batch and in a vector in another: 1-ulp
// differences.
func TestChoicesBatchInvariant(t *testing.T) {
	const b, n, k = 6, 16, 40
	rng := rand.New(rand.NewPCG(7, 8))
	logits, uniform := randomChoiceInputs(rng, b*n, k, 4)
	var known []int
	for img := 0; img < b; img++ {
		masked := 1 + rng.IntN(n-1) // 1 … 15 masked
		for p := masked; p < n; p++ {
			known = append(known, img*n+p)
		}
	}
	argmax, argmaxLogP, sample, sampleLogP := runChoices(t, logits, uniform, b, n, k, known...)
	for img := 0; img < b; img++ {
		var kn []int
		for _, i := range known {
			if i/n == img {
				kn = append(kn, i-img*n)
			}
		}
		a, al, s, sl := runChoices(t, logits[img*n*k:(img+1)*n*k], uniform[img*n:(img+1)*n], 1, n, k, kn...)
		for p := 0; p < n; p++ {
			i := img*n + p
			if a[p] != argmax[i] || al[p] != argmaxLogP[i] || s[p] != sample[i] || sl[p] != sampleLogP[i] {
				t.Fatalf("image %d position %d: alone %d %v %d %v, in the batch %d %v %d %v",
					img, p, a[p], al[p], s[p], sl[p], argmax[i], argmaxLogP[i], sample[i], sampleLogP[i])
			}
		}
	}
}
