package tfmodel

import (
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

func initValues(t *testing.T, seed int64, order []string) map[string][]float32 {
	t.Helper()
	s := op.NewScope()
	st := NewStore(seed, tf.Float)
	enc := s.SubScope("enc")
	for _, n := range order {
		st.Variable(enc, n, []int64{3, 4}, GlorotUniform())
	}
	initOp := st.InitOp(s)
	g, err := s.Finalize()
	if err != nil {
		t.Fatal(err)
	}
	sess, err := tf.NewSession(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if _, err := sess.Run(nil, nil, []*tf.Operation{initOp}); err != nil {
		t.Fatal(err)
	}
	out := map[string][]float32{}
	for _, v := range st.All() {
		r, err := sess.Run(nil, []tf.Output{v.Value}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var flat []float32
		for _, row := range r[0].Value().([][]float32) {
			flat = append(flat, row...)
		}
		out[strings.SplitN(v.Name, "/", 2)[1]] = flat
	}
	return out
}

func TestVariableNamesAndSeededInit(t *testing.T) {
	a := initValues(t, 7, []string{"a", "b"})
	b := initValues(t, 7, []string{"b", "a"})
	c := initValues(t, 8, []string{"a", "b"})
	for _, n := range []string{"a", "b"} {
		if len(a[n]) != 12 {
			t.Fatalf("%s: got %d values", n, len(a[n]))
		}
		for i := range a[n] {
			if a[n][i] != b[n][i] {
				t.Fatalf("%s[%d]: init depends on creation order: %v vs %v", n, i, a[n][i], b[n][i])
			}
		}
	}
	if a["a"][0] == c["a"][0] {
		t.Fatalf("different seeds gave the same init")
	}
	if a["a"][0] == a["b"][0] {
		t.Fatalf("different names gave the same init")
	}
	lim := float32(0.92582010) // sqrt(6/(3+4))
	for _, x := range a["a"] {
		if x < -lim || x > lim {
			t.Fatalf("glorot value %v outside ±%v", x, lim)
		}
	}
}

func TestVariableFullNames(t *testing.T) {
	s := op.NewScope()
	st := NewStore(1, tf.Float)
	enc := s.SubScope("encoder")
	k := st.Variable(enc.SubScope("conv_in"), "kernel", []int64{3, 3, 3, 8}, HeNormal())
	k2 := st.Variable(enc.SubScope("conv_in"), "kernel", []int64{2}, Zeros()) // second conv_in scope is conv_in_1
	step := st.Variable(s, "global_step", nil, Zeros(), WithDType(tf.Int64), NotTrainable())
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{"encoder/conv_in/kernel", "encoder/conv_in_1/kernel", "global_step"}
	for i, v := range []*Variable{k, k2, step} {
		if v.Name != want[i] {
			t.Errorf("name %d = %q, want %q", i, v.Name, want[i])
		}
		if v.Handle.Op.Name() != want[i] {
			t.Errorf("handle op %q, want %q", v.Handle.Op.Name(), want[i])
		}
	}
	if got := len(st.Trainable()); got != 2 {
		t.Errorf("trainable = %d, want 2", got)
	}
	if got := st.NumParams(); got != 3*3*3*8+2 {
		t.Errorf("NumParams = %d", got)
	}
}

func TestVariableErrors(t *testing.T) {
	cases := map[string]func(s *op.Scope, st *Store){
		"slash":   func(s *op.Scope, st *Store) { st.Variable(s, "a/b", []int64{1}, Zeros()) },
		"shape":   func(s *op.Scope, st *Store) { st.Variable(s, "a", []int64{-1}, Zeros()) },
		"nilinit": func(s *op.Scope, st *Store) { st.Variable(s, "a", []int64{1}, nil) },
		"values":  func(s *op.Scope, st *Store) { st.Variable(s, "a", []int64{3}, Values([]float32{1, 2})) },
	}
	for name, f := range cases {
		s := op.NewScope()
		f(s, NewStore(1, tf.Float))
		if _, err := s.Finalize(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
