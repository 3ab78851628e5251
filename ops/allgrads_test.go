package ops

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// TestAllLayersGradients builds one float32 loss through every layer and
// asks TF_AddGradients for the gradients of all variables at once: an op
// without a C++ gradient fails the build, a disconnected variable gets no
// or an all-zero gradient, and a numerically broken layer a non-finite one.
func TestAllLayersGradients(t *testing.T) {
	const (
		batch, vocab, d = 2, 11, 8
		n               = 9 // 3x3 tokens after the convolutional stem
	)
	s := op.NewScope()
	vs := tfmodel.NewStore(3, tf.Float)
	img := op.Placeholder(s.SubScope("images"), tf.Float, op.PlaceholderShape(tf.MakeShape(-1, 8, 8, 3)))
	ids := op.Placeholder(s.SubScope("ids"), tf.Int32, op.PlaceholderShape(tf.MakeShape(-1, n)))
	labels := op.Placeholder(s.SubScope("labels"), tf.Int32, op.PlaceholderShape(tf.MakeShape(-1, n)))
	rate := op.PlaceholderWithDefault(s.SubScope("rate"), op.Const(s.SubScope("rate0"), float32(0)), tf.ScalarShape())
	seed := op.Placeholder(s.SubScope("seed"), tf.Int64, op.PlaceholderShape(tf.MakeShape(2)))

	h := Conv2D(s, vs, "conv_in", img, 8, 3, 1, Same) // [B, 8, 8, 8]
	h = SiLU(s, GroupNorm(s, vs, "norm_in", h, 2, 1e-5))
	h = ResBlock(s, vs, "res0", h, 8, 2, 1e-5)
	h = ResBlock(s, vs, "res1", h, 12, 4, 1e-5)        // shortcut conv
	h = Conv2D(s, vs, "down", h, 8, 4, 2, Same)        // [B, 4, 4, 8]
	h = Upsample2x(s, h)                               // [B, 8, 8, 8]
	h = Conv2D(s, vs, "down_valid", h, d, 3, 2, Valid) // [B, 3, 3, 8]
	h = op.Reshape(s.SubScope("tokens"), h, op.Const(s.SubScope("tokens_shape"), []int64{-1, n, d}))
	tok, emb := Embedding(s, vs, "tok_emb", ids, vocab, d)
	h = op.Add(s.SubScope("add_emb"), h, tok)
	h = LayerNorm(s, vs, "ln_in", h, 1e-5)
	h = Dropout(s, GELUApprox(s, Dense(s, vs, "proj", h, d)), rate, seed)
	h = MultiHeadSelfAttention(s, vs, "attn", h, 2, rate, seed)
	h = TransformerBlock(s, vs, "block0", h, TransformerConfig{Heads: 2, MLPDim: 16, Eps: 1e-12, Rate: rate, Seed: seed})
	h = TransformerBlock(s, vs, "block1", h, TransformerConfig{Heads: 4, MLPDim: 16, Eps: 1e-6, PreLN: true, ApproxGELU: true, Rate: rate, Seed: seed})
	h = GELU(s, Dense(s, vs, "head", h, d))
	logits := EmbeddingLogits(s, vs, "logits", h, emb) // [B, n, vocab]
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}

	// Sparse cross-entropy has no C++ gradient: one-hot labels on 2-D logits.
	ls := s.SubScope("loss")
	flat := op.Reshape(ls.SubScope("logits"), logits, op.Const(ls.SubScope("logits_shape"), []int64{-1, vocab}))
	onehot := op.OneHot(ls, op.Reshape(ls.SubScope("labels"), labels, op.Const(ls.SubScope("labels_shape"), []int64{-1})),
		op.Const(ls.SubScope("depth"), int32(vocab)), op.Const(ls.SubScope("on"), float32(1)), op.Const(ls.SubScope("off"), float32(0)))
	xent, _ := op.SoftmaxCrossEntropyWithLogits(ls, flat, onehot)
	loss := op.Mean(ls, xent, op.Const(ls.SubScope("axis"), []int32{0}))

	vars := vs.Trainable()
	values := make([]tf.Output, len(vars))
	for i, v := range vars {
		values[i] = v.Value
	}
	grads := op.Gradients(s.SubScope("gradients"), []tf.Output{loss}, values)
	initOp := vs.InitOp(s)
	if err := s.Err(); err != nil {
		t.Fatalf("gradients of all layers: %v", err)
	}
	for i, g := range grads {
		if g.Op == nil {
			t.Fatalf("no gradient for %s", vars[i].Name)
		}
	}
	sess := session(t, s)
	initStore(t, sess, initOp)

	rng := rand.New(rand.NewPCG(5, 6))
	imgData := make([]float64, batch*8*8*3)
	for i := range imgData {
		imgData[i] = rng.Float64()*2 - 1
	}
	idData, labelData := make([]float64, batch*n), make([]float64, batch*n)
	for i := range idData {
		idData[i], labelData[i] = float64(rng.IntN(vocab)), float64(rng.IntN(vocab))
	}
	feeds := map[tf.Output]*tf.Tensor{
		img:    newTensor(t, tf.Float, []int64{batch, 8, 8, 3}, imgData),
		ids:    newTensor(t, tf.Int32, []int64{batch, n}, idData),
		labels: newTensor(t, tf.Int32, []int64{batch, n}, labelData),
		rate:   newTensor(t, tf.Float, nil, []float64{0.1}),
		seed:   newTensor(t, tf.Int64, []int64{2}, []float64{7, 8}),
	}
	res, err := sess.Run(feeds, append([]tf.Output{loss}, grads...), nil)
	if err != nil {
		t.Fatal(err)
	}
	if l := flatten(t, res[0])[0]; math.IsNaN(l) || math.IsInf(l, 0) || l <= 0 {
		t.Fatalf("loss = %v", l)
	}
	if len(vars) < 60 {
		t.Fatalf("only %d trainable variables: a layer is missing", len(vars))
	}
	for i, v := range vars {
		g := res[i+1]
		if !equalShapes(g.Shape(), v.Shape) {
			t.Errorf("%s: gradient shape %v, variable %v", v.Name, g.Shape(), v.Shape)
			continue
		}
		vals := flatten(t, g)
		for _, x := range vals {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Errorf("%s: non-finite gradient %v", v.Name, x)
				break
			}
		}
		if maxAbs(vals) == 0 && !isKeyBias(v.Name) {
			t.Errorf("%s: gradient is all zeros", v.Name)
		}
	}
}

// isKeyBias tells the attention key biases, whose gradient vanishes by
// construction (they shift all scores of a query equally).
func isKeyBias(name string) bool {
	return strings.HasSuffix(name, "/key/bias")
}
