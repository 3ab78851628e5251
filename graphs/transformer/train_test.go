package transformer

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

func tinyConfig() Config {
	return Config{Codes: 8, Positions: 16, Dim: 32, Layers: 2, Heads: 4, MLPDim: 64, Dropout: 0.1}
}

func mustTensor(t *testing.T, data interface{}, shape ...int64) *tf.Tensor {
	t.Helper()
	x, err := tfmodel.NewTensorShaped(data, shape...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

// batch makes B images whose N tokens all share one random code; a random
// half of each image is masked.
func batch(t *testing.T, cfg Config, B int, rng *rand.Rand) (in, target, weight *tf.Tensor, inIDs, tgtIDs []int32, w []float32) {
	n := int(cfg.Positions)
	inIDs, tgtIDs, w = make([]int32, B*n), make([]int32, B*n), make([]float32, B*n)
	for b := 0; b < B; b++ {
		c := int32(rng.IntN(int(cfg.Codes)))
		for i := 0; i < n; i++ {
			tgtIDs[b*n+i] = c
			inIDs[b*n+i] = c
		}
		for _, i := range rng.Perm(n)[:n/2] {
			inIDs[b*n+i] = cfg.MaskID()
			w[b*n+i] = 1
		}
	}
	return mustTensor(t, inIDs, int64(B), int64(n)), mustTensor(t, tgtIDs, int64(B), int64(n)), mustTensor(t, w, int64(B), int64(n)), inIDs, tgtIDs, w
}

func TestTransformerNamesShapesAndMaskedLoss(t *testing.T) {
	cfg := tinyConfig()
	g, err := BuildTrain(cfg, TrainConfig{LabelSmoothing: 0.1, Beta1: 0.9, Beta2: 0.98, WeightDecay: 0.01, ClipNorm: 1}, 3, "")
	if err != nil {
		t.Fatal(err)
	}
	names := g.Vars.Names()
	for _, want := range []string{"transformer/tok_emb/embeddings", "transformer/pos_emb/embeddings", "transformer/ln_emb/gamma",
		"transformer/block0/attn/query/kernel", "transformer/block1/mlp/fc2/bias", "transformer/head/dense/kernel",
		"transformer/head/ln/beta", "transformer/head/bias", "optimizer/transformer/head/bias/m"} {
		if i := sort.SearchStrings(names, want); i == len(names) || names[i] != want {
			t.Errorf("variable %q missing", want)
		}
	}
	if v, _ := g.Vars.Get("transformer/tok_emb/embeddings"); v.Shape[0] != cfg.Codes+1 {
		t.Errorf("token embedding has %d rows, want K+1 = %d", v.Shape[0], cfg.Codes+1)
	}
	if v, _ := g.Vars.Get("transformer/head/bias"); v.Shape[0] != cfg.Positions || v.Shape[1] != cfg.Codes {
		t.Errorf("per-position bias shape %v", v.Shape)
	}
	sess, err := tfmodel.NewSession(g.Graph, tfmodel.SessionOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if _, err := sess.Run(nil, nil, []*tf.Operation{g.Init}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	in, target, weight, _, tgtIDs, w := batch(t, cfg, 3, rng)
	logitsOut := g.Graph.Operation("transformer/head/add_bias/Add")
	if logitsOut == nil {
		t.Fatal("no logits op")
	}
	feeds := map[tf.Output]*tf.Tensor{g.Input: in, g.Target: target, g.Weight: weight}
	out, err := sess.Run(feeds, []tf.Output{g.Loss, logitsOut.Output(0)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sh := out[1].Shape(); sh[0] != 3 || sh[1] != cfg.Positions || sh[2] != cfg.Codes {
		t.Fatalf("logits shape %v, want [3 %d %d] (no [MASK] class)", sh, cfg.Positions, cfg.Codes)
	}
	// Reference: label-smoothed cross-entropy averaged over masked positions.
	logits, _ := tfmodel.Float32s(out[1])
	k := int(cfg.Codes)
	var sum, cnt float64
	for p := range tgtIDs {
		if w[p] == 0 {
			continue
		}
		row := logits[p*k : (p+1)*k]
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, float64(v))
		}
		lse := 0.0
		for _, v := range row {
			lse += math.Exp(float64(v) - mx)
		}
		lse = mx + math.Log(lse)
		for c, v := range row {
			q := 0.1 / float64(k)
			if int32(c) == tgtIDs[p] {
				q += 0.9
			}
			sum -= q * (float64(v) - lse)
		}
		cnt++
	}
	if got := float64(out[0].Value().(float32)); math.Abs(got-sum/cnt) > 1e-5*math.Abs(sum/cnt) {
		t.Errorf("loss %v, reference %v", got, sum/cnt)
	}
	// Targets at unmasked positions do not matter.
	tg2 := append([]int32(nil), tgtIDs...)
	for p := range tg2 {
		if w[p] == 0 {
			tg2[p] = (tg2[p] + 1) % int32(k)
		}
	}
	feeds[g.Target] = mustTensor(t, tg2, 3, cfg.Positions)
	out2, err := sess.Run(feeds, []tf.Output{g.Loss}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out2[0].Value().(float32) != out[0].Value().(float32) {
		t.Errorf("loss depends on unmasked targets: %v vs %v", out2[0].Value(), out[0].Value())
	}
}

func TestTransformerLearnsToFillFromContext(t *testing.T) {
	cfg := tinyConfig()
	g, err := BuildTrain(cfg, TrainConfig{Beta1: 0.9, Beta2: 0.98, WeightDecay: 0.01, ClipNorm: 1}, 4, "")
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
	rng := rand.New(rand.NewPCG(2, 2))
	lr := mustTensor(t, float32(3e-3))
	rate := mustTensor(t, float32(cfg.Dropout))
	for i := 0; i < 80; i++ {
		in, target, weight, _, _, _ := batch(t, cfg, 16, rng)
		seed := mustTensor(t, []int64{9, int64(i)}, 2)
		if _, err := sess.Run(map[tf.Output]*tf.Tensor{g.Input: in, g.Target: target, g.Weight: weight, g.LR: lr, g.Rate: rate, g.Seed: seed},
			nil, []*tf.Operation{g.Step}); err != nil {
			t.Fatal(err)
		}
	}
	in, target, weight, _, _, _ := batch(t, cfg, 64, rand.New(rand.NewPCG(7, 7)))
	out, err := sess.Run(map[tf.Output]*tf.Tensor{g.Input: in, g.Target: target, g.Weight: weight}, []tf.Output{g.Accuracy}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Chance is 1/8; copying the visible code gives 1.
	if acc := out[0].Value().(float32); acc < 0.9 {
		t.Errorf("masked-token accuracy %v after 80 steps, want ≥ 0.9 (chance 0.125)", acc)
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []Config{
		{Codes: 1, Positions: 4, Dim: 8, Layers: 1, Heads: 2, MLPDim: 8},
		{Codes: 8, Positions: 4, Dim: 9, Layers: 1, Heads: 2, MLPDim: 8},
		{Codes: 8, Positions: 4, Dim: 8, Layers: 0, Heads: 2, MLPDim: 8},
		{Codes: 8, Positions: 4, Dim: 8, Layers: 1, Heads: 2, MLPDim: 8, Dropout: 1},
	}
	for i, c := range bad {
		if c.Validate() == nil {
			t.Errorf("config %d accepted: %+v", i, c)
		}
		s := op.NewScope()
		Logits(s, tfmodel.NewStore(1, tf.Float), c, op.Placeholder(s, tf.Int32), tf.Output{}, tf.Output{})
		if s.Err() == nil {
			t.Errorf("config %d: Logits built", i)
		}
	}
}
