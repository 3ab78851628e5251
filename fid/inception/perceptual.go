package inception

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// DefaultPerceptualSize is the side BuildPerceptual resizes images to when
// given 0: twice the tokenizer's 64x64 images, so the first stage's maps
// (61x61) keep the pixels' detail.
const DefaultPerceptualSize = 128

// MinPerceptualSize is the smallest side the stem's VALID convolutions
// and max pools leave a map of at least 1x1 after Conv2d_4a's pool.
const MinPerceptualSize = 27

// perceptualStages are the network's first blocks, as BuildFeatures runs
// them, in the three stages BuildPerceptual compares: the stem up to
// Conv2d_2b (64 channels), up to Conv2d_4a (192) and Mixed_5b (256).
var perceptualStages = [][]string{
	{"conv", "conv_1", "conv_2"},
	{"pool0", "conv_3", "conv_4"},
	{"pool1", "mixed"},
}

// BuildPerceptual adds a perceptual distance between two batches of images
// to the graph of s: a and b, float32 [N, H, W, 3] RGB in [-1, 1] (the
// tokenizer's range), are resized to size x size (bilinear, half-pixel
// centers; 0: DefaultPerceptualSize) and run through the first three
// stages of pytorch-fid's InceptionV3 (the stem to Conv2d_2b, to
// Conv2d_4a, and Mixed_5b; weights as in BuildFeatures). At each stage the
// feature vector of every position is scaled to unit length over the
// channels, as LPIPS does, and the squared distance between a's and b's is
// summed over the channels and averaged over images and positions; the
// result is the sum over the three stages, a float32 scalar in [0, 12].
//
// It is a training loss (maskgit train-tokenizer --perceptual): it is
// differentiable in a and b, and it never reaches the pool3 features FID
// is computed on. a and b run through the network as one batch.
func BuildPerceptual(s *op.Scope, a, b tf.Output, w *Weights, size int64) tf.Output {
	if s.Err() != nil {
		return tf.Output{}
	}
	if size == 0 {
		size = DefaultPerceptualSize
	}
	if size < MinPerceptualSize {
		s.UpdateErr("inception", fmt.Errorf("perceptual size %d is below %d", size, MinPerceptualSize))
		return tf.Output{}
	}
	bl := &builder{w: w}
	pre := s.SubScope("preprocess")
	both := op.ConcatV2(pre.SubScope("both"), []tf.Output{a, b}, op.Const(pre.SubScope("axis"), int32(0)))
	x := op.ResizeBilinear(pre, both, op.Const(pre.SubScope("size"), []int32{int32(size), int32(size)}),
		op.ResizeBilinearHalfPixelCenters(true))
	n := op.Slice(pre.SubScope("n"), op.Shape(pre, a, op.ShapeOutType(tf.Int32)),
		op.Const(pre.SubScope("begin"), []int32{0}), op.Const(pre.SubScope("len"), []int32{1}))
	sizes := op.ConcatV2(pre.SubScope("sizes"), []tf.Output{n, n}, op.Const(pre.SubScope("axis0"), int32(0)))

	var terms []tf.Output
	for i, stage := range perceptualStages {
		for _, name := range stage {
			switch name {
			case "pool0", "pool1":
				x = maxPool(s.SubScope(name), x, 2, "VALID")
			case "mixed":
				x = bl.inceptionA(s, name, x)
			default:
				x = bl.conv(s, name, x)
			}
		}
		if s.Err() != nil {
			return tf.Output{}
		}
		terms = append(terms, stageDistance(s.SubScope(fmt.Sprintf("distance%d", i)), x, sizes))
	}
	return op.AddN(s.SubScope("perceptual"), terms)
}

// stageDistance is the mean over images and positions of
// Σ_c (f̂_a − f̂_b)², with f̂ = f/√(Σ_c f² + 1e-12) the features scaled to
// unit length over the channels; x holds a's features then b's, split by
// sizes.
func stageDistance(s *op.Scope, x, sizes tf.Output) tf.Output {
	channels := op.Const(s.SubScope("channels"), []int32{3})
	sq := op.Sum(s.SubScope("sq"), op.Square(s, x), channels, op.SumKeepDims(true))
	unit := op.Mul(s, x, op.Rsqrt(s, op.AddV2(s.SubScope("eps"), sq, op.Const(s.SubScope("tiny"), float32(1e-12)))))
	parts := op.SplitV(s, unit, sizes, op.Const(s.SubScope("split_axis"), int32(0)), 2)
	d := op.Sum(s.SubScope("sum"), op.SquaredDifference(s, parts[0], parts[1]), channels)
	return op.Mean(s.SubScope("mean"), d, op.Const(s.SubScope("axes"), []int32{0, 1, 2}))
}
