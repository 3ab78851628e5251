package ops

import (
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// TestBuilderErrors checks that misuse is reported through the scope, at
// Finalize, naming the layer type, its scope path and the problem.
func TestBuilderErrors(t *testing.T) {
	type S = *op.Scope
	type V = *tfmodel.Store
	ph := func(s S, dt tf.DataType, dims ...int64) tf.Output {
		return op.Placeholder(s.SubScope("x"), dt, op.PlaceholderShape(tf.MakeShape(dims...)))
	}
	rate := func(s S) tf.Output { return op.Const(s.SubScope("rate"), float32(0.1)) }
	seed := func(s S) tf.Output { return op.Const(s.SubScope("seed"), []int64{1, 2}) }
	cases := []struct {
		name  string
		build func(s S, vs V)
		want  []string
	}{
		{"dense_rank1", func(s S, vs V) { Dense(s, vs, "proj", ph(s, tf.Float, 4), 3) }, []string{`ops.Dense "enc/proj"`, "rank 1"}},
		{"dense_unknown_in", func(s S, vs V) { Dense(s, vs, "proj", ph(s, tf.Float, 2, -1), 3) }, []string{"dimension 1 must be known"}},
		{"dense_units", func(s S, vs V) { Dense(s, vs, "proj", ph(s, tf.Float, 2, 4), 0) }, []string{"units = 0"}},
		{"dense_dtype", func(s S, vs V) { Dense(s, vs, "proj", ph(s, tf.Double, 2, 4), 3) }, []string{"differs from the variable store"}},
		{"dense_int", func(s S, vs V) { Dense(s, vs, "proj", ph(s, tf.Int32, 2, 4), 3) }, []string{"want float32 or float64"}},
		{"dense_unset", func(s S, vs V) { Dense(s, vs, "proj", tf.Output{}, 3) }, []string{"input is not set"}},
		{"init_typo", func(s S, vs V) { Dense(s, vs, "proj", ph(s, tf.Float, 2, 4), 3, Init("kernal", tfmodel.Zeros())) }, []string{`"kernal"`, "match no variable"}},
		{"init_wrong_shape", func(s S, vs V) {
			Dense(s, vs, "proj", ph(s, tf.Float, 2, 4), 3, Init("bias", tfmodel.Values([]float32{1})))
		}, []string{"initial value has shape"}},
		{"conv_padding", func(s S, vs V) { Conv2D(s, vs, "conv", ph(s, tf.Float, 1, 4, 4, 2), 3, 3, 1, "same") }, []string{`ops.Conv2D "enc/conv"`, `padding "same"`}},
		{"conv_rank", func(s S, vs V) { Conv2D(s, vs, "conv", ph(s, tf.Float, 4, 4, 2), 3, 3, 1, Same) }, []string{"rank 3, want 4"}},
		{"conv_small", func(s S, vs V) { Conv2D(s, vs, "conv", ph(s, tf.Float, 1, 2, 2, 2), 3, 3, 1, Valid) }, []string{"smaller than the 3x3 kernel"}},
		{"conv_stride", func(s S, vs V) { Conv2D(s, vs, "conv", ph(s, tf.Float, 1, 4, 4, 2), 3, 3, 0, Same) }, []string{"must be > 0"}},
		{"upsample_unknown", func(s S, vs V) { Upsample2x(s, ph(s, tf.Float, 1, -1, 4, 2)) }, []string{`ops.Upsample2x "enc/upsample2x"`, "dimension 1 must be known"}},
		{"groupnorm_groups", func(s S, vs V) { GroupNorm(s, vs, "norm", ph(s, tf.Float, 1, 4, 4, 6), 4, 1e-5) }, []string{`ops.GroupNorm "enc/norm"`, "6 channels are not divisible into 4 groups"}},
		{"groupnorm_eps", func(s S, vs V) { GroupNorm(s, vs, "norm", ph(s, tf.Float, 1, 4, 4, 6), 3, 0) }, []string{"eps = 0"}},
		{"layernorm_eps", func(s S, vs V) { LayerNorm(s, vs, "ln", ph(s, tf.Float, 2, 4), -1) }, []string{`ops.LayerNorm "enc/ln"`, "eps = -1"}},
		{"gelu_int", func(s S, vs V) { GELU(s, ph(s, tf.Int64, 2)) }, []string{`ops.GELU "enc/gelu"`}},
		{"embedding_float_ids", func(s S, vs V) { Embedding(s, vs, "tok", ph(s, tf.Float, 2), 5, 3) }, []string{`ops.Embedding "enc/tok"`, "ids dtype"}},
		{"embedding_vocab", func(s S, vs V) { Embedding(s, vs, "tok", ph(s, tf.Int32, 2), 0, 3) }, []string{"vocab = 0"}},
		{"logits_dim", func(s S, vs V) {
			_, emb := Embedding(s, vs, "tok", ph(s, tf.Int32, 2), 5, 3)
			EmbeddingLogits(s, vs, "logits", ph(s, tf.Float, 2, 4), emb)
		}, []string{`ops.EmbeddingLogits "enc/logits"`, "embedding dimension 3"}},
		{"logits_nil", func(s S, vs V) { EmbeddingLogits(s, vs, "logits", ph(s, tf.Float, 2, 4), nil) }, []string{"embedding matrix"}},
		{"dropout_rate_dtype", func(s S, vs V) { Dropout(s, ph(s, tf.Double, 2), rate(s), seed(s)) }, []string{`ops.Dropout "enc/dropout"`, "rate must be a float64 scalar"}},
		{"dropout_seed", func(s S, vs V) {
			Dropout(s, ph(s, tf.Float, 2), rate(s), op.Const(s.SubScope("seed"), []int64{1, 2, 3}))
		}, []string{"seed must be int64[2]"}},
		{"dropout_unset", func(s S, vs V) { Dropout(s, ph(s, tf.Float, 2), tf.Output{}, seed(s)) }, []string{"rate and seed must be set"}},
		{"dropmask_rate_dtype", func(s S, vs V) { DropMask(s.SubScope("drop"), ph(s, tf.Double, 2), rate(s), seed(s)) }, []string{`ops.DropMask "enc/drop"`, "rate must be a float64 scalar"}},
		{"attention_heads", func(s S, vs V) {
			MultiHeadSelfAttention(s, vs, "attn", ph(s, tf.Float, 2, 3, 8), 3, tf.Output{}, tf.Output{})
		}, []string{`ops.MultiHeadSelfAttention "enc/attn"`, "8 is not divisible by 3 heads"}},
		{"attention_unknown_n", func(s S, vs V) {
			MultiHeadSelfAttention(s, vs, "attn", ph(s, tf.Float, 2, -1, 8), 2, tf.Output{}, tf.Output{})
		}, []string{"dimension 1 must be known"}},
		{"transformer_heads", func(s S, vs V) {
			TransformerBlock(s, vs, "block", ph(s, tf.Float, 2, 3, 8), TransformerConfig{Heads: 3, MLPDim: 8, Eps: 1e-6})
		}, []string{`ops.MultiHeadSelfAttention "enc/block/attn"`, "not divisible by 3 heads"}},
		{"transformer_eps", func(s S, vs V) {
			TransformerBlock(s, vs, "block", ph(s, tf.Float, 2, 3, 8), TransformerConfig{Heads: 2, MLPDim: 8})
		}, []string{`ops.TransformerBlock "enc/block"`, "Eps = 0"}},
		{"transformer_init_typo", func(s S, vs V) {
			TransformerBlock(s, vs, "block", ph(s, tf.Float, 2, 3, 8), TransformerConfig{Heads: 2, MLPDim: 8, Eps: 1e-6},
				Init("mlp/fc3/kernel", tfmodel.Zeros()))
		}, []string{`"mlp/fc3/kernel"`, "match no variable"}},
		{"resblock_groups", func(s S, vs V) { ResBlock(s, vs, "res", ph(s, tf.Float, 1, 4, 4, 4), 6, 4, 1e-6) }, []string{`ops.GroupNorm "enc/res/norm2"`, "6 channels"}},
		{"resblock_out", func(s S, vs V) { ResBlock(s, vs, "res", ph(s, tf.Float, 1, 4, 4, 4), 0, 2, 1e-6) }, []string{"out = 0"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := op.NewScope()
			c.build(s.SubScope("enc"), tfmodel.NewStore(1, tf.Float))
			_, err := s.Finalize()
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", firstLine(err.Error()), w)
				}
			}
		})
	}
}

// TestBuilderAfterError checks that builders add nothing once the scope has an error.
func TestBuilderAfterError(t *testing.T) {
	s := op.NewScope()
	vs := tfmodel.NewStore(1, tf.Float)
	x := op.Placeholder(s.SubScope("x"), tf.Float, op.PlaceholderShape(tf.MakeShape(2, 3, 8)))
	y := Dense(s, vs, "bad", x, 0)
	_ = TransformerBlock(s, vs, "block", y, TransformerConfig{Heads: 2, MLPDim: 8, Eps: 1e-6})
	y = Dense(s, vs, "good", x, 4)
	if y.Op != nil || len(vs.All()) != 0 {
		t.Errorf("builders after an error returned %v and created %d variables", y, len(vs.All()))
	}
	if _, err := s.Finalize(); err == nil || !strings.Contains(err.Error(), `ops.Dense "bad"`) {
		t.Errorf("error %v, want the first one (Dense \"bad\")", err)
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
