package replicate

import (
	"bytes"
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
)

// Import copies graph src into dst under name prefix prefix, placing every
// node of src that has no device on device (TensorFlow's C API gradients
// carry no device, so this is how a replica's backward pass lands on its
// device). inputs maps tensors of src (placeholders, variable reads) to
// tensors of dst that replace them. It returns the tensors of dst that
// correspond to outputs of src.
func Import(dst, src *tf.Graph, prefix, device string, inputs map[tf.Output]tf.Output, outputs []tf.Output) ([]tf.Output, error) {
	var def bytes.Buffer
	if _, err := src.WriteTo(&def); err != nil {
		return nil, fmt.Errorf("replica %s: %w", prefix, err)
	}
	opts := tf.GraphImportOptions{Prefix: prefix, Device: device}
	for from, to := range inputs {
		if from.Op == nil || to.Op == nil {
			return nil, fmt.Errorf("replica %s: input mapping with a nil tensor", prefix)
		}
		opts.AddInputMapping(from.Op.Name(), from.Index, to)
	}
	if err := dst.ImportWithOptions(def.Bytes(), opts); err != nil {
		return nil, fmt.Errorf("replica %s on %s: %w", prefix, device, err)
	}
	out := make([]tf.Output, len(outputs))
	for i, o := range outputs {
		name := prefix + "/" + o.Op.Name()
		op := dst.Operation(name)
		if op == nil {
			return nil, fmt.Errorf("replica %s: no operation %s after import", prefix, name)
		}
		out[i] = op.Output(o.Index)
	}
	return out, nil
}
