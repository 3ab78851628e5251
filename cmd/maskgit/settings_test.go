package main

import (
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/pipeline"
)

// TestInpaintUsesModelSettings: with no decoding flags, inpaint runs the
// model's own settings (inpaint.json); a flag given overrides only itself.
func TestInpaintUsesModelSettings(t *testing.T) {
	model, images, masks := labFixture(t)
	set := pipeline.DefaultSettings()
	set.TotalIter, set.SweetSpot, set.Composite, set.Schedule = 4, 2, "none", "square"
	if err := pipeline.WriteSettings(model, set); err != nil {
		t.Fatal(err)
	}
	run := func(extra ...string) (string, int) {
		t.Helper()
		out := filepath.Join(t.TempDir(), "out")
		args := append([]string{"inpaint", "--model", model, "--images", images, "--masks", masks, "--out", out, "--save-steps", "--threads", "1"}, extra...)
		code, stdout, stderr := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", extra, code, stderr)
		}
		strip := decodePNGFile(t, filepath.Join(out, "steps", "image_000_steps.png"))
		return stdout, strip.Bounds().Dx() / 16
	}
	stdout, steps := run()
	if steps != 2 || !strings.Contains(stdout, "square, T=4, sweet spot 2, composite none") {
		t.Errorf("model settings: %d steps, %q", steps, stdout)
	}
	stdout, steps = run("--sweet-spot", "3", "--composite", "hard")
	if steps != 3 || !strings.Contains(stdout, "square, T=4, sweet spot 3, composite hard") {
		t.Errorf("flags over model settings: %d steps, %q", steps, stdout)
	}
	// The model's T with a sweet spot past it is an error naming the settings.
	code, _, stderr := runCLI(t, "inpaint", "--model", model, "--images", images, "--masks", masks, "--out", t.TempDir(), "--sweet-spot", "5")
	if code != 2 || !strings.Contains(stderr, "inpaint.json") {
		t.Errorf("sweet spot past the model's T: exit %d, %q", code, stderr)
	}
	if err := os.WriteFile(filepath.Join(model, pipeline.SettingsFile), []byte(`{"composite": "feather"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "inpaint", "--model", model, "--images", images, "--masks", masks, "--out", t.TempDir())
	if code == 0 || !strings.Contains(stderr, "inpaint.json") || !strings.Contains(stderr, "feather") {
		t.Errorf("bad inpaint.json: exit %d, %q", code, stderr)
	}
	code, _, stderr = runCLI(t, "inpaint", "--model", model, "--images", images, "--masks", masks, "--out", t.TempDir(), "--composite", "blur")
	if code != 2 || !strings.Contains(stderr, "blur") {
		t.Errorf("bad --composite: exit %d, %q", code, stderr)
	}
}

// TestMasksBenchSet: masks --images writes a lab-layout benchmark folder
// whose images are the originals with grey holes, in numeric file order.
func TestMasksBenchSet(t *testing.T) {
	src := t.TempDir()
	for i, name := range []string{"10.png", "9.png", "8.png"} {
		img := image.NewRGBA(image.Rect(0, 0, 16, 16))
		for p := 0; p < 256; p++ {
			img.Set(p%16, p/16, color.RGBA{uint8(p), uint8(50 * i), 7, 255})
		}
		writeTestPNG(t, filepath.Join(src, name), img)
	}
	out := filepath.Join(t.TempDir(), "bench")
	code, stdout, stderr := runCLI(t, "masks", "--n", "3", "--size", "16", "--seed", "4", "--images", src, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "benchmark folder") {
		t.Errorf("stdout %q", stdout)
	}
	idx, err := readTestIndex(out)
	if err != nil {
		t.Fatal(err)
	}
	if idx["image_000.png"] != filepath.Join(out, "test", "8.png") || idx["image_002.png"] != filepath.Join(out, "test", "10.png") {
		t.Errorf("index %v: want numeric order 8, 9, 10", idx)
	}
	for i, truth := range []string{"8.png", "9.png", "10.png"} {
		masked := decodePNGFile(t, filepath.Join(out, "masked_image", "image_00"+string(rune('0'+i))+".png"))
		orig := decodePNGFile(t, filepath.Join(out, "test", truth))
		mask := decodePNGFile(t, filepath.Join(out, "mask64", "mask_00"+string(rune('0'+i))+".png"))
		holes := 0
		for p := 0; p < 256; p++ {
			x, y := p%16, p/16
			want := orig.At(x, y)
			if g := color.GrayModel.Convert(mask.At(x, y)).(color.Gray).Y; g == 0 {
				want = color.RGBA{128, 128, 128, 255}
				holes++
			}
			if !sameColor(masked.At(x, y), want) {
				t.Fatalf("image %d pixel (%d,%d): %v, want %v", i, x, y, masked.At(x, y), want)
			}
		}
		if holes == 0 {
			t.Errorf("mask %d has no hole", i)
		}
	}
	if code, _, stderr := runCLI(t, "masks", "--n", "4", "--size", "16", "--images", src, "--out", t.TempDir()); code != 2 || !strings.Contains(stderr, "fewer than --n") {
		t.Errorf("too few images: exit %d, %q", code, stderr)
	}
}
