// Package ops builds the neural-network layers of maskgit on an *op.Scope:
// Dense, Conv2D, Upsample2x, GroupNorm, LayerNorm, GELU, GELUApprox, SiLU,
// Embedding, EmbeddingLogits, Dropout, MultiHeadSelfAttention,
// TransformerBlock and ResBlock.
//
// Builders with variables share one signature,
//
//	Layer(s *op.Scope, vs *tfmodel.Store, name string, x tf.Output, config..., opts ...Option) tf.Output
//
// and create their variables under s.SubScope(name) with fixed names, which
// are the checkpoint contract: a Dense layer "proj" under the scope "enc"
// owns "enc/proj/kernel" and "enc/proj/bias". Composite layers nest their
// parts: a TransformerBlock "block_0" owns "block_0/attn/query/kernel",
// "block_0/mlp/fc1/bias", "block_0/ln1/gamma" and so on. Builders without
// variables (activations, Dropout, Upsample2x) take (s, x) and put their ops
// under a sub-scope named after themselves.
//
// Every builder works in float32 and float64 (the dtype of the input, which
// must match the variable store's), checks static shapes and reports
// problems through s.UpdateErr with the layer type and its full scope path;
// the error surfaces at s.Finalize. After an error builders return a zero
// tf.Output and add nothing.
//
// Every op used has a gradient in TensorFlow's C++ registry, so
// op.Gradients (TF_AddGradients) differentiates any graph built from these
// layers with respect to the inputs and each Variable.Value. Softmax is
// applied to 2-D reshaped logits because its C++ gradient assumes 2-D, and
// dropout masks come from stateless random ops fed with a seed.
//
// Tests check forward values against NumPy references made by
// scripts/ops_golden.py (testdata/golden.json) and every layer's gradients
// against central finite differences in float64.
package ops
