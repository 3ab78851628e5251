package inception

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/maskgit-go/maskgit/internal/atomicfile"
)

// DType is the element type of a Tensor.
type DType uint8

// Element types of a Tensor. The values are the codes of the weights file format.
const (
	Float32 DType = 1
	Int64   DType = 2
	Float64 DType = 3
)

func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Int64:
		return "int64"
	case Float64:
		return "float64"
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// Tensor is one named array of a state dict, stored contiguously in
// row-major (C) order. Exactly the slice matching DType is set.
type Tensor struct {
	DType DType
	Shape []int64
	F32   []float32
	F64   []float64
	I64   []int64
}

// NumElements is the product of the shape (1 for a scalar).
func (t *Tensor) NumElements() int64 {
	n := int64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

func (t *Tensor) length() int {
	switch t.DType {
	case Float32:
		return len(t.F32)
	case Float64:
		return len(t.F64)
	case Int64:
		return len(t.I64)
	}
	return -1
}

// Weights is a state dict: tensors (float parameters and buffers) and the
// integer / float attributes of the modules (a convolution's "stride",
// "padding"), named by their dotted module path as PyTorch's state_dict()
// names them, e.g. "net.layers.mixed_9.tower_conv.weight".
type Weights struct {
	// SourceSHA256 is the hex SHA-256 of the TorchScript file the weights
	// were read from.
	SourceSHA256 string
	Tensors      map[string]*Tensor
}

// Names returns the tensor names, sorted.
func (w *Weights) Names() []string {
	names := make([]string, 0, len(w.Tensors))
	for n := range w.Tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// The weights file format (all integers little-endian):
//
//	magic        8 bytes  "MGINCW01"
//	source hash  32 bytes SHA-256 of the TorchScript file converted
//	count        uint32   number of tensors
//	count times, in name order:
//	  name length uint16, name (UTF-8)
//	  dtype       uint8   1 float32, 2 int64, 3 float64
//	  rank        uint8
//	  dims        rank × int64
//	  data        product(dims) elements, little-endian, row-major
//	end          8 bytes  "MGINCEND"
const (
	weightsMagic = "MGINCW01"
	weightsEnd   = "MGINCEND"
	maxRank      = 8
)

// WriteWeights writes w to path in the weights file format, atomically (a
// temporary file in the same directory, then rename).
func WriteWeights(path string, w *Weights) (err error) {
	sum, err := hex.DecodeString(w.SourceSHA256)
	if err != nil || len(sum) != 32 {
		return fmt.Errorf("write %s: SourceSHA256 %q is not a hex SHA-256", path, w.SourceSHA256)
	}
	if len(w.Tensors) > math.MaxUint32 {
		return fmt.Errorf("write %s: too many tensors", path)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, 0o644, func(f io.Writer) error {
		bw := bufio.NewWriterSize(f, 1<<20)
		bw.WriteString(weightsMagic)
		bw.Write(sum)
		binary.Write(bw, binary.LittleEndian, uint32(len(w.Tensors)))
		for _, name := range w.Names() {
			if err := writeTensor(bw, name, w.Tensors[name]); err != nil {
				return err
			}
		}
		bw.WriteString(weightsEnd)
		return bw.Flush()
	})
}

func writeTensor(w *bufio.Writer, name string, t *Tensor) error {
	if len(name) == 0 || len(name) > math.MaxUint16 {
		return fmt.Errorf("tensor name %q: bad length", name)
	}
	if len(t.Shape) > maxRank {
		return fmt.Errorf("tensor %q: rank %d > %d", name, len(t.Shape), maxRank)
	}
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("tensor %q: negative dimension in %v", name, t.Shape)
		}
	}
	if int64(t.length()) != t.NumElements() {
		return fmt.Errorf("tensor %q: %s data has %d elements, shape %v needs %d", name, t.DType, t.length(), t.Shape, t.NumElements())
	}
	binary.Write(w, binary.LittleEndian, uint16(len(name)))
	w.WriteString(name)
	w.WriteByte(byte(t.DType))
	w.WriteByte(byte(len(t.Shape)))
	binary.Write(w, binary.LittleEndian, t.Shape)
	var buf [8]byte
	switch t.DType {
	case Float32:
		for _, v := range t.F32 {
			binary.LittleEndian.PutUint32(buf[:4], math.Float32bits(v))
			w.Write(buf[:4])
		}
	case Float64:
		for _, v := range t.F64 {
			binary.LittleEndian.PutUint64(buf[:], math.Float64bits(v))
			w.Write(buf[:])
		}
	case Int64:
		for _, v := range t.I64 {
			binary.LittleEndian.PutUint64(buf[:], uint64(v))
			w.Write(buf[:])
		}
	}
	return nil
}

// ReadWeights reads a weights file written by WriteWeights.
func ReadWeights(path string) (*Weights, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	w, err := parseWeights(data)
	if err != nil {
		return nil, fmt.Errorf("%s: not a valid inception weights file: %w", path, err)
	}
	return w, nil
}

// readSourceHash returns the source hash in the header of a weights file,
// after checking the header and end marker (cheap: reads 48 bytes).
func readSourceHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, len(weightsMagic)+32)
	if _, err := io.ReadFull(f, head); err != nil || string(head[:len(weightsMagic)]) != weightsMagic {
		return "", fmt.Errorf("%s: not a valid inception weights file: bad header", path)
	}
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	tail := make([]byte, len(weightsEnd))
	if _, err := f.ReadAt(tail, st.Size()-int64(len(tail))); err != nil || string(tail) != weightsEnd {
		return "", fmt.Errorf("%s: not a valid inception weights file: truncated", path)
	}
	return hex.EncodeToString(head[len(weightsMagic):]), nil
}

func parseWeights(data []byte) (*Weights, error) {
	r := bytes.NewReader(data)
	head := make([]byte, len(weightsMagic)+32)
	if _, err := io.ReadFull(r, head); err != nil || string(head[:len(weightsMagic)]) != weightsMagic {
		return nil, errors.New("bad header")
	}
	w := &Weights{SourceSHA256: hex.EncodeToString(head[len(weightsMagic):]), Tensors: map[string]*Tensor{}}
	var count uint32
	if err := binary.Read(r, binary.LittleEndian, &count); err != nil {
		return nil, errors.New("truncated header")
	}
	for i := uint32(0); i < count; i++ {
		name, t, err := readTensor(r)
		if err != nil {
			return nil, fmt.Errorf("tensor %d of %d: %w", i, count, err)
		}
		if _, dup := w.Tensors[name]; dup {
			return nil, fmt.Errorf("duplicate tensor %q", name)
		}
		w.Tensors[name] = t
	}
	end := make([]byte, len(weightsEnd))
	if _, err := io.ReadFull(r, end); err != nil || string(end) != weightsEnd {
		return nil, errors.New("missing end marker (truncated or corrupt)")
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("%d unexpected bytes after the end marker", r.Len())
	}
	return w, nil
}

func readTensor(r *bytes.Reader) (string, *Tensor, error) {
	var n uint16
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
		return "", nil, errors.New("truncated")
	}
	nb := make([]byte, n)
	if _, err := io.ReadFull(r, nb); err != nil {
		return "", nil, errors.New("truncated name")
	}
	name := string(nb)
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return "", nil, fmt.Errorf("%q: truncated", name)
	}
	t := &Tensor{DType: DType(hdr[0])}
	if hdr[1] > maxRank {
		return "", nil, fmt.Errorf("%q: rank %d > %d", name, hdr[1], maxRank)
	}
	t.Shape = make([]int64, hdr[1])
	if err := binary.Read(r, binary.LittleEndian, t.Shape); err != nil {
		return "", nil, fmt.Errorf("%q: truncated shape", name)
	}
	n64 := int64(1)
	for _, d := range t.Shape {
		if d < 0 || (d > 0 && n64 > int64(r.Len())/d) {
			return "", nil, fmt.Errorf("%q: bad shape %v", name, t.Shape)
		}
		n64 *= d
	}
	size := map[DType]int64{Float32: 4, Float64: 8, Int64: 8}[t.DType]
	if size == 0 {
		return "", nil, fmt.Errorf("%q: unknown dtype code %d", name, hdr[0])
	}
	if n64*size > int64(r.Len()) {
		return "", nil, fmt.Errorf("%q: truncated data", name)
	}
	raw := make([]byte, n64*size)
	io.ReadFull(r, raw)
	switch t.DType {
	case Float32:
		t.F32 = make([]float32, n64)
		for i := range t.F32 {
			t.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
	case Float64:
		t.F64 = make([]float64, n64)
		for i := range t.F64 {
			t.F64[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
		}
	case Int64:
		t.I64 = make([]int64, n64)
		for i := range t.I64 {
			t.I64[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
		}
	}
	return name, t, nil
}
