package inpaint

import (
	"image"
	"image/color"
	"math"
	"strings"
	"testing"
)

func TestCompositeHard(t *testing.T) {
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
	out, err := Composite(CompositeHard, in, dec, m)
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
		if _, err := Composite(CompositeResidual, tc.in, tc.dec, tc.m); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}

// smoothScene is a test image with texture: a truth, and a decoded version
// that equals the truth plus a smooth colour shift.
func smoothScene(w, h int) (truth, decoded *image.RGBA) {
	truth = image.NewRGBA(image.Rect(0, 0, w, h))
	decoded = image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r := 100 + 40*math.Sin(float64(x)/3) + 20*math.Cos(float64(y)/2)
			g := 120 + 30*math.Cos(float64(x+y)/4)
			b := 90 + float64((x*7+y*3)%25)
			truth.SetRGBA(x, y, color.RGBA{uint8(r), uint8(g), uint8(b), 255})
			// The shift: a ramp in red, a constant in green, a gentle
			// sine in blue — smooth, so harmonic within a tolerance.
			sr := 25 + 0.3*float64(x) - 0.2*float64(y)
			sg := -30.0
			sb := 12 * math.Sin(float64(x)/40)
			decoded.SetRGBA(x, y, color.RGBA{uint8(r + sr), uint8(g + sg), uint8(b + sb), 255})
		}
	}
	return truth, decoded
}

func TestCompositeResidualRemovesSmoothShift(t *testing.T) {
	const w, h = 64, 64
	truth, dec := smoothScene(w, h)
	m := NewMask(w, h)
	input := image.NewRGBA(truth.Bounds())
	copy(input.Pix, truth.Pix)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x-30), float64(y-34)
			if dx*dx/300+dy*dy/120 < 1 || (x > 8 && x < 14 && y > 5 && y < 60) {
				m.Hole[y*w+x] = true
				input.SetRGBA(x, y, color.RGBA{128, 128, 128, 255}) // the lab's grey holes
			}
		}
	}
	meanErr := func(img *image.RGBA) float64 {
		s := 0.0
		for p, hole := range m.Hole {
			if hole {
				for c := 0; c < 3; c++ {
					s += math.Abs(float64(img.Pix[4*p+c]) - float64(truth.Pix[4*p+c]))
				}
			}
		}
		return s / float64(3*m.Holes())
	}
	hard, err := Composite(CompositeHard, input, dec, m)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Composite(CompositeResidual, input, dec, m)
	if err != nil {
		t.Fatal(err)
	}
	for p, hole := range m.Hole {
		if !hole && string(res.Pix[4*p:4*p+4]) != string(input.Pix[4*p:4*p+4]) {
			t.Fatalf("known pixel %d changed: %v, want %v", p, res.Pix[4*p:4*p+4], input.Pix[4*p:4*p+4])
		}
	}
	eh, er := meanErr(hard), meanErr(res)
	t.Logf("mean |error| in the hole: hard %.2f, residual %.2f (of 255)", eh, er)
	if eh < 15 {
		t.Fatalf("the scene's shift is too small to test (hard error %.2f)", eh)
	}
	// The remaining error is the rounding of the scene and the non-harmonic
	// part of the sine in blue.
	if er > 1.0 {
		t.Errorf("residual composite leaves a mean error of %.2f in the hole, want < 1", er)
	}
}

func TestCompositeModes(t *testing.T) {
	const w, h = 8, 8
	truth, dec := smoothScene(w, h)
	m := NewMask(w, h)
	m.Hole[3*w+3], m.Hole[3*w+4] = true, true
	none, err := Composite(CompositeNone, truth, dec, m)
	if err != nil {
		t.Fatal(err)
	}
	if string(none.Pix) != string(dec.Pix) {
		t.Error("composite none changed the decoded image")
	}
	// With no hole, every mode that keeps known pixels returns the input.
	for _, mode := range []CompositeMode{CompositeResidual, CompositeHard} {
		out, err := Composite(mode, truth, dec, NewMask(w, h))
		if err != nil {
			t.Fatal(err)
		}
		if string(out.Pix) != string(truth.Pix) {
			t.Errorf("%v with no hole is not the input", mode)
		}
	}
	// A whole-image hole has no boundary: residual falls back to the decoded image.
	all := NewMask(w, h)
	for i := range all.Hole {
		all.Hole[i] = true
	}
	out, err := Composite(CompositeResidual, truth, dec, all)
	if err != nil {
		t.Fatal(err)
	}
	if string(out.Pix) != string(dec.Pix) {
		t.Error("residual with a whole-image hole is not the decoded image")
	}
	if _, err := Composite(CompositeMode(7), truth, dec, m); err == nil {
		t.Error("unknown mode accepted")
	}
}

func TestCompositeByName(t *testing.T) {
	for i, name := range CompositeNames() {
		m, err := CompositeByName(name)
		if err != nil || int(m) != i || m.String() != name {
			t.Errorf("%q: %v, %v", name, m, err)
		}
	}
	if _, err := CompositeByName("feather"); err == nil || !strings.Contains(err.Error(), "residual, hard, none") {
		t.Errorf("unknown name: %v", err)
	}
}
