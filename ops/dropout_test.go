package ops

import (
	"fmt"
	"math"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// dropoutGraph builds two dropout layers on the same input, rate and seed.
// The rate is a PlaceholderWithDefault of 0, as in an evaluation graph.
type dropoutGraph struct {
	sess          *tf.Session
	x, rate, seed tf.Output
	first, second tf.Output
	dt            tf.DataType
	data          []float64
	shape         []int64
}

// newDropoutGraph builds the graph for dt. width is the input's last dimension as the graph knows it: even (100)
// draws 16 random bits per decision, odd (99) or unknown (-1) a float
// uniform per element; the data fed is [40, 99] for 99, else [40, 100].
func newDropoutGraph(t *testing.T, dt tf.DataType, width int64) *dropoutGraph {
	t.Helper()
	g := &dropoutGraph{dt: dt, shape: []int64{40, 100}}
	if width == 99 {
		g.shape[1] = 99
	}
	s := op.NewScope()
	g.x = op.Placeholder(s.SubScope("x"), dt, op.PlaceholderShape(tf.MakeShape(-1, width)))
	zero := op.Const(s.SubScope("zero"), float32(0))
	if dt == tf.Double {
		zero = op.Const(s.SubScope("zero"), float64(0))
	}
	g.rate = op.PlaceholderWithDefault(s.SubScope("rate"), zero, tf.ScalarShape())
	g.seed = op.PlaceholderWithDefault(s.SubScope("seed"), op.Const(s.SubScope("seed0"), []int64{0, 0}), tf.MakeShape(2))
	g.first = Dropout(s, g.x, g.rate, g.seed)
	g.second = Dropout(s, g.x, g.rate, g.seed)
	graph, err := s.Finalize()
	if err != nil {
		t.Fatal(err)
	}
	bits16 := false
	for _, o := range graph.Operations() {
		bits16 = bits16 || o.Type() == "StatelessRandomUniformFullInt"
	}
	if want := width > 0 && width%2 == 0; bits16 != want {
		t.Fatalf("width %d: 16-bit decisions = %v, want %v", width, bits16, want)
	}
	g.sess = sessionOf(t, graph)
	g.data = make([]float64, numElements(g.shape))
	for i := range g.data {
		g.data[i] = 1 + math.Mod(float64(i)*0.37, 3) // positive, so a kept value is never 0
	}
	return g
}

// run returns both layers' outputs; rate < 0 leaves the rate at its default.
func (g *dropoutGraph) run(t *testing.T, rate float64, seed []float64) (a, b []float64) {
	t.Helper()
	feeds := map[tf.Output]*tf.Tensor{g.x: newTensor(t, g.dt, g.shape, g.data)}
	if rate >= 0 {
		feeds[g.rate] = newTensor(t, g.dt, nil, []float64{rate})
	}
	if seed != nil {
		feeds[g.seed] = newTensor(t, tf.Int64, []int64{2}, seed)
	}
	r := run(t, g.sess, feeds, g.first, g.second)
	return r[0], r[1]
}

// dropoutWidths are the last dimensions the tests build dropout for: the
// 16-bit path and both float-uniform fallbacks.
var dropoutWidths = []int64{100, 99, -1}

func TestDropoutIdentityAtRateZero(t *testing.T) {
	for _, dt := range []tf.DataType{tf.Float, tf.Double} {
		for _, width := range dropoutWidths {
			testDropoutIdentity(t, dt, width)
		}
	}
}

func testDropoutIdentity(t *testing.T, dt tf.DataType, width int64) {
	g := newDropoutGraph(t, dt, width)
	for _, rate := range []float64{-1 /* default */, 0} {
		a, b := g.run(t, rate, []float64{3, 4})
		want := flatten(t, newTensor(t, dt, g.shape, g.data)) // the input, rounded to dt
		for i := range want {
			if a[i] != want[i] || b[i] != want[i] {
				t.Fatalf("%s width %d rate %v: element %d = %v, %v, want exactly %v", dtypeName(dt), width, rate, i, a[i], b[i], want[i])
			}
		}
	}
}

func TestDropoutMask(t *testing.T) {
	for _, dt := range []tf.DataType{tf.Float, tf.Double} {
		for _, width := range dropoutWidths {
			t.Run(fmt.Sprintf("%s/width%d", dtypeName(dt), width), func(t *testing.T) { testDropoutMask(t, dt, width) })
		}
	}
}

func testDropoutMask(t *testing.T, dt tf.DataType, width int64) {
	g := newDropoutGraph(t, dt, width)
	want := flatten(t, newTensor(t, dt, g.shape, g.data))
	for _, rate := range []float64{0.1, 0.5, 0.9} {
		a, _ := g.run(t, rate, []float64{3, 4})
		kept := 0
		for i, v := range a {
			switch {
			case v == 0:
			case math.Abs(v-want[i]/(1-rate)) <= 1e-6*math.Abs(v):
				kept++
			default:
				t.Fatalf("rate %v: element %d = %v, want 0 or %v", rate, i, v, want[i]/(1-rate))
			}
		}
		// 4000 Bernoulli(1 - rate) draws: 5 standard deviations is at most ±160.
		if n := float64(len(a)); math.Abs(float64(kept)-(1-rate)*n) > 5*math.Sqrt(n*rate*(1-rate)) {
			t.Errorf("rate %v: kept %d of %v", rate, kept, n)
		}
	}
	if a, _ := g.run(t, 1, []float64{3, 4}); maxAbs(a) != 0 {
		t.Errorf("rate 1: max |y| = %v, want all zeros", maxAbs(a))
	}
}

func TestDropoutStreams(t *testing.T) {
	for _, width := range dropoutWidths {
		t.Run(fmt.Sprintf("width%d", width), func(t *testing.T) { testDropoutStreams(t, width) })
	}
}

func testDropoutStreams(t *testing.T, width int64) {
	g := newDropoutGraph(t, tf.Float, width)
	a1, b1 := g.run(t, 0.5, []float64{3, 4})
	a2, b2 := g.run(t, 0.5, []float64{3, 4})
	a3, _ := g.run(t, 0.5, []float64{3, 5})
	agree := func(x, y []float64) float64 {
		n := 0
		for i := range x {
			if (x[i] == 0) == (y[i] == 0) {
				n++
			}
		}
		return float64(n) / float64(len(x))
	}
	if agree(a1, a2) != 1 || agree(b1, b2) != 1 {
		t.Errorf("the same seed gave different masks")
	}
	// Independent masks with rate 0.5 agree on about half the elements.
	if f := agree(a1, a3); f > 0.6 {
		t.Errorf("seeds (3,4) and (3,5) gave masks agreeing on %.2f of the elements", f)
	}
	if f := agree(a1, b1); f > 0.6 {
		t.Errorf("two dropout layers with the same seed gave masks agreeing on %.2f of the elements", f)
	}
	// Neighbours along the last axis (the two halves of one random word on
	// the 16-bit path) decide independently: they agree on about half.
	if f := agree(a1[:len(a1)-1], a1[1:]); f < 0.4 || f > 0.6 {
		t.Errorf("neighbouring elements' decisions agree on %.2f, want about 0.5", f)
	}
}

// TestDropMask checks the exported mask against Dropout: built under the
// same name (so the same stream) in another graph, Dropout's output is
// x·mask/(1 − rate), on the 16-bit path and the float one.
func TestDropMask(t *testing.T) {
	for _, width := range []int64{64, 63} {
		shape := []int64{8, width}
		data := make([]float64, numElements(shape))
		for i := range data {
			data[i] = 1 + math.Mod(float64(i)*0.37, 3)
		}
		const rate = 0.3
		build := func(mask bool) []float64 {
			s := op.NewScope()
			x := op.Placeholder(s.SubScope("x"), tf.Float, op.PlaceholderShape(tf.MakeShape(-1, width)))
			r := op.Const(s.SubScope("rate"), float32(rate))
			seed := op.Const(s.SubScope("seed"), []int64{7, 8})
			var y tf.Output
			if mask {
				y = DropMask(s.SubScope("layer").SubScope("dropout"), x, r, seed)
			} else {
				y = Dropout(s.SubScope("layer"), x, r, seed)
			}
			return run(t, session(t, s), map[tf.Output]*tf.Tensor{x: newTensor(t, tf.Float, shape, data)}, y)[0]
		}
		y, keep := build(false), build(true)
		zeros := 0
		for i, k := range keep {
			if k != 0 && k != 1 {
				t.Fatalf("width %d: mask element %d = %v, want 0 or 1", width, i, k)
			}
			want := float64(float32(data[i])) * k / (1 - rate)
			if math.Abs(y[i]-want) > 1e-6*math.Abs(want) {
				t.Fatalf("width %d: Dropout element %d = %v, want x·mask/(1 − rate) = %v", width, i, y[i], want)
			}
			zeros += int(1 - k)
		}
		if zeros == 0 || zeros == len(keep) {
			t.Errorf("width %d: %d of %d elements dropped at rate %v", width, zeros, len(keep), rate)
		}
	}
}
