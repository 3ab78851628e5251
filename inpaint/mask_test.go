package inpaint

import (
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMaskFromImageThreshold(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 6, 1))
	vals := []uint8{0, 255, 127, 128, 1, 254}
	for x, v := range vals {
		img.SetGray(x, 0, color.Gray{Y: v})
	}
	m, nonBinary := MaskFromImage(img)
	if want := []bool{true, false, true, false, true, false}; !slices.Equal(m.Hole, want) {
		t.Errorf("holes = %v, want %v (value < 128 is a hole)", m.Hole, want)
	}
	if nonBinary != 4 {
		t.Errorf("nonBinary = %d, want 4 (127, 128, 1, 254)", nonBinary)
	}
	if m.Holes() != 3 {
		t.Errorf("Holes() = %d, want 3", m.Holes())
	}
}

func TestReadMask(t *testing.T) {
	dir := t.TempDir()
	img := image.NewGray(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	img.SetGray(3, 5, color.Gray{})
	img.SetGray(4, 5, color.Gray{Y: 100})
	good := filepath.Join(dir, "mask.png")
	writePNG(t, good, img)

	m, nonBinary, err := ReadMask(good, 8, 8)
	if err != nil {
		t.Fatal(err)
	}
	if nonBinary != 1 || m.Holes() != 2 || !m.Hole[5*8+3] || !m.Hole[5*8+4] {
		t.Errorf("ReadMask: nonBinary %d, holes %d (want 1, 2 at (3,5),(4,5))", nonBinary, m.Holes())
	}

	notPNG := filepath.Join(dir, "mask.txt")
	if err := os.WriteFile(notPNG, []byte("not an image"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		w, h       int
		wantIn     []string
	}{
		{"size mismatch", good, 64, 64, []string{good, "8x8", "64x64"}},
		{"not an image", notPNG, 8, 8, []string{notPNG}},
		{"missing", filepath.Join(dir, "nope.png"), 8, 8, []string{"nope.png"}},
	}
	for _, tc := range tests {
		_, _, err := ReadMask(tc.path, tc.w, tc.h)
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, s := range tc.wantIn {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: error %q does not mention %q", tc.name, err, s)
			}
		}
	}
}

// pngHeader returns the start of a greyscale PNG of w×h pixels: the
// signature and a valid IHDR chunk, and no pixel data. A decoder that trusts
// it allocates w×h bytes before finding the body missing.
func pngHeader(w, h int) []byte {
	ihdr := make([]byte, 0, 13)
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, 8, 0, 0, 0, 0) // 8-bit greyscale, deflate, no interlace
	out := []byte("\x89PNG\r\n\x1a\n")
	out = binary.BigEndian.AppendUint32(out, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	out = append(out, chunk...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(chunk))
}

// TestReadMaskHeaderFirst checks that ReadMask refuses a file by the size in
// its header before decoding it: a tiny file declaring 20000x20000 pixels
// gets the size error (naming the file and both sizes), not a decode error
// after allocating 400 MB.
func TestReadMaskHeaderFirst(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	huge := write("huge.png", pngHeader(20000, 20000))
	overCap := write("over.png", pngHeader(10000, 10000))
	truncated := write("truncated.png", pngHeader(8, 8))
	tests := []struct {
		name, path string
		w, h       int
		wantIn     []string
		notIn      []string
	}{
		{"huge header, small want", huge, 64, 64, []string{huge, "20000x20000", "want 64x64", "nothing decoded"}, []string{"EOF"}},
		{"huge header, same want", overCap, 10000, 10000, []string{overCap, "10000x10000", "over the limit"}, []string{"EOF"}},
		{"right size, no body", truncated, 8, 8, []string{truncated, "EOF"}, []string{"want"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, _, err := ReadMask(tc.path, tc.w, tc.h)
			if err == nil {
				t.Fatalf("no error, a %dx%d mask", m.W, m.H)
			}
			for _, s := range tc.wantIn {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			for _, s := range tc.notIn {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q mentions %q", err, s)
				}
			}
		})
	}
}

// TestTokenMaskGolden compares with scripts/inpaint_golden.py (token_mask:
// any hole in the patch, optional scipy 3×3 binary dilation).
func TestTokenMaskGolden(t *testing.T) {
	g := loadGolden(t)
	if len(g.TokenMasks) == 0 {
		t.Fatal("golden has no token masks")
	}
	for _, c := range g.TokenMasks {
		m := NewMask(c.W, c.H)
		for i, h := range c.Hole {
			m.Hole[i] = h != 0
		}
		got, err := m.TokenMask(c.GridW, c.GridH, c.Dilate)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range c.TokenMask {
			if got[i] != (want != 0) {
				t.Errorf("%dx%d→%dx%d dilate=%v: token %d = %v, NumPy %v", c.W, c.H, c.GridW, c.GridH, c.Dilate, i, got[i], want != 0)
			}
		}
	}
}

func TestTokenMaskHand(t *testing.T) {
	// 8×8 pixels, 2×2 grid of 4×4 patches; one hole pixel at (5, 2) lies in
	// patch (1, 0) → token 1.
	m := NewMask(8, 8)
	m.Hole[2*8+5] = true
	got, err := m.TokenMask(2, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := []bool{false, true, false, false}; !slices.Equal(got, want) {
		t.Errorf("TokenMask = %v, want %v", got, want)
	}
	got, _ = m.TokenMask(2, 2, true) // dilation reaches every neighbour
	if want := []bool{true, true, true, true}; !slices.Equal(got, want) {
		t.Errorf("dilated TokenMask = %v, want %v", got, want)
	}
	for _, g := range [][2]int{{3, 3}, {2, 4}, {0, 2}} {
		if _, err := m.TokenMask(g[0], g[1], false); err == nil || !strings.Contains(err.Error(), "8x8") {
			t.Errorf("TokenMask(%d, %d) on 8x8: err = %v, want a size error", g[0], g[1], err)
		}
	}
}

func TestMaskTokens(t *testing.T) {
	got, err := MaskTokens([]int32{1, 2, 3}, []bool{false, true, false}, 9)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int32{1, 9, 3}; !slices.Equal(got, want) {
		t.Errorf("MaskTokens = %v, want %v", got, want)
	}
	if _, err := MaskTokens([]int32{1}, []bool{true, false}, 9); err == nil {
		t.Error("MaskTokens accepted mismatched lengths")
	}
}
