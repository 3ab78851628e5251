package vqvae

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/ops"
	"github.com/maskgit-go/maskgit/tfmodel"
)

const normEps = 1e-6

// Model is a VQ tokenizer whose variables live in a tfmodel.Store under
// "encoder/…", "quantizer/codebook" and "decoder/…" when built on a root
// scope. Layers create their variables as they are built, so a graph calls
// Encoder and Decoder at most once each: a training graph chains
// Encoder → Quantize → Decoder, an inference graph has an encode path
// (Encoder → Quantize) and a decode path (Lookup → Decoder) side by side.
// Graphs built with the same Config share variable names, hence checkpoints.
type Model struct {
	Cfg       Config
	Quantizer *Quantizer
	vs        *tfmodel.Store
}

// New creates the codebook in vs and returns the model.
func New(s *op.Scope, vs *tfmodel.Store, cfg Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if s.Err() != nil {
		return nil, s.Err()
	}
	m := &Model{Cfg: cfg, vs: vs}
	m.Quantizer = NewQuantizer(s, vs, "quantizer", cfg.Codes, cfg.Latent, cfg.Beta, cfg.Normalize)
	return m, s.Err()
}

// Encoder maps images [B, R, R, 3] in [-1, 1] to latents [B, G, G, Latent].
// It creates the encoder's variables: call it once per graph.
func (m *Model) Encoder(s *op.Scope, x tf.Output) tf.Output {
	c := m.Cfg
	s = s.SubScope("encoder")
	h := ops.Conv2D(s, m.vs, "conv_in", x, c.Channels[0], 3, 1, "SAME")
	down := c.Downsamples()
	for i, ch := range c.Channels {
		for r := 0; r < c.ResBlocks; r++ {
			h = ops.ResBlock(s, m.vs, fmt.Sprintf("level%d_res%d", i, r), h, ch, c.Groups, normEps)
		}
		if i < down {
			h = ops.Conv2D(s, m.vs, fmt.Sprintf("down%d", i), h, ch, 3, 2, "SAME")
		}
	}
	last := c.Channels[len(c.Channels)-1]
	h = ops.ResBlock(s, m.vs, "mid", h, last, c.Groups, normEps)
	h = ops.SiLU(s.SubScope("act_out"), ops.GroupNorm(s, m.vs, "norm_out", h, c.Groups, normEps))
	return ops.Conv2D(s, m.vs, "conv_out", h, c.Latent, 1, 1, "SAME")
}

// Decoder maps latents [B, G, G, Latent] to images [B, R, R, 3] (unbounded;
// about [-1, 1]). It creates the decoder's variables: call it once per graph.
func (m *Model) Decoder(s *op.Scope, z tf.Output) tf.Output {
	c := m.Cfg
	s = s.SubScope("decoder")
	last := c.Channels[len(c.Channels)-1]
	h := ops.Conv2D(s, m.vs, "conv_in", z, last, 3, 1, "SAME")
	h = ops.ResBlock(s, m.vs, "mid", h, last, c.Groups, normEps)
	down := c.Downsamples()
	for i := len(c.Channels) - 1; i >= 0; i-- {
		ch := c.Channels[i]
		for r := 0; r < c.ResBlocks; r++ {
			h = ops.ResBlock(s, m.vs, fmt.Sprintf("level%d_res%d", i, r), h, ch, c.Groups, normEps)
		}
		if i > 0 && i <= down {
			h = ops.Conv2D(s, m.vs, fmt.Sprintf("up%d", i), ops.Upsample2x(s.SubScope(fmt.Sprintf("upsample%d", i)), h), ch, 3, 1, "SAME")
		}
	}
	h = ops.SiLU(s.SubScope("act_out"), ops.GroupNorm(s, m.vs, "norm_out", h, c.Groups, normEps))
	return ops.Conv2D(s, m.vs, "conv_out", h, 3, 3, 1, "SAME")
}
