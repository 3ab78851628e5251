package fid

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// This file is a minimal NumPy .npy codec: enough to exchange statistics
// with pytorch-fid (float64 C-order arrays) and to read the golden test data.
// Writing: format version 1.0, '<f8' or '<i8', C order.
// Reading: versions 1.0–3.0; '<f8', '<f4', '<i8' and '|u1' (all returned as
// float64); C order, or Fortran order for at most two dimensions.

const (
	npyMagic = "\x93NUMPY"
	// npyMaxElems bounds what a reader allocates for one array (2 GiB of
	// float64), so a corrupt header cannot exhaust memory.
	npyMaxElems = 1 << 28
)

// ndarray is a decoded .npy array: its shape and its values in C order.
type ndarray struct {
	shape []int
	data  []float64
}

// writeNPY writes data with the given shape as a version 1.0 .npy array of
// dtype descr ("<f8" or "<i8"; for "<i8" the values must be integers).
func writeNPY(w io.Writer, descr string, shape []int, data []float64) error {
	n := 1
	for _, s := range shape {
		if s < 0 {
			return fmt.Errorf("negative dimension in shape %v", shape)
		}
		n *= s
	}
	if n != len(data) {
		return fmt.Errorf("shape %v needs %d values, have %d", shape, n, len(data))
	}
	dims := make([]string, len(shape))
	for i, s := range shape {
		dims[i] = strconv.Itoa(s)
	}
	tuple := "(" + strings.Join(dims, ", ") + ")"
	if len(shape) == 1 {
		tuple = "(" + dims[0] + ",)"
	}
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, tuple)
	// Pad with spaces and end with '\n' so the data starts 64-byte aligned.
	total := len(npyMagic) + 2 + 2 + len(header) + 1
	header += strings.Repeat(" ", (64-total%64)%64) + "\n"
	if len(header) > math.MaxUint16 {
		return fmt.Errorf("npy header too long (%d bytes)", len(header))
	}
	buf := make([]byte, 0, len(npyMagic)+4+len(header)+8*len(data))
	buf = append(buf, npyMagic...)
	buf = append(buf, 1, 0)
	buf = binary.LittleEndian.AppendUint16(buf, uint16(len(header)))
	buf = append(buf, header...)
	switch descr {
	case "<f8":
		for _, v := range data {
			buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(v))
		}
	case "<i8":
		for _, v := range data {
			if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
				return fmt.Errorf("value %v is not an integer for dtype <i8", v)
			}
			buf = binary.LittleEndian.AppendUint64(buf, uint64(int64(v)))
		}
	default:
		return fmt.Errorf("unsupported npy dtype %q for writing", descr)
	}
	_, err := w.Write(buf)
	return err
}

// readNPY decodes one .npy array.
func readNPY(r io.Reader) (ndarray, error) {
	pre := make([]byte, len(npyMagic)+2)
	if _, err := io.ReadFull(r, pre); err != nil {
		return ndarray{}, fmt.Errorf("reading npy preamble: %w", err)
	}
	if string(pre[:len(npyMagic)]) != npyMagic {
		return ndarray{}, errors.New("not a .npy array (bad magic)")
	}
	var hlen int
	switch major := pre[len(npyMagic)]; major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return ndarray{}, fmt.Errorf("reading npy header length: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return ndarray{}, fmt.Errorf("reading npy header length: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return ndarray{}, fmt.Errorf("unsupported npy format version %d.%d", major, pre[len(npyMagic)+1])
	}
	if hlen > 1<<20 {
		return ndarray{}, fmt.Errorf("npy header length %d is implausible", hlen)
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return ndarray{}, fmt.Errorf("reading npy header: %w", err)
	}
	descr, fortran, shape, err := parseNPYHeader(string(hb))
	if err != nil {
		return ndarray{}, err
	}
	n := 1
	for _, s := range shape {
		if s < 0 || (s > 0 && n > npyMaxElems/s) {
			return ndarray{}, fmt.Errorf("npy shape %v is too large", shape)
		}
		n *= s
	}
	var size int
	var decode func(b []byte) float64
	switch descr {
	case "<f8":
		size, decode = 8, func(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) }
	case "<f4":
		size, decode = 4, func(b []byte) float64 { return float64(math.Float32frombits(binary.LittleEndian.Uint32(b))) }
	case "<i8":
		size, decode = 8, func(b []byte) float64 { return float64(int64(binary.LittleEndian.Uint64(b))) }
	case "|u1":
		size, decode = 1, func(b []byte) float64 { return float64(b[0]) }
	default:
		return ndarray{}, fmt.Errorf("unsupported npy dtype %q (want <f8, <f4, <i8 or |u1)", descr)
	}
	raw := make([]byte, n*size)
	if _, err := io.ReadFull(r, raw); err != nil {
		return ndarray{}, fmt.Errorf("reading npy data (%d values of %s): %w", n, descr, err)
	}
	data := make([]float64, n)
	for i := range data {
		data[i] = decode(raw[i*size : (i+1)*size])
	}
	if fortran && len(shape) == 2 {
		rows, cols := shape[0], shape[1]
		c := make([]float64, n)
		for i := 0; i < rows; i++ {
			for j := 0; j < cols; j++ {
				c[i*cols+j] = data[j*rows+i]
			}
		}
		data = c
	} else if fortran && len(shape) > 2 {
		return ndarray{}, fmt.Errorf("npy arrays in Fortran order with %d dimensions are not supported", len(shape))
	}
	return ndarray{shape: shape, data: data}, nil
}

// parseNPYHeader reads the dict literal of a .npy header, for example
// {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }.
func parseNPYHeader(h string) (descr string, fortran bool, shape []int, err error) {
	value := func(key string) (string, error) {
		k := "'" + key + "':"
		i := strings.Index(h, k)
		if i < 0 {
			return "", fmt.Errorf("npy header %q has no %s", strings.TrimSpace(h), key)
		}
		return strings.TrimSpace(h[i+len(k):]), nil
	}
	v, err := value("descr")
	if err != nil {
		return "", false, nil, err
	}
	if len(v) < 2 || v[0] != '\'' || strings.IndexByte(v[1:], '\'') < 0 {
		return "", false, nil, fmt.Errorf("npy header: bad descr in %q", h)
	}
	descr = v[1 : 1+strings.IndexByte(v[1:], '\'')]
	if v, err = value("fortran_order"); err != nil {
		return "", false, nil, err
	}
	switch {
	case strings.HasPrefix(v, "True"):
		fortran = true
	case strings.HasPrefix(v, "False"):
	default:
		return "", false, nil, fmt.Errorf("npy header: bad fortran_order in %q", h)
	}
	if v, err = value("shape"); err != nil {
		return "", false, nil, err
	}
	end := strings.IndexByte(v, ')')
	if !strings.HasPrefix(v, "(") || end < 0 {
		return "", false, nil, fmt.Errorf("npy header: bad shape in %q", h)
	}
	shape = []int{}
	for _, f := range strings.Split(v[1:end], ",") {
		f = strings.TrimSuffix(strings.TrimSpace(f), "L")
		if f == "" {
			continue
		}
		s, err := strconv.Atoi(f)
		if err != nil || s < 0 {
			return "", false, nil, fmt.Errorf("npy header: bad dimension %q in %q", f, h)
		}
		shape = append(shape, s)
	}
	return descr, fortran, shape, nil
}
