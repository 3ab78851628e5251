package masks

import (
	"bytes"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/inpaint"
)

func TestGenerateBoundsAndDeterminism(t *testing.T) {
	cases := []struct {
		style Style
		opt   Options
	}{
		{Strokes, DefaultOptions(Strokes)},
		{Box, DefaultOptions(Box)},
		{Blob, DefaultOptions(Blob)},
		{Strokes, Options{W: 64, H: 64, MinHole: 0.05, MaxHole: 0.06}},
		{Strokes, Options{W: 32, H: 48, MinHole: 0.5, MaxHole: 0.7}},
		{Box, Options{W: 64, H: 64, MinHole: 0.25, MaxHole: 0.25}},
		{Box, Options{W: 16, H: 8, MinHole: 0.9, MaxHole: 0.95}},
		{Blob, Options{W: 64, H: 64, MinHole: 0.125, MaxHole: 0.125}},
		{Blob, Options{W: 20, H: 10, MinHole: 0.01, MaxHole: 0.99}},
	}
	for _, c := range cases {
		t.Run(string(c.style), func(t *testing.T) {
			lo, hi, err := c.opt.holeRange()
			if err != nil {
				t.Fatal(err)
			}
			counts := map[int]bool{}
			for i := uint64(0); i < 40; i++ {
				m, err := Generate(c.style, c.opt, Rand(5, i))
				if err != nil {
					t.Fatal(err)
				}
				if m.W != c.opt.W || m.H != c.opt.H || len(m.Hole) != m.W*m.H {
					t.Fatalf("mask %d: %dx%d with %d pixels", i, m.W, m.H, len(m.Hole))
				}
				if h := m.Holes(); h < lo || h > hi {
					t.Errorf("mask %d: %d holes (%.3f), want %d…%d", i, h, Fraction(m), lo, hi)
				}
				counts[m.Holes()] = true
				again, err := Generate(c.style, c.opt, Rand(5, i))
				if err != nil {
					t.Fatal(err)
				}
				if !equal(m, again) {
					t.Errorf("mask %d differs between two draws with the same seed", i)
				}
			}
			if hi-lo > 40 && len(counts) < 10 {
				t.Errorf("only %d distinct hole counts in 40 masks over %d…%d", len(counts), lo, hi)
			}
			a, _ := Generate(c.style, c.opt, Rand(5, 0))
			b, _ := Generate(c.style, c.opt, Rand(6, 0))
			if equal(a, b) && c.opt.W*c.opt.H > 200 {
				t.Error("seeds 5 and 6 drew the same mask")
			}
		})
	}
}

func equal(a, b *inpaint.Mask) bool {
	if a.W != b.W || a.H != b.H {
		return false
	}
	for i := range a.Hole {
		if a.Hole[i] != b.Hole[i] {
			return false
		}
	}
	return true
}

func TestBadOptions(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name  string
		style Style
		opt   Options
		want  string
	}{
		{"zero size", Strokes, Options{W: 0, H: 64, MinHole: 0.1, MaxHole: 0.2}, "both sides must be positive"},
		{"min above max", Blob, Options{W: 64, H: 64, MinHole: 0.3, MaxHole: 0.2}, "want 0 < min ≤ max < 1"},
		{"zero min", Box, Options{W: 64, H: 64, MinHole: 0, MaxHole: 0.2}, "want 0 < min ≤ max < 1"},
		{"max one", Box, Options{W: 64, H: 64, MinHole: 0.5, MaxHole: 1}, "want 0 < min ≤ max < 1"},
		{"no whole count", Strokes, Options{W: 4, H: 4, MinHole: 0.51, MaxHole: 0.55}, "no whole number"},
		{"no box", Box, Options{W: 5, H: 5, MinHole: 0.44, MaxHole: 0.44}, "found no rectangle"},
		{"unknown style", Style("disc"), DefaultOptions(Strokes), "unknown style"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Generate(c.style, c.opt, r)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
	if _, err := Generate(Strokes, DefaultOptions(Strokes), nil); err == nil {
		t.Error("nil rand: no error")
	}
}

func TestParseStyle(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Style
		ok   bool
	}{{"strokes", Strokes, true}, {" Box ", Box, true}, {"BLOB", Blob, true}, {"stroke", "", false}, {"", "", false}} {
		got, err := ParseStyle(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseStyle(%q) = %q, %v", c.in, got, err)
		}
	}
}

func TestSeriesIndependentOfCount(t *testing.T) {
	short, err := Series(Strokes, DefaultOptions(Strokes), 9, 2)
	if err != nil {
		t.Fatal(err)
	}
	long, err := Series(Strokes, DefaultOptions(Strokes), 9, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(long) != 5 || !equal(short[0], long[0]) || !equal(short[1], long[1]) {
		t.Error("the first masks of a series depend on its length")
	}
	if equal(long[0], long[1]) {
		t.Error("masks 0 and 1 of a series are equal")
	}
}

func TestWriteDirLabFormat(t *testing.T) {
	ms, err := Series(Blob, DefaultOptions(Blob), 3, 3)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "mask64")
	paths, err := WriteDir(dir, ms)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 {
		t.Errorf("%d files in %s, want 3 (no temporary files left)", len(entries), dir)
	}
	for i, p := range paths {
		if filepath.Base(p) != FileName(i) || FileName(i) != "mask_00"+string(rune('0'+i))+".png" {
			t.Errorf("path %d is %s", i, p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := img.(*image.Gray); !ok {
			t.Errorf("%s decodes as %T, want 8-bit greyscale", p, img)
		}
		back, nonBinary, err := inpaint.ReadMask(p, 64, 64)
		if err != nil {
			t.Fatal(err)
		}
		if nonBinary != 0 {
			t.Errorf("%s: %d pixels neither 0 nor 255", p, nonBinary)
		}
		if !equal(back, ms[i]) {
			t.Errorf("%s does not read back as the mask written (0 = hole)", p)
		}
	}
	if err := Write(filepath.Join(dir, "bad.png"), &inpaint.Mask{W: 2, H: 2}); err == nil {
		t.Error("malformed mask written")
	}
}

// TestMasked: hole pixels are the lab's grey, the others are the input's,
// read from the input's bounds' origin.
func TestMasked(t *testing.T) {
	img := image.NewRGBA(image.Rect(5, 7, 8, 9)) // 3x2, not at the origin
	for i := range img.Pix {
		img.Pix[i] = uint8(10 + i)
	}
	m := inpaint.NewMask(3, 2)
	m.Hole[1], m.Hole[5] = true, true
	out := Masked(img, m)
	if out.Bounds() != image.Rect(0, 0, 3, 2) {
		t.Fatalf("bounds %v", out.Bounds())
	}
	for p := 0; p < 6; p++ {
		x, y := p%3, p/3
		got, in := out.RGBAAt(x, y), img.RGBAAt(5+x, 7+y)
		want := in
		if m.Hole[p] {
			want.R, want.G, want.B, want.A = 128, 128, 128, 255
		}
		if got != want {
			t.Errorf("pixel (%d,%d) = %v, want %v", x, y, got, want)
		}
	}
}
