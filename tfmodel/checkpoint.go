package tfmodel

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	types "github.com/galeone/tensorflow/tensorflow/go/core/framework/types_go_proto"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Saver saves and restores a fixed list of variables in TensorFlow's V2
// checkpoint format: prefix.index plus the data shards
// prefix.data-0000i-of-0000n, keyed by the variables' full names, readable
// by tf.train.load_checkpoint.
type Saver struct {
	vars    []*Variable
	prefix  tf.Output // string scalar placeholder fed with the path prefix
	save    *tf.Operation
	restore *tf.Operation
}

// ShardBytes bounds the size of a checkpoint's data files: the variables,
// in the order given to NewSaver, are written in consecutive groups of at
// most this many bytes (a larger variable gets a shard of its own), so a
// shipped model's files stay small enough for a git repository. A
// checkpoint under the bound has the single file prefix.data-00000-of-00001.
const ShardBytes = 16 << 20

// shards splits vars, in order, into groups of at most limit bytes each
// (a variable larger than limit alone).
func shards(vars []*Variable, limit int64) [][]*Variable {
	var out [][]*Variable
	var size int64
	for _, v := range vars {
		n := variableBytes(v)
		if len(out) == 0 || (size+n > limit && size > 0) {
			out = append(out, nil)
			size = 0
		}
		out[len(out)-1] = append(out[len(out)-1], v)
		size += n
	}
	return out
}

// variableBytes is the size of v's value in a checkpoint (strings and
// unknown types count as one byte per element).
func variableBytes(v *Variable) int64 {
	n := int64(1)
	for _, d := range v.Shape {
		n *= max(d, 1)
	}
	switch v.DType {
	case tf.Double, tf.Int64, tf.Uint64, tf.Complex64:
		return 8 * n
	case tf.Float, tf.Int32, tf.Uint32:
		return 4 * n
	case tf.Half, tf.Bfloat16, tf.Int16, tf.Uint16:
		return 2 * n
	}
	return n
}

// NewSaver adds to the graph of s (under s.SubScope("save")) the ops that
// write vars (SaveV2, one per shard of at most ShardBytes) and a RestoreV2 op whose values are assigned back to vars.
// Errors (no variables, a variable that was not created, duplicate names)
// are recorded in s and surface at s.Finalize.
func NewSaver(s *op.Scope, vars []*Variable) *Saver {
	sv := &Saver{vars: append([]*Variable(nil), vars...)}
	if s.Err() != nil {
		return sv
	}
	if len(vars) == 0 {
		s.UpdateErr("NewSaver", errors.New("no variables to save"))
		return sv
	}
	names := make([]string, len(vars))
	dtypes := make([]tf.DataType, len(vars))
	seen := map[string]bool{}
	for i, v := range vars {
		if v == nil || v.Handle.Op == nil || v.Value.Op == nil {
			s.UpdateErr("NewSaver", fmt.Errorf("variable %d was not created", i))
			return sv
		}
		if seen[v.Name] {
			s.UpdateErr("NewSaver", fmt.Errorf("variable %q listed twice", v.Name))
			return sv
		}
		seen[v.Name] = true
		names[i], dtypes[i] = v.Name, v.DType
	}
	sub := s.SubScope("save")
	// File I/O runs on the CPU (SaveV2 and RestoreV2 have no GPU kernels);
	// the assigns stay on the caller's device, next to the variables.
	cpu := sub.WithDevice("/device:CPU:0")
	sv.prefix = op.Placeholder(cpu.SubScope("prefix"), tf.String, op.PlaceholderShape(tf.ScalarShape()))
	namesT := op.Const(cpu.SubScope("tensor_names"), names)
	slicesT := op.Const(cpu.SubScope("shape_and_slices"), make([]string, len(vars)))
	sv.save = saveShards(cpu, sv.prefix, sv.vars)
	restored := op.RestoreV2(cpu.SubScope("RestoreV2"), sv.prefix, namesT, slicesT, dtypes)
	if s.Err() != nil {
		return sv
	}
	assigns := make([]*tf.Operation, len(vars))
	for i, v := range vars {
		assigns[i] = op.AssignVariableOp(sub.SubScope("Assign"), v.Handle, restored[i], op.AssignVariableOpValidateShape(true))
	}
	sv.restore = op.NoOp(sub.SubScope("restore_all").WithControlDependencies(assigns...))
	return sv
}

// saveShards returns the op that writes vars to the checkpoint fed as
// prefix: one SaveV2 if they fit in ShardBytes; otherwise one SaveV2 per
// shard to prefix_shard-0000i-of-0000n, then MergeV2Checkpoints, which
// renames their data files to prefix.data-0000i-of-0000n and writes the
// merged prefix.index (TensorFlow's own sharded save).
func saveShards(cpu *op.Scope, prefix tf.Output, vars []*Variable) *tf.Operation {
	save := func(s *op.Scope, p tf.Output, vs []*Variable) *tf.Operation {
		names := make([]string, len(vs))
		values := make([]tf.Output, len(vs))
		for i, v := range vs {
			names[i], values[i] = v.Name, v.Value
		}
		return op.SaveV2(s, p, op.Const(s.SubScope("tensor_names"), names),
			op.Const(s.SubScope("shape_and_slices"), make([]string, len(vs))), values)
	}
	groups := shards(vars, ShardBytes)
	if len(groups) == 1 {
		return save(cpu.SubScope("SaveV2"), prefix, vars)
	}
	prefixes := make([]tf.Output, len(groups))
	saves := make([]*tf.Operation, len(groups))
	for i, g := range groups {
		ss := cpu.SubScope(fmt.Sprintf("shard%d", i))
		suffix := op.Const(ss.SubScope("suffix"), fmt.Sprintf("_shard-%05d-of-%05d", i, len(groups)))
		prefixes[i] = op.StringJoin(ss, []tf.Output{prefix, suffix})
		saves[i] = save(ss.SubScope("SaveV2"), prefixes[i], g)
	}
	ms := cpu.SubScope("merge").WithControlDependencies(saves...)
	return op.MergeV2Checkpoints(ms, op.Pack(ms, prefixes), prefix, op.MergeV2CheckpointsDeleteOldDirs(false))
}

// Variables returns the saved variables.
func (sv *Saver) Variables() []*Variable { return append([]*Variable(nil), sv.vars...) }

// ready reports whether the saver was built and sess is usable.
func (sv *Saver) ready(sess *Session) error {
	if sv == nil || sv.save == nil || sv.restore == nil {
		return errors.New("tfmodel: the saver was not built (its scope had an error)")
	}
	if sess == nil {
		return errors.New("tfmodel: nil session")
	}
	return nil
}

// Save writes the variables' current values to the checkpoint at prefix
// (e.g. "runs/x/ckpt-100" gives ckpt-100.index and
// ckpt-100.data-00000-of-00001, or more data shards past ShardBytes),
// creating the directory if needed.
//
// SaveV2 writes into a temporary directory next to the final files; the
// data files are renamed into place first and the .index last, so a crash
// never leaves a half-written checkpoint under the final name (a checkpoint
// exists once its .index does). When prefix already holds a checkpoint, its
// .index is removed before the new data lands, so a crash in between leaves
// no checkpoint at prefix, never new data under the old index. Callers that
// need readers to see the old checkpoint or the new one at every moment
// save to a fresh prefix or directory and switch with one rename or one
// pointer update (see RecordCheckpoint and atomicfile.ReplaceDir).
func (sv *Saver) Save(sess *Session, prefix string) (err error) {
	if err := sv.ready(sess); err != nil {
		return err
	}
	if prefix == "" || strings.HasSuffix(prefix, string(filepath.Separator)) {
		return fmt.Errorf("tfmodel: checkpoint prefix %q must name a file prefix, not a directory", prefix)
	}
	dir, base := filepath.Dir(filepath.Clean(prefix)), filepath.Base(filepath.Clean(prefix))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("saving checkpoint %s: %w", prefix, err)
	}
	tmpDir, err := os.MkdirTemp(dir, "."+base+".tmp-")
	if err != nil {
		return fmt.Errorf("saving checkpoint %s: %w", prefix, err)
	}
	defer func() {
		if rmErr := os.RemoveAll(tmpDir); rmErr != nil && err == nil {
			err = fmt.Errorf("saving checkpoint %s: removing temporary files: %w", prefix, rmErr)
		}
	}()
	tmpPrefix := filepath.Join(tmpDir, base)
	p, err := tf.NewTensor(tmpPrefix)
	if err != nil {
		return fmt.Errorf("saving checkpoint %s: %w", prefix, err)
	}
	if _, err := sess.Run(map[tf.Output]*tf.Tensor{sv.prefix: p}, nil, []*tf.Operation{sv.save}); err != nil {
		return fmt.Errorf("saving checkpoint %s: %w", prefix, err)
	}
	ents, err := os.ReadDir(tmpDir)
	if err != nil {
		return fmt.Errorf("saving checkpoint %s: %w", prefix, err)
	}
	var data []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), base+".data-") {
			data = append(data, e.Name())
		}
	}
	if len(data) == 0 {
		return fmt.Errorf("saving checkpoint %s: SaveV2 wrote no data file", prefix)
	}
	sort.Strings(data)
	files := append(data, base+".index")
	for _, name := range files {
		if err := syncFile(filepath.Join(tmpDir, name)); err != nil {
			return fmt.Errorf("saving checkpoint %s: %w", prefix, err)
		}
	}
	if err := os.Remove(prefix + ".index"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("saving checkpoint %s: %w", prefix, err)
	}
	for _, name := range files {
		if err := os.Rename(filepath.Join(tmpDir, name), filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("saving checkpoint %s: %w", prefix, err)
		}
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("saving checkpoint %s: %w", prefix, err)
	}
	return nil
}

// Restore assigns the values stored in the checkpoint at prefix to the
// variables. Before touching them it checks that the checkpoint's files
// exist and that every variable is present with the same dtype and shape;
// otherwise it returns an error naming the checkpoint and each offending
// variable, and no variable changes.
func (sv *Saver) Restore(sess *Session, prefix string) error {
	if err := sv.ready(sess); err != nil {
		return err
	}
	r, err := OpenCheckpoint(prefix)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := checkDataFiles(prefix); err != nil {
		return err
	}
	var errs []error
	for _, v := range sv.vars {
		e, ok, err := r.Lookup(v.Name)
		switch {
		case err != nil:
			errs = append(errs, err)
		case !ok:
			n, _ := r.Tensors()
			errs = append(errs, fmt.Errorf("variable %q is not in the checkpoint (it has %d tensors)", v.Name, len(n)))
		case e.DType != v.DType:
			errs = append(errs, fmt.Errorf("variable %q has dtype %s in the checkpoint, %s in the model", v.Name, dtypeName(e.DType), dtypeName(v.DType)))
		case !sameShape(e.Shape, v.Shape):
			errs = append(errs, fmt.Errorf("variable %q has shape %v in the checkpoint, %v in the model", v.Name, e.Shape, v.Shape))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("checkpoint %s does not match the model: %w", prefix, errors.Join(errs...))
	}
	p, err := tf.NewTensor(prefix)
	if err != nil {
		return fmt.Errorf("restoring checkpoint %s: %w", prefix, err)
	}
	if _, err := sess.Run(map[tf.Output]*tf.Tensor{sv.prefix: p}, nil, []*tf.Operation{sv.restore}); err != nil {
		return fmt.Errorf("restoring checkpoint %s: %w", prefix, err)
	}
	return nil
}

// RemoveCheckpoint deletes the checkpoint at prefix: its .index first (so it
// stops counting as a checkpoint at once), then its data files. A checkpoint
// that does not exist is not an error.
func RemoveCheckpoint(prefix string) error {
	if err := os.Remove(prefix + ".index"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing checkpoint %s: %w", prefix, err)
	}
	dir, base := filepath.Split(prefix)
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("removing checkpoint %s: %w", prefix, err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), base+".data-") {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("removing checkpoint %s: %w", prefix, err)
			}
		}
	}
	return nil
}

// dtypeName is the TensorFlow name of dt, e.g. "DT_FLOAT".
func dtypeName(dt tf.DataType) string { return types.DataType(dt).String() }

func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes renames in dir durable. Some file systems cannot sync a
// directory; that only weakens durability, so it is not an error.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	_ = f.Sync()
	return f.Close()
}

// checkDataFiles checks that every data shard of the checkpoint at prefix
// exists (prefix.data-0000i-of-0000n), so that a missing file is reported
// by name before RestoreV2 runs. Truncated or damaged data is reported by
// RestoreV2 itself, which checks every tensor's size and checksum.
func checkDataFiles(prefix string) error {
	dir, base := filepath.Split(prefix)
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", prefix, err)
	}
	have := map[string]bool{}
	shards := 0
	for _, e := range ents {
		var i, n int
		if rest, ok := strings.CutPrefix(e.Name(), base+".data-"); ok {
			if _, err := fmt.Sscanf(rest, "%05d-of-%05d", &i, &n); err == nil && n > 0 {
				have[e.Name()] = true
				shards = max(shards, n)
			}
		}
	}
	if shards == 0 {
		return fmt.Errorf("checkpoint %s: data file missing: no %s.data-* file", prefix, prefix)
	}
	for i := 0; i < shards; i++ {
		name := fmt.Sprintf("%s.data-%05d-of-%05d", base, i, shards)
		if !have[name] {
			return fmt.Errorf("checkpoint %s: data file missing: %s", prefix, filepath.Join(dir, name))
		}
	}
	return nil
}
