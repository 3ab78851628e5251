package inception

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
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
	res := &torchResolver{files: files, prefix: prefix, storages: map[string]*torchStorage{}}
	root, err := unpickle(pkl, res)
	if err != nil {
		return nil, fmt.Errorf("%s/data.pkl: %w", prefix, err)
	}
	w := &Weights{SourceSHA256: hex.EncodeToString(sum[:]), Tensors: map[string]*Tensor{}}
	obj, ok := root.(*pyObject)
	if !ok {
		return nil, fmt.Errorf("%s/data.pkl holds a %T, want a module object", prefix, root)
	}
	if err := res.collect(w, "", obj, 0); err != nil {
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

// torchStorage is a persistent-id reference to data/<key>.
type torchStorage struct {
	dtype    DType
	elemSize int
	int32    bool
	key      string
	numel    int64
	data     []byte // loaded on first use
}

// torchTensor is the result of torch._utils._rebuild_tensor_v2.
type torchTensor struct {
	storage *torchStorage
	offset  int64
	size    []int64
	stride  []int64
}

type torchResolver struct {
	files    map[string]*zip.File
	prefix   string
	storages map[string]*torchStorage
}

func (r *torchResolver) persistentLoad(pid any) (any, error) {
	t, ok := pid.(pyTuple)
	if !ok || len(t) != 5 || t[0] != "storage" {
		return nil, fmt.Errorf("persistent id %v: want ('storage', type, key, location, numel)", pid)
	}
	typ, ok1 := t[1].(pyGlobal)
	key, ok2 := t[2].(string)
	numel, ok3 := t[4].(int64)
	if !ok1 || !ok2 || !ok3 || numel < 0 {
		return nil, fmt.Errorf("persistent id %v: want ('storage', type, key, location, numel)", pid)
	}
	if s, ok := r.storages[key]; ok {
		return s, nil
	}
	s := &torchStorage{key: key, numel: numel}
	switch typ {
	case pyGlobal{"torch", "FloatStorage"}:
		s.dtype, s.elemSize = Float32, 4
	case pyGlobal{"torch", "DoubleStorage"}:
		s.dtype, s.elemSize = Float64, 8
	case pyGlobal{"torch", "LongStorage"}:
		s.dtype, s.elemSize = Int64, 8
	case pyGlobal{"torch", "IntStorage"}:
		s.dtype, s.elemSize, s.int32 = Int64, 4, true
	default:
		return nil, fmt.Errorf("storage %s has unsupported type %s", key, typ)
	}
	r.storages[key] = s
	return s, nil
}

func (r *torchResolver) call(callable any, args pyTuple) (any, error) {
	g, ok := callable.(pyGlobal)
	if !ok {
		return nil, fmt.Errorf("REDUCE of a %T, want a global", callable)
	}
	switch {
	case g == pyGlobal{"torch._utils", "_rebuild_tensor_v2"}:
		return rebuildTensor(args)
	case g == pyGlobal{"collections", "OrderedDict"} && len(args) == 0:
		return newPyDict(), nil
	case g.module == "torch.jit._pickle" && strings.HasPrefix(g.name, "build_") && len(args) == 1:
		// build_intlist, build_doublelist, build_boollist, build_tensorlist: typed list markers.
		return args[0], nil
	case strings.HasPrefix(g.module, "__torch__"):
		return &pyObject{class: g, args: args}, nil
	}
	return nil, fmt.Errorf("unsupported callable %s in a TorchScript pickle", g)
}

func intTuple(v any) ([]int64, bool) {
	t, ok := v.(pyTuple)
	if !ok {
		return nil, false
	}
	out := make([]int64, len(t))
	for i, x := range t {
		if out[i], ok = x.(int64); !ok {
			return nil, false
		}
	}
	return out, true
}

func rebuildTensor(args pyTuple) (any, error) {
	if len(args) < 4 {
		return nil, fmt.Errorf("_rebuild_tensor_v2 with %d arguments", len(args))
	}
	st, ok := args[0].(*torchStorage)
	offset, ok2 := args[1].(int64)
	size, ok3 := intTuple(args[2])
	stride, ok4 := intTuple(args[3])
	if !ok || !ok2 || !ok3 || !ok4 || len(size) != len(stride) || offset < 0 {
		return nil, fmt.Errorf("_rebuild_tensor_v2%v: want (storage, offset, size, stride, ...)", args)
	}
	// Check that every element lies inside the storage.
	last := offset
	empty := false
	for i := range size {
		if size[i] < 0 || stride[i] < 0 {
			return nil, fmt.Errorf("tensor on storage %s: bad size %v / stride %v", st.key, size, stride)
		}
		if size[i] == 0 {
			empty = true
		} else {
			last += (size[i] - 1) * stride[i]
		}
	}
	if !empty && last >= st.numel {
		return nil, fmt.Errorf("tensor on storage %s (size %v, stride %v, offset %d) reads past its %d elements", st.key, size, stride, offset, st.numel)
	}
	return &torchTensor{storage: st, offset: offset, size: size, stride: stride}, nil
}

func (r *torchResolver) load(st *torchStorage) error {
	if st.data != nil {
		return nil
	}
	name := r.prefix + "/data/" + st.key
	f := r.files[name]
	if f == nil {
		return fmt.Errorf("storage %s is missing from the archive", name)
	}
	b, err := readZipFile(f)
	if err != nil {
		return err
	}
	if int64(len(b)) < st.numel*int64(st.elemSize) {
		return fmt.Errorf("storage %s has %d bytes, want %d", name, len(b), st.numel*int64(st.elemSize))
	}
	st.data = b
	return nil
}

// materialize copies a (possibly strided) tensor into a contiguous Tensor.
func (r *torchResolver) materialize(t *torchTensor) (*Tensor, error) {
	if err := r.load(t.storage); err != nil {
		return nil, err
	}
	st := t.storage
	out := &Tensor{DType: st.dtype, Shape: append([]int64{}, t.size...)}
	n := out.NumElements()
	switch st.dtype {
	case Float32:
		out.F32 = make([]float32, n)
	case Float64:
		out.F64 = make([]float64, n)
	case Int64:
		out.I64 = make([]int64, n)
	}
	idx := make([]int64, len(t.size))
	for i := int64(0); i < n; i++ {
		src := t.offset
		for d := range idx {
			src += idx[d] * t.stride[d]
		}
		b := st.data[src*int64(st.elemSize):]
		switch {
		case st.dtype == Float32:
			out.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(b))
		case st.dtype == Float64:
			out.F64[i] = math.Float64frombits(binary.LittleEndian.Uint64(b))
		case st.int32:
			out.I64[i] = int64(int32(binary.LittleEndian.Uint32(b)))
		default:
			out.I64[i] = int64(binary.LittleEndian.Uint64(b))
		}
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < t.size[d] {
				break
			}
			idx[d] = 0
		}
	}
	return out, nil
}

// collect adds the tensors and numeric attributes of a module object (and
// its submodules, recursively) to w.
func (r *torchResolver) collect(w *Weights, prefix string, obj *pyObject, depth int) error {
	if depth > 64 {
		return fmt.Errorf("module tree deeper than 64 at %q", prefix)
	}
	d, ok := obj.state.(*pyDict)
	if !ok {
		return fmt.Errorf("module %q (%s) has state %T, want a dict", prefix, obj.class, obj.state)
	}
	for _, k := range d.keys {
		key, ok := k.(string)
		if !ok {
			continue
		}
		name := prefix + key
		var t *Tensor
		switch v := d.values[k].(type) {
		case *torchTensor:
			var err error
			if t, err = r.materialize(v); err != nil {
				return fmt.Errorf("tensor %q: %w", name, err)
			}
		case *pyObject:
			if err := r.collect(w, name+".", v, depth+1); err != nil {
				return err
			}
		case int64:
			t = &Tensor{DType: Int64, Shape: []int64{}, I64: []int64{v}}
		case float64:
			t = &Tensor{DType: Float64, Shape: []int64{}, F64: []float64{v}}
		case *pyList:
			ints := make([]int64, len(v.items))
			for i, x := range v.items {
				if ints[i], ok = x.(int64); !ok {
					break
				}
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
