package vqvae

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// Paths are the encode and decode paths of a tokenizer built into a
// caller's graph, next to other models (a SavedModel export holds the
// tokenizer and the transformer in one graph).
type Paths struct {
	// Images float32 [B, R, R, 3] in [-1, 1] → IDs int32 [B, G, G].
	Images, IDs tf.Output
	// Tokens int32 [B, G, G] → Decoded float32 [B, R, R, 3] in [-1, 1].
	Tokens, Decoded tf.Output
}

// BuildPaths builds the inference paths of BuildInference into s, with the
// variables in vs. Built on a root scope, the variables carry the names of
// the training checkpoints ("encoder/…", "quantizer/codebook", "decoder/…");
// the placeholders are named "encode_images" and "decode_tokens". Errors
// are recorded in s and surface at s.Finalize.
func BuildPaths(s *op.Scope, vs *tfmodel.Store, cfg Config) Paths {
	var p Paths
	if s.Err() != nil {
		return p
	}
	m, err := New(s, vs, cfg)
	if err != nil {
		s.UpdateErr("vqvae.BuildPaths", err)
		return p
	}
	r, gr := cfg.Resolution, cfg.Grid
	p.Images = op.Placeholder(s.SubScope("encode_images"), tf.Float, op.PlaceholderShape(tf.MakeShape(-1, r, r, 3)))
	p.IDs = m.Quantizer.Quantize(s, m.Encoder(s, p.Images)).IDs
	p.Tokens = op.Placeholder(s.SubScope("decode_tokens"), tf.Int32, op.PlaceholderShape(tf.MakeShape(-1, gr, gr)))
	x := m.Decoder(s, m.Quantizer.Lookup(s, p.Tokens))
	ds := s.SubScope("decoded")
	p.Decoded = op.ClipByValue(ds, x, op.Const(ds.SubScope("lo"), float32(-1)), op.Const(ds.SubScope("hi"), float32(1)))
	return p
}
