package ops

import (
	"reflect"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// TestVariableNames pins the variable names (the checkpoint contract) and
// shapes of every layer.
func TestVariableNames(t *testing.T) {
	type S = *op.Scope
	type V = *tfmodel.Store
	x2 := func(s S) tf.Output {
		return op.Placeholder(s.SubScope("x"), tf.Float, op.PlaceholderShape(tf.MakeShape(-1, 4)))
	}
	x3 := func(s S) tf.Output {
		return op.Placeholder(s.SubScope("x"), tf.Float, op.PlaceholderShape(tf.MakeShape(-1, 3, 4)))
	}
	img := func(s S) tf.Output {
		return op.Placeholder(s.SubScope("x"), tf.Float, op.PlaceholderShape(tf.MakeShape(-1, 4, 4, 4)))
	}
	attn := func(p string) map[string][]int64 {
		m := map[string][]int64{}
		for _, q := range []string{"query", "key", "value", "out"} {
			m[p+q+"/kernel"] = []int64{4, 4}
			m[p+q+"/bias"] = []int64{4}
		}
		return m
	}
	merge := func(ms ...map[string][]int64) map[string][]int64 {
		out := map[string][]int64{}
		for _, m := range ms {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	block := merge(attn("enc/block_0/attn/"), map[string][]int64{
		"enc/block_0/ln1/gamma": {4}, "enc/block_0/ln1/beta": {4},
		"enc/block_0/ln2/gamma": {4}, "enc/block_0/ln2/beta": {4},
		"enc/block_0/mlp/fc1/kernel": {4, 8}, "enc/block_0/mlp/fc1/bias": {8},
		"enc/block_0/mlp/fc2/kernel": {8, 4}, "enc/block_0/mlp/fc2/bias": {4},
	})
	res := map[string][]int64{
		"enc/res/norm1/gamma": {4}, "enc/res/norm1/beta": {4},
		"enc/res/conv1/kernel": {3, 3, 4, 6}, "enc/res/conv1/bias": {6},
		"enc/res/norm2/gamma": {6}, "enc/res/norm2/beta": {6},
		"enc/res/conv2/kernel": {3, 3, 6, 6}, "enc/res/conv2/bias": {6},
	}
	cases := []struct {
		name  string
		build func(s S, vs V)
		want  map[string][]int64
	}{
		{"dense", func(s S, vs V) { Dense(s, vs, "proj", x2(s), 3) },
			map[string][]int64{"enc/proj/kernel": {4, 3}, "enc/proj/bias": {3}}},
		{"dense_nobias", func(s S, vs V) { Dense(s, vs, "proj", x3(s), 3, NoBias()) },
			map[string][]int64{"enc/proj/kernel": {4, 3}}},
		{"conv2d", func(s S, vs V) { Conv2D(s, vs, "conv_in", img(s), 8, 3, 1, Same) },
			map[string][]int64{"enc/conv_in/kernel": {3, 3, 4, 8}, "enc/conv_in/bias": {8}}},
		{"groupnorm", func(s S, vs V) { GroupNorm(s, vs, "norm", img(s), 2, 1e-6) },
			map[string][]int64{"enc/norm/gamma": {4}, "enc/norm/beta": {4}}},
		{"layernorm", func(s S, vs V) { LayerNorm(s, vs, "ln", x3(s), 1e-6) },
			map[string][]int64{"enc/ln/gamma": {4}, "enc/ln/beta": {4}}},
		{"embedding", func(s S, vs V) {
			_, emb := Embedding(s, vs, "tok", op.Const(s.SubScope("ids"), []int32{1}), 10, 4)
			EmbeddingLogits(s, vs, "logits", x3(s), emb)
		}, map[string][]int64{"enc/tok/embeddings": {10, 4}, "enc/logits/bias": {10}}},
		{"no_variables", func(s S, vs V) {
			GELU(s, x2(s))
			GELUApprox(s, x2(s))
			SiLU(s, x2(s))
			Upsample2x(s, img(s))
			Dropout(s, x2(s), op.Const(s.SubScope("rate"), float32(0.1)), op.Const(s.SubScope("seed"), []int64{1, 2}))
		}, map[string][]int64{}},
		{"attention", func(s S, vs V) { MultiHeadSelfAttention(s, vs, "attn", x3(s), 2, tf.Output{}, tf.Output{}) }, attn("enc/attn/")},
		{"transformer_post", func(s S, vs V) {
			TransformerBlock(s, vs, "block_0", x3(s), TransformerConfig{Heads: 2, MLPDim: 8, Eps: 1e-6})
		}, block},
		{"transformer_pre", func(s S, vs V) {
			TransformerBlock(s, vs, "block_0", x3(s), TransformerConfig{Heads: 2, MLPDim: 8, Eps: 1e-6, PreLN: true})
		}, block},
		{"resblock", func(s S, vs V) { ResBlock(s, vs, "res", img(s), 6, 2, 1e-6) },
			merge(res, map[string][]int64{"enc/res/shortcut/kernel": {1, 1, 4, 6}, "enc/res/shortcut/bias": {6}})},
		{"resblock_identity", func(s S, vs V) { ResBlock(s, vs, "res", img(s), 4, 2, 1e-6) },
			map[string][]int64{
				"enc/res/norm1/gamma": {4}, "enc/res/norm1/beta": {4},
				"enc/res/conv1/kernel": {3, 3, 4, 4}, "enc/res/conv1/bias": {4},
				"enc/res/norm2/gamma": {4}, "enc/res/norm2/beta": {4},
				"enc/res/conv2/kernel": {3, 3, 4, 4}, "enc/res/conv2/bias": {4},
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := op.NewScope()
			vs := tfmodel.NewStore(1, tf.Float)
			c.build(s.SubScope("enc"), vs)
			if _, err := s.Finalize(); err != nil {
				t.Fatal(err)
			}
			got := map[string][]int64{}
			for _, v := range vs.All() {
				got[v.Name] = v.Shape
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("variables\n got %v\nwant %v", got, c.want)
			}
		})
	}
}
