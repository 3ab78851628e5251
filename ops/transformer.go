package ops

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// TransformerConfig configures a TransformerBlock.
type TransformerConfig struct {
	Heads  int64   // attention heads; must divide the model dimension
	MLPDim int64   // hidden width of the MLP
	Eps    float64 // LayerNorm epsilon, > 0 (MaskGIT/BERT use 1e-12, Keras 1e-3, Flax 1e-6)
	// PreLN selects the pre-LayerNorm block; the default (false) is the
	// post-LayerNorm BERT block of MaskGIT's reference implementation.
	PreLN bool
	// ApproxGELU uses the tanh approximation instead of the exact erf GELU.
	ApproxGELU bool
	// Rate and Seed drive dropout on the attention probabilities and on both
	// residual branches (see Dropout). A zero tf.Output{} Rate means no dropout.
	Rate, Seed tf.Output
}

// TransformerBlock is one bidirectional transformer layer on x [B, N, D],
// built under s.SubScope(name) from MultiHeadSelfAttention "attn",
// LayerNorms "ln1" and "ln2" and an MLP "mlp" of Dense layers "fc1"
// (D → MLPDim) and "fc2" (MLPDim → D) with GELU between them.
//
// Post-LN (default, BERT and MaskGIT's reference):
//
//	h = ln1(x + dropout(attn(x)))
//	y = ln2(h + dropout(fc2(gelu(fc1(h)))))
//
// Pre-LN (cfg.PreLN; a stack of these needs a final LayerNorm, which is
// the caller's):
//
//	h = x + dropout(attn(ln1(x)))
//	y = h + dropout(fc2(gelu(fc1(ln2(h)))))
func TransformerBlock(s *op.Scope, vs *tfmodel.Store, name string, x tf.Output, cfg TransformerConfig, opts ...Option) tf.Output {
	o := newOptions(opts)
	ls := s.SubScope(name)
	y := transformerBlock(ls, vs, x, cfg, o)
	o.checkUsed(ls, "TransformerBlock")
	return y
}

func transformerBlock(ls *op.Scope, vs *tfmodel.Store, x tf.Output, cfg TransformerConfig, o *options) tf.Output {
	const layer = "TransformerBlock"
	if !checkFloat(ls, layer, vs, x) {
		return tf.Output{}
	}
	dims, ok := checkRank(ls, layer, x, 3, false, 1, 2)
	if !ok {
		return tf.Output{}
	}
	switch {
	case cfg.MLPDim <= 0:
		fail(ls, layer, "MLPDim = %d, want > 0", cfg.MLPDim)
		return tf.Output{}
	case !(cfg.Eps > 0):
		fail(ls, layer, "Eps = %v, want > 0", cfg.Eps)
		return tf.Output{}
	}
	d := dims[2]
	drop := func(t tf.Output) tf.Output {
		if cfg.Rate.Op == nil || ls.Err() != nil {
			return t
		}
		return Dropout(ls, t, cfg.Rate, cfg.Seed)
	}
	ln := func(name string, t tf.Output) tf.Output {
		return layerNorm(ls.SubScope(name), vs, t, cfg.Eps, o.sub(name))
	}
	attn := func(t tf.Output) tf.Output {
		return drop(attention(ls.SubScope("attn"), vs, t, cfg.Heads, cfg.Rate, cfg.Seed, o.sub("attn")))
	}
	mlp := func(t tf.Output) tf.Output {
		ms, mo := ls.SubScope("mlp"), o.sub("mlp")
		h := dense(ms.SubScope("fc1"), vs, t, cfg.MLPDim, mo.sub("fc1"))
		if ls.Err() != nil {
			return tf.Output{}
		}
		if cfg.ApproxGELU {
			h = GELUApprox(ms, h)
		} else {
			h = GELU(ms, h)
		}
		return drop(dense(ms.SubScope("fc2"), vs, h, d, mo.sub("fc2")))
	}
	add := func(name string, a, b tf.Output) tf.Output {
		if ls.Err() != nil {
			return tf.Output{}
		}
		return op.Add(ls.SubScope(name), a, b)
	}
	if cfg.PreLN {
		h := add("residual1", x, attn(ln("ln1", x)))
		return add("residual2", h, mlp(ln("ln2", h)))
	}
	h := ln("ln1", add("residual1", x, attn(x)))
	return ln("ln2", add("residual2", h, mlp(h)))
}
