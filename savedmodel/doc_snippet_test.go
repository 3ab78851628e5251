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

// TestDocGoSnippet builds the tfgo block of docs/savedmodel.md as its own
// module (this module's dependency versions, no network) and runs it on an
// export of the shipped model, next to which it expects
// catfaces64.savedmodel.
func TestDocGoSnippet(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and links a TensorFlow program")
	}
	doc, err := os.ReadFile(filepath.Join("..", "docs", "savedmodel.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```go\npackage main")
	code, _, ok2 := strings.Cut(rest, "\n```")
	if !ok || !ok2 {
		t.Fatal("docs/savedmodel.md has no ```go block with a main package")
	}
	dir := t.TempDir()
	if err := Export(filepath.Join("..", "models", "catfaces64"), filepath.Join(dir, "catfaces64.savedmodel"), ExportOptions{Threads: 1}); err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join("..", "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	mod, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	_, reqs, _ := strings.Cut(string(mod), "\nrequire")
	goVersion := ""
	for _, l := range strings.Split(string(mod), "\n") {
		if v, ok := strings.CutPrefix(l, "go "); ok {
			goVersion = v
		}
	}
	files := map[string]string{
		"go.mod":  "module snippet\n\ngo " + goVersion + "\n\nrequire" + reqs,
		"go.sum":  string(sum),
		"main.go": "package main" + code + "\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	build := exec.Command("go", "build", "-mod=mod", "-o", "snippet", ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOPROXY=off", "GOFLAGS=-buildvcs=false")
	if msg, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the docs' Go snippet: %v\n%s", err, msg)
	}
	run := exec.Command(filepath.Join(dir, "snippet"))
	run.Dir = dir
	run.Env = append(os.Environ(), "TF_CPP_MIN_LOG_LEVEL=2")
	out, err := run.Output()
	if err != nil {
		t.Fatalf("the docs' Go snippet: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != "[1 16 16] [1 64 64 3]" {
		t.Errorf("the docs' Go snippet printed %q", got)
	}
}
