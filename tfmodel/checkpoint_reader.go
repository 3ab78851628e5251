package tfmodel

// #cgo LDFLAGS: -ltensorflow
// #include <stdlib.h>
// #include "tensorflow/c/c_api.h"
// #include "tensorflow/c/c_api_experimental.h"
import "C"

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"unsafe"

	tf "github.com/galeone/tensorflow/tensorflow/go"
)

// This file reads checkpoints with TensorFlow's own checkpoint reader
// (TF_NewCheckpointReader and friends in tensorflow/c/c_api_experimental.h),
// so that Restore can check names, dtypes and shapes before running
// RestoreV2 and report a mismatch by variable and path, and ListCheckpoint
// can work like tf.train.list_variables.

// CheckpointTensor describes one tensor stored in a checkpoint.
type CheckpointTensor struct {
	Name  string
	DType tf.DataType
	Shape []int64
}

// CheckpointReader reads the tensors of a checkpoint without a graph or a
// session. It is not safe for concurrent use.
type CheckpointReader struct {
	prefix string
	c      *C.TF_CheckpointReader
}

// OpenCheckpoint opens the checkpoint at prefix (the path without ".index").
// TensorFlow reads and checks the index now; tensor data is read (and its
// checksum verified) by Tensor.
func OpenCheckpoint(prefix string) (*CheckpointReader, error) {
	// Without its .index TensorFlow would try prefix as a V1 file pattern
	// and report that none matched; say what is missing instead.
	if _, err := os.Stat(prefix + ".index"); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("checkpoint %s: %s.index does not exist", prefix, prefix)
	} else if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", prefix, err)
	}
	cs := C.CString(prefix)
	defer C.free(unsafe.Pointer(cs))
	status := C.TF_NewStatus()
	defer C.TF_DeleteStatus(status)
	r := C.TF_NewCheckpointReader(cs, status)
	if err := statusErr(status); err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", prefix, err)
	}
	if r == nil {
		return nil, fmt.Errorf("checkpoint %s: TensorFlow returned no reader", prefix)
	}
	return &CheckpointReader{prefix: prefix, c: r}, nil
}

// Close releases the reader. It is safe to call twice.
func (r *CheckpointReader) Close() error {
	if r != nil && r.c != nil {
		C.TF_DeleteCheckpointReader(r.c)
		r.c = nil
	}
	return nil
}

func (r *CheckpointReader) open() error {
	if r == nil || r.c == nil {
		return errors.New("tfmodel: checkpoint reader is closed")
	}
	return nil
}

// Tensors lists the checkpoint's tensors, sorted by name.
func (r *CheckpointReader) Tensors() ([]CheckpointTensor, error) {
	if err := r.open(); err != nil {
		return nil, err
	}
	n := int(C.TF_CheckpointReaderSize(r.c))
	out := make([]CheckpointTensor, 0, n)
	for i := 0; i < n; i++ {
		name := C.GoString(C.TF_CheckpointReaderGetVariable(r.c, C.int(i)))
		e, err := r.describe(name)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Lookup returns the description of tensor name and whether it exists.
func (r *CheckpointReader) Lookup(name string) (CheckpointTensor, bool, error) {
	if err := r.open(); err != nil {
		return CheckpointTensor{}, false, err
	}
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	if C.TF_CheckpointReaderHasTensor(r.c, cs) == 0 {
		return CheckpointTensor{}, false, nil
	}
	e, err := r.describe(name)
	return e, err == nil, err
}

// describe reads the dtype and shape of tensor name (which exists).
func (r *CheckpointReader) describe(name string) (CheckpointTensor, error) {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	e := CheckpointTensor{Name: name, DType: tf.DataType(C.TF_CheckpointReaderGetVariableDataType(r.c, cs))}
	nd := int(C.TF_CheckpointReaderGetVariableNumDims(r.c, cs))
	if nd < 0 {
		return e, fmt.Errorf("checkpoint %s: tensor %q has unknown rank", r.prefix, name)
	}
	e.Shape = make([]int64, nd)
	if nd > 0 {
		status := C.TF_NewStatus()
		defer C.TF_DeleteStatus(status)
		C.TF_CheckpointReaderGetVariableShape(r.c, cs, (*C.int64_t)(unsafe.Pointer(&e.Shape[0])), C.int(nd), status)
		if err := statusErr(status); err != nil {
			return e, fmt.Errorf("checkpoint %s: shape of %q: %w", r.prefix, name, err)
		}
	}
	return e, nil
}

// Tensor reads the value of tensor name, checking its checksum. Only
// fixed-size dtypes (numbers and bools) are supported.
func (r *CheckpointReader) Tensor(name string) (*tf.Tensor, error) {
	if err := r.open(); err != nil {
		return nil, err
	}
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	status := C.TF_NewStatus()
	defer C.TF_DeleteStatus(status)
	t := C.TF_CheckpointReaderGetTensor(r.c, cs, status)
	if err := statusErr(status); err != nil {
		return nil, fmt.Errorf("checkpoint %s: reading %q: %w", r.prefix, name, err)
	}
	if t == nil {
		return nil, fmt.Errorf("checkpoint %s: reading %q: no tensor", r.prefix, name)
	}
	defer C.TF_DeleteTensor(t)
	dt := tf.DataType(C.TF_TensorType(t))
	shape := make([]int64, int(C.TF_NumDims(t)))
	for i := range shape {
		shape[i] = int64(C.TF_Dim(t, C.int(i)))
	}
	data := unsafe.Slice((*byte)(C.TF_TensorData(t)), int(C.TF_TensorByteSize(t)))
	out, err := tf.ReadTensor(dt, shape, bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: reading %q (%s): %w", r.prefix, name, dtypeName(dt), err)
	}
	return out, nil
}

// ListCheckpoint returns the tensors of the V2 checkpoint at prefix (the path
// without ".index"), sorted by name, like tf.train.list_variables.
func ListCheckpoint(prefix string) ([]CheckpointTensor, error) {
	r, err := OpenCheckpoint(prefix)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.Tensors()
}

// statusErr converts a TF_Status into an error (nil when it is OK).
func statusErr(s *C.TF_Status) error {
	if C.TF_GetCode(s) == C.TF_OK {
		return nil
	}
	return errors.New(C.GoString(C.TF_Message(s)))
}
