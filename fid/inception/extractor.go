package inception

import (
	"errors"
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// DefaultBatchSize is the number of images per session run when
// Options.BatchSize is 0 (pytorch-fid's default batch size).
const DefaultBatchSize = 50

// Options configure an Extractor.
type Options struct {
	// BatchSize is the number of images run through the network at once
	// (0 means DefaultBatchSize). Features do not depend on it.
	BatchSize int
}

// Extractor computes pytorch-fid's 2048-d InceptionV3 pool3 features with a
// TensorFlow session. Features may be called from several goroutines at
// once, but not concurrently with Close, which releases the session.
type Extractor struct {
	graph  *tf.Graph
	sess   *tfmodel.Session
	input  tf.Output
	output tf.Output
	batch  int
}

// NewExtractor loads a weights file (see EnsureWeights, ConvertTorchScript)
// and builds the feature graph.
func NewExtractor(weightsPath string, opts Options) (*Extractor, error) {
	w, err := ReadWeights(weightsPath)
	if err != nil {
		return nil, err
	}
	e, err := NewExtractorFromWeights(w, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", weightsPath, err)
	}
	return e, nil
}

// NewExtractorFromWeights builds the feature graph from a state dict.
func NewExtractorFromWeights(w *Weights, opts Options) (*Extractor, error) {
	if opts.BatchSize < 0 {
		return nil, fmt.Errorf("inception: batch size %d < 0", opts.BatchSize)
	}
	if opts.BatchSize == 0 {
		opts.BatchSize = DefaultBatchSize
	}
	s := op.NewScope()
	input := op.Placeholder(s.SubScope("images"), tf.Float, op.PlaceholderShape(tf.MakeShape(-1, -1, -1, 3)))
	output := BuildFeatures(s.SubScope("inception"), input, w)
	g, err := s.Finalize()
	if err != nil {
		return nil, fmt.Errorf("inception graph: %w", err)
	}
	sess, err := tfmodel.NewSession(g, tfmodel.SessionOptions{})
	if err != nil {
		return nil, fmt.Errorf("inception session: %w", err)
	}
	return &Extractor{graph: g, sess: sess, input: input, output: output, batch: opts.BatchSize}, nil
}

// Close releases the session. It is safe to call more than once.
func (e *Extractor) Close() error {
	if e == nil || e.sess == nil {
		return nil
	}
	err := e.sess.Close()
	e.sess = nil
	e.graph = nil
	return err
}

// Features returns the features of n RGB images of height×width pixels,
// given as uint8 NHWC (n·height·width·3 bytes, values 0..255, like a
// decoded PNG). Pixels are scaled by 1/255 as torchvision's ToTensor does.
func (e *Extractor) Features(images []uint8, n, height, width int) ([][]float32, error) {
	if err := checkDims(len(images), n, height, width); err != nil {
		return nil, err
	}
	per := height * width * 3
	return e.run(n, height, width, func(buf []float32, first, count int) {
		src := images[first*per : (first+count)*per]
		for i, v := range src {
			buf[i] = float32(v) / 255
		}
	})
}

// FeaturesFloat is Features for float32 NHWC images with values in [0, 1].
func (e *Extractor) FeaturesFloat(images []float32, n, height, width int) ([][]float32, error) {
	if err := checkDims(len(images), n, height, width); err != nil {
		return nil, err
	}
	per := height * width * 3
	return e.run(n, height, width, func(buf []float32, first, count int) {
		copy(buf, images[first*per:(first+count)*per])
	})
}

func checkDims(length, n, height, width int) error {
	if n < 0 || height < 1 || width < 1 {
		return fmt.Errorf("inception: bad image batch n=%d height=%d width=%d", n, height, width)
	}
	if length != n*height*width*3 {
		return fmt.Errorf("inception: %d values for %d RGB images of %dx%d, want %d", length, n, height, width, n*height*width*3)
	}
	return nil
}

// run feeds the images batch by batch; fill writes images [first,
// first+count) as float32 in [0, 1] into buf.
func (e *Extractor) run(n, height, width int, fill func(buf []float32, first, count int)) ([][]float32, error) {
	if e.sess == nil {
		return nil, errors.New("inception: Features on a closed Extractor")
	}
	out := make([][]float32, 0, n)
	per := height * width * 3
	buf := make([]float32, min(n, e.batch)*per)
	for first := 0; first < n; first += e.batch {
		count := min(e.batch, n-first)
		fill(buf, first, count)
		in, err := float32Tensor(buf[:count*per], int64(count), int64(height), int64(width), 3)
		if err != nil {
			return nil, err
		}
		res, err := e.sess.Run(map[tf.Output]*tf.Tensor{e.input: in}, []tf.Output{e.output}, nil)
		if err != nil {
			return nil, fmt.Errorf("inception: images %d..%d: %w", first, first+count-1, err)
		}
		feats, ok := res[0].Value().([][]float32)
		if !ok || len(feats) != count {
			return nil, fmt.Errorf("inception: unexpected output %v", res[0].Shape())
		}
		out = append(out, feats...)
	}
	return out, nil
}
