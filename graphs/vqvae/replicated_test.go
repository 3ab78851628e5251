package vqvae

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/internal/testutil"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// trace is what replicatedRun records of a run.
type trace struct {
	scalars [][]float64 // per step: the fetches of stepFetches
	ids     [][]int32
	flat    [][]float32
	vars    map[string][]float32
	val     []float64 // ValL2, ValPSNR of a validation pass on one image
	valIDs  []int32
	recon   []float32
}

func stepFetches(g *TrainGraph) []tf.Output {
	return []tf.Output{g.Loss, g.L1, g.L2, g.CodebookLoss, g.CommitLoss, g.GenLoss, g.DiscLoss, g.PSNR, g.Perplexity, g.Used, g.GradNorm}
}

// replicatedRun trains g for steps on seeded batches of batch images: the
// discriminator from step 2, a dead-code re-initialisation after step 1
// (codes 0 and 3 from rows 5 and 7 of Flat); then a validation pass on a
// single image (fewer images than replicas).
func replicatedRun(t *testing.T, g *TrainGraph, opts tfmodel.SessionOptions, steps, batch int) trace {
	t.Helper()
	sess := testutil.InitSession(t, g.Graph, opts, g.Init)
	defer sess.Close()
	r := int(g.Model.Cfg.Resolution)
	var tr trace
	for st := 0; st < steps; st++ {
		lr, _ := tf.NewTensor(float32(3e-3))
		feeds := map[tf.Output]*tf.Tensor{g.Images: randomImages(batch, r, uint64(10+st)), g.LR: lr}
		targets := []*tf.Operation{g.Step}
		if st >= 2 && g.DiscStep != nil {
			dw, _ := tf.NewTensor(float32(0.1))
			feeds[g.DiscWeight] = dw
			targets = append(targets, g.DiscStep)
		}
		out, err := sess.Run(feeds, append(stepFetches(g), g.IDs, g.Flat), targets)
		if err != nil {
			t.Fatalf("step %d: %v", st, err)
		}
		var sc []float64
		for _, o := range out[:len(out)-2] {
			sc = append(sc, float64(o.Value().(float32)))
		}
		tr.scalars = append(tr.scalars, sc)
		ids, _ := tfmodel.Int32s(out[len(out)-2])
		tr.ids = append(tr.ids, ids)
		fl, _ := tfmodel.Float32s(out[len(out)-1])
		tr.flat = append(tr.flat, fl)
		if st == 1 {
			dim := int(g.Model.Cfg.Latent)
			idx, _ := tf.NewTensor([]int32{0, 3})
			vals, _ := tfmodel.NewTensorShaped(append(append([]float32(nil), fl[5*dim:6*dim]...), fl[7*dim:8*dim]...), 2, int64(dim))
			if _, err := sess.Run(map[tf.Output]*tf.Tensor{g.Reinit.Indices: idx, g.Reinit.Values: vals}, nil, []*tf.Operation{g.Reinit.Op}); err != nil {
				t.Fatalf("re-initialising codes: %v", err)
			}
		}
	}
	var floats []*tfmodel.Variable
	for _, v := range g.Saver.Variables() {
		if v.DType == tf.Float {
			floats = append(floats, v)
		}
	}
	tr.vars = testutil.VarValues(t, sess, floats)
	out, err := sess.Run(map[tf.Output]*tf.Tensor{g.Images: randomImages(1, r, 99)}, []tf.Output{g.ValL2, g.ValPSNR, g.ValIDs, g.ValRecon}, nil)
	if err != nil {
		t.Fatalf("validation pass on one image: %v", err)
	}
	for _, o := range out[:2] {
		tr.val = append(tr.val, float64(o.Value().(float32)))
	}
	tr.valIDs, _ = tfmodel.Int32s(out[2])
	tr.recon, _ = tfmodel.Float32s(out[3])
	return tr
}

// maxDiff is the largest |a−b| relative to max(1, max |a|).
func maxDiff(a, b []float32) float64 {
	d, scale := testutil.MaxDiff(a, b)
	return d / scale
}

// TestReplicatedTrainMatchesSingle: two replicas on two CPU devices of one
// session train exactly as BuildTrain on the whole batch: an odd batch, the
// discriminator switched on after two steps, a dead-code re-initialisation,
// clipping; the same fetches, codes, encodings and final variables
// (optimizer state included), and a validation pass on one image (fewer
// than the replicas) gives BuildTrain's metrics.
func TestReplicatedTrainMatchesSingle(t *testing.T) {
	for _, disc := range []bool{true, false} {
		t.Run(fmt.Sprintf("disc=%v", disc), func(t *testing.T) { testReplicatedTrain(t, disc) })
	}
}

func testReplicatedTrain(t *testing.T, disc bool) {
	cfg := tinyConfig()
	cfg.Normalize = true
	tc := tinyTrain()
	tc.Disc = disc
	single, err := BuildTrain(cfg, tc, 7, "")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := BuildReplicatedTrain(cfg, tc, 7, []string{"/device:CPU:0", "/device:CPU:1"})
	if err != nil {
		t.Fatal(err)
	}
	names := func(g *TrainGraph) string {
		var n []string
		for _, v := range g.Saver.Variables() {
			n = append(n, v.Name)
		}
		sort.Strings(n)
		return strings.Join(n, " ")
	}
	if a, b := names(single), names(rep); a != b {
		t.Fatalf("checkpoint variables differ:\nsingle     %s\nreplicated %s", a, b)
	}
	placed, discPlaced := 0, 0
	for _, o := range rep.Graph.Operations() {
		if strings.HasPrefix(o.Name(), "replica_1/") {
			if o.Device() != "/device:CPU:1" {
				t.Fatalf("%s is on %q, want /device:CPU:1", o.Name(), o.Device())
			}
			if strings.HasPrefix(o.Name(), "replica_1/gradients/") {
				placed++
			}
			if strings.HasPrefix(o.Name(), "replica_1/disc_gradients/") {
				discPlaced++
			}
		}
	}
	if placed == 0 || (discPlaced > 0) != disc {
		t.Fatalf("replica 1 has %d gradient ops and %d of the discriminator", placed, discPlaced)
	}
	const steps, batch = 4, 5
	a := replicatedRun(t, single, tfmodel.SessionOptions{Threads: 1}, steps, batch)
	b := replicatedRun(t, rep, tfmodel.SessionOptions{Threads: 1, CPUDevices: 2}, steps, batch)
	fetches := []string{"loss", "l1", "l2", "codebook", "commit", "gen", "disc", "psnr", "perplexity", "used", "grad_norm"}
	for st := range a.scalars {
		for j, name := range fetches {
			x, y := a.scalars[st][j], b.scalars[st][j]
			if testutil.RelDiff(x, y) > 1e-5 && math.Abs(x-y) > 1e-7 {
				t.Errorf("step %d: %s %v single, %v replicated", st, name, x, y)
			}
		}
		if fmt.Sprint(a.ids[st]) != fmt.Sprint(b.ids[st]) {
			t.Errorf("step %d: codes differ", st)
		}
		if d := maxDiff(a.flat[st], b.flat[st]); d > 1e-5 {
			t.Errorf("step %d: encodings differ by %g", st, d)
		}
	}
	worst := 0.0
	for name, x := range a.vars {
		d := maxDiff(x, b.vars[name])
		if d > 1e-5 {
			t.Errorf("%s differs by %g", name, d)
		}
		worst = math.Max(worst, d)
	}
	for j, name := range []string{"l2", "psnr"} {
		if testutil.RelDiff(a.val[j], b.val[j]) > 1e-5 {
			t.Errorf("one image: %s %v single, %v replicated", name, a.val[j], b.val[j])
		}
	}
	if fmt.Sprint(a.valIDs) != fmt.Sprint(b.valIDs) || maxDiff(a.recon, b.recon) > 1e-5 {
		t.Errorf("one image: codes or reconstruction differ")
	}
	t.Logf("losses %v / %v; worst variable difference %g", a.scalars[steps-1][0], b.scalars[steps-1][0], worst)
}
