package savedmodel

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// The fixtures under testdata/ are written by TensorFlow Python:
//   third_party/venv/bin/python scripts/savedmodel_fixture.py

type affineGolden struct {
	Affine struct {
		X      []float32 `json:"x"`
		XShape []int64   `json:"x_shape"`
		Y      []float32 `json:"y"`
		YShape []int64   `json:"y_shape"`
	} `json:"affine"`
	Count struct {
		IDs     []int32 `json:"ids"`
		N       int32   `json:"n"`
		Doubled []int32 `json:"doubled"`
	} `json:"count"`
}

// TestLoadTFPythonFixture loads a SavedModel written by tf.saved_model.save
// and runs its signatures through the signature map.
func TestLoadTFPythonFixture(t *testing.T) {
	var g affineGolden
	b, err := os.ReadFile(filepath.Join("testdata", "tf_affine_golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	m, err := Load(filepath.Join("testdata", "tf_affine"), Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	sigs := m.Signatures()
	if _, ok := sigs["affine"].Inputs["x"]; !ok {
		t.Fatalf("signature map %+v lacks affine/x", sigs)
	}
	if dt := sigs["count"].Outputs["doubled"].DType; dt != tf.Int32 {
		t.Errorf("count/doubled dtype %v", dt)
	}
	res, err := m.Run("affine", map[string]*tf.Tensor{"x": mustTensor(t, g.Affine.X, g.Affine.XShape...)})
	if err != nil {
		t.Fatal(err)
	}
	y, err := tfmodel.Float32s(res["y"])
	if err != nil {
		t.Fatal(err)
	}
	closeFloats(t, "affine y", y, g.Affine.Y, 1e-6)
	res, err = m.Run("count", map[string]*tf.Tensor{"ids": mustTensor(t, g.Count.IDs, int64(len(g.Count.IDs)))})
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := res["n"].Value().(int32); !ok || n != g.Count.N {
		t.Errorf("count n = %v, want %d", res["n"].Value(), g.Count.N)
	}
	d, err := tfmodel.Int32s(res["doubled"])
	if err != nil {
		t.Fatal(err)
	}
	equalInts(t, "count doubled", d, g.Count.Doubled)
}

// TestLoadRefusesReadFile loads a TF-Python SavedModel whose signature runs
// ReadFile on a path given as input: refused by default, naming the op and
// its node; loaded (and really reading files) with AllowUnsafeOps.
func TestLoadRefusesReadFile(t *testing.T) {
	dir := filepath.Join("testdata", "tf_readfile")
	_, err := Load(dir, Options{Threads: 1})
	var ue *UnsafeOpsError
	if !errors.As(err, &ue) {
		t.Fatalf("Load = %v, want an *UnsafeOpsError", err)
	}
	if len(ue.Ops) != 1 || ue.Ops[0].Op != "ReadFile" || ue.Ops[0].Function == "" || ue.Ops[0].Node == "" {
		t.Fatalf("unsafe ops %+v, want the one ReadFile in a function", ue.Ops)
	}
	if msg := err.Error(); !strings.Contains(msg, "ReadFile") || !strings.Contains(msg, ue.Ops[0].Node) || !strings.Contains(msg, dir) {
		t.Errorf("error %q does not name the op, node and directory", msg)
	}

	m, err := Load(dir, Options{Threads: 1, AllowUnsafeOps: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	secret := filepath.Join(t.TempDir(), "secret.txt")
	if err := os.WriteFile(secret, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := tf.NewTensor(secret)
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Run("read", map[string]*tf.Tensor{"path": p})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := res["contents"].Value().(string); got != "hello" {
		t.Errorf("read returned %q, want the file's contents", got)
	}
}

// TestRunErrors checks Run's argument errors and Close.
func TestRunErrors(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "tf_affine"), Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	x := mustTensor(t, []float32{1, 2, 3}, 1, 3)
	ids := mustTensor(t, []int32{1}, 1)
	cases := []struct {
		name   string
		sig    string
		inputs map[string]*tf.Tensor
		want   string
	}{
		{"unknown signature", "nope", map[string]*tf.Tensor{"x": x}, `no signature "nope"`},
		{"missing input", "affine", map[string]*tf.Tensor{}, `input "x" is missing`},
		{"extra input", "affine", map[string]*tf.Tensor{"x": x, "z": x}, `no input "z"`},
		{"wrong dtype", "affine", map[string]*tf.Tensor{"x": ids}, "dtype"},
		{"wrong shape", "affine", map[string]*tf.Tensor{"x": mustTensor(t, []float32{1, 2}, 1, 2)}, "shape [1 2], want [?, 3]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := m.Run(c.sig, c.inputs)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Run = %v, want an error containing %q", err, c.want)
			}
		})
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := m.Run("affine", map[string]*tf.Tensor{"x": x}); !errors.Is(err, ErrClosed) {
		t.Errorf("Run after Close = %v, want ErrClosed", err)
	}
}

// TestLoadBadDirectories checks the errors for missing or malformed
// SavedModels and unknown tags.
func TestLoadBadDirectories(t *testing.T) {
	empty := t.TempDir()
	garbage := t.TempDir()
	if err := os.WriteFile(filepath.Join(garbage, "saved_model.pb"), []byte("not a proto \xff\xff"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		dir  string
		tags []string
		want string
	}{
		{"no saved_model.pb", empty, nil, "no saved_model.pb"},
		{"not a proto", garbage, nil, "not a SavedModel proto"},
		{"unknown tags", filepath.Join("testdata", "tf_affine"), []string{"train"}, "no MetaGraphDef tagged [train]; it has [serve]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(c.dir, Options{Tags: c.tags})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Load = %v, want an error containing %q", err, c.want)
			}
		})
	}
}
