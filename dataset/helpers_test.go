package dataset

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// pattern is the test image the golden script builds (formula_image in
// scripts/dataset_golden.py).
func pattern(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetRGBA(x, y, color.RGBA{
				R: uint8((3*x + 2*y) % 256),
				G: uint8((x * y / 7) % 256),
				B: uint8(255 * ((x/10 + y/10) % 2)),
				A: 255,
			})
		}
	}
	return img
}

// solid is a w x h image of one colour.
func solid(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		copy(img.Pix[4*i:], []uint8{c.R, c.G, c.B, c.A})
	}
	return img
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func pngBytes(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func jpegBytes(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fixture is a small image folder:
//
//	a.png        64x64 PNG, pattern
//	b.jpg        64x64 JPEG, solid grey
//	c.txt        text, ignored
//	d_wide.png   100x80 PNG, pattern (cropped and resized)
//	noext        64x64 PNG without extension (found by its signature)
//	sub/e.PNG    64x64 PNG, solid red, upper-case extension
//	sub/deep/f.jpeg 64x64 JPEG, solid blue
//	.hidden.png  ignored (dot file)
//
// With bad, it also holds z_corrupt.png, a PNG signature followed by junk.
func fixture(t testing.TB, bad bool) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.png"), pngBytes(t, pattern(64, 64)))
	writeFile(t, filepath.Join(dir, "b.jpg"), jpegBytes(t, solid(64, 64, color.RGBA{100, 100, 100, 255})))
	writeFile(t, filepath.Join(dir, "c.txt"), []byte("not an image\n"))
	writeFile(t, filepath.Join(dir, "d_wide.png"), pngBytes(t, pattern(100, 80)))
	writeFile(t, filepath.Join(dir, "noext"), pngBytes(t, solid(64, 64, color.RGBA{0, 255, 0, 255})))
	writeFile(t, filepath.Join(dir, "sub", "e.PNG"), pngBytes(t, solid(64, 64, color.RGBA{255, 0, 0, 255})))
	writeFile(t, filepath.Join(dir, "sub", "deep", "f.jpeg"), jpegBytes(t, solid(64, 64, color.RGBA{0, 0, 255, 255})))
	writeFile(t, filepath.Join(dir, ".hidden.png"), pngBytes(t, solid(8, 8, color.RGBA{1, 2, 3, 255})))
	if bad {
		writeFile(t, filepath.Join(dir, "z_corrupt.png"), append(append([]byte{}, pngSignature...), "junk, not a PNG"...))
	}
	return dir
}

// fixtureFiles is the sorted listing of fixture(t, false).
func fixtureFiles() []string {
	return []string{"a.png", "b.jpg", "d_wide.png", "noext", "sub/deep/f.jpeg", "sub/e.PNG"}
}

// sharedCatFaces returns the cat-face folder or skips the test.
func sharedCatFaces(t testing.TB) string {
	t.Helper()
	d, err := CatFacesDir()
	if err != nil {
		t.Skipf("shared data absent (set %s or put it at ../shared): %v", SharedEnv, err)
	}
	return d
}
