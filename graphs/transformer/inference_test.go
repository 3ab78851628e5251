package transformer

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// TestInferenceMatchesTrainingGraph restores a training checkpoint into the
// inference graph and compares logits (dropout off in both).
func TestInferenceMatchesTrainingGraph(t *testing.T) {
	cfg := tinyConfig()
	g, err := BuildTrain(cfg, TrainConfig{Beta1: 0.9, Beta2: 0.98, ClipNorm: 1}, 5, "")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := tfmodel.NewSession(g.Graph, tfmodel.SessionOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if _, err := sess.Run(nil, nil, []*tf.Operation{g.Init}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	in, target, weight, _, _, _ := batch(t, cfg, 4, rng)
	lr := mustTensor(t, float32(1e-3))
	if _, err := sess.Run(map[tf.Output]*tf.Tensor{g.Input: in, g.Target: target, g.Weight: weight, g.LR: lr}, nil, []*tf.Operation{g.Step}); err != nil {
		t.Fatal(err)
	}
	logitsOp := g.Graph.Operation("transformer/head/add_bias/Add").Output(0)
	want, err := sess.Run(map[tf.Output]*tf.Tensor{g.Input: in}, []tf.Output{logitsOp}, nil)
	if err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(t.TempDir(), "ckpt")
	if err := g.Saver.Save(sess, prefix); err != nil {
		t.Fatal(err)
	}
	ig, err := BuildInference(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	is, err := tfmodel.NewSession(ig.Graph, tfmodel.SessionOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer is.Close()
	if err := ig.Saver.Restore(is, prefix); err != nil {
		t.Fatal(err)
	}
	got, err := is.Run(map[tf.Output]*tf.Tensor{ig.Tokens: in}, []tf.Output{ig.Logits}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := tfmodel.Float32s(want[0])
	b, _ := tfmodel.Float32s(got[0])
	if len(a) != len(b) {
		t.Fatalf("%d vs %d logits", len(a), len(b))
	}
	for i := range a {
		if d := a[i] - b[i]; d > 1e-5 || d < -1e-5 {
			t.Fatalf("logit %d: inference %v, training %v", i, b[i], a[i])
		}
	}
}

// TestInferenceChoices runs the inference graph (random initial weights)
// and checks its argmax and samples against the Go choose on its own
// logits, and that an image's sample does not depend on its batch.
func TestInferenceChoices(t *testing.T) {
	cfg := tinyConfig()
	ig, err := BuildInference(cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := tfmodel.NewSession(ig.Graph, tfmodel.SessionOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if _, err := sess.Run(nil, nil, []*tf.Operation{ig.Init}); err != nil {
		t.Fatal(err)
	}
	const b = 3
	n, k := int(cfg.Positions), int(cfg.Codes)
	rng := rand.New(rand.NewPCG(5, 6))
	tokens := make([]int32, b*n)
	uniform := make([]float64, b*n)
	for i := range tokens {
		tokens[i] = int32(rng.IntN(k))
		if rng.IntN(2) == 0 {
			tokens[i] = cfg.MaskID()
		}
		uniform[i] = rng.Float64()
	}
	run := func(tok []int32, u []float64, rows int) []*tf.Tensor {
		out, err := sess.Run(map[tf.Output]*tf.Tensor{ig.Tokens: mustTensor(t, tok, int64(rows), cfg.Positions), ig.Uniform: mustTensor(t, u, int64(rows), cfg.Positions)},
			[]tf.Output{ig.Logits, ig.Argmax, ig.ArgmaxLogP, ig.Sample, ig.SampleLogP}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	out := run(tokens, uniform, b)
	logits, _ := tfmodel.Float32s(out[0])
	argmax, _ := tfmodel.Int32s(out[1])
	sample, _ := tfmodel.Int32s(out[3])
	argmaxLogP, sampleLogP := float64s(out[2]), float64s(out[4])
	for i := 0; i < b*n; i++ {
		if tokens[i] != cfg.MaskID() {
			if argmax[i] != 0 || sample[i] != 0 {
				t.Fatalf("known position %d: argmax %d, sample %d, want 0", i, argmax[i], sample[i])
			}
			continue
		}
		r := logits[i*k : (i+1)*k]
		wa, wal := refChoose(r, 0, false)
		ws, wsl := refChoose(r, uniform[i], true)
		if argmax[i] != wa || math.Abs(argmaxLogP[i]-wal) > 1e-12 || sample[i] != ws || math.Abs(sampleLogP[i]-wsl) > 1e-12 {
			t.Fatalf("position %d: argmax %d (%v) sample %d (%v), Go %d (%v) %d (%v)", i, argmax[i], argmaxLogP[i], sample[i], sampleLogP[i], wa, wal, ws, wsl)
		}
	}
	// The last image alone gets the same samples.
	alone := run(tokens[(b-1)*n:], uniform[(b-1)*n:], 1)
	got, _ := tfmodel.Int32s(alone[3])
	for p := range got {
		if got[p] != sample[(b-1)*n+p] {
			t.Fatalf("position %d: sample %d alone, %d in a batch of %d", p, got[p], sample[(b-1)*n+p], b)
		}
	}
}
