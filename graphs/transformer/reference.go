package transformer

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/ops"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// referenceLogits is the network as it was first built, from the ops
// package's layers (three Q/K/V matmuls, four transposes per attention, 3-D
// activations with reshapes around every Dense). It creates the same
// variables as Logits and computes the same function; it is kept as the
// reference of TestLogitsMatchReference and the baseline of
// BenchmarkTrainStep.
func referenceLogits(s *op.Scope, vs *tfmodel.Store, cfg Config, ids, rate, seed tf.Output) tf.Output {
	if err := cfg.Validate(); err != nil {
		s.UpdateErr("transformer.referenceLogits", err)
		return tf.Output{}
	}
	s = s.SubScope("transformer")
	tok, emb := ops.Embedding(s, vs, "tok_emb", ids, cfg.Codes+1, cfg.Dim)
	pos := vs.Variable(s.SubScope("pos_emb"), "embeddings", []int64{cfg.Positions, cfg.Dim}, tfmodel.TruncatedNormal(0.02))
	h := op.Add(s.SubScope("add_pos"), tok, pos.Value)
	h = ops.LayerNorm(s, vs, "ln_emb", h, lnEps)
	dropout := rate.Op != nil
	if dropout {
		h = ops.Dropout(s.SubScope("emb_dropout"), h, rate, seed)
	}
	bc := ops.TransformerConfig{Heads: cfg.Heads, MLPDim: cfg.MLPDim, Eps: lnEps}
	if dropout {
		bc.Rate, bc.Seed = rate, seed
	}
	for i := 0; i < cfg.Layers; i++ {
		h = ops.TransformerBlock(s, vs, fmt.Sprintf("block%d", i), h, bc)
	}
	hs := s.SubScope("head")
	h = ops.Dense(hs, vs, "dense", h, cfg.Dim)
	h = ops.GELU(hs.SubScope("gelu"), h)
	h = ops.LayerNorm(hs, vs, "ln", h, lnEps)
	if s.Err() != nil {
		return tf.Output{}
	}
	codes := op.Slice(hs.SubScope("codes"), emb.Value, op.Const(hs.SubScope("begin"), []int32{0, 0}), op.Const(hs.SubScope("size"), []int32{int32(cfg.Codes), int32(cfg.Dim)}))
	flat := op.Reshape(hs.SubScope("flat"), h, op.Const(hs.SubScope("flat_shape"), []int64{-1, cfg.Dim}))
	logits := op.MatMul(hs.SubScope("logits"), flat, codes, op.MatMulTransposeB(true))
	logits = op.Reshape(hs.SubScope("unflat"), logits, op.Const(hs.SubScope("unflat_shape"), []int64{-1, cfg.Positions, cfg.Codes}))
	bias := vs.Variable(hs, "bias", []int64{cfg.Positions, cfg.Codes}, tfmodel.Zeros())
	return op.Add(hs.SubScope("add_bias"), logits, bias.Value)
}
