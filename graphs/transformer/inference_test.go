package transformer

import (
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
