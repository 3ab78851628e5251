package bench

import (
	"fmt"
	"io"

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
	if err := atomicfile.Write(base+".pb", 0o644, func(w io.Writer) error {
		_, err := g.Graph.WriteTo(w)
		return err
	}); err != nil {
		return names, fmt.Errorf("bench: writing the graph: %w", err)
	}
	if err := atomicfile.WriteJSON(base+".json", names); err != nil {
		return names, fmt.Errorf("bench: writing the names: %w", err)
	}
	return names, nil
}
