package ops

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// Padding modes of Conv2D, with TensorFlow's meaning.
const (
	Same  = "SAME"
	Valid = "VALID"
)

// Conv2D is a 2-D convolution over NHWC input x [B, H, W, C] with a square
// kernel×kernel window, equal strides in H and W and Same or Valid padding
// (TensorFlow's rules: Same pads the extra row/column at the bottom/right).
// Variables under s.SubScope(name): "kernel" [kernel, kernel, C, filters]
// (default tfmodel.GlorotUniform) and "bias" [filters] (zeros; see NoBias).
// C must be known. Dilations and explicit padding are not offered: the C++
// Conv2D gradient ignores them.
func Conv2D(s *op.Scope, vs *tfmodel.Store, name string, x tf.Output, filters, kernel, stride int64, padding string, opts ...Option) tf.Output {
	o := newOptions(opts)
	ls := s.SubScope(name)
	y := conv2D(ls, vs, x, filters, kernel, stride, padding, o)
	o.checkUsed(ls, "Conv2D")
	return y
}

func conv2D(ls *op.Scope, vs *tfmodel.Store, x tf.Output, filters, kernel, stride int64, padding string, o *options) tf.Output {
	if !checkFloat(ls, "Conv2D", vs, x) {
		return tf.Output{}
	}
	dims, ok := checkRank(ls, "Conv2D", x, 4, false, 3)
	if !ok {
		return tf.Output{}
	}
	switch {
	case filters <= 0 || kernel <= 0 || stride <= 0:
		fail(ls, "Conv2D", "filters, kernel and stride must be > 0, got %d, %d, %d", filters, kernel, stride)
		return tf.Output{}
	case padding != Same && padding != Valid:
		fail(ls, "Conv2D", "padding %q, want %q or %q", padding, Same, Valid)
		return tf.Output{}
	case padding == Valid && ((dims[1] >= 0 && dims[1] < kernel) || (dims[2] >= 0 && dims[2] < kernel)):
		fail(ls, "Conv2D", "input shape %v is smaller than the %dx%d kernel with VALID padding", dims, kernel, kernel)
		return tf.Output{}
	}
	k := o.variable(ls, vs, "kernel", []int64{kernel, kernel, dims[3], filters}, tfmodel.GlorotUniform())
	var b *tfmodel.Variable
	if !o.noBias {
		b = o.variable(ls, vs, "bias", []int64{filters}, tfmodel.Zeros())
	}
	if ls.Err() != nil {
		return tf.Output{}
	}
	y := op.Conv2D(ls, x, k.Value, []int64{1, stride, stride, 1}, padding)
	if b != nil {
		y = op.BiasAdd(ls, y, b.Value)
	}
	return y
}

// Upsample2x doubles the height and width of NHWC input x [B, H, W, C] by
// nearest-neighbour repetition (ResizeNearestNeighbor, align_corners and
// half_pixel_centers false: output pixel (i, j) copies input (i/2, j/2)).
// H and W must be known. It has no variables; its ops live under
// s.SubScope("upsample2x").
func Upsample2x(s *op.Scope, x tf.Output) tf.Output {
	ls := s.SubScope("upsample2x")
	if !checkFloat(ls, "Upsample2x", nil, x) {
		return tf.Output{}
	}
	dims, ok := checkRank(ls, "Upsample2x", x, 4, false, 1, 2)
	if !ok {
		return tf.Output{}
	}
	size := op.Const(ls.SubScope("size"), []int32{int32(2 * dims[1]), int32(2 * dims[2])})
	return op.ResizeNearestNeighbor(ls, x, size,
		op.ResizeNearestNeighborAlignCorners(false), op.ResizeNearestNeighborHalfPixelCenters(false))
}
