package ops

import (
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

func newDropoutGraph(t *testing.T, dt tf.DataType) *dropoutGraph {
	t.Helper()
	g := &dropoutGraph{dt: dt, shape: []int64{40, 100}}
	s := op.NewScope()
	g.x = op.Placeholder(s.SubScope("x"), dt, op.PlaceholderShape(tf.MakeShape(-1, 100)))
	zero := op.Const(s.SubScope("zero"), float32(0))
	if dt == tf.Double {
		zero = op.Const(s.SubScope("zero"), float64(0))
	}
	g.rate = op.PlaceholderWithDefault(s.SubScope("rate"), zero, tf.ScalarShape())
	g.seed = op.PlaceholderWithDefault(s.SubScope("seed"), op.Const(s.SubScope("seed0"), []int64{0, 0}), tf.MakeShape(2))
	g.first = Dropout(s, g.x, g.rate, g.seed)
	g.second = Dropout(s, g.x, g.rate, g.seed)
	g.sess = session(t, s)
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

func TestDropoutIdentityAtRateZero(t *testing.T) {
	for _, dt := range []tf.DataType{tf.Float, tf.Double} {
		g := newDropoutGraph(t, dt)
		for _, rate := range []float64{-1 /* default */, 0} {
			a, b := g.run(t, rate, []float64{3, 4})
			want := flatten(t, newTensor(t, dt, g.shape, g.data)) // the input, rounded to dt
			for i := range want {
				if a[i] != want[i] || b[i] != want[i] {
					t.Fatalf("%s rate %v: element %d = %v, %v, want exactly %v", dtypeName(dt), rate, i, a[i], b[i], want[i])
				}
			}
		}
	}
}

func TestDropoutMask(t *testing.T) {
	for _, dt := range []tf.DataType{tf.Float, tf.Double} {
		t.Run(dtypeName(dt), func(t *testing.T) {
			g := newDropoutGraph(t, dt)
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
		})
	}
}

func TestDropoutStreams(t *testing.T) {
	g := newDropoutGraph(t, tf.Float)
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
}
