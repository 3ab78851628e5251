package tfmodel

import (
	"path/filepath"
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
)

// TestCheckpointReader reads back a saved checkpoint with TensorFlow's C
// checkpoint reader: names, dtypes, shapes and values.
func TestCheckpointReader(t *testing.T) {
	specs := testSpecs()
	m := newCkptModel(t, specs)
	prefix := filepath.Join(t.TempDir(), "ckpt")
	if err := m.saver.Save(m.sess, prefix); err != nil {
		t.Fatal(err)
	}
	r, err := OpenCheckpoint(prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	list, err := r.Tensors()
	if err != nil || len(list) != len(specs) {
		t.Fatalf("Tensors = %v, %v; want %d tensors", list, err, len(specs))
	}
	for i := 1; i < len(list); i++ {
		if list[i-1].Name >= list[i].Name {
			t.Errorf("not sorted: %q before %q", list[i-1].Name, list[i].Name)
		}
	}
	for _, sp := range specs {
		e, ok, err := r.Lookup(sp.Name)
		if err != nil || !ok || e.DType != sp.DType || !sameShape(e.Shape, sp.Shape) {
			t.Errorf("Lookup(%q) = %+v, %v, %v", sp.Name, e, ok, err)
			continue
		}
		tt, err := r.Tensor(sp.Name)
		if err != nil {
			t.Fatal(err)
		}
		if !sameShape(tt.Shape(), sp.Shape) || tt.DataType() != sp.DType {
			t.Errorf("%s: tensor %v %v", sp.Name, tt.DataType(), tt.Shape())
		}
		floats, ints := flat(t, tt)
		for j := range floats {
			w := sp.Floats[j]
			if sp.DType == tf.Float {
				w = float64(float32(w))
			}
			if floats[j] != w {
				t.Errorf("%s[%d] = %v, want %v", sp.Name, j, floats[j], w)
			}
		}
		for j := range ints {
			if ints[j] != sp.Ints[j] {
				t.Errorf("%s[%d] = %v, want %v", sp.Name, j, ints[j], sp.Ints[j])
			}
		}
	}
	if _, ok, err := r.Lookup("nope"); ok || err != nil {
		t.Errorf("Lookup(nope) = %v, %v", ok, err)
	}
	if _, err := r.Tensor("nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("Tensor(nope): %v", err)
	}
	r.Close()
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := r.Tensors(); err == nil {
		t.Error("Tensors after Close succeeded")
	}
	if _, err := OpenCheckpoint(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing checkpoint: %v", err)
	}
}
