package vqvae

import (
	"path/filepath"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// TestInferenceRestoresTrainingCheckpoint trains a few steps, saves, and
// expects the inference graph restored from that checkpoint to give the
// training graph's tokens and reconstructions.
func TestInferenceRestoresTrainingCheckpoint(t *testing.T) {
	cfg := tinyConfig()
	tc := tinyTrain()
	tc.Disc = false
	g, err := BuildTrain(cfg, tc, 2, "")
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
	x := randomImages(3, 16, 9)
	lr, _ := tf.NewTensor(float32(1e-3))
	for i := 0; i < 3; i++ {
		if _, err := sess.Run(map[tf.Output]*tf.Tensor{g.Images: x, g.LR: lr}, nil, []*tf.Operation{g.Step}); err != nil {
			t.Fatal(err)
		}
	}
	want, err := sess.Run(map[tf.Output]*tf.Tensor{g.Images: x}, []tf.Output{g.IDs, g.Recon}, nil)
	if err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(t.TempDir(), "model")
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
	enc, err := is.Run(map[tf.Output]*tf.Tensor{ig.Images: x}, []tf.Output{ig.IDs}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := is.Run(map[tf.Output]*tf.Tensor{ig.Tokens: enc[0]}, []tf.Output{ig.Decoded}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantIDs, _ := tfmodel.Int32s(want[0])
	gotIDs, _ := tfmodel.Int32s(enc[0])
	for i := range wantIDs {
		if wantIDs[i] != gotIDs[i] {
			t.Fatalf("token %d: inference %d, training %d", i, gotIDs[i], wantIDs[i])
		}
	}
	wantX, _ := tfmodel.Float32s(want[1])
	gotX, _ := tfmodel.Float32s(dec[0])
	for i := range wantX {
		if d := wantX[i] - gotX[i]; d > 1e-5 || d < -1e-5 {
			t.Fatalf("pixel %d: decoded %v, training reconstruction %v", i, gotX[i], wantX[i])
		}
	}
}
