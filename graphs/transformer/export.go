package transformer

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// Paths is the logits path of a transformer built into a caller's graph,
// next to other models (a SavedModel export holds the tokenizer and the
// transformer in one graph).
type Paths struct {
	// Tokens int32 [B, N] (MaskID where unknown) → Logits float32 [B, N, K].
	Tokens, Logits tf.Output
}

// BuildPaths builds the inference path of BuildInference (no dropout) into
// s, with the variables in vs. Built on a root scope, the variables carry
// the names of the training checkpoints ("transformer/…"); the placeholder
// is named "logits_tokens". Errors are recorded in s and surface at
// s.Finalize.
func BuildPaths(s *op.Scope, vs *tfmodel.Store, cfg Config) Paths {
	var p Paths
	if s.Err() != nil {
		return p
	}
	if err := cfg.Validate(); err != nil {
		s.UpdateErr("transformer.BuildPaths", err)
		return p
	}
	p.Tokens = op.Placeholder(s.SubScope("logits_tokens"), tf.Int32, op.PlaceholderShape(tf.MakeShape(-1, cfg.Positions)))
	p.Logits = Logits(s, vs, cfg, p.Tokens, tf.Output{}, tf.Output{})
	return p
}
