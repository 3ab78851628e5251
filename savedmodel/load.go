package savedmodel

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	pb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// Options configure Load.
type Options struct {
	// AllowUnsafeOps loads models whose graphs hold ops that touch files or
	// the system (see UnsafeOps). Only for models from trusted sources.
	AllowUnsafeOps bool
	// Tags select the MetaGraphDef; nil means ["serve"].
	Tags []string
	// Threads sizes the session (0: one thread per core).
	Threads int
	// BFloat16 runs the session with oneDNN's bfloat16 auto mixed
	// precision (tfmodel.SessionOptions.BFloat16): results differ slightly
	// from float32. Off by default.
	BFloat16 bool
}

// Model is a loaded SavedModel: a session with its variables restored and
// its signature map. Run is safe for concurrent use; Close releases the
// session and is safe to call twice.
type Model struct {
	// Dir is the SavedModel directory.
	Dir        string
	signatures map[string]tf.Signature
	graph      *tf.Graph

	mu   sync.RWMutex
	sess *tf.Session
}

// ErrClosed is returned by Run after Close.
var ErrClosed = errors.New("savedmodel: model is closed")

// Load opens the SavedModel in dir. It first parses saved_model.pb and
// refuses (with an *UnsafeOpsError naming each op and node) a graph with
// ops that touch files or the system, unless opt.AllowUnsafeOps; then
// TensorFlow loads the graph and restores the variables.
func Load(dir string, opt Options) (*Model, error) {
	tags := opt.Tags
	if len(tags) == 0 {
		tags = []string{TagServe}
	}
	mg, err := ReadMetaGraph(dir, tags)
	if err != nil {
		return nil, err
	}
	if !opt.AllowUnsafeOps {
		if bad := UnsafeOps(mg); len(bad) > 0 {
			return nil, &UnsafeOpsError{Dir: dir, Ops: bad}
		}
	}
	conf, err := tfmodel.SessionOptions{Threads: opt.Threads, BFloat16: opt.BFloat16}.ProcessConfigProto()
	if err != nil {
		return nil, err
	}
	sm, err := loadSavedModel(dir, tags, &tf.SessionOptions{Config: conf})
	if err != nil {
		return nil, fmt.Errorf("loading SavedModel %s: %w", dir, err)
	}
	m := &Model{Dir: dir, signatures: signaturesOf(mg), graph: sm.Graph, sess: sm.Session}
	if err := m.checkSignatures(); err != nil {
		m.Close()
		return nil, fmt.Errorf("SavedModel %s: %w", dir, err)
	}
	return m, nil
}

// loadSavedModel calls the bindings' loader and turns a panic in them into
// an error.
func loadSavedModel(dir string, tags []string, so *tf.SessionOptions) (sm *tf.SavedModel, err error) {
	defer func() {
		if r := recover(); r != nil {
			sm, err = nil, fmt.Errorf("TensorFlow loader panicked: %v", r)
		}
	}()
	return tf.LoadSavedModel(dir, tags, so)
}

// initOpSignature marks a TF2 SavedModel's init op, which TensorFlow's
// loader runs; it is not a function to call.
const initOpSignature = "__saved_model_init_op"

// signaturesOf converts mg's signature map (dense tensors only; sparse and
// composite TensorInfos have no single name and are left out).
func signaturesOf(mg *pb.MetaGraphDef) map[string]tf.Signature {
	out := map[string]tf.Signature{}
	conv := func(m map[string]*pb.TensorInfo) map[string]tf.TensorInfo {
		r := map[string]tf.TensorInfo{}
		for k, ti := range m {
			name, ok := ti.GetEncoding().(*pb.TensorInfo_Name)
			if !ok {
				continue
			}
			info := tf.TensorInfo{Name: name.Name, DType: tf.DataType(ti.GetDtype())}
			if sh := ti.GetTensorShape(); sh != nil && !sh.GetUnknownRank() {
				dims := make([]int64, len(sh.GetDim()))
				for i, d := range sh.GetDim() {
					dims[i] = d.GetSize()
				}
				info.Shape = tf.MakeShape(dims...)
			}
			r[k] = info
		}
		return r
	}
	for name, sig := range mg.GetSignatureDef() {
		if name == initOpSignature {
			continue
		}
		out[name] = tf.Signature{Inputs: conv(sig.GetInputs()), Outputs: conv(sig.GetOutputs()), MethodName: sig.GetMethodName()}
	}
	return out
}

// checkSignatures verifies that every signature tensor exists in the graph.
func (m *Model) checkSignatures() error {
	for name, sig := range m.signatures {
		for _, infos := range []map[string]tf.TensorInfo{sig.Inputs, sig.Outputs} {
			for key, ti := range infos {
				if _, err := m.output(ti.Name); err != nil {
					return fmt.Errorf("signature %q, tensor %q: %w", name, key, err)
				}
			}
		}
	}
	return nil
}

// output resolves a tensor name "op:index" (or "op", index 0).
func (m *Model) output(name string) (tf.Output, error) {
	opName, idx := name, 0
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		n, err := strconv.Atoi(name[i+1:])
		if err != nil || n < 0 {
			return tf.Output{}, fmt.Errorf("bad tensor name %q", name)
		}
		opName, idx = name[:i], n
	}
	o := m.graph.Operation(opName)
	if o == nil {
		return tf.Output{}, fmt.Errorf("no op %q in the graph", opName)
	}
	if idx >= o.NumOutputs() {
		return tf.Output{}, fmt.Errorf("op %q has %d outputs, no output %d", opName, o.NumOutputs(), idx)
	}
	return o.Output(idx), nil
}

// Signatures returns the signature map (a copy).
func (m *Model) Signatures() map[string]tf.Signature {
	out := make(map[string]tf.Signature, len(m.signatures))
	for k, v := range m.signatures {
		out[k] = v
	}
	return out
}

// SignatureNames returns the signature names, sorted.
func (m *Model) SignatureNames() []string {
	names := make([]string, 0, len(m.signatures))
	for k := range m.signatures {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Run feeds inputs (keyed by the signature's input keys; every input is
// required and dtypes must match) and returns every output of the
// signature, keyed by its output keys.
func (m *Model) Run(signature string, inputs map[string]*tf.Tensor) (map[string]*tf.Tensor, error) {
	sig, ok := m.signatures[signature]
	if !ok {
		return nil, fmt.Errorf("SavedModel %s has no signature %q (it has %s)", m.Dir, signature, strings.Join(m.SignatureNames(), ", "))
	}
	feeds := make(map[tf.Output]*tf.Tensor, len(inputs))
	for key := range inputs {
		if _, ok := sig.Inputs[key]; !ok {
			return nil, fmt.Errorf("signature %q has no input %q (inputs: %s)", signature, key, strings.Join(sortedKeys(sig.Inputs), ", "))
		}
	}
	for _, key := range sortedKeys(sig.Inputs) {
		ti := sig.Inputs[key]
		t, ok := inputs[key]
		if !ok || t == nil {
			return nil, fmt.Errorf("signature %q: input %q is missing", signature, key)
		}
		if t.DataType() != ti.DType {
			return nil, fmt.Errorf("signature %q: input %q has dtype %v, want %v", signature, key, t.DataType(), ti.DType)
		}
		if err := checkShape(ti.Shape, t.Shape()); err != nil {
			return nil, fmt.Errorf("signature %q: input %q: %w", signature, key, err)
		}
		o, err := m.output(ti.Name)
		if err != nil {
			return nil, fmt.Errorf("signature %q: input %q: %w", signature, key, err)
		}
		feeds[o] = t
	}
	keys := sortedKeys(sig.Outputs)
	fetches := make([]tf.Output, len(keys))
	for i, key := range keys {
		o, err := m.output(sig.Outputs[key].Name)
		if err != nil {
			return nil, fmt.Errorf("signature %q: output %q: %w", signature, key, err)
		}
		fetches[i] = o
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.sess == nil {
		return nil, ErrClosed
	}
	res, err := m.sess.Run(feeds, fetches, nil)
	if err != nil {
		return nil, fmt.Errorf("signature %q: %w", signature, err)
	}
	out := make(map[string]*tf.Tensor, len(keys))
	for i, key := range keys {
		out[key] = res[i]
	}
	return out, nil
}

// Close releases the session; calling it again returns nil.
func (m *Model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sess == nil {
		return nil
	}
	err := m.sess.Close()
	m.sess = nil
	if err != nil {
		return fmt.Errorf("savedmodel: closing %s: %w", m.Dir, err)
	}
	return nil
}

func sortedKeys(m map[string]tf.TensorInfo) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkShape compares a tensor's shape with a signature's (unknown rank and
// -1 dimensions accept anything).
func checkShape(want tf.Shape, got []int64) error {
	n := want.NumDimensions()
	if n < 0 {
		return nil
	}
	if len(got) != n {
		return fmt.Errorf("shape %v, want %v", got, want)
	}
	for i := 0; i < n; i++ {
		if d := want.Size(i); d >= 0 && got[i] != d {
			return fmt.Errorf("shape %v, want %v", got, want)
		}
	}
	return nil
}
