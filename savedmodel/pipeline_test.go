package savedmodel

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/cpu"

	"github.com/maskgit-go/maskgit/inpaint"
	"github.com/maskgit-go/maskgit/pipeline"
)

// pipelineJobs are n 16x16 images with a rectangular hole each.
func pipelineJobs(n int) []pipeline.Job {
	jobs := make([]pipeline.Job, n)
	for i := range jobs {
		img := image.NewRGBA(image.Rect(0, 0, 16, 16))
		m := inpaint.NewMask(16, 16)
		for p := 0; p < 256; p++ {
			x, y := p%16, p/16
			img.Set(x, y, color.RGBA{uint8(16 * x), uint8(16 * y), uint8(50*i + 3*x*y), 255})
			m.Hole[p] = x >= 3 && x < 11 && y >= 2+i && y < 9+i
		}
		jobs[i] = pipeline.Job{Image: img, Mask: m, Index: uint64(i)}
	}
	return jobs
}

// TestLoadPipelineSameAsModelDir exports a tiny model with its own
// settings and checks that the SavedModel loads with the same settings and
// configurations and inpaints and generates the same pixels as the model
// directory; so does a SavedModel exported from the SavedModel.
func TestLoadPipelineSameAsModelDir(t *testing.T) {
	modelDir := tinyModel(t)
	want := pipeline.Settings{Schedule: "linear", TotalIter: 5, SweetSpot: 4, Temperature: 2, Order: "confidence",
		Sample: true, Dilate: true, Composite: "hard", Prefill: "grey", Seed: 3, Note: "test settings"}
	if err := pipeline.WriteSettings(modelDir, want); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out, again := filepath.Join(dir, "export"), filepath.Join(dir, "again")
	if err := Export(modelDir, out, ExportOptions{Threads: 1}); err != nil {
		t.Fatal(err)
	}
	cfg, err := ReadConfig(out)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Settings != want || cfg.Resolution != 16 || cfg.Grid != 4 || cfg.Codes != 16 || cfg.MaskID != 16 || cfg.ImageRange != [2]float32{-1, 1} {
		t.Errorf("exported config %+v", cfg)
	}
	// Re-export from the SavedModel itself (its variables are a checkpoint).
	if err := Export(out, again, ExportOptions{Threads: 1}); err != nil {
		t.Fatal(err)
	}
	load := func(dir string) *pipeline.Model {
		m, err := LoadPipeline(dir, pipeline.Options{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m
	}
	ref := load(modelDir)
	jobs := pipelineJobs(3)
	for _, name := range []string{out, again} {
		m := load(name)
		if m.Settings != want {
			t.Errorf("%s: settings %+v, want %+v", name, m.Settings, want)
		}
		if m.Tokenizer.Cfg.Resolution != 16 || m.Transformer.Cfg.Positions != 16 {
			t.Errorf("%s: configs %+v %+v", name, m.Tokenizer.Cfg, m.Transformer.Cfg)
		}
		if m.Transformer.Checkpoint != filepath.Join(name, "variables", "variables") {
			t.Errorf("%s: checkpoint %q", name, m.Transformer.Checkpoint)
		}
		opt, err := m.Settings.Options(2)
		if err != nil {
			t.Fatal(err)
		}
		opt.Decode.SaveSteps = true
		a, err := ref.Inpaint(context.Background(), jobs, opt)
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.Inpaint(context.Background(), jobs, opt)
		if err != nil {
			t.Fatal(err)
		}
		for i := range a {
			if !bytes.Equal(a[i].Image.Pix, b[i].Image.Pix) || !bytes.Equal(a[i].StepStrip.Pix, b[i].StepStrip.Pix) || a[i].Unknown0 != b[i].Unknown0 {
				t.Errorf("%s: inpainted image %d differs from the model directory's", name, i)
			}
		}
		gopt := pipeline.GenerateOptions{Decode: opt.Decode, Seed: 4}
		ga, err := ref.Generate(context.Background(), 2, gopt)
		if err != nil {
			t.Fatal(err)
		}
		gb, err := m.Generate(context.Background(), 2, gopt)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ga {
			if !bytes.Equal(ga[i].Image.Pix, gb[i].Image.Pix) {
				t.Errorf("%s: generated image %d differs from the model directory's", name, i)
			}
		}
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if err := m.Close(); err != nil {
			t.Errorf("second close: %v", err)
		}
		if _, err := m.Inpaint(context.Background(), jobs[:1], opt); err == nil {
			t.Error("inpaint after close: no error")
		}
	}
}

func TestLoadPipelineRefuses(t *testing.T) {
	// The unsafe-op check applies.
	_, err := LoadPipeline(filepath.Join("testdata", "tf_readfile"), pipeline.Options{Threads: 1})
	var ue *UnsafeOpsError
	if !errors.As(err, &ue) {
		t.Errorf("unsafe SavedModel: err = %v, want an UnsafeOpsError", err)
	}
	// A safe SavedModel that is not a maskgit export.
	_, err = LoadPipeline(filepath.Join("testdata", "tf_affine"), pipeline.Options{Threads: 1})
	if err == nil || !strings.Contains(err.Error(), "not a maskgit export") {
		t.Errorf("foreign SavedModel: err = %v", err)
	}
	// pipeline.Load names the loader that reads SavedModels.
	_, err = pipeline.Load(filepath.Join("testdata", "tf_affine"), pipeline.Options{Threads: 1})
	if err == nil || !strings.Contains(err.Error(), "savedmodel.LoadPipeline") {
		t.Errorf("pipeline.Load of a SavedModel: err = %v", err)
	}
	// Not a directory at all.
	if _, err := LoadPipeline(filepath.Join(t.TempDir(), "nope"), pipeline.Options{}); err == nil {
		t.Error("missing directory: no error")
	}
}

// TestLoadPipelineBFloat16: a SavedModel's one session runs in bfloat16
// for both parts or neither; asking for one part is an error naming it.
// On a CPU with AVX512F the bfloat16 session's logits differ from float32
// ones by a bfloat16-sized amount (the option reached the session).
func TestLoadPipelineBFloat16(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "export")
	if err := Export(tinyModel(t), dir, ExportOptions{Threads: 1}); err != nil {
		t.Fatal(err)
	}
	for _, opt := range []pipeline.Options{{BFloat16Transformer: true}, {BFloat16Tokenizer: true}} {
		_, err := LoadPipeline(dir, opt)
		if err == nil || !strings.Contains(err.Error(), "both or neither") || !strings.Contains(err.Error(), opt.BFloat16()) {
			t.Errorf("bfloat16 %s on a SavedModel: err = %v, want an error naming it", opt.BFloat16(), err)
		}
	}
	logits := func(opt pipeline.Options) []float32 {
		m, err := LoadPipeline(dir, opt)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		tokens := make([]int32, 2*16)
		for i := range tokens {
			tokens[i] = int32(i*7) % 17 // some [MASK] (16)
		}
		l, err := m.Transformer.Predict(context.Background(), tokens, 2)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	f32 := logits(pipeline.Options{Threads: 1})
	b16 := logits(pipeline.Options{Threads: 1, BFloat16Tokenizer: true, BFloat16Transformer: true})
	if runtime.GOARCH != "amd64" || !cpu.X86.HasAVX512F {
		t.Skip("TensorFlow's oneDNN bfloat16 rewrite needs an x86 CPU with AVX512F")
	}
	d, scale := 0.0, 0.0
	for i := range f32 {
		d = max(d, math.Abs(float64(f32[i]-b16[i])))
		scale = max(scale, math.Abs(float64(f32[i])))
	}
	t.Logf("logits max |Δ| %.3g, max |logit| %.3g", d, scale)
	if d == 0 || d > 5e-2*scale {
		t.Errorf("bfloat16 SavedModel: logits max |Δ| %g from float32 (max |logit| %g): want 0 < |Δ| ≤ 5%%", d, scale)
	}
}
