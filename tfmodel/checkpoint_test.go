package tfmodel

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// tensorSpec is a variable of a checkpoint test model: full name, dtype,
// shape and flat values (Floats for tf.Float/tf.Double, Ints for tf.Int64).
type tensorSpec struct {
	Name   string
	DType  tf.DataType
	Shape  []int64
	Floats []float64
	Ints   []int64
}

// tensor builds the *tf.Tensor holding the spec's values.
func (sp tensorSpec) tensor(t *testing.T) *tf.Tensor {
	t.Helper()
	var v interface{}
	switch sp.DType {
	case tf.Float:
		f := make([]float32, len(sp.Floats))
		for i, x := range sp.Floats {
			f[i] = float32(x)
		}
		v = f
	case tf.Double:
		v = append([]float64(nil), sp.Floats...)
	case tf.Int64:
		v = append([]int64(nil), sp.Ints...)
	default:
		t.Fatalf("%s: unsupported dtype %v", sp.Name, sp.DType)
	}
	if len(sp.Shape) == 0 { // Tensor.Reshape cannot make a scalar
		v = reflect.ValueOf(v).Index(0).Interface()
	}
	tt, err := tf.NewTensor(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := tt.Reshape(sp.Shape); err != nil {
		t.Fatalf("%s: %v", sp.Name, err)
	}
	return tt
}

// flat returns the values of a float32, float64 or int64 tensor as float64s
// and int64s (one of them empty), decoded from its raw little-endian bytes.
func flat(t *testing.T, tt *tf.Tensor) (floats []float64, ints []int64) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := tt.WriteContentsTo(&buf); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	switch tt.DataType() {
	case tf.Float:
		for i := 0; i+4 <= len(b); i += 4 {
			floats = append(floats, float64(math.Float32frombits(binary.LittleEndian.Uint32(b[i:]))))
		}
	case tf.Double:
		for i := 0; i+8 <= len(b); i += 8 {
			floats = append(floats, math.Float64frombits(binary.LittleEndian.Uint64(b[i:])))
		}
	case tf.Int64:
		for i := 0; i+8 <= len(b); i += 8 {
			ints = append(ints, int64(binary.LittleEndian.Uint64(b[i:])))
		}
	default:
		t.Fatalf("unsupported dtype %v", tt.DataType())
	}
	return floats, ints
}

// ckptModel is a graph with one variable per spec, a saver over all of them
// and, per variable, a placeholder and an assign op to overwrite it.
type ckptModel struct {
	specs  []tensorSpec
	vars   []*Variable
	saver  *Saver
	init   *tf.Operation
	setIn  []tf.Output
	setOps []*tf.Operation
	sess   *Session
}

// newCkptModel builds the model, starts a session and runs the initializers
// (each variable starts at its spec's values).
func newCkptModel(t *testing.T, specs []tensorSpec) *ckptModel {
	t.Helper()
	s := op.NewScope()
	st := NewStore(1, tf.Float)
	m := &ckptModel{specs: specs}
	scopes := map[string]*op.Scope{"": s} // one scope per path, so names do not get "_1" suffixes
	for _, sp := range specs {
		parts := strings.Split(sp.Name, "/")
		vs, path := s, ""
		for _, p := range parts[:len(parts)-1] {
			path += "/" + p
			if scopes[path] == nil {
				scopes[path] = vs.SubScope(p)
			}
			vs = scopes[path]
		}
		value := sp.tensor(t)
		init := initFunc(func(s *op.Scope, _ InitArgs) tf.Output { return op.Const(s, value) })
		v := st.Variable(vs, parts[len(parts)-1], sp.Shape, init, WithDType(sp.DType))
		m.vars = append(m.vars, v)
		set := s.SubScope("set")
		in := op.Placeholder(set, sp.DType)
		m.setIn = append(m.setIn, in)
		m.setOps = append(m.setOps, op.AssignVariableOp(set, v.Handle, in))
	}
	m.saver = NewSaver(s, m.vars)
	m.init = st.InitOp(s.SubScope("init"))
	g, err := s.Finalize()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range m.vars {
		if v.Name != specs[i].Name {
			t.Fatalf("variable named %q, want %q", v.Name, specs[i].Name)
		}
	}
	m.sess, err = NewSession(g, SessionOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.sess.Close() })
	if _, err := m.sess.Run(nil, nil, []*tf.Operation{m.init}); err != nil {
		t.Fatal(err)
	}
	return m
}

// set overwrites variable i with the spec's values.
func (m *ckptModel) set(t *testing.T, i int, sp tensorSpec) {
	t.Helper()
	if _, err := m.sess.Run(map[tf.Output]*tf.Tensor{m.setIn[i]: sp.tensor(t)}, nil, []*tf.Operation{m.setOps[i]}); err != nil {
		t.Fatal(err)
	}
}

// check fails unless every variable holds exactly the values of want.
func (m *ckptModel) check(t *testing.T, want []tensorSpec) {
	t.Helper()
	for i, v := range m.vars {
		out, err := m.sess.Run(nil, []tf.Output{v.Value}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !sameShape(out[0].Shape(), want[i].Shape) {
			t.Errorf("%s: shape %v, want %v", v.Name, out[0].Shape(), want[i].Shape)
			continue
		}
		floats, ints := flat(t, out[0])
		for j := range floats {
			w := want[i].Floats[j]
			if v.DType == tf.Float {
				w = float64(float32(w))
			}
			if floats[j] != w {
				t.Errorf("%s[%d] = %v, want %v", v.Name, j, floats[j], w)
			}
		}
		for j := range ints {
			if ints[j] != want[i].Ints[j] {
				t.Errorf("%s[%d] = %d, want %d", v.Name, j, ints[j], want[i].Ints[j])
			}
		}
	}
}

// testSpecs covers float32, float64 and int64 in several shapes, scalars included.
func testSpecs() []tensorSpec {
	return []tensorSpec{
		{Name: "enc/conv/kernel", DType: tf.Float, Shape: []int64{2, 1, 3}, Floats: []float64{0.5, -1.25, 3e-8, 7, -0, 1e30}},
		{Name: "enc/conv/bias", DType: tf.Float, Shape: []int64{3}, Floats: []float64{0.1, 0.2, 0.3}},
		{Name: "dec/proj", DType: tf.Double, Shape: []int64{2, 3}, Floats: []float64{math.Pi, -math.E, 1e-300, 0.1, 2, -3}},
		{Name: "scale", DType: tf.Float, Shape: []int64{}, Floats: []float64{0.6875}},
		{Name: "global_step", DType: tf.Int64, Shape: []int64{}, Ints: []int64{1<<53 + 1}},
		{Name: "dec/ids", DType: tf.Int64, Shape: []int64{4}, Ints: []int64{-3, 0, 1<<40 + 7, -(1 << 62)}},
	}
}

// otherValues returns specs with the same names and shapes and different values.
func otherValues(specs []tensorSpec) []tensorSpec {
	out := make([]tensorSpec, len(specs))
	for i, sp := range specs {
		o := sp
		o.Floats, o.Ints = nil, nil
		for j := range sp.Floats {
			o.Floats = append(o.Floats, sp.Floats[j]*2+1)
		}
		for j := range sp.Ints {
			o.Ints = append(o.Ints, sp.Ints[j]/2+5)
		}
		out[i] = o
	}
	return out
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

func TestSaveRestoreRoundTrip(t *testing.T) {
	specs := testSpecs()
	m := newCkptModel(t, specs)
	dir := t.TempDir()
	prefix := filepath.Join(dir, "sub", "ckpt-1")
	if err := m.saver.Save(m.sess, prefix); err != nil {
		t.Fatal(err)
	}
	// Atomic save: only the final files remain, no temporary directory.
	if got, want := dirNames(t, filepath.Join(dir, "sub")), []string{"ckpt-1.data-00000-of-00001", "ckpt-1.index"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("files after Save = %v, want %v", got, want)
	}
	other := otherValues(specs)
	for i, sp := range other {
		m.set(t, i, sp)
	}
	m.check(t, other)
	if err := m.saver.Restore(m.sess, prefix); err != nil {
		t.Fatal(err)
	}
	m.check(t, specs)

	// Saving again over the same prefix replaces the checkpoint.
	for i, sp := range other {
		m.set(t, i, sp)
	}
	if err := m.saver.Save(m.sess, prefix); err != nil {
		t.Fatal(err)
	}
	if got := dirNames(t, filepath.Join(dir, "sub")); len(got) != 2 {
		t.Fatalf("files after second Save = %v", got)
	}
	for i, sp := range specs {
		m.set(t, i, sp)
	}
	if err := m.saver.Restore(m.sess, prefix); err != nil {
		t.Fatal(err)
	}
	m.check(t, other)

	list, err := ListCheckpoint(prefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(specs) {
		t.Fatalf("ListCheckpoint: %d tensors, want %d", len(list), len(specs))
	}
	byName := map[string]CheckpointTensor{}
	for _, e := range list {
		byName[e.Name] = e
	}
	for _, sp := range specs {
		e, ok := byName[sp.Name]
		if !ok || e.DType != sp.DType || !sameShape(e.Shape, sp.Shape) {
			t.Errorf("ListCheckpoint entry for %s = %+v, want dtype %v shape %v", sp.Name, e, sp.DType, sp.Shape)
		}
	}
}

// TestRestoreErrors checks that a checkpoint that does not fit the model is
// rejected with an error naming the checkpoint and the variable, and that
// the variables keep their values.
func TestRestoreErrors(t *testing.T) {
	base := []tensorSpec{
		{Name: "a/w", DType: tf.Float, Shape: []int64{2, 2}, Floats: []float64{1, 2, 3, 4}},
		{Name: "b", DType: tf.Int64, Shape: []int64{}, Ints: []int64{9}},
	}
	dir := t.TempDir()
	prefix := filepath.Join(dir, "ckpt")
	saved := newCkptModel(t, base)
	if err := saved.saver.Save(saved.sess, prefix); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		specs  []tensorSpec
		prefix string
		want   []string
	}{
		{"missing checkpoint", base, filepath.Join(dir, "nope"), []string{"nope.index", "does not exist"}},
		{"wrong shape", []tensorSpec{{Name: "a/w", DType: tf.Float, Shape: []int64{4}, Floats: []float64{0, 0, 0, 0}}}, prefix,
			[]string{prefix, `"a/w"`, "shape [2 2] in the checkpoint, [4] in the model"}},
		{"wrong dtype", []tensorSpec{{Name: "b", DType: tf.Double, Shape: []int64{}, Floats: []float64{0}}}, prefix,
			[]string{prefix, `"b"`, "DT_INT64", "DT_DOUBLE"}},
		{"missing key", []tensorSpec{base[0], {Name: "c", DType: tf.Float, Shape: []int64{1}, Floats: []float64{5}}}, prefix,
			[]string{prefix, `"c" is not in the checkpoint`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newCkptModel(t, c.specs)
			err := m.saver.Restore(m.sess, c.prefix)
			if err == nil {
				t.Fatal("Restore succeeded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			m.check(t, c.specs)
		})
	}
}

func TestRestoreDamagedFiles(t *testing.T) {
	specs := []tensorSpec{{Name: "w", DType: tf.Double, Shape: []int64{64}, Floats: make([]float64, 64)}}
	cases := []struct {
		name   string
		damage func(prefix string) error
		want   string
	}{
		{"data file missing", func(p string) error { return os.Remove(p + ".data-00000-of-00001") }, "data file missing"},
		{"data file truncated", func(p string) error { return os.Truncate(p+".data-00000-of-00001", 100) }, "Read less bytes than requested"},
		{"data file corrupt", func(p string) error {
			f, err := os.OpenFile(p+".data-00000-of-00001", os.O_RDWR, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteAt([]byte{0x55}, 17)
			return err
		}, "hecksum"},
		{"index corrupt", func(p string) error {
			b, err := os.ReadFile(p + ".index")
			if err != nil {
				return err
			}
			b[3] ^= 0xff
			return os.WriteFile(p+".index", b, 0o644)
		}, "block checksum mismatch"},
		{"index not a table", func(p string) error { return os.WriteFile(p+".index", []byte("not a checkpoint"), 0o644) }, "too short to be an sstable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := newCkptModel(t, specs)
			prefix := filepath.Join(t.TempDir(), "ckpt")
			if err := m.saver.Save(m.sess, prefix); err != nil {
				t.Fatal(err)
			}
			if err := c.damage(prefix); err != nil {
				t.Fatal(err)
			}
			other := otherValues(specs)
			m.set(t, 0, other[0])
			err := m.saver.Restore(m.sess, prefix)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), prefix) {
				t.Fatalf("error %v, want one mentioning %q and %s", err, c.want, prefix)
			}
			m.check(t, other) // a failed restore changes no variable
		})
	}
}

func TestSaverBuildErrors(t *testing.T) {
	cases := map[string]func(s *op.Scope, st *Store) []*Variable{
		"no variables": func(s *op.Scope, st *Store) []*Variable { return nil },
		"duplicate": func(s *op.Scope, st *Store) []*Variable {
			v := st.Variable(s, "v", []int64{1}, Zeros())
			return []*Variable{v, v}
		},
		"nil variable": func(s *op.Scope, st *Store) []*Variable { return []*Variable{nil} },
	}
	for name, f := range cases {
		s := op.NewScope()
		sv := NewSaver(s, f(s, NewStore(1, tf.Float)))
		if _, err := s.Finalize(); err == nil {
			t.Errorf("%s: no error", name)
		}
		if err := sv.Save(nil, filepath.Join(t.TempDir(), "x")); err == nil {
			t.Errorf("%s: Save on a broken saver succeeded", name)
		}
	}
}

func TestSaveBadPrefix(t *testing.T) {
	m := newCkptModel(t, testSpecs()[:1])
	dir := t.TempDir()
	for _, p := range []string{"", dir + string(filepath.Separator)} {
		if err := m.saver.Save(m.sess, p); err == nil {
			t.Errorf("Save(%q) succeeded", p)
		}
	}
	if got := dirNames(t, dir); len(got) != 0 {
		t.Errorf("failed saves left %v", got)
	}
}

// TestFailedSaveKeepsOldCheckpoint: a save that fails (here: the session is
// closed) leaves no temporary files and does not touch the checkpoint already
// under that prefix.
func TestFailedSaveKeepsOldCheckpoint(t *testing.T) {
	m := newCkptModel(t, testSpecs()[:2])
	dir := t.TempDir()
	prefix := filepath.Join(dir, "ckpt")
	if err := m.saver.Save(m.sess, prefix); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(prefix + ".index")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.sess.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.saver.Save(m.sess, prefix); err == nil || !strings.Contains(err.Error(), prefix) {
		t.Fatalf("Save with a closed session: %v, want an error naming %s", err, prefix)
	}
	if got, want := dirNames(t, dir), []string{"ckpt.data-00000-of-00001", "ckpt.index"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("files after a failed Save = %v, want %v", got, want)
	}
	after, err := os.ReadFile(prefix + ".index")
	if err != nil || !bytes.Equal(before, after) {
		t.Fatalf("a failed Save changed the old checkpoint (%v)", err)
	}
}

func TestRemoveCheckpoint(t *testing.T) {
	m := newCkptModel(t, testSpecs()[:1])
	dir := t.TempDir()
	for _, p := range []string{"ckpt-1", "ckpt-10"} {
		if err := m.saver.Save(m.sess, filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := RemoveCheckpoint(filepath.Join(dir, "ckpt-1")); err != nil {
		t.Fatal(err)
	}
	if got, want := dirNames(t, dir), []string{"ckpt-10.data-00000-of-00001", "ckpt-10.index"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("after RemoveCheckpoint: %v, want %v", got, want)
	}
	if err := RemoveCheckpoint(filepath.Join(dir, "ckpt-1")); err != nil {
		t.Fatalf("removing a missing checkpoint: %v", err)
	}
}

func TestShards(t *testing.T) {
	v := func(name string, dt tf.DataType, shape ...int64) *Variable {
		return &Variable{Name: name, DType: dt, Shape: shape}
	}
	a, b, c := v("a", tf.Float, 4, 4), v("b", tf.Double, 8), v("c", tf.Int64) // 64, 64 and 8 bytes
	big := v("big", tf.Float, 100)                                            // 400 bytes
	names := func(groups [][]*Variable) string {
		var out []string
		for _, g := range groups {
			var n []string
			for _, v := range g {
				n = append(n, v.Name)
			}
			out = append(out, strings.Join(n, "+"))
		}
		return strings.Join(out, " | ")
	}
	for _, c := range []struct {
		vars  []*Variable
		limit int64
		want  string
	}{
		{[]*Variable{a, b, c}, 1 << 20, "a+b+c"},
		{[]*Variable{a, b, c}, 128, "a+b | c"},
		{[]*Variable{a, b, c}, 136, "a+b+c"},
		{[]*Variable{a, big, b}, 128, "a | big | b"},
		{[]*Variable{big}, 8, "big"},
	} {
		if got := names(shards(c.vars, c.limit)); got != c.want {
			t.Errorf("shards(limit %d) = %s, want %s", c.limit, got, c.want)
		}
	}
}

// TestSaveRestoreSharded saves variables larger than ShardBytes in total:
// the checkpoint comes in several data files, none above the bound (a
// shipped model must fit a git repository), and restores exactly.
func TestSaveRestoreSharded(t *testing.T) {
	n := int(ShardBytes / 4 * 5 / 8) // 10 MiB of float32 per big variable
	big := func(name string, seed float64) tensorSpec {
		f := make([]float64, n)
		for i := range f {
			f[i] = seed + float64(i%1000)/7
		}
		return tensorSpec{Name: name, DType: tf.Float, Shape: []int64{int64(n)}, Floats: f}
	}
	specs := []tensorSpec{big("enc/a", 1), big("enc/b", 2), {Name: "step", DType: tf.Int64, Shape: []int64{}, Ints: []int64{7}}}
	m := newCkptModel(t, specs)
	dir := t.TempDir()
	prefix := filepath.Join(dir, "model")
	if err := m.saver.Save(m.sess, prefix); err != nil {
		t.Fatal(err)
	}
	want := []string{"model.data-00000-of-00002", "model.data-00001-of-00002", "model.index"}
	if got := dirNames(t, dir); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("files after Save = %v, want %v", got, want)
	}
	for _, name := range want[:2] {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > ShardBytes {
			t.Errorf("%s: %d bytes, above ShardBytes (%d)", name, st.Size(), ShardBytes)
		}
	}
	other := otherValues(specs)
	for i, sp := range other {
		m.set(t, i, sp)
	}
	if err := m.saver.Restore(m.sess, prefix); err != nil {
		t.Fatal(err)
	}
	m.check(t, specs)
	list, err := ListCheckpoint(prefix)
	if err != nil || len(list) != len(specs) {
		t.Fatalf("ListCheckpoint: %d tensors (%v), want %d", len(list), err, len(specs))
	}
	// A missing shard is named before RestoreV2 runs.
	if err := os.Remove(filepath.Join(dir, want[1])); err != nil {
		t.Fatal(err)
	}
	if err := m.saver.Restore(m.sess, prefix); err == nil || !strings.Contains(err.Error(), want[1]) {
		t.Errorf("restore without %s: %v", want[1], err)
	}
}
