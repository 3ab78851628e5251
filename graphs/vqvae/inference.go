package vqvae

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// InferenceGraph encodes images to tokens and decodes tokens to images with
// the tokenizer's variables (restored from a training checkpoint by Saver:
// the names are the training graph's).
type InferenceGraph struct {
	Graph *tf.Graph
	Cfg   Config
	// Images [B, R, R, 3] in [-1, 1] → IDs int32 [B, G, G].
	Images, IDs tf.Output
	// Tokens int32 [B, G, G] → Decoded [B, R, R, 3], clipped to [-1, 1].
	Tokens, Decoded tf.Output
	Saver           *tfmodel.Saver
	Init            *tf.Operation
}

// BuildInference builds the encode and decode paths side by side.
func BuildInference(cfg Config, device string) (*InferenceGraph, error) {
	root := op.NewScope()
	s := root.WithDevice(device)
	vs := tfmodel.NewStore(0, tf.Float)
	m, err := New(s, vs, cfg)
	if err != nil {
		return nil, err
	}
	g := &InferenceGraph{Cfg: cfg}
	r, gr := cfg.Resolution, cfg.Grid
	g.Images = op.Placeholder(s.SubScope("images"), tf.Float, op.PlaceholderShape(tf.MakeShape(-1, r, r, 3)))
	g.IDs = m.Quantizer.Quantize(s, m.Encoder(s, g.Images)).IDs
	g.Tokens = op.Placeholder(s.SubScope("tokens"), tf.Int32, op.PlaceholderShape(tf.MakeShape(-1, gr, gr)))
	x := m.Decoder(s, m.Quantizer.Lookup(s, g.Tokens))
	ds := s.SubScope("decoded")
	g.Decoded = op.ClipByValue(ds, x, op.Const(ds.SubScope("lo"), float32(-1)), op.Const(ds.SubScope("hi"), float32(1)))
	g.Init = vs.InitOp(root.SubScope("init"))
	g.Saver = tfmodel.NewSaver(root, vs.All())
	graph, err := root.Finalize()
	if err != nil {
		return nil, fmt.Errorf("tokenizer inference graph: %w", err)
	}
	g.Graph = graph
	return g, nil
}
