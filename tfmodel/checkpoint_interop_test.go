package tfmodel

// Interoperability with TensorFlow Python. The Python side is
// scripts/ckpt_interop.py; it also generated the committed golden
// checkpoints in testdata/ckpt_py (see the script's docstring).

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	tf "github.com/galeone/tensorflow/tensorflow/go"
)

// pyTensor is a tensor as the script prints it.
type pyTensor struct {
	DType  string        `json:"dtype"`
	Shape  []int64       `json:"shape"`
	Values []json.Number `json:"values"`
}

// pyListEntry is one [name, dtype, shape] row of tf.train.list_variables.
type pyListEntry struct {
	Name, DType string
	Shape       []int64
}

func (e *pyListEntry) UnmarshalJSON(b []byte) error {
	var row [3]json.RawMessage
	if err := json.Unmarshal(b, &row); err != nil {
		return err
	}
	if err := json.Unmarshal(row[0], &e.Name); err != nil {
		return err
	}
	if err := json.Unmarshal(row[1], &e.DType); err != nil {
		return err
	}
	return json.Unmarshal(row[2], &e.Shape)
}

// pyResult is the script's output.
type pyResult struct {
	Read    map[string]map[string]pyTensor `json:"read"`
	Latest  map[string]*string             `json:"latest"`
	Written map[string]map[string]pyTensor `json:"written"`
	List    map[string][]pyListEntry       `json:"list"`
}

// pyDTypeName is TensorFlow Python's name for dt.
func pyDTypeName(dt tf.DataType) string {
	switch dt {
	case tf.Float:
		return "float32"
	case tf.Double:
		return "float64"
	case tf.Int64:
		return "int64"
	case tf.String:
		return "string"
	}
	return dtypeName(dt)
}

// specFromPy converts a tensor printed by the script into a tensorSpec.
func specFromPy(t *testing.T, name string, p pyTensor) tensorSpec {
	t.Helper()
	sp := tensorSpec{Name: name, Shape: append([]int64{}, p.Shape...)}
	for _, dt := range []tf.DataType{tf.Float, tf.Double, tf.Int64} {
		if pyDTypeName(dt) == p.DType {
			sp.DType = dt
		}
	}
	for _, v := range p.Values {
		switch sp.DType {
		case tf.Float, tf.Double:
			f, err := strconv.ParseFloat(string(v), 64)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			sp.Floats = append(sp.Floats, f)
		case tf.Int64:
			i, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			sp.Ints = append(sp.Ints, i)
		default:
			t.Fatalf("%s: unexpected dtype %q", name, p.DType)
		}
	}
	return sp
}

// sortedSpecs converts a {name: tensor} map into specs sorted by name.
func sortedSpecs(t *testing.T, m map[string]pyTensor) []tensorSpec {
	t.Helper()
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	specs := make([]tensorSpec, len(names))
	for i, n := range names {
		specs[i] = specFromPy(t, n, m[n])
	}
	return specs
}

// zeroed returns specs with every value zero.
func zeroed(specs []tensorSpec) []tensorSpec {
	out := make([]tensorSpec, len(specs))
	for i, sp := range specs {
		sp.Floats = make([]float64, len(sp.Floats))
		sp.Ints = make([]int64, len(sp.Ints))
		out[i] = sp
	}
	return out
}

// restorePython restores the Python-written checkpoint at prefix into a Go
// model whose variables start at zero, and checks the values.
func restorePython(t *testing.T, prefix string, tensors map[string]pyTensor) {
	t.Helper()
	want := sortedSpecs(t, tensors)
	if len(want) == 0 {
		t.Fatalf("%s: no tensors", prefix)
	}
	m := newCkptModel(t, zeroed(want))
	if err := m.saver.Restore(m.sess, prefix); err != nil {
		t.Fatal(err)
	}
	m.check(t, want)
}

// checkList compares ListCheckpoint with tf.train.list_variables.
func checkList(t *testing.T, prefix string, want []pyListEntry) {
	t.Helper()
	got, err := ListCheckpoint(prefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%s: ListCheckpoint has %d tensors %+v, TF Python %d %+v", prefix, len(got), got, len(want), want)
	}
	for i := range want {
		if got[i].Name != want[i].Name || pyDTypeName(got[i].DType) != want[i].DType || !sameShape(got[i].Shape, want[i].Shape) {
			t.Errorf("%s: entry %d = %+v, TF Python has %+v", prefix, i, got[i], want[i])
		}
	}
}

// TestRestorePythonGolden restores the checkpoints TF Python wrote into
// testdata/ckpt_py (tf.raw_ops.SaveV2, a tf.compat.v1 Saver and an
// object-based tf.train.Checkpoint); it needs no Python.
func TestRestorePythonGolden(t *testing.T) {
	dir := filepath.Join("testdata", "ckpt_py")
	b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var expected struct {
		Tensors map[string]map[string]pyTensor `json:"tensors"`
		List    map[string][]pyListEntry       `json:"list"`
	}
	if err := json.Unmarshal(b, &expected); err != nil {
		t.Fatal(err)
	}
	if len(expected.Tensors) != 2 || len(expected.List) != 3 {
		t.Fatalf("expected.json has %d checkpoints with tensors and %d lists, want 2 and 3", len(expected.Tensors), len(expected.List))
	}
	for rel, tensors := range expected.Tensors {
		t.Run(rel, func(t *testing.T) { restorePython(t, filepath.Join(dir, rel), tensors) })
	}
	for rel, list := range expected.List {
		checkList(t, filepath.Join(dir, rel), list)
	}
	latest, err := LatestCheckpoint(filepath.Join(dir, "raw"))
	if err != nil || latest != filepath.Join(dir, "raw", "model") {
		t.Errorf("LatestCheckpoint of the Python-written state = %q, %v", latest, err)
	}
}

// interopPython returns the venv's python, skipping the test when the venv is
// absent, unless CI=true, where its absence is a failure.
func interopPython(t *testing.T) string {
	t.Helper()
	venv := os.Getenv("MASKGIT_VENV")
	if venv != "" && !filepath.IsAbs(venv) {
		venv = filepath.Join("..", venv) // relative to the repository root
	}
	python := filepath.Join(venv, "bin", "python")
	msg := ""
	if venv == "" {
		msg = "MASKGIT_VENV is not set (./build.sh test sets it to the TF Python venv)"
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

// TestCheckpointInteropPython checks both directions with TF Python: Go
// checkpoints and state files are read by tf.train.load_checkpoint and
// tf.train.latest_checkpoint with equal values; checkpoints written by TF
// Python are restored by Go with equal values.
func TestCheckpointInteropPython(t *testing.T) {
	python := interopPython(t)
	specs := testSpecs()
	other := otherValues(specs)
	m := newCkptModel(t, specs)
	goDir, pyDir := t.TempDir(), t.TempDir()
	ckpt1, ckpt2 := filepath.Join(goDir, "ckpt-1"), filepath.Join(goDir, "ckpt-2")
	if err := m.saver.Save(m.sess, ckpt1); err != nil {
		t.Fatal(err)
	}
	if err := RecordCheckpoint(ckpt1, 0); err != nil {
		t.Fatal(err)
	}
	for i, sp := range other {
		m.set(t, i, sp)
	}
	if err := m.saver.Save(m.sess, ckpt2); err != nil {
		t.Fatal(err)
	}
	if err := RecordCheckpoint(ckpt2, 0); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, filepath.Join("..", "scripts", "ckpt_interop.py"),
		"--read", ckpt1, "--read", ckpt2, "--latest", goDir, "--write", pyDir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("scripts/ckpt_interop.py: %v\n%s", err, stderr.String())
	}
	var res pyResult
	dec := json.NewDecoder(&stdout)
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("parsing the script's output: %v", err)
	}

	// Go → Python.
	for prefix, want := range map[string][]tensorSpec{ckpt1: specs, ckpt2: other} {
		got := res.Read[prefix]
		if len(got) != len(want) {
			t.Fatalf("TF Python read %d tensors from %s, want %d", len(got), prefix, len(want))
		}
		for _, w := range want {
			p, ok := got[w.Name]
			if !ok {
				t.Errorf("%s: TF Python did not find %s", prefix, w.Name)
				continue
			}
			if p.DType != pyDTypeName(w.DType) || !sameShape(p.Shape, w.Shape) {
				t.Errorf("%s: TF Python read %s as %s%v, want %s%v", prefix, w.Name, p.DType, p.Shape, pyDTypeName(w.DType), w.Shape)
				continue
			}
			g := specFromPy(t, w.Name, p)
			for j := range w.Floats {
				x := w.Floats[j]
				if w.DType == tf.Float {
					x = float64(float32(x))
				}
				if g.Floats[j] != x {
					t.Errorf("%s: TF Python read %s[%d] = %v, want %v", prefix, w.Name, j, g.Floats[j], x)
				}
			}
			for j := range w.Ints {
				if g.Ints[j] != w.Ints[j] {
					t.Errorf("%s: TF Python read %s[%d] = %d, want %d", prefix, w.Name, j, g.Ints[j], w.Ints[j])
				}
			}
		}
		checkList(t, prefix, res.List[prefix])
	}
	if got := res.Latest[goDir]; got == nil || *got != ckpt2 {
		t.Errorf("tf.train.latest_checkpoint(%s) = %v, want %s", goDir, got, ckpt2)
	}

	// Python → Go.
	if len(res.Written) != 2 {
		t.Fatalf("the script wrote %d checkpoints with tensors, want 2", len(res.Written))
	}
	for prefix, tensors := range res.Written {
		if !strings.HasPrefix(prefix, pyDir) {
			t.Fatalf("the script wrote %s outside %s", prefix, pyDir)
		}
		t.Run(filepath.Base(filepath.Dir(prefix)), func(t *testing.T) { restorePython(t, prefix, tensors) })
	}
	for prefix, list := range res.List {
		if strings.HasPrefix(prefix, pyDir) {
			checkList(t, prefix, list)
		}
	}
	if latest, err := LatestCheckpoint(filepath.Join(pyDir, "raw")); err != nil || latest != filepath.Join(pyDir, "raw", "model") {
		t.Errorf("LatestCheckpoint of the Python-written state = %q, %v", latest, err)
	}
}
