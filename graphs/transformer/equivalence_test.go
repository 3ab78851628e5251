package transformer

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/internal/testutil"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// close32 compares with a relative tolerance measured against max(|want|, floor).
func close32(got, want, rtol, floor float64) bool {
	return math.Abs(got-want) <= rtol*math.Max(math.Abs(want), floor)
}

func openTrain(t *testing.T, g *TrainGraph) *tfmodel.Session {
	t.Helper()
	sess := testutil.InitSession(t, g.Graph, tfmodel.SessionOptions{Threads: 1}, g.Init)
	t.Cleanup(func() { sess.Close() })
	return sess
}

// TestLogitsMatchReference: the 2-D, fused-QKV network computes the
// function of the ops-layer network it replaced, on the same variables.
func TestLogitsMatchReference(t *testing.T) {
	cfg := tinyConfig()
	build := func(f func(s *op.Scope, vs *tfmodel.Store, cfg Config, ids, rate, seed tf.Output) tf.Output) ([]float32, []string) {
		s := op.NewScope()
		vs := tfmodel.NewStore(7, tf.Float)
		ids := op.Placeholder(s.SubScope("ids"), tf.Int32, op.PlaceholderShape(tf.MakeShape(-1, cfg.Positions)))
		logits := f(s, vs, cfg, ids, tf.Output{}, tf.Output{})
		init := vs.InitOp(s.SubScope("init"))
		g, err := s.Finalize()
		if err != nil {
			t.Fatal(err)
		}
		sess := testutil.InitSession(t, g, tfmodel.SessionOptions{Threads: 1}, init)
		defer sess.Close()
		in, _, _, _, _, _ := batch(t, cfg, 3, rand.New(rand.NewPCG(4, 4)))
		out, err := sess.Run(map[tf.Output]*tf.Tensor{ids: in}, []tf.Output{logits}, nil)
		if err != nil {
			t.Fatal(err)
		}
		f32, _ := tfmodel.Float32s(out[0])
		return f32, vs.Names()
	}
	got, gotNames := build(Logits)
	want, wantNames := build(referenceLogits)
	if len(gotNames) != len(wantNames) {
		t.Fatalf("%d variables, reference %d", len(gotNames), len(wantNames))
	}
	for i := range gotNames {
		if gotNames[i] != wantNames[i] {
			t.Fatalf("variable %q, reference %q", gotNames[i], wantNames[i])
		}
	}
	for i := range want {
		if !close32(float64(got[i]), float64(want[i]), 1e-5, 1) {
			t.Fatalf("logit %d: %v, reference %v", i, got[i], want[i])
		}
	}
}

// TestTrainStepMatchesReference: three steps of the new graph (masked-only
// loss, fused AdamW, L2Loss clipping, one QKV matmul) and of the graph it
// replaced give the same losses, norms and weights; and the validation
// pass equals the training pass at rate 0.
func TestTrainStepMatchesReference(t *testing.T) {
	cfg := tinyConfig()
	tc := TrainConfig{LabelSmoothing: 0.1, Beta1: 0.9, Beta2: 0.96, WeightDecay: 0.045, ClipNorm: 1}
	type run struct {
		losses, norms, vals []float64
		w                   []float32
	}
	steps := func(bo buildOptions) run {
		g, err := buildTrain(cfg, tc, 8, "", bo)
		if err != nil {
			t.Fatal(err)
		}
		sess := openTrain(t, g)
		rng := rand.New(rand.NewPCG(6, 6))
		var r run
		for k := 0; k < 3; k++ {
			in, target, weight, _, _, _ := batch(t, cfg, 4, rng)
			feeds := map[tf.Output]*tf.Tensor{g.Input: in, g.Target: target, g.Weight: weight, g.LR: mustTensor(t, float32(3e-3))}
			out, err := sess.Run(feeds, []tf.Output{g.Loss, g.GradNorm, g.ValLoss}, []*tf.Operation{g.Step})
			if err != nil {
				t.Fatal(err)
			}
			r.losses = append(r.losses, float64(out[0].Value().(float32)))
			r.norms = append(r.norms, float64(out[1].Value().(float32)))
			r.vals = append(r.vals, float64(out[2].Value().(float32)))
		}
		v, _ := g.Vars.Get("transformer/block1/attn/key/kernel")
		out, err := sess.Run(nil, []tf.Output{v.Value}, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.w, _ = tfmodel.Float32s(out[0])
		return r
	}
	want := steps(buildOptions{referenceAdam: true, referenceModel: true})
	for _, bo := range []buildOptions{{}, {referenceAdam: true}, {denseLoss: true}} {
		got := steps(bo)
		for k := range want.losses {
			if !close32(got.losses[k], want.losses[k], 1e-5, 1) || !close32(got.norms[k], want.norms[k], 1e-4, 1) {
				t.Errorf("%+v step %d: loss %v norm %v, reference %v %v", bo, k, got.losses[k], got.norms[k], want.losses[k], want.norms[k])
			}
			if !close32(got.vals[k], got.losses[k], 1e-5, 1) {
				t.Errorf("%+v step %d: validation loss %v, training loss at rate 0 %v", bo, k, got.vals[k], got.losses[k])
			}
		}
		for i := range want.w {
			if !close32(float64(got.w[i]), float64(want.w[i]), 1e-4, 0.1) {
				t.Fatalf("%+v: weight %d after 3 steps %v, reference %v", bo, i, got.w[i], want.w[i])
			}
		}
	}
}

// TestRestorePrefusedCheckpoint restores a checkpoint written by the code
// before the fused optimizer and the rewritten network (testdata/prefused,
// see its generator) and checks that the logits and one more training step
// (loss, weights, the second-moment slot) match what that code computed.
func TestRestorePrefusedCheckpoint(t *testing.T) {
	dir := filepath.Join("testdata", "prefused")
	raw, err := os.ReadFile(filepath.Join(dir, "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var gold map[string]json.RawMessage
	if err := json.Unmarshal(raw, &gold); err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig()
	g, err := BuildTrain(cfg, TrainConfig{LabelSmoothing: 0.1, Beta1: 0.9, Beta2: 0.96, WeightDecay: 0.045, ClipNorm: 1}, 99, "")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := tfmodel.NewSession(g.Graph, tfmodel.SessionOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := g.Saver.Restore(sess, filepath.Join(dir, "ckpt")); err != nil {
		t.Fatal(err)
	}
	var wantLogits [][][]float32
	if err := json.Unmarshal(gold["logits"], &wantLogits); err != nil {
		t.Fatal(err)
	}
	in, _, _, _, _, _ := batch(t, cfg, 2, rand.New(rand.NewPCG(5, 5)))
	out, err := sess.Run(map[tf.Output]*tf.Tensor{g.Input: in}, []tf.Output{g.Logits}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := out[0].Value().([][][]float32)
	for b := range wantLogits {
		for p := range wantLogits[b] {
			for c, w := range wantLogits[b][p] {
				if !close32(float64(got[b][p][c]), float64(w), 1e-5, 1) {
					t.Fatalf("logit [%d %d %d] %v, pre-fused code %v", b, p, c, got[b][p][c], w)
				}
			}
		}
	}
	// The generator's third batch: its rng drew two batches before.
	rng := rand.New(rand.NewPCG(21, 21))
	batch(t, cfg, 4, rng)
	batch(t, cfg, 4, rng)
	in, target, weight, _, _, _ := batch(t, cfg, 4, rng)
	out, err = sess.Run(map[tf.Output]*tf.Tensor{g.Input: in, g.Target: target, g.Weight: weight, g.LR: mustTensor(t, float32(2e-3))},
		[]tf.Output{g.Loss}, []*tf.Operation{g.Step})
	if err != nil {
		t.Fatal(err)
	}
	var wantLoss float64
	if err := json.Unmarshal(gold["loss_step3"], &wantLoss); err != nil {
		t.Fatal(err)
	}
	if l := float64(out[0].Value().(float32)); !close32(l, wantLoss, 1e-5, 1) {
		t.Errorf("step 3 loss %v, pre-fused code %v", l, wantLoss)
	}
	for _, name := range []string{"transformer/block0/attn/query/kernel", "transformer/head/bias", "transformer/tok_emb/embeddings",
		"optimizer/transformer/block1/mlp/fc1/kernel/v"} {
		var want []float32
		if err := json.Unmarshal(gold[name], &want); err != nil {
			t.Fatal(err)
		}
		v, ok := g.Vars.Get(name)
		if !ok {
			t.Fatalf("no variable %q", name)
		}
		out, err := sess.Run(nil, []tf.Output{v.Value}, nil)
		if err != nil {
			t.Fatal(err)
		}
		have, _ := tfmodel.Float32s(out[0])
		var scale float64
		for _, w := range want {
			scale = math.Max(scale, math.Abs(float64(w)))
		}
		for i := range want {
			if !close32(float64(have[i]), float64(want[i]), 1e-4, scale) {
				t.Fatalf("%s[%d] after step 3: %v, pre-fused code %v", name, i, have[i], want[i])
			}
		}
	}
}
