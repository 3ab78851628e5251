package vqvae

import (
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/tfmodel"
)

func tinyConfig() Config {
	return Config{Resolution: 16, Grid: 4, Channels: []int64{8, 8, 16}, ResBlocks: 1, Groups: 4, Latent: 4, Codes: 16, Beta: 0.25}
}

func tinyTrain() TrainConfig {
	return TrainConfig{L1: 1, L2: 1, Beta1: 0.9, Beta2: 0.99, WeightDecay: 1e-4, ClipNorm: 1, Disc: true, DiscChannels: 8}
}

func randomImages(n, r int, seed uint64) *tf.Tensor {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n*r*r*3)
	for i := range x {
		// smooth-ish content: low-frequency pattern plus noise
		p := i / 3
		x[i] = float32(0.5*float64((p%r)/(r/2)) - 0.25 + 0.2*rng.NormFloat64())
	}
	t, _ := tf.NewTensor(x)
	t.Reshape([]int64{int64(n), int64(r), int64(r), 3})
	return t
}

func TestTrainGraphLearnsAndNamesVariables(t *testing.T) {
	g, err := BuildTrain(tinyConfig(), tinyTrain(), 1, "")
	if err != nil {
		t.Fatal(err)
	}
	names := g.Vars.Names()
	for _, want := range []string{"encoder/conv_in/kernel", "encoder/level0_res0/conv1/kernel", "encoder/down0/kernel",
		"encoder/conv_out/kernel", "quantizer/codebook", "decoder/up1/kernel", "decoder/conv_out/bias",
		"optimizer/step", "optimizer/quantizer/codebook/m"} {
		i := sort.SearchStrings(names, want)
		if i == len(names) || names[i] != want {
			t.Errorf("variable %q missing (have %d variables, e.g. %v)", want, len(names), names[:5])
		}
	}
	for _, v := range g.Saver.Variables() {
		if strings.HasPrefix(v.Name, "discriminator/") {
			goto hasDisc
		}
	}
	t.Error("saver does not cover the discriminator")
hasDisc:
	sess, err := tfmodel.NewSession(g.Graph, tfmodel.SessionOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if _, err := sess.Run(nil, nil, []*tf.Operation{g.Init}); err != nil {
		t.Fatal(err)
	}
	x := randomImages(4, 16, 3)
	lr, _ := tf.NewTensor(float32(3e-3))
	dw, _ := tf.NewTensor(float32(0.1))
	feeds := map[tf.Output]*tf.Tensor{g.Images: x, g.LR: lr, g.DiscWeight: dw}
	var first, last float32
	for i := 0; i < 40; i++ {
		out, err := sess.Run(feeds, []tf.Output{g.L2, g.PSNR, g.Used}, []*tf.Operation{g.Step, g.DiscStep})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = out[0].Value().(float32)
		}
		last = out[0].Value().(float32)
	}
	if !(last < 0.7*first) {
		t.Errorf("L2 went from %v to %v in 40 steps on one batch: not learning", first, last)
	}
}
