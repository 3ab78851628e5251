package main

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/graphs/transformer"
	"github.com/maskgit-go/maskgit/graphs/vqvae"
	"github.com/maskgit-go/maskgit/pipeline"
)

func writeTestPNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// labFixture writes an untrained 16x16 model and a lab-layout folder of
// two masked images with their masks.
func labFixture(t *testing.T) (model, images, masks string) {
	dir := t.TempDir()
	model = filepath.Join(dir, "model")
	tok := vqvae.Config{Resolution: 16, Grid: 4, Channels: []int64{8, 8, 8}, ResBlocks: 1, Groups: 4, Latent: 4, Codes: 16, Beta: 0.25, Normalize: true}
	tr := transformer.Config{Codes: 16, Positions: 16, Dim: 16, Layers: 1, Heads: 2, MLPDim: 32}
	if err := pipeline.WriteUntrained(model, tok, tr, 3); err != nil {
		t.Fatal(err)
	}
	images, masks = filepath.Join(dir, "masked_image"), filepath.Join(dir, "mask64")
	for i := 0; i < 2; i++ {
		img := image.NewRGBA(image.Rect(0, 0, 16, 16))
		m := image.NewGray(image.Rect(0, 0, 16, 16))
		for p := 0; p < 256; p++ {
			x, y := p%16, p/16
			img.Set(x, y, color.RGBA{uint8(16 * x), uint8(16 * y), uint8(40 * i), 255})
			m.SetGray(x, y, color.Gray{255})
			if x >= 4 && x < 12 && y >= 5+i && y < 10+i {
				m.SetGray(x, y, color.Gray{0})
				img.Set(x, y, color.RGBA{128, 128, 128, 255})
			}
		}
		writeTestPNG(t, filepath.Join(images, "image_00"+string(rune('0'+i))+".png"), img)
		writeTestPNG(t, filepath.Join(masks, "mask_00"+string(rune('0'+i))+".png"), m)
	}
	return model, images, masks
}

func TestInpaintCommand(t *testing.T) {
	model, images, masks := labFixture(t)
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runCLI(t, "inpaint", "--model", model, "--images", images, "--masks", masks, "--out", out,
		"--total-iter", "4", "--sweet-spot", "3", "--sample", "--save-steps", "--threads", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "inpainted 2 images") {
		t.Errorf("stdout %q", stdout)
	}
	for _, p := range []string{"image_000.png", "image_001.png", "steps/image_000_mask.png", "steps/image_001_steps.png"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("missing %s", p)
		}
	}
	f, _ := os.Open(filepath.Join(out, "steps", "image_000_steps.png"))
	strip, err := png.Decode(f)
	f.Close()
	if err != nil || strip.Bounds().Dx() != 3*16 {
		t.Errorf("step strip: %v %v (want 3 steps of 16 px: sweet spot 3)", strip, err)
	}

	// Bad input: a missing mask, a mask of the wrong size, a bad schedule.
	os.Remove(filepath.Join(masks, "mask_001.png"))
	code, _, stderr = runCLI(t, "inpaint", "--model", model, "--images", images, "--masks", masks, "--out", out)
	if code != 2 || !strings.Contains(stderr, "no mask for") || !strings.Contains(stderr, "image_001.png") {
		t.Errorf("missing mask: exit %d, %q", code, stderr)
	}
	writeTestPNG(t, filepath.Join(masks, "mask_001.png"), image.NewGray(image.Rect(0, 0, 8, 8)))
	code, _, stderr = runCLI(t, "inpaint", "--model", model, "--images", images, "--masks", masks, "--out", out)
	if code != 2 || !strings.Contains(stderr, "mask_001.png is 8x8") {
		t.Errorf("wrong-size mask: exit %d, %q", code, stderr)
	}
	code, _, stderr = runCLI(t, "inpaint", "--model", model, "--images", images, "--masks", masks, "--out", out, "--schedule", "bogus")
	if code != 2 || !strings.Contains(stderr, "bogus") {
		t.Errorf("bad schedule: exit %d, %q", code, stderr)
	}
}
