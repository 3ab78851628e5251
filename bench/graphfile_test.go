package bench

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/tfmodel"
	"github.com/maskgit-go/maskgit/train"
)

// TestWriteTrainGraph writes the tiny preset's training graph, imports the
// GraphDef into a new graph and runs one update through the op names of
// the JSON: the names are the graph's, and the graph trains.
func TestWriteTrainGraph(t *testing.T) {
	p, err := train.TransformerPreset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(t.TempDir(), "tiny")
	if _, err := WriteTrainGraph(base, p.Model, p.Train, 1, 2); err != nil {
		t.Fatal(err)
	}
	var names TrainGraphNames
	b, err := os.ReadFile(base + ".json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &names); err != nil {
		t.Fatal(err)
	}
	if names.Model != p.Model || names.Batch != 2 {
		t.Fatalf("names record model %+v batch %d, want %+v and 2", names.Model, names.Batch, p.Model)
	}
	def, err := os.ReadFile(base + ".pb")
	if err != nil {
		t.Fatal(err)
	}
	g := tf.NewGraph()
	if err := g.Import(def, ""); err != nil {
		t.Fatal(err)
	}
	op := func(name string) *tf.Operation {
		t.Helper()
		o := g.Operation(name)
		if o == nil {
			t.Fatalf("no op %q in the written graph", name)
		}
		return o
	}
	sess, err := tfmodel.NewSession(g, tfmodel.SessionOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if _, err := sess.Run(nil, nil, []*tf.Operation{op(names.Init)}); err != nil {
		t.Fatal(err)
	}
	n := int(p.Model.Positions)
	input, target, weight := make([][]int32, 2), make([][]int32, 2), make([][]float32, 2)
	for i := range input {
		input[i], target[i], weight[i] = make([]int32, n), make([]int32, n), make([]float32, n)
		for j := 0; j < n; j++ {
			target[i][j] = int32((i*7 + j) % int(p.Model.Codes))
			input[i][j] = target[i][j]
			if j%3 == 0 {
				input[i][j], weight[i][j] = p.Model.MaskID(), 1
			}
		}
	}
	feeds := map[tf.Output]*tf.Tensor{}
	for name, v := range map[string]interface{}{names.Input: input, names.Target: target, names.Weight: weight,
		names.LR: float32(1e-3), names.Rate: float32(0.1), names.Seed: []int64{1, 2}} {
		tt, err := tf.NewTensor(v)
		if err != nil {
			t.Fatal(err)
		}
		feeds[op(name).Output(0)] = tt
	}
	out, err := sess.Run(feeds, []tf.Output{op(names.Loss).Output(0)}, []*tf.Operation{op(names.Step)})
	if err != nil {
		t.Fatal(err)
	}
	if loss := float64(out[0].Value().(float32)); math.IsNaN(loss) || loss <= 0 || loss > 10 {
		t.Fatalf("loss %v after one step of the imported graph", loss)
	}
	if _, err := WriteTrainGraph(filepath.Join(t.TempDir(), "missing", "x"), p.Model, p.Train, 1, 2); err == nil {
		t.Fatal("writing into a missing directory did not fail")
	}
}
