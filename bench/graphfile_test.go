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
	sess, op := importWritten(t, base, &names, func() string { return names.Init })
	if names.Model != p.Model || names.Batch != 2 {
		t.Fatalf("names record model %+v batch %d, want %+v and 2", names.Model, names.Batch, p.Model)
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

// TestWriteInferenceGraph writes the tiny preset's inference graph,
// imports it and runs the decoding outputs through the op names of the
// JSON: codes at the masked positions (in range, never [MASK]) with
// log-probabilities ≤ 0, zeros elsewhere.
func TestWriteInferenceGraph(t *testing.T) {
	p, err := train.TransformerPreset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(t.TempDir(), "inf")
	if _, err := WriteInferenceGraph(base, p.Model, 2); err != nil {
		t.Fatal(err)
	}
	var names InferenceGraphNames
	sess, op := importWritten(t, base, &names, func() string { return names.Init })
	if names.Model != p.Model || names.Batch != 2 {
		t.Fatalf("names record model %+v batch %d, want %+v and 2", names.Model, names.Batch, p.Model)
	}
	n, k := int(p.Model.Positions), int32(p.Model.Codes)
	tokens := make([][]int32, 2)
	for i := range tokens {
		tokens[i] = make([]int32, n)
		for j := range tokens[i] {
			tokens[i][j] = int32(i*5+j) % k
			if j%2 == i {
				tokens[i][j] = p.Model.MaskID()
			}
		}
	}
	in, err := tf.NewTensor(tokens)
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.Run(map[tf.Output]*tf.Tensor{op(names.Tokens).Output(0): in},
		[]tf.Output{op(names.Argmax).Output(0), op(names.ArgmaxLogP).Output(0), op(names.Logits).Output(0)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids, logp := out[0].Value().([][]int32), out[1].Value().([][]float64)
	for i := range tokens {
		for j, tok := range tokens[i] {
			masked := tok == p.Model.MaskID()
			if masked && (ids[i][j] < 0 || ids[i][j] >= k || logp[i][j] > 0 || math.IsNaN(logp[i][j])) ||
				!masked && (ids[i][j] != 0 || logp[i][j] != 0) {
				t.Fatalf("image %d position %d (masked %v): code %d, log p %v", i, j, masked, ids[i][j], logp[i][j])
			}
		}
	}
	if sh := out[2].Shape(); len(sh) != 3 || sh[0] != 2 || sh[1] != int64(n) || sh[2] != int64(k) {
		t.Fatalf("logits shape %v, want [2 %d %d]", sh, n, k)
	}
}

// importWritten reads BASE.json into names, imports BASE.pb into a new
// graph, opens a session on it (closed at the end of the test) and runs the
// initialiser init names. op looks an op up by name, failing the test when
// the graph has none.
func importWritten(t *testing.T, base string, names any, init func() string) (sess *tfmodel.Session, op func(string) *tf.Operation) {
	t.Helper()
	b, err := os.ReadFile(base + ".json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, names); err != nil {
		t.Fatal(err)
	}
	def, err := os.ReadFile(base + ".pb")
	if err != nil {
		t.Fatal(err)
	}
	g := tf.NewGraph()
	if err := g.Import(def, ""); err != nil {
		t.Fatal(err)
	}
	op = func(name string) *tf.Operation {
		t.Helper()
		o := g.Operation(name)
		if o == nil {
			t.Fatalf("no op %q in the written graph", name)
		}
		return o
	}
	sess, err = tfmodel.NewSession(g, tfmodel.SessionOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sess.Close() })
	if _, err := sess.Run(nil, nil, []*tf.Operation{op(init())}); err != nil {
		t.Fatal(err)
	}
	return sess, op
}
