package inpaint

import (
	"image"
	"image/color"
	"strings"
	"testing"
)

func TestComposite(t *testing.T) {
	const w, h = 5, 4
	// The input is offset and greyscale; known pixels must come through
	// exactly (as RGBA with R = G = B = Y).
	in := image.NewGray(image.Rect(10, 20, 10+w, 20+h))
	dec := image.NewRGBA(image.Rect(0, 0, w, h))
	m := NewMask(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			in.SetGray(10+x, 20+y, color.Gray{Y: uint8(17*x + 40*y)})
			dec.SetRGBA(x, y, color.RGBA{R: uint8(200 - x), G: 3, B: uint8(y), A: 255})
			m.Hole[y*w+x] = (x+y)%3 == 0
		}
	}
	out, err := Composite(in, dec, m)
	if err != nil {
		t.Fatal(err)
	}
	if out.Bounds() != image.Rect(0, 0, w, h) {
		t.Fatalf("bounds %v", out.Bounds())
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			got := out.RGBAAt(x, y)
			var want color.RGBA
			if m.Hole[y*w+x] {
				want = dec.RGBAAt(x, y)
			} else {
				g := in.GrayAt(10+x, 20+y).Y
				want = color.RGBA{g, g, g, 255}
			}
			if got != want {
				t.Errorf("pixel (%d,%d) hole=%v: %v, want %v", x, y, m.Hole[y*w+x], got, want)
			}
		}
	}

	tests := []struct {
		name    string
		in, dec image.Image
		m       *Mask
		want    string
	}{
		{"decoded too small", in, image.NewRGBA(image.Rect(0, 0, 4, 4)), m, "decoded 4x4"},
		{"mask too big", in, dec, NewMask(8, 8), "mask 8x8"},
		{"nil mask", in, dec, nil, "mask"},
		{"short mask", in, dec, &Mask{W: w, H: h}, "holds 0 pixels"},
	}
	for _, tc := range tests {
		if _, err := Composite(tc.in, tc.dec, tc.m); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}
