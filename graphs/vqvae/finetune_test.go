package vqvae

import (
	"math"
	"slices"
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/internal/testutil"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// TestDecoderOnlyPerceptual takes steps of a decoder-only fine-tune with the
// perceptual loss: the decoder moves, the encoder and the codebook keep
// every value and get no optimizer state, and the loss is exactly
// L1 + L2 + λ·perceptual (no codebook or commitment term).
func TestDecoderOnlyPerceptual(t *testing.T) {
	tc := tinyTrain()
	tc.Disc = false
	tc.DecoderOnly = true
	tc.Perceptual, tc.PerceptualSize, tc.PerceptualNet = 0.5, 32, testutil.InceptionWeights(t)
	g, err := BuildTrain(tinyConfig(), tc, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	names := g.Vars.Names()
	for _, name := range names {
		if strings.HasPrefix(name, "optimizer/") && !strings.HasPrefix(name, "optimizer/decoder/") && name != "optimizer/step" {
			t.Errorf("optimizer state %q for a frozen variable", name)
		}
	}
	if !slices.Contains(names, "optimizer/decoder/conv_out/kernel/m") {
		t.Errorf("no optimizer state for the decoder (variables %v)", names)
	}
	var model []*tfmodel.Variable
	for _, v := range g.ModelSaver.Variables() {
		model = append(model, v)
		if strings.HasPrefix(v.Name, "optimizer") {
			t.Errorf("the model saver covers %q", v.Name)
		}
	}
	sess := testutil.InitSession(t, g.Graph, tfmodel.SessionOptions{Threads: 1}, g.Init)
	defer sess.Close()
	before := testutil.VarValues(t, sess, model)
	x := randomImages(4, 16, 3)
	lr, _ := tf.NewTensor(float32(1e-2))
	feeds := map[tf.Output]*tf.Tensor{g.Images: x, g.LR: lr}
	for i := 0; i < 3; i++ {
		out, err := sess.Run(feeds, []tf.Output{g.Loss, g.L1, g.L2, g.Perceptual}, []*tf.Operation{g.Step})
		if err != nil {
			t.Fatal(err)
		}
		loss, l1, l2, p := out[0].Value().(float32), out[1].Value().(float32), out[2].Value().(float32), out[3].Value().(float32)
		if p <= 0 {
			t.Fatalf("perceptual distance %v between random images and their reconstruction", p)
		}
		if want := l1 + l2 + 0.5*p; math.Abs(float64(loss-want)) > 1e-5 {
			t.Fatalf("loss %v, want L1 + L2 + 0.5·perceptual = %v", loss, want)
		}
	}
	after := testutil.VarValues(t, sess, model)
	moved := 0
	for name, b := range before {
		same := slices.Equal(b, after[name])
		if strings.HasPrefix(name, "decoder/") {
			if !same {
				moved++
			}
		} else if !same {
			t.Errorf("frozen variable %s changed", name)
		}
	}
	if moved == 0 {
		t.Error("no decoder variable moved")
	}
}

func TestPerceptualNeedsWeights(t *testing.T) {
	tc := tinyTrain()
	tc.Perceptual = 1
	if _, err := BuildTrain(tinyConfig(), tc, 1, ""); err == nil || !strings.Contains(err.Error(), "Inception weights") {
		t.Fatalf("err = %v, want one about the Inception weights", err)
	}
	tc.Perceptual = math.NaN()
	if _, err := BuildTrain(tinyConfig(), tc, 1, ""); err == nil || !strings.Contains(err.Error(), "perceptual weight") {
		t.Fatalf("err = %v, want one about the perceptual weight", err)
	}
	tc.Perceptual, tc.DecoderOnly = 0, true
	if _, err := BuildReplicatedTrain(tinyConfig(), tc, 1, []string{"/device:CPU:0", "/device:CPU:0"}); err == nil || !strings.Contains(err.Error(), "not replicated") {
		t.Fatalf("replicated decoder-only: err = %v", err)
	}
}
