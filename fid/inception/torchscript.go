package inception

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/pytorch"
	"github.com/nlpodyssey/gopickle/types"
)

// ReadTorchScript reads the state dict of a TorchScript archive (the zip
// written by torch.jit.save) without PyTorch: it unpickles data.pkl, whose
// tensors point into the archive's data/<n> storages, and collects every
// tensor and every int, int-list and float attribute of the module tree,
// named as PyTorch's state_dict() names them ("block.0.weight"; attributes
// get their attribute name, "block.0.stride").
//
// Supported storages: float32, float64, int64 and int32 (read as int64),
// little-endian, with any strides and storage offsets.
func ReadTorchScript(path string) (*Weights, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	w, err := parseTorchScript(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

// ConvertTorchScript reads the TorchScript archive ptPath and writes its
// state dict to outPath in the weights file format (see WriteWeights).
func ConvertTorchScript(ptPath, outPath string) error {
	w, err := ReadTorchScript(ptPath)
	if err != nil {
		return err
	}
	return WriteWeights(outPath, w)
}

func parseTorchScript(data []byte) (*Weights, error) {
	sum := sha256.Sum256(data)
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("not a TorchScript archive (zip): %w", err)
	}
	files := map[string]*zip.File{}
	prefix := ""
	for _, f := range zr.File {
		files[f.Name] = f
		if dir, ok := strings.CutSuffix(f.Name, "/data.pkl"); ok && !strings.Contains(dir, "/") {
			if prefix != "" {
				return nil, fmt.Errorf("two data.pkl in the archive (%s/ and %s/)", prefix, dir)
			}
			prefix = dir
		}
	}
	if prefix == "" {
		return nil, fmt.Errorf("no <archive>/data.pkl: not a TorchScript archive")
	}
	if f := files[prefix+"/byteorder"]; f != nil {
		b, err := readZipFile(f)
		if err != nil {
			return nil, err
		}
		if s := strings.TrimSpace(string(b)); s != "little" {
			return nil, fmt.Errorf("byteorder %q: only little-endian archives are supported", s)
		}
	}
	pkl, err := files[prefix+"/data.pkl"].Open()
	if err != nil {
		return nil, err
	}
	defer pkl.Close()
	res := &torchResolver{files: files, prefix: prefix, storages: map[string]pytorch.StorageInterface{}}
	root, err := res.unpickle(pkl)
	if err != nil {
		return nil, fmt.Errorf("%s/data.pkl: %w", prefix, err)
	}
	w := &Weights{SourceSHA256: hex.EncodeToString(sum[:]), Tensors: map[string]*Tensor{}}
	obj, ok := root.(*torchModule)
	if !ok {
		return nil, fmt.Errorf("%s/data.pkl holds a %T, want a module object", prefix, root)
	}
	if err := collect(w, "", obj, 0); err != nil {
		return nil, err
	}
	if len(w.Tensors) == 0 {
		return nil, fmt.Errorf("no tensors in %s/data.pkl", prefix)
	}
	return w, nil
}

func readZipFile(f *zip.File) ([]byte, error) {
	r, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.Name, err)
	}
	return b, nil
}

// The data.pkl of a TorchScript archive is a protocol-2 pickle written by
// PyTorch's C++ pickler. gopickle's Unpickler reads it; the hooks below give
// meaning to the few globals such a pickle names, so nothing is executed:
//
//	__torch__.*                      module classes: NEWOBJ, then BUILD of their attribute dict
//	torch._utils._rebuild_tensor_v2  a tensor view on a storage (gopickle's pytorch.RebuildTensorV2)
//	torch.{Float,Double,Long,Int}Storage  storage types named by persistent ids
//	torch.jit._pickle.build_*        typed-list markers (build_intlist([...]) is the list)
//	collections.OrderedDict          handled by gopickle itself
//
// Every other global is refused. gopickle's pytorch.Load refuses TorchScript
// archives, hence the hooks here.

// storageType returns the storage class torch.<name> and its element size
// in bytes, for the storages this reader accepts.
func storageType(name string) (pytorch.StorageClassInterface, int, bool) {
	switch name {
	case "FloatStorage":
		return &pytorch.FloatStorageClass{}, 4, true
	case "DoubleStorage":
		return &pytorch.DoubleStorageClass{}, 8, true
	case "LongStorage":
		return &pytorch.LongStorageClass{}, 8, true
	case "IntStorage":
		return &pytorch.IntStorageClass{}, 4, true
	}
	return nil, 0, false
}

// torchModule is an instance of a __torch__ class; state is the dict BUILD gives it.
type torchModule struct {
	class string
	state any
}

// PySetState implements types.PyStateSettable (BUILD).
func (m *torchModule) PySetState(state any) error {
	m.state = state
	return nil
}

// torchClass is a __torch__ module class named by GLOBAL.
type torchClass struct{ name string }

// PyNew implements types.PyNewable (NEWOBJ).
func (c *torchClass) PyNew(args ...any) (any, error) { return &torchModule{class: c.name}, nil }

// Call implements types.Callable (REDUCE).
func (c *torchClass) Call(args ...any) (any, error) { return &torchModule{class: c.name}, nil }

// storageClass is a torch.<Type>Storage named by GLOBAL, used in persistent ids.
type storageClass struct{ name string }

// typedList is torch.jit._pickle.build_intlist and friends: the identity on their one argument.
type typedList struct{ name string }

// Call implements types.Callable.
func (l typedList) Call(args ...any) (any, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("%s with %d arguments, want 1", l.name, len(args))
	}
	return args[0], nil
}

type torchResolver struct {
	files  map[string]*zip.File
	prefix string
	// storages are loaded on first reference, by key.
	storages map[string]pytorch.StorageInterface
}

// unpickle reads data.pkl with gopickle. gopickle panics on some malformed
// pickles (opcode 0xff, an empty LONG1, an odd DICT); that becomes an error.
func (r *torchResolver) unpickle(pkl io.Reader) (v any, err error) {
	u := pickle.NewUnpickler(bufio.NewReader(pkl))
	u.FindClass = r.findClass
	u.PersistentLoad = r.persistentLoad
	defer func() {
		if p := recover(); p != nil {
			v, err = nil, fmt.Errorf("malformed pickle: %v", p)
		}
	}()
	v, err = u.Load()
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		err = fmt.Errorf("truncated pickle: %w", err)
	}
	return v, err
}

func (r *torchResolver) findClass(module, name string) (any, error) {
	switch {
	case module == "torch._utils" && name == "_rebuild_tensor_v2":
		return &pytorch.RebuildTensorV2{}, nil
	case module == "torch" && strings.HasSuffix(name, "Storage"):
		if _, _, ok := storageType(name); ok {
			return storageClass{name}, nil
		}
		return nil, fmt.Errorf("unsupported storage type torch.%s", name)
	case module == "torch.jit._pickle" && strings.HasPrefix(name, "build_"):
		return typedList{module + "." + name}, nil
	case module == "__torch__" || strings.HasPrefix(module, "__torch__."):
		return &torchClass{module + "." + name}, nil
	}
	return nil, fmt.Errorf("unsupported callable %s.%s in a TorchScript pickle", module, name)
}

// persistentLoad resolves ('storage', type, key, location, numel) to the
// storage data/<key>, read once.
func (r *torchResolver) persistentLoad(pid any) (any, error) {
	t, ok := pid.(*types.Tuple)
	bad := fmt.Errorf("persistent id %v: want ('storage', type, key, location, numel)", pid)
	if !ok || t.Len() != 5 || t.Get(0) != "storage" {
		return nil, bad
	}
	typ, ok1 := t.Get(1).(storageClass)
	key, ok2 := t.Get(2).(string)
	location, ok3 := t.Get(3).(string)
	numel, ok4 := t.Get(4).(int)
	if !ok1 || !ok2 || !ok3 || !ok4 || numel < 0 {
		return nil, bad
	}
	if s, ok := r.storages[key]; ok {
		return s, nil
	}
	name := r.prefix + "/data/" + key
	f := r.files[name]
	if f == nil {
		return nil, fmt.Errorf("storage %s is missing from the archive", name)
	}
	class, elemSize, _ := storageType(typ.name)
	if want := uint64(numel) * uint64(elemSize); f.UncompressedSize64 < want {
		return nil, fmt.Errorf("storage %s has %d bytes, want %d", name, f.UncompressedSize64, want)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer rc.Close()
	s := class.New(numel, location)
	if err := s.SetFromFileWithSize(rc, numel); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	r.storages[key] = s
	return s, nil
}

// gather copies the (possibly strided) view t of data into a contiguous
// slice, after checking that every element lies inside data.
func gather[T any](data []T, t *pytorch.Tensor) ([]T, error) {
	if len(t.Size) != len(t.Stride) || t.StorageOffset < 0 {
		return nil, fmt.Errorf("bad view: size %v, stride %v, offset %d", t.Size, t.Stride, t.StorageOffset)
	}
	n, last := 1, t.StorageOffset
	for i := range t.Size {
		if t.Size[i] < 0 || t.Stride[i] < 0 {
			return nil, fmt.Errorf("bad size %v / stride %v", t.Size, t.Stride)
		}
		n *= t.Size[i]
		if t.Size[i] > 0 {
			last += (t.Size[i] - 1) * t.Stride[i]
		}
	}
	if n > 0 && last >= len(data) {
		return nil, fmt.Errorf("view (size %v, stride %v, offset %d) reads past its storage's %d elements",
			t.Size, t.Stride, t.StorageOffset, len(data))
	}
	out := make([]T, n)
	idx := make([]int, len(t.Size))
	for i := range out {
		src := t.StorageOffset
		for d, k := range idx {
			src += k * t.Stride[d]
		}
		out[i] = data[src]
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < t.Size[d] {
				break
			}
			idx[d] = 0
		}
	}
	return out, nil
}

// materialize copies a tensor view into a contiguous Tensor.
func materialize(t *pytorch.Tensor) (*Tensor, error) {
	out := &Tensor{Shape: make([]int64, len(t.Size))}
	for i, d := range t.Size {
		out.Shape[i] = int64(d)
	}
	var err error
	switch st := t.Source.(type) {
	case *pytorch.FloatStorage:
		out.DType = Float32
		out.F32, err = gather(st.Data, t)
	case *pytorch.DoubleStorage:
		out.DType = Float64
		out.F64, err = gather(st.Data, t)
	case *pytorch.LongStorage:
		out.DType = Int64
		out.I64, err = gather(st.Data, t)
	case *pytorch.IntStorage:
		var i32 []int32
		if i32, err = gather(st.Data, t); err == nil {
			out.DType, out.I64 = Int64, make([]int64, len(i32))
			for i, v := range i32 {
				out.I64[i] = int64(v)
			}
		}
	default:
		err = fmt.Errorf("unsupported storage %T", t.Source)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// collect adds the tensors and numeric attributes of a module object (and
// its submodules, recursively) to w.
func collect(w *Weights, prefix string, obj *torchModule, depth int) error {
	if depth > 64 {
		return fmt.Errorf("module tree deeper than 64 at %q", prefix)
	}
	d, ok := obj.state.(*types.Dict)
	if !ok {
		return fmt.Errorf("module %q (%s) has state %T, want a dict", prefix, obj.class, obj.state)
	}
	for _, e := range *d {
		key, ok := e.Key.(string)
		if !ok {
			continue
		}
		name := prefix + key
		var t *Tensor
		switch v := e.Value.(type) {
		case *pytorch.Tensor:
			var err error
			if t, err = materialize(v); err != nil {
				return fmt.Errorf("tensor %q: %w", name, err)
			}
		case *torchModule:
			if err := collect(w, name+".", v, depth+1); err != nil {
				return err
			}
		case int:
			t = &Tensor{DType: Int64, Shape: []int64{}, I64: []int64{int64(v)}}
		case float64:
			t = &Tensor{DType: Float64, Shape: []int64{}, F64: []float64{v}}
		case *types.List:
			ints := make([]int64, v.Len())
			for i, x := range *v {
				var n int
				if n, ok = x.(int); !ok {
					break
				}
				ints[i] = int64(n)
			}
			if ok && len(ints) > 0 {
				t = &Tensor{DType: Int64, Shape: []int64{int64(len(ints))}, I64: ints}
			}
		}
		if t != nil {
			if _, dup := w.Tensors[name]; dup {
				return fmt.Errorf("duplicate state dict entry %q", name)
			}
			w.Tensors[name] = t
		}
	}
	return nil
}
