package transformer

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/internal/testutil"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// runSteps trains g for steps on the same random batches (seeded) and
// returns the losses, grad norms and the final variables.
func runSteps(t *testing.T, g *TrainGraph, opts tfmodel.SessionOptions, steps, batch int) (losses, norms []float64, vars map[string][]float32) {
	t.Helper()
	sess := testutil.InitSession(t, g.Graph, opts, g.Init)
	defer sess.Close()
	n := int(g.Cfg.Positions)
	rng := rand.New(rand.NewPCG(1, 2))
	for st := 0; st < steps; st++ {
		in, tg, w := make([]int32, batch*n), make([]int32, batch*n), make([]float32, batch*n)
		for i := range tg {
			tg[i] = int32(rng.IntN(int(g.Cfg.Codes)))
			in[i] = tg[i]
			if rng.Float64() < 0.2+0.6*float64(i/n)/float64(batch) { // shares with unequal masked counts
				in[i], w[i] = int32(g.Cfg.MaskID()), 1
			}
		}
		ti, _ := tfmodel.NewTensorShaped(in, int64(batch), int64(n))
		tt, _ := tfmodel.NewTensorShaped(tg, int64(batch), int64(n))
		tw, _ := tfmodel.NewTensorShaped(w, int64(batch), int64(n))
		lr, _ := tf.NewTensor(float32(3e-3))
		out, err := sess.Run(map[tf.Output]*tf.Tensor{g.Input: ti, g.Target: tt, g.Weight: tw, g.LR: lr},
			[]tf.Output{g.Loss, g.GradNorm}, []*tf.Operation{g.Step})
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, float64(out[0].Value().(float32)))
		norms = append(norms, float64(out[1].Value().(float32)))
	}
	return losses, norms, testutil.VarValues(t, sess, g.Vars.Trainable())
}

// TestReplicatedMatchesSingle: two replicas on two CPU devices of one
// session train exactly as BuildTrain on the whole batch (5 steps, AdamW,
// clipping, unequal masked counts per share, an odd batch).
func TestReplicatedMatchesSingle(t *testing.T) {
	cfg := Config{Codes: 16, Positions: 16, Dim: 16, Layers: 1, Heads: 2, MLPDim: 32, Dropout: 0.1}
	tc := TrainConfig{LabelSmoothing: 0.1, Beta1: 0.9, Beta2: 0.96, WeightDecay: 0.01, ClipNorm: 1}
	single, err := BuildTrain(cfg, tc, 7, "")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := BuildReplicatedTrain(cfg, tc, 7, []string{"/device:CPU:0", "/device:CPU:1"})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := single.Vars.Names(), rep.Vars.Names(); len(a) != len(b) {
		t.Fatalf("variables: single %d, replicated %d", len(a), len(b))
	} else {
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("variable %d: single %q, replicated %q", i, a[i], b[i])
			}
		}
	}
	placed := 0
	for _, o := range rep.Graph.Operations() {
		if strings.HasPrefix(o.Name(), "replica_1/") {
			if o.Device() != "/device:CPU:1" {
				t.Fatalf("%s is on %q, want /device:CPU:1", o.Name(), o.Device())
			}
			if strings.HasPrefix(o.Name(), "replica_1/gradients/") {
				placed++
			}
		}
	}
	if placed == 0 {
		t.Fatal("no gradient op of replica 1 in the graph")
	}
	const steps, batch = 5, 7
	l1, n1, v1 := runSteps(t, single, tfmodel.SessionOptions{Threads: 1}, steps, batch)
	l2, n2, v2 := runSteps(t, rep, tfmodel.SessionOptions{Threads: 1, CPUDevices: 2}, steps, batch)
	for i := range l1 {
		if testutil.RelDiff(l1[i], l2[i]) > 1e-5 || testutil.RelDiff(n1[i], n2[i]) > 1e-5 {
			t.Errorf("step %d: loss %v vs %v, grad norm %v vs %v", i, l1[i], l2[i], n1[i], n2[i])
		}
	}
	worst := 0.0
	for name, a := range v1 {
		diff, scale := testutil.MaxDiff(a, v2[name])
		if strings.HasSuffix(name, "/attn/key/bias") {
			// Softmax ignores a bias added to every key: its gradient is 0
			// in exact arithmetic and rounding noise in floats, which Adam
			// turns into steps of up to lr whatever their size.
			if diff > 2*3e-3*steps {
				t.Errorf("%s differs by %g, more than Adam's noise bound", name, diff)
			}
			continue
		}
		worst = math.Max(worst, diff/scale)
	}
	if worst > 1e-5 {
		t.Errorf("final variables differ by %g relative", worst)
	}
	t.Logf("losses %v / %v; worst variable difference %g", l1, l2, worst)
}
