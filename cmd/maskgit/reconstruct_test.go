package main

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReconstructCommand(t *testing.T) {
	model, images, _ := labFixture(t)
	out := filepath.Join(t.TempDir(), "rec")
	code, stdout, stderr := runCLI(t, "reconstruct", "--model", model, "--images", images, "--out", out, "--threads", "1")
	if code != 0 || !strings.Contains(stdout, "reconstructed 2 images") {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	f, err := os.Open(filepath.Join(out, "image_001.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil || img.Bounds() != image.Rect(0, 0, 16, 16) {
		t.Fatalf("output %v %v", img, err)
	}
	writeTestPNG(t, filepath.Join(images, "big.png"), image.NewRGBA(image.Rect(0, 0, 20, 20)))
	code, _, stderr = runCLI(t, "reconstruct", "--model", model, "--images", images, "--out", out)
	if code != 2 || !strings.Contains(stderr, "big.png is 20x20") {
		t.Errorf("wrong size: exit %d %q", code, stderr)
	}
}
