package savedmodel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	tg "github.com/galeone/tfgo"

	"github.com/maskgit-go/maskgit/graphs/transformer"
	"github.com/maskgit-go/maskgit/graphs/vqvae"
	"github.com/maskgit-go/maskgit/pipeline"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// tinyModel writes an untrained 16x16 model (4x4 token grid, 16 codes).
func tinyModel(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "model")
	if err := writeTiny(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeTiny(dir string) error {
	tok := vqvae.Config{Resolution: 16, Grid: 4, Channels: []int64{8, 8, 8}, ResBlocks: 1, Groups: 4, Latent: 4, Codes: 16, Beta: 0.25, Normalize: true}
	tr := transformer.Config{Codes: 16, Positions: 16, Dim: 16, Layers: 1, Heads: 2, MLPDim: 32}
	return pipeline.WriteUntrained(dir, tok, tr, 5)
}

// refCase is one batch of inputs and the Go pipeline's outputs for them.
type refCase struct {
	n       int
	images  []float32 // encode input
	ids     []int32   // Go encode output
	tokens  []int32   // decode input
	decoded []float32 // Go decode output
	masked  []int32   // logits input (with mask ids)
	logits  []float32 // Go logits output
}

// goReference runs the Go pipeline on seeded random inputs.
func goReference(t *testing.T, modelDir string, n int) refCase {
	t.Helper()
	m, err := pipeline.Load(modelDir, pipeline.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	rng := rand.New(rand.NewPCG(7, 11))
	r, gr := int(m.Tokenizer.Cfg.Resolution), int(m.Tokenizer.Cfg.Grid)
	codes := int32(m.Tokenizer.Cfg.Codes)
	c := refCase{n: n, images: make([]float32, n*r*r*3), tokens: make([]int32, n*gr*gr), masked: make([]int32, n*gr*gr)}
	for i := range c.images {
		c.images[i] = float32(rng.Float64()*2 - 1)
	}
	for i := range c.tokens {
		c.tokens[i] = rng.Int32N(codes)
		c.masked[i] = rng.Int32N(codes + 1) // codes is the mask id
	}
	if c.ids, err = m.Tokenizer.Encode(c.images, n); err != nil {
		t.Fatal(err)
	}
	if c.decoded, err = m.Tokenizer.Decode(c.tokens, n); err != nil {
		t.Fatal(err)
	}
	if c.logits, err = m.Transformer.Predict(context.Background(), c.masked, n); err != nil {
		t.Fatal(err)
	}
	return c
}

func mustTensor(t *testing.T, data interface{}, shape ...int64) *tf.Tensor {
	t.Helper()
	x, err := tfmodel.NewTensorShaped(data, shape...)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func equalInts(t *testing.T, what string, got, want []int32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s[%d] = %d, want %d", what, i, got[i], want[i])
		}
	}
}

func closeFloats(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := math.Abs(float64(got[i]) - float64(want[i])); !(d <= tol) {
			t.Fatalf("%s[%d] = %v, want %v (|diff| %g > %g)", what, i, got[i], want[i], d, tol)
		}
	}
}

// TestExportGoRoundTrip exports an untrained model, loads the SavedModel
// with Load (no unsafe ops needed) and checks the three signatures against
// the Go pipeline: tokens exactly, floats to 1e-5.
func TestExportGoRoundTrip(t *testing.T) {
	modelDir := tinyModel(t)
	out := filepath.Join(t.TempDir(), "export")
	if err := Export(modelDir, out, ExportOptions{Threads: 1}); err != nil {
		t.Fatal(err)
	}
	ref := goReference(t, modelDir, 3)
	m, err := Load(out, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got := m.SignatureNames(); len(got) != 3 || got[0] != SigDecode || got[1] != SigEncode || got[2] != SigLogits {
		t.Fatalf("signatures %v", got)
	}
	sig := m.Signatures()[SigLogits]
	if sig.MethodName != MethodPredict || sig.Inputs[InTokens].DType != tf.Int32 || sig.Outputs[OutLogits].DType != tf.Float {
		t.Errorf("logits signature %+v", sig)
	}
	n := int64(ref.n)
	res, err := m.Run(SigEncode, map[string]*tf.Tensor{InImages: mustTensor(t, ref.images, n, 16, 16, 3)})
	if err != nil {
		t.Fatal(err)
	}
	if shape := res[OutTokens].Shape(); len(shape) != 3 || shape[0] != n || shape[1] != 4 || shape[2] != 4 {
		t.Errorf("encode output shape %v, want [3 4 4]", shape)
	}
	ids, err := tfmodel.Int32s(res[OutTokens])
	if err != nil {
		t.Fatal(err)
	}
	equalInts(t, "encode", ids, ref.ids)
	res, err = m.Run(SigDecode, map[string]*tf.Tensor{InTokens: mustTensor(t, ref.tokens, n, 4, 4)})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := tfmodel.Float32s(res[OutImages])
	if err != nil {
		t.Fatal(err)
	}
	closeFloats(t, "decode", dec, ref.decoded, 1e-5)
	res, err = m.Run(SigLogits, map[string]*tf.Tensor{InTokens: mustTensor(t, ref.masked, n, 16)})
	if err != nil {
		t.Fatal(err)
	}
	lg, err := tfmodel.Float32s(res[OutLogits])
	if err != nil {
		t.Fatal(err)
	}
	closeFloats(t, "logits", lg, ref.logits, 1e-5)

	// tfgo (which panics on errors, hence the recover) runs the export by
	// tensor names from the signature map too.
	tfgoIDs := func() (ids []int32, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("tfgo: %v", r)
			}
		}()
		tm := tg.LoadModel(out, []string{TagServe}, nil)
		enc := m.Signatures()[SigEncode]
		in, outName := enc.Inputs[InImages].Name, enc.Outputs[OutTokens].Name
		res := tm.Exec([]tf.Output{tm.Op(strings.TrimSuffix(outName, ":0"), 0)},
			map[tf.Output]*tf.Tensor{tm.Op(strings.TrimSuffix(in, ":0"), 0): mustTensor(t, ref.images, n, 16, 16, 3)})
		return tfmodel.Int32s(res[0])
	}
	tids, err := tfgoIDs()
	if err != nil {
		t.Fatal(err)
	}
	equalInts(t, "tfgo encode", tids, ref.ids)

	var cfg ExportedConfig
	b, err := os.ReadFile(filepath.Join(out, "assets.extra", ConfigFile))
	if err != nil || json.Unmarshal(b, &cfg) != nil || cfg.MaskID != 16 || cfg.Tokenizer.Grid != 4 {
		t.Errorf("exported config %s: %+v %v", ConfigFile, cfg, err)
	}
	for _, want := range []string{"saved_model.pb", "variables/variables.index", "variables/variables.data-00000-of-00001"} {
		if _, err := os.Stat(filepath.Join(out, want)); err != nil {
			t.Errorf("export lacks %s", want)
		}
	}
}

// TestExportOverwrite checks that an existing output is refused, and
// replaced only with Overwrite, leaving no temporary directories behind.
func TestExportOverwrite(t *testing.T) {
	modelDir := tinyModel(t)
	parent := t.TempDir()
	out := filepath.Join(parent, "export")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "old"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Export(modelDir, out, ExportOptions{Threads: 1}); !errors.Is(err, os.ErrExist) {
		t.Fatalf("export over an existing directory without Overwrite: %v, want os.ErrExist", err)
	}
	if err := Export(modelDir, out, ExportOptions{Threads: 1, Overwrite: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "old")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("old content survived the overwrite: %v", err)
	}
	ents, _ := os.ReadDir(parent)
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("parent holds %v, want only export", names)
	}
	if err := Export(filepath.Join(parent, "nope"), filepath.Join(parent, "x"), ExportOptions{}); err == nil {
		t.Error("export of a missing model directory succeeded")
	}
}

// jsonTensor is a tensor in the files exchanged with scripts/savedmodel_run.py.
type jsonTensor struct {
	DType  string    `json:"dtype"`
	Shape  []int64   `json:"shape"`
	Values []float64 `json:"values"`
}

func toJSON[T int32 | float32](dtype string, v []T, shape ...int64) jsonTensor {
	j := jsonTensor{DType: dtype, Shape: shape, Values: make([]float64, len(v))}
	for i, x := range v {
		j.Values[i] = float64(x)
	}
	return j
}

// TestExportTFPython loads the export with TF Python's tf.saved_model.load
// (scripts/savedmodel_run.py) and checks its three signatures against the
// Go pipeline on the same inputs: tokens exactly, floats to 1e-5.
func TestExportTFPython(t *testing.T) {
	python := venvPython(t)
	modelDir := tinyModel(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "export")
	if err := Export(modelDir, out, ExportOptions{Threads: 1}); err != nil {
		t.Fatal(err)
	}
	ref := goReference(t, modelDir, 2)
	n := int64(ref.n)
	in := map[string]map[string]jsonTensor{
		SigEncode: {InImages: toJSON("float32", ref.images, n, 16, 16, 3)},
		SigDecode: {InTokens: toJSON("int32", ref.tokens, n, 4, 4)},
		SigLogits: {InTokens: toJSON("int32", ref.masked, n, 16)},
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	inPath, outPath := filepath.Join(dir, "in.json"), filepath.Join(dir, "out.json")
	if err := os.WriteFile(inPath, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, filepath.Join("..", "scripts", "savedmodel_run.py"), out, inPath, outPath)
	cmd.Env = append(os.Environ(), "TF_CPP_MIN_LOG_LEVEL=2", "CUDA_VISIBLE_DEVICES=")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("savedmodel_run.py: %v\n%s", err, msg)
	}
	var got map[string]map[string]jsonTensor
	b, err = os.ReadFile(outPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	check := func(sig, key, dtype string, shape []int64) []float64 {
		j, ok := got[sig][key]
		if !ok {
			t.Fatalf("TF Python output lacks %s/%s", sig, key)
		}
		if j.DType != dtype || len(j.Shape) != len(shape) {
			t.Fatalf("%s/%s: dtype %s shape %v, want %s %v", sig, key, j.DType, j.Shape, dtype, shape)
		}
		for i := range shape {
			if j.Shape[i] != shape[i] {
				t.Fatalf("%s/%s: shape %v, want %v", sig, key, j.Shape, shape)
			}
		}
		return j.Values
	}
	ids := check(SigEncode, OutTokens, "int32", []int64{n, 4, 4})
	for i, v := range ids {
		if int32(v) != ref.ids[i] {
			t.Fatalf("TF Python encode[%d] = %v, Go %d", i, v, ref.ids[i])
		}
	}
	for _, c := range []struct {
		sig, key string
		shape    []int64
		want     []float32
	}{
		{SigDecode, OutImages, []int64{n, 16, 16, 3}, ref.decoded},
		{SigLogits, OutLogits, []int64{n, 16, 16}, ref.logits},
	} {
		vals := check(c.sig, c.key, "float32", c.shape)
		f := make([]float32, len(vals))
		for i, v := range vals {
			f[i] = float32(v)
		}
		closeFloats(t, "TF Python "+c.sig, f, c.want, 1e-5)
	}
}

// venvPython returns the TF Python venv's python (MASKGIT_VENV, relative
// to the repository root), skipping the test when it is absent, unless
// CI=true, where its absence is a failure.
func venvPython(t *testing.T) string {
	t.Helper()
	venv := os.Getenv("MASKGIT_VENV")
	if venv != "" && !filepath.IsAbs(venv) {
		venv = filepath.Join("..", venv)
	}
	python := filepath.Join(venv, "bin", "python")
	msg := ""
	if venv == "" {
		msg = "MASKGIT_VENV is not set (./build.sh test sets it to the TF Python venv): skipping the TF Python check"
	} else if _, err := os.Stat(python); err != nil {
		msg = "TF Python venv not usable (MASKGIT_VENV=" + os.Getenv("MASKGIT_VENV") + "): " + err.Error()
	}
	if msg != "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return python
}
