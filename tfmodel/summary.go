package tfmodel

import (
	"fmt"
	"image"
	"os"
	"sync"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// EventWriter writes TensorBoard event files with TensorFlow's summary ops
// (CreateSummaryFileWriter, WriteScalarSummary, WriteImageSummary) from a
// small graph of its own, so model graphs stay free of logging ops.
// Values come from Go: losses fetched from a training step, images decoded
// for display. Close flushes and is safe to call twice.
type EventWriter struct {
	mu      sync.Mutex
	sess    *Session
	closed  bool
	step    tf.Output
	tag     tf.Output
	value   tf.Output
	images  tf.Output
	scalar  *tf.Operation
	img     *tf.Operation
	flush   *tf.Operation
	closeOp *tf.Operation
}

// NewEventWriter creates logdir and opens an event file in it.
func NewEventWriter(logdir string) (*EventWriter, error) {
	if err := os.MkdirAll(logdir, 0o755); err != nil {
		return nil, fmt.Errorf("event writer: %w", err)
	}
	s := op.NewScope()
	w := &EventWriter{}
	writer := s.AddOperation(tf.OpSpec{
		Type:  "SummaryWriter",
		Name:  "writer",
		Attrs: map[string]interface{}{"shared_name": "maskgit_events", "container": ""},
	})
	if s.Err() != nil {
		return nil, fmt.Errorf("event writer: %w", s.Err())
	}
	res := writer.Output(0)
	create := s.AddOperation(tf.OpSpec{
		Type: "CreateSummaryFileWriter",
		Name: "create",
		Input: []tf.Input{
			res,
			op.Const(s.SubScope("logdir"), logdir),
			op.Const(s.SubScope("max_queue"), int32(10)),
			op.Const(s.SubScope("flush_millis"), int32(10000)),
			op.Const(s.SubScope("suffix"), ".v2"),
		},
	})
	w.step = op.Placeholder(s.SubScope("step"), tf.Int64, op.PlaceholderShape(tf.ScalarShape()))
	w.tag = op.Placeholder(s.SubScope("tag"), tf.String, op.PlaceholderShape(tf.ScalarShape()))
	w.value = op.Placeholder(s.SubScope("value"), tf.Float, op.PlaceholderShape(tf.ScalarShape()))
	w.images = op.Placeholder(s.SubScope("images"), tf.Uint8, op.PlaceholderShape(tf.MakeShape(-1, -1, -1, 3)))
	w.scalar = op.WriteScalarSummary(s.SubScope("scalar"), res, w.step, w.tag, w.value)
	w.img = op.WriteImageSummary(s.SubScope("image"), res, w.step, w.tag, w.images,
		op.Const(s.SubScope("bad_color"), []uint8{255, 0, 0}), op.WriteImageSummaryMaxImages(16))
	w.flush = s.AddOperation(tf.OpSpec{Type: "FlushSummaryWriter", Name: "flush", Input: []tf.Input{res}})
	w.closeOp = s.AddOperation(tf.OpSpec{Type: "CloseSummaryWriter", Name: "close", Input: []tf.Input{res}})
	g, err := s.Finalize()
	if err != nil {
		return nil, fmt.Errorf("event writer graph: %w", err)
	}
	sess, err := NewSession(g, SessionOptions{})
	if err != nil {
		return nil, fmt.Errorf("event writer session: %w", err)
	}
	if _, err := sess.Run(nil, nil, []*tf.Operation{create}); err != nil {
		sess.Close()
		return nil, fmt.Errorf("event writer: open %s: %w", logdir, err)
	}
	w.sess = sess
	return w, nil
}

// Scalar records value under tag at step.
func (w *EventWriter) Scalar(step int64, tag string, value float64) error {
	feeds, err := w.feeds(step, tag)
	if err != nil {
		return err
	}
	v, _ := tf.NewTensor(float32(value))
	feeds[w.value] = v
	return w.run(feeds, w.scalar)
}

// Images records up to 16 images (all the same size) under tag at step.
func (w *EventWriter) Images(step int64, tag string, imgs []*image.RGBA) error {
	if len(imgs) == 0 {
		return nil
	}
	b := imgs[0].Bounds()
	h, wd := b.Dy(), b.Dx()
	buf := make([]uint8, 0, len(imgs)*h*wd*3)
	for i, im := range imgs {
		if im.Bounds().Dx() != wd || im.Bounds().Dy() != h {
			return fmt.Errorf("event writer: image %d is %v, want %dx%d", i, im.Bounds().Size(), wd, h)
		}
		for y := 0; y < h; y++ {
			for x := 0; x < wd; x++ {
				o := im.PixOffset(im.Rect.Min.X+x, im.Rect.Min.Y+y)
				buf = append(buf, im.Pix[o], im.Pix[o+1], im.Pix[o+2])
			}
		}
	}
	t, err := tf.NewTensor(buf)
	if err != nil {
		return err
	}
	if err := t.Reshape([]int64{int64(len(imgs)), int64(h), int64(wd), 3}); err != nil {
		return err
	}
	feeds, err := w.feeds(step, tag)
	if err != nil {
		return err
	}
	feeds[w.images] = t
	return w.run(feeds, w.img)
}

// Flush writes buffered events to disk.
func (w *EventWriter) Flush() error { return w.run(nil, w.flush) }

// Close flushes and closes the event file. Safe to call twice.
func (w *EventWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	_, err := w.sess.Run(nil, nil, []*tf.Operation{w.closeOp})
	if cerr := w.sess.Close(); err == nil {
		err = cerr
	}
	return err
}

func (w *EventWriter) feeds(step int64, tag string) (map[tf.Output]*tf.Tensor, error) {
	st, err := tf.NewTensor(step)
	if err != nil {
		return nil, err
	}
	tg, err := tf.NewTensor(tag)
	if err != nil {
		return nil, err
	}
	return map[tf.Output]*tf.Tensor{w.step: st, w.tag: tg}, nil
}

func (w *EventWriter) run(feeds map[tf.Output]*tf.Tensor, target *tf.Operation) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("event writer: closed")
	}
	_, err := w.sess.Run(feeds, nil, []*tf.Operation{target})
	return err
}
