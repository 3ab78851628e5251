package savedmodel

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocPythonSnippet runs the TF Python block of docs/savedmodel.md on
// an export of a tiny model and checks the PNG it writes: the model's size,
// the known pixels kept.
func TestDocPythonSnippet(t *testing.T) {
	python := venvPython(t)
	doc, err := os.ReadFile(filepath.Join("..", "docs", "savedmodel.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```python\n")
	code, _, ok2 := strings.Cut(rest, "\n```")
	if !ok || !ok2 {
		t.Fatal("docs/savedmodel.md has no ```python block")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "export")
	if err := Export(tinyModel(t), out, ExportOptions{Threads: 1}); err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	mask := image.NewGray(image.Rect(0, 0, 16, 16))
	for p := 0; p < 256; p++ {
		x, y := p%16, p/16
		img.Set(x, y, color.RGBA{uint8(16 * x), uint8(16 * y), 90, 255})
		if x < 4 || x >= 10 || y < 5 || y >= 12 {
			mask.SetGray(x, y, color.Gray{255})
		}
	}
	script, imgPath, maskPath, result := filepath.Join(dir, "inpaint.py"), filepath.Join(dir, "img.png"), filepath.Join(dir, "mask.png"), filepath.Join(dir, "out.png")
	for path, im := range map[string]image.Image{imgPath: img, maskPath: mask} {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := png.Encode(f, im); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	if err := os.WriteFile(script, []byte(code+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, script, out, imgPath, maskPath, result)
	cmd.Env = append(os.Environ(), "TF_CPP_MIN_LOG_LEVEL=2", "CUDA_VISIBLE_DEVICES=")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the docs' Python snippet: %v\n%s", err, msg)
	}
	f, err := os.Open(result)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := got.Bounds(); b.Dx() != 16 || b.Dy() != 16 {
		t.Fatalf("result is %v", b)
	}
	for p := 0; p < 256; p++ {
		x, y := p%16, p/16
		r0, g0, b0, _ := img.At(x, y).RGBA()
		r1, g1, b1, _ := got.At(x, y).RGBA()
		if mask.GrayAt(x, y).Y == 255 && (r0 != r1 || g0 != g1 || b0 != b1) {
			t.Fatalf("known pixel (%d,%d) changed", x, y)
		}
	}
}
