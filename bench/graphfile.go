package bench

import (
	"fmt"
	"io"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/graphs/transformer"
	"github.com/maskgit-go/maskgit/internal/atomicfile"
)

// TrainGraphNames names the ops of a training graph written by
// WriteTrainGraph: the feeds, the update and the initialiser, for a
// program that imports the GraphDef (bench/profile_step.py).
type TrainGraphNames struct {
	Model  transformer.Config `json:"model"`
	Batch  int                `json:"batch"`
	Input  string             `json:"input"`
	Target string             `json:"target"`
	Weight string             `json:"weight"`
	LR     string             `json:"lr"`
	Rate   string             `json:"rate"`
	Seed   string             `json:"seed"`
	Loss   string             `json:"loss"`
	Step   string             `json:"step"`
	Init   string             `json:"init"`
}

// WriteTrainGraph builds the transformer's training graph
// (transformer.BuildTrain with cfg, tc and seed) and writes its GraphDef
// to base+".pb" and its op names (TrainGraphNames, batch recorded for the
// reader) to base+".json", each file atomically.
func WriteTrainGraph(base string, cfg transformer.Config, tc transformer.TrainConfig, seed int64, batch int) (TrainGraphNames, error) {
	g, err := transformer.BuildTrain(cfg, tc, seed, "")
	if err != nil {
		return TrainGraphNames{}, err
	}
	names := TrainGraphNames{Model: cfg, Batch: batch, Input: g.Input.Op.Name(), Target: g.Target.Op.Name(),
		Weight: g.Weight.Op.Name(), LR: g.LR.Op.Name(), Rate: g.Rate.Op.Name(), Seed: g.Seed.Op.Name(),
		Loss: g.Loss.Op.Name(), Step: g.Step.Name(), Init: g.Init.Name()}
	return names, writeGraph(base, g.Graph, names)
}

// InferenceGraphNames names the ops of an inference graph written by
// WriteInferenceGraph: the token feed, the decoding loop's argmax outputs
// (the masked-rows path), the full logits and the initialiser, for
// bench/profile_inference.py.
type InferenceGraphNames struct {
	Model      transformer.Config `json:"model"`
	Batch      int                `json:"batch"`
	Tokens     string             `json:"tokens"`
	Argmax     string             `json:"argmax"`
	ArgmaxLogP string             `json:"argmax_logp"`
	Logits     string             `json:"logits"`
	Init       string             `json:"init"`
}

// WriteInferenceGraph builds the transformer's inference graph
// (transformer.BuildInference with cfg) and writes its GraphDef to
// base+".pb" and its op names (InferenceGraphNames, batch recorded for
// the reader) to base+".json", each file atomically.
func WriteInferenceGraph(base string, cfg transformer.Config, batch int) (InferenceGraphNames, error) {
	g, err := transformer.BuildInference(cfg, "")
	if err != nil {
		return InferenceGraphNames{}, err
	}
	names := InferenceGraphNames{Model: cfg, Batch: batch, Tokens: g.Tokens.Op.Name(), Argmax: g.Argmax.Op.Name(),
		ArgmaxLogP: g.ArgmaxLogP.Op.Name(), Logits: g.Logits.Op.Name(), Init: g.Init.Name()}
	return names, writeGraph(base, g.Graph, names)
}

// writeGraph writes graph's GraphDef to base+".pb" and names as JSON to
// base+".json", each atomically.
func writeGraph(base string, graph *tf.Graph, names any) error {
	if err := atomicfile.Write(base+".pb", 0o644, func(w io.Writer) error {
		_, err := graph.WriteTo(w)
		return err
	}); err != nil {
		return fmt.Errorf("bench: writing the graph: %w", err)
	}
	if err := atomicfile.WriteJSON(base+".json", names); err != nil {
		return fmt.Errorf("bench: writing the names: %w", err)
	}
	return nil
}
