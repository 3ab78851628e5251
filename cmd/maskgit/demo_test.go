package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/inpaint"
)

func decodePNGFile(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

func sameColor(a, b color.Color) bool {
	r1, g1, b1, _ := a.RGBA()
	r2, g2, b2, _ := b.RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2
}

// checkDemoGrid checks the demo picture against the examples: its size,
// the grey holes of the input column, the mask column, and the result
// column keeping every known pixel of the example exactly.
func checkDemoGrid(t *testing.T, gridPath, examplesDir string, res, scale, steps int) {
	t.Helper()
	exs, err := listExamples(examplesDir)
	if err != nil {
		t.Fatal(err)
	}
	grid := decodePNGFile(t, gridPath)
	l := demoLayout{res: res, scale: scale, pad: 2 * scale, steps: steps}
	if grid.Bounds() != l.size(len(exs)) {
		t.Fatalf("%s is %v, want %v (%d rows, %d steps)", gridPath, grid.Bounds(), l.size(len(exs)), len(exs), steps)
	}
	grey := color.RGBA{128, 128, 128, 255}
	for row, e := range exs {
		img := decodePNGFile(t, e.image)
		m, _, err := inpaint.ReadMask(e.mask, res, res)
		if err != nil {
			t.Fatal(err)
		}
		kept, changed := 0, 0
		for y := 0; y < res; y++ {
			for x := 0; x < res; x++ {
				at := func(col int) color.Color {
					o := l.cellOrigin(row, col)
					return grid.At(o.X+x*scale+scale-1, o.Y+y*scale+scale-1)
				}
				hole := m.Hole[y*res+x]
				wantMask := color.Gray{255}
				if hole {
					wantMask = color.Gray{0}
				}
				if !sameColor(at(1), wantMask) {
					t.Fatalf("%s: mask cell at (%d,%d) is %v, want %v", e.name, x, y, at(1), wantMask)
				}
				if hole {
					if !sameColor(at(0), grey) {
						t.Fatalf("%s: input cell hole at (%d,%d) is %v, want grey", e.name, x, y, at(0))
					}
					if !sameColor(at(2), img.At(x, y)) {
						changed++
					}
					continue
				}
				if !sameColor(at(0), img.At(x, y)) || !sameColor(at(2), img.At(x, y)) {
					t.Fatalf("%s: known pixel (%d,%d) is %v in the input cell and %v in the result, want %v",
						e.name, x, y, at(0), at(2), img.At(x, y))
				}
				kept++
			}
		}
		if kept == 0 {
			t.Errorf("%s: no known pixels to check", e.name)
		}
		t.Logf("%s: %d known pixels kept, %d of %d hole pixels differ from the example", e.name, kept, changed, m.Holes())
	}
}

func TestDemoCommand(t *testing.T) {
	model, _, _ := labFixture(t)
	examples := filepath.Join(t.TempDir(), "examples")
	code, _, stderr := runCLI(t, "generate", "--model", model, "--n", "3", "--out", examples, "--with-masks", "blob",
		"--total-iter", "2", "--seed", "5", "--threads", "1")
	if code != 0 {
		t.Fatalf("making examples: exit %d: %s", code, stderr)
	}
	os.WriteFile(filepath.Join(examples, "README.md"), []byte("ignored"), 0o644)
	out := filepath.Join(t.TempDir(), "out", "demo.png")
	args := []string{"demo", "--model", model, "--examples", examples, "--out", out, "--seed", "3", "--total-iter", "4", "--threads", "1"}
	code, stdout, stderr := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	abs, _ := filepath.Abs(out)
	if !strings.Contains(stdout, "wrote "+abs) || !strings.Contains(stdout, "inpainted 3 examples") {
		t.Errorf("stdout %q", stdout)
	}
	checkDemoGrid(t, out, examples, 16, 2, 4)
	first, _ := os.ReadFile(out)
	if code, _, stderr := runCLI(t, args...); code != 0 {
		t.Fatalf("second run: exit %d: %s", code, stderr)
	}
	second, _ := os.ReadFile(out)
	if !bytes.Equal(first, second) {
		t.Error("two runs with seed 3 wrote different pictures")
	}

	// Bad input: a mask without its image, an image without its mask, an
	// empty folder, no model.
	os.Remove(filepath.Join(examples, "sample_001.png"))
	code, _, stderr = runCLI(t, args...)
	if code != 2 || !strings.Contains(stderr, "sample_001_mask.png has no image") {
		t.Errorf("orphan mask: exit %d, %q", code, stderr)
	}
	os.Remove(filepath.Join(examples, "sample_001_mask.png"))
	os.Remove(filepath.Join(examples, "sample_002_mask.png"))
	code, _, stderr = runCLI(t, args...)
	if code != 2 || !strings.Contains(stderr, "sample_002.png has no mask") {
		t.Errorf("missing mask: exit %d, %q", code, stderr)
	}
	empty := t.TempDir()
	code, _, stderr = runCLI(t, "demo", "--model", model, "--examples", empty, "--out", out)
	if code != 2 || !strings.Contains(stderr, "no examples in "+empty) {
		t.Errorf("empty folder: exit %d, %q", code, stderr)
	}
	// The test binary's folder and this package's folder hold no
	// models/catfaces64.
	code, _, stderr = runCLI(t, "demo", "--examples", examples, "--out", out)
	if code != 2 || !strings.Contains(stderr, "no shipped model at") || !strings.Contains(stderr, "pass --model") {
		t.Errorf("no model: exit %d, %q", code, stderr)
	}
}

func TestDemoLayout(t *testing.T) {
	l := demoLayout{res: 4, scale: 2, pad: 3, steps: 2}
	cases := []struct {
		row, col int
		want     image.Point
	}{
		{0, 0, image.Pt(3, 3)},
		{0, 1, image.Pt(3+8+3, 3)},
		{0, 2, image.Pt(3+2*(8+3), 3)},
		{1, 3, image.Pt(3+3*(8+3), 3+8+3)},
		{1, 4, image.Pt(3+3*(8+3)+8, 3+8+3)},
	}
	for _, c := range cases {
		if got := l.cellOrigin(c.row, c.col); got != c.want {
			t.Errorf("cellOrigin(%d, %d) = %v, want %v", c.row, c.col, got, c.want)
		}
	}
	if got, want := l.size(2), image.Rect(0, 0, 3+3*(8+3)+2*8+3, 3+2*(8+3)); got != want {
		t.Errorf("size(2) = %v, want %v", got, want)
	}
}
