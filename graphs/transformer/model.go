package transformer

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/ops"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// Config sizes the transformer.
type Config struct {
	// Codes is the codebook size K; id K is [MASK].
	Codes int64 `json:"codes"`
	// Positions is the number of tokens per image (16x16 = 256).
	Positions int64 `json:"positions"`
	Dim       int64 `json:"dim"`
	Layers    int   `json:"layers"`
	Heads     int64 `json:"heads"`
	MLPDim    int64 `json:"mlp_dim"`
	// Dropout is the training dropout rate (attention, residuals, embeddings).
	Dropout float64 `json:"dropout"`
}

// MaskID is the [MASK] token id.
func (c Config) MaskID() int32 { return int32(c.Codes) }

// Validate reports a config that cannot be built.
func (c Config) Validate() error {
	switch {
	case c.Codes < 2:
		return fmt.Errorf("transformer: codes = %d, want ≥ 2", c.Codes)
	case c.Positions < 1:
		return fmt.Errorf("transformer: positions = %d, want ≥ 1", c.Positions)
	case c.Dim < 1 || c.Layers < 1 || c.Heads < 1 || c.MLPDim < 1:
		return fmt.Errorf("transformer: dim %d, layers %d, heads %d, mlp %d must be positive", c.Dim, c.Layers, c.Heads, c.MLPDim)
	case c.Dim%c.Heads != 0:
		return fmt.Errorf("transformer: dim %d is not a multiple of heads %d", c.Dim, c.Heads)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("transformer: dropout %v must be in [0, 1)", c.Dropout)
	}
	return nil
}

const lnEps = 1e-12

// Logits builds the network on ids int32 [B, Positions] and returns logits
// [B, Positions, Codes]. rate (a float scalar, 0 for inference) and seed
// (int64[2]) drive dropout; pass tf.Output{} for both to build without it.
// It creates the variables (under "transformer/"): call it once per graph.
func Logits(s *op.Scope, vs *tfmodel.Store, cfg Config, ids, rate, seed tf.Output) tf.Output {
	if err := cfg.Validate(); err != nil {
		s.UpdateErr("transformer.Logits", err)
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
	// MLM head: dense + GELU + LayerNorm, then the tied projection.
	hs := s.SubScope("head")
	h = ops.Dense(hs, vs, "dense", h, cfg.Dim)
	h = ops.GELU(hs.SubScope("gelu"), h)
	h = ops.LayerNorm(hs, vs, "ln", h, lnEps)
	if s.Err() != nil {
		return tf.Output{}
	}
	// Only the K code rows of the embedding: [MASK] is never predicted.
	// (int32 bounds: the C++ Slice gradient subtracts them from an int32 shape.)
	codes := op.Slice(hs.SubScope("codes"), emb.Value, op.Const(hs.SubScope("begin"), []int32{0, 0}), op.Const(hs.SubScope("size"), []int32{int32(cfg.Codes), int32(cfg.Dim)}))
	flat := op.Reshape(hs.SubScope("flat"), h, op.Const(hs.SubScope("flat_shape"), []int64{-1, cfg.Dim}))
	logits := op.MatMul(hs.SubScope("logits"), flat, codes, op.MatMulTransposeB(true))
	logits = op.Reshape(hs.SubScope("unflat"), logits, op.Const(hs.SubScope("unflat_shape"), []int64{-1, cfg.Positions, cfg.Codes}))
	bias := vs.Variable(hs, "bias", []int64{cfg.Positions, cfg.Codes}, tfmodel.Zeros())
	return op.Add(hs.SubScope("add_bias"), logits, bias.Value)
}
