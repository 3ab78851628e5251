package transformer

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// InferenceGraph computes logits for token grids, without dropout, with the
// variables of a training checkpoint (restored by Saver).
type InferenceGraph struct {
	Graph *tf.Graph
	Cfg   Config
	// Tokens int32 [B, N] (MaskID where unknown) → Logits float32 [B, N, K].
	Tokens, Logits tf.Output
	Saver          *tfmodel.Saver
	Init           *tf.Operation
}

// BuildInference builds the logits graph.
func BuildInference(cfg Config, device string) (*InferenceGraph, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	root := op.NewScope()
	s := root.WithDevice(device)
	vs := tfmodel.NewStore(0, tf.Float)
	g := &InferenceGraph{Cfg: cfg}
	g.Tokens = op.Placeholder(s.SubScope("tokens"), tf.Int32, op.PlaceholderShape(tf.MakeShape(-1, cfg.Positions)))
	g.Logits = Logits(s, vs, cfg, g.Tokens, tf.Output{}, tf.Output{})
	g.Init = vs.InitOp(root.SubScope("init"))
	g.Saver = tfmodel.NewSaver(root, vs.All())
	graph, err := root.Finalize()
	if err != nil {
		return nil, fmt.Errorf("transformer inference graph: %w", err)
	}
	g.Graph = graph
	return g, nil
}
