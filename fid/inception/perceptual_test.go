package inception

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// perceptualReference is testdata/perceptual_reference.json, written by
// scripts/perceptual_reference.py.
type perceptualReference struct {
	Pairs [][2]string `json:"pairs"`
	Sizes map[string]struct {
		Each  []float64 `json:"each"`
		Batch float64   `json:"batch"`
	} `json:"sizes"`
	SourceSHA256 string `json:"source_sha256"`
}

// perceptualGraph is a BuildPerceptual graph on two fed batches.
type perceptualGraph struct {
	sess *tfmodel.Session
	a, b tf.Output
	d    tf.Output
	grad tf.Output // ∂d/∂a
}

func newPerceptualGraph(t *testing.T, w *Weights, size int64) *perceptualGraph {
	t.Helper()
	s := op.NewScope()
	shape := op.PlaceholderShape(tf.MakeShape(-1, -1, -1, 3))
	g := &perceptualGraph{
		a: op.Placeholder(s.SubScope("a"), tf.Float, shape),
		b: op.Placeholder(s.SubScope("b"), tf.Float, shape),
	}
	g.d = BuildPerceptual(s.SubScope("perceptual"), g.a, g.b, w, size)
	if s.Err() == nil {
		g.grad = op.Gradients(s.SubScope("gradients"), []tf.Output{g.d}, []tf.Output{g.a})[0]
	}
	graph, err := s.Finalize()
	if err != nil {
		t.Fatal(err)
	}
	if g.sess, err = tfmodel.NewSession(graph, tfmodel.SessionOptions{Threads: 1}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.sess.Close() })
	return g
}

// run returns d and ∂d/∂a for images a and b ([N, H, W, 3] in [-1, 1]).
func (g *perceptualGraph) run(t *testing.T, a, b []float32, n, h, w int64) (float64, []float32) {
	t.Helper()
	ta, err := tfmodel.NewTensorShaped(a, n, h, w, 3)
	if err != nil {
		t.Fatal(err)
	}
	tb, err := tfmodel.NewTensorShaped(b, n, h, w, 3)
	if err != nil {
		t.Fatal(err)
	}
	out, err := g.sess.Run(map[tf.Output]*tf.Tensor{g.a: ta, g.b: tb}, []tf.Output{g.d, g.grad}, nil)
	if err != nil {
		t.Fatal(err)
	}
	grad := out[1].Value().([][][][]float32)
	flat := make([]float32, 0, len(a))
	for _, img := range grad {
		for _, row := range img {
			for _, px := range row {
				flat = append(flat, px...)
			}
		}
	}
	return float64(out[0].Value().(float32)), flat
}

// signedImage reads testdata/ref_NAME.png as float32 HWC in [-1, 1].
func signedImage(t *testing.T, name string) ([]float32, int64, int64) {
	t.Helper()
	pix, h, w := readRGB(t, "testdata/ref_"+name+".png")
	out := make([]float32, len(pix))
	for i, p := range pix {
		out[i] = float32(p)/127.5 - 1
	}
	return out, int64(h), int64(w)
}

// TestPerceptualMatchesPyTorch checks BuildPerceptual against the same
// distance computed by PyTorch with pytorch-fid's TorchScript model
// (scripts/perceptual_reference.py), pair by pair and as one batch, at
// three resize sides; identical images are at distance 0 (to rounding).
func TestPerceptualMatchesPyTorch(t *testing.T) {
	raw, err := os.ReadFile("testdata/perceptual_reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref perceptualReference
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	w, err := ReadWeights(testWeights(t))
	if err != nil {
		t.Fatal(err)
	}
	if w.SourceSHA256 != ref.SourceSHA256 {
		t.Fatalf("weights converted from %s, reference made with %s", w.SourceSHA256, ref.SourceSHA256)
	}
	var as, bs []float32
	var h, wd int64
	for _, p := range ref.Pairs {
		a, ha, wa := signedImage(t, p[0])
		b, _, _ := signedImage(t, p[1])
		as, bs, h, wd = append(as, a...), append(bs, b...), ha, wa
	}
	per := h * wd * 3
	n := int64(len(ref.Pairs))
	for sizeName, want := range ref.Sizes {
		size, err := strconv.ParseInt(sizeName, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		g := newPerceptualGraph(t, w, size)
		check := func(what string, got, want float64) {
			t.Helper()
			if math.Abs(got-want) > 1e-4*math.Max(1, math.Abs(want)) {
				t.Errorf("size %d, %s: got %.7f, PyTorch %.7f", size, what, got, want)
			}
		}
		for i, p := range ref.Pairs {
			got, _ := g.run(t, as[int64(i)*per:int64(i+1)*per], bs[int64(i)*per:int64(i+1)*per], 1, h, wd)
			check(strings.Join(p[:], " vs "), got, want.Each[i])
			// Rows of one batch may round differently in oneDNN's kernels.
			if p[0] == p[1] && math.Abs(got) > 1e-9 {
				t.Errorf("size %d: an image is at distance %g from itself", size, got)
			}
		}
		got, _ := g.run(t, as, bs, n, h, wd)
		check("batch", got, want.Batch)
	}
}

// TestPerceptualGradient compares the graph's gradient with respect to the
// first image with central finite differences (float64 steps on a float32
// graph, so a loose tolerance) at a few pixels.
func TestPerceptualGradient(t *testing.T) {
	w, err := ReadWeights(testWeights(t))
	if err != nil {
		t.Fatal(err)
	}
	const h, wd, size = 16, 16, 32
	rng := rand.New(rand.NewPCG(3, 4))
	a := make([]float32, h*wd*3)
	b := make([]float32, h*wd*3)
	for i := range a {
		a[i], b[i] = float32(rng.Float64()*1.6-0.8), float32(rng.Float64()*1.6-0.8)
	}
	g := newPerceptualGraph(t, w, size)
	_, grad := g.run(t, a, b, 1, h, wd)
	const eps = 1e-2
	for _, i := range []int{0, 17, 100, 383, 500, 767} {
		orig := a[i]
		a[i] = orig + eps
		up, _ := g.run(t, a, b, 1, h, wd)
		a[i] = orig - eps
		down, _ := g.run(t, a, b, 1, h, wd)
		a[i] = orig
		num := (up - down) / (2 * eps)
		if got := float64(grad[i]); math.Abs(got-num) > 0.05*math.Abs(num)+2e-4 {
			t.Errorf("pixel %d: gradient %.6f, finite differences %.6f", i, got, num)
		}
	}
}

func TestPerceptualErrors(t *testing.T) {
	s := op.NewScope()
	x := op.Placeholder(s, tf.Float)
	BuildPerceptual(s, x, x, &Weights{Tensors: map[string]*Tensor{}}, 20)
	if err := s.Err(); err == nil || !strings.Contains(err.Error(), "perceptual size 20 is below 27") {
		t.Fatalf("err = %v", err)
	}
	s = op.NewScope()
	x = op.Placeholder(s, tf.Float)
	BuildPerceptual(s, x, x, &Weights{Tensors: map[string]*Tensor{}}, 0)
	if err := s.Err(); err == nil || !strings.Contains(err.Error(), `weights have no "net.layers.conv.weight"`) {
		t.Fatalf("err = %v", err)
	}
}
