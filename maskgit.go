package maskgit

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"

	"github.com/maskgit-go/maskgit/inpaint"
	"github.com/maskgit-go/maskgit/pipeline"
	"github.com/maskgit-go/maskgit/savedmodel"
)

// ErrInput marks errors caused by the caller's image, mask or options.
var ErrInput = errors.New("maskgit: bad input")

// Settings are decoding and compositing settings: the fields of a model
// directory's inpaint.json (pipeline.Settings).
type Settings = pipeline.Settings

// Options configure Load.
type Options struct {
	// Threads sizes TensorFlow's thread pools (0: one thread per core).
	Threads int
	// Device places a model directory's graphs ("" or "/device:GPU:0");
	// a SavedModel's ops are placed by TensorFlow.
	Device string
	// BFloat16Tokenizer and BFloat16Transformer run that part in
	// bfloat16 mixed precision on the CPU (pipeline.Options): faster on
	// CPUs with AVX512_BF16 or AMX, results slightly different from
	// float32. A SavedModel takes both or neither. Off by default.
	BFloat16Tokenizer, BFloat16Transformer bool
}

// InpaintOptions configure one Inpaint call; the zero value uses the
// model's own settings.
type InpaintOptions struct {
	// Settings replace the model's settings (Model.Settings) when not nil.
	Settings *Settings
	// Index keys the image's random stream together with Settings.Seed:
	// the same image, mask, settings and Index give the same result.
	Index uint64
}

// Model is a loaded model. Its methods are safe for concurrent use; Close
// waits for calls in flight and is safe to call twice.
type Model struct {
	m    *pipeline.Model
	once sync.Once
	err  error
}

// Load opens a SavedModel written by `maskgit export` or a model directory.
func Load(path string, opt Options) (*Model, error) {
	if opt.Threads < 0 {
		return nil, fmt.Errorf("%w: Threads = %d, want >= 0", ErrInput, opt.Threads)
	}
	m, err := savedmodel.LoadPipeline(path, pipeline.Options{Threads: opt.Threads, Device: opt.Device,
		BFloat16Tokenizer: opt.BFloat16Tokenizer, BFloat16Transformer: opt.BFloat16Transformer})
	if err != nil {
		return nil, err
	}
	return &Model{m: m}, nil
}

// Resolution is the side of the square images the model takes, in pixels.
func (m *Model) Resolution() int { return int(m.m.Tokenizer.Cfg.Resolution) }

// Settings are the model's own settings (its best, as exported).
func (m *Model) Settings() Settings { return m.m.Settings }

// Inpaint fills the hole of img marked by mask (same size; grey < 128 =
// hole) and returns the result. ctx cancels the decoding between steps.
func (m *Model) Inpaint(ctx context.Context, img, mask image.Image, opt InpaintOptions) (*image.RGBA, error) {
	if img == nil || mask == nil {
		return nil, fmt.Errorf("%w: nil image or mask", ErrInput)
	}
	r := m.Resolution()
	if b := img.Bounds(); b.Dx() != r || b.Dy() != r {
		return nil, fmt.Errorf("%w: image is %dx%d, the model takes %dx%d", ErrInput, b.Dx(), b.Dy(), r, r)
	}
	if b := mask.Bounds(); b.Dx() != r || b.Dy() != r {
		return nil, fmt.Errorf("%w: mask is %dx%d, the image %dx%d", ErrInput, b.Dx(), b.Dy(), r, r)
	}
	hole, _ := inpaint.MaskFromImage(mask)
	if hole.Holes() == 0 {
		return nil, fmt.Errorf("%w: the mask has no hole (dark pixels)", ErrInput)
	}
	s := m.m.Settings
	if opt.Settings != nil {
		s = *opt.Settings
	}
	po, err := s.Options(1)
	if err != nil {
		return nil, fmt.Errorf("%w: settings: %v", ErrInput, err)
	}
	out, err := m.m.Inpaint(ctx, []pipeline.Job{{Image: img, Mask: hole, Index: opt.Index}}, po)
	if err != nil {
		return nil, err
	}
	return out[0].Image, nil
}

// Close releases the model.
func (m *Model) Close() error {
	m.once.Do(func() { m.err = m.m.Close() })
	return m.err
}
