package maskgit

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"path/filepath"
	"testing"

	"github.com/maskgit-go/maskgit/graphs/transformer"
	"github.com/maskgit-go/maskgit/graphs/vqvae"
	"github.com/maskgit-go/maskgit/pipeline"
	"github.com/maskgit-go/maskgit/savedmodel"
)

// tinyExport writes an untrained 16x16 model and its SavedModel.
func tinyExport(t *testing.T) (model, saved string) {
	t.Helper()
	dir := t.TempDir()
	model, saved = filepath.Join(dir, "model"), filepath.Join(dir, "saved")
	tok := vqvae.Config{Resolution: 16, Grid: 4, Channels: []int64{8, 8, 8}, ResBlocks: 1, Groups: 4, Latent: 4, Codes: 16, Beta: 0.25, Normalize: true}
	tr := transformer.Config{Codes: 16, Positions: 16, Dim: 16, Layers: 1, Heads: 2, MLPDim: 32}
	if err := pipeline.WriteUntrained(model, tok, tr, 2); err != nil {
		t.Fatal(err)
	}
	if err := savedmodel.Export(model, saved, savedmodel.ExportOptions{Threads: 1}); err != nil {
		t.Fatal(err)
	}
	return model, saved
}

func testImage(r int) (*image.RGBA, *image.Gray) {
	img := image.NewRGBA(image.Rect(0, 0, r, r))
	mask := image.NewGray(image.Rect(0, 0, r, r))
	for y := 0; y < r; y++ {
		for x := 0; x < r; x++ {
			img.Set(x, y, color.RGBA{uint8(15 * x), uint8(15 * y), uint8(x * y), 255})
			if x < 5 || y < 6 || y > 12 {
				mask.Set(x, y, color.Gray{255})
			}
		}
	}
	return img, mask
}

func TestInpaintSavedModelAndModelDir(t *testing.T) {
	model, saved := tinyExport(t)
	img, mask := testImage(16)
	var outs [][]byte
	for _, p := range []string{model, saved} {
		m, err := Load(p, Options{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		s := m.Settings()
		s.Sample, s.TotalIter, s.Seed = true, 5, 9
		out, err := m.Inpaint(context.Background(), img, mask, InpaintOptions{Settings: &s, Index: 3})
		if err != nil {
			t.Fatal(err)
		}
		again, err := m.Inpaint(context.Background(), img, mask, InpaintOptions{Settings: &s, Index: 3})
		if err != nil || !bytes.Equal(out.Pix, again.Pix) {
			t.Errorf("%s: same call, other result (%v)", p, err)
		}
		outs = append(outs, out.Pix)
		if err := m.Close(); err != nil {
			t.Error(err)
		}
		if err := m.Close(); err != nil {
			t.Errorf("second close: %v", err)
		}
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Error("the SavedModel's result differs from the model directory's")
	}
}

func TestInpaintBadInput(t *testing.T) {
	_, saved := tinyExport(t)
	m, err := Load(saved, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	img, mask := testImage(16)
	big, bigMask := testImage(32)
	full := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := range full.Pix {
		full.Pix[i] = 255
	}
	bad := Settings{Schedule: "nope"}
	for name, call := range map[string]func() error{
		"image size": func() error { _, err := m.Inpaint(context.Background(), big, mask, InpaintOptions{}); return err },
		"mask size":  func() error { _, err := m.Inpaint(context.Background(), img, bigMask, InpaintOptions{}); return err },
		"no hole":    func() error { _, err := m.Inpaint(context.Background(), img, full, InpaintOptions{}); return err },
		"nil mask":   func() error { _, err := m.Inpaint(context.Background(), img, nil, InpaintOptions{}); return err },
		"settings": func() error {
			_, err := m.Inpaint(context.Background(), img, mask, InpaintOptions{Settings: &bad})
			return err
		},
	} {
		if err := call(); !errors.Is(err, ErrInput) {
			t.Errorf("%s: err = %v, want ErrInput", name, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := m.Inpaint(ctx, img, mask, InpaintOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "nope"), Options{}); err == nil {
		t.Error("missing model: no error")
	}
}

// TestLoadBFloat16 loads both kinds in bfloat16 (the options reach the
// loader: a SavedModel refuses one part alone) and inpaints with them.
func TestLoadBFloat16(t *testing.T) {
	model, saved := tinyExport(t)
	if _, err := Load(saved, Options{Threads: 1, BFloat16Transformer: true}); err == nil {
		t.Error("a SavedModel with the transformer alone in bfloat16: no error")
	}
	img, mask := testImage(16)
	for _, c := range []struct {
		path string
		opt  Options
	}{
		{model, Options{Threads: 1, BFloat16Transformer: true}},
		{saved, Options{Threads: 1, BFloat16Tokenizer: true, BFloat16Transformer: true}},
	} {
		m, err := Load(c.path, c.opt)
		if err != nil {
			t.Fatalf("%s %+v: %v", c.path, c.opt, err)
		}
		if _, err := m.Inpaint(context.Background(), img, mask, InpaintOptions{}); err != nil {
			t.Errorf("%s %+v: %v", c.path, c.opt, err)
		}
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	}
}
