package inpaint

import (
	"image"
	"image/color"
	"strings"
	"testing"
)

// rampScene is a w x h image whose channels are linear in x and y (a
// harmonic function) with a rectangular hole [x0,x1) x [y0,y1) that touches
// no image border, its pixels scribbled with junk.
func rampScene(w, h, x0, y0, x1, y1 int) (*image.RGBA, *Mask) {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	m := NewMask(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{uint8(20 + 6*x), uint8(200 - 5*y), uint8(60 + 3*x + 4*y), 255}
			if x >= x0 && x < x1 && y >= y0 && y < y1 {
				m.Hole[y*w+x] = true
				c = color.RGBA{uint8(x * y), 255, 0, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img, m
}

func TestPrefillHarmonicReproducesRamp(t *testing.T) {
	const w, h = 20, 16
	img, m := rampScene(w, h, 4, 3, 15, 12)
	out, err := Prefill(PrefillHarmonic, img, m)
	if err != nil {
		t.Fatal(err)
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			got := out.RGBAAt(x, y)
			want := color.RGBA{uint8(20 + 6*x), uint8(200 - 5*y), uint8(60 + 3*x + 4*y), 255}
			if got != want {
				t.Errorf("pixel (%d,%d) hole=%v: %v, want %v", x, y, m.Hole[y*w+x], got, want)
			}
		}
	}
}

func TestPrefillModes(t *testing.T) {
	const w, h = 12, 10
	img, m := rampScene(w, h, 0, 2, 5, 7) // the hole touches the left border
	// Same known pixels, other junk in the hole: the result must not change.
	other := image.NewRGBA(img.Bounds())
	copy(other.Pix, img.Pix)
	for p, hole := range m.Hole {
		if hole {
			copy(other.Pix[4*p:4*p+4], []uint8{1, 2, 3, 255})
		}
	}
	for _, mode := range []PrefillMode{PrefillHarmonic, PrefillGrey} {
		a, err := Prefill(mode, img, m)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Prefill(mode, other, m)
		if err != nil {
			t.Fatal(err)
		}
		for p, hole := range m.Hole {
			pa, pb, pin := a.Pix[4*p:4*p+4], b.Pix[4*p:4*p+4], img.Pix[4*p:4*p+4]
			if string(pa) != string(pb) {
				t.Errorf("%v: pixel %d depends on the hole's content: %v vs %v", mode, p, pa, pb)
			}
			switch {
			case !hole && string(pa) != string(pin):
				t.Errorf("%v: known pixel %d changed: %v, want %v", mode, p, pa, pin)
			case hole && mode == PrefillGrey && string(pa) != string([]uint8{128, 128, 128, 255}):
				t.Errorf("grey: hole pixel %d is %v", p, pa)
			case hole && mode == PrefillHarmonic && string(pa) == string([]uint8{128, 128, 128, 255}):
				t.Errorf("harmonic: hole pixel %d left grey", p)
			}
		}
	}
	// A whole-image hole has no known pixels to interpolate: grey.
	all := NewMask(w, h)
	for i := range all.Hole {
		all.Hole[i] = true
	}
	out, err := Prefill(PrefillHarmonic, img, all)
	if err != nil {
		t.Fatal(err)
	}
	for p := range all.Hole {
		if got := out.Pix[4*p : 4*p+4]; string(got) != string([]uint8{128, 128, 128, 255}) {
			t.Fatalf("whole-image hole: pixel %d is %v, want grey", p, got)
		}
	}
}

func TestPrefillErrors(t *testing.T) {
	img, m := rampScene(8, 8, 2, 2, 5, 5)
	tests := []struct {
		name string
		mode PrefillMode
		img  image.Image
		m    *Mask
		want string
	}{
		{"nil image", PrefillHarmonic, nil, m, "needs an image"},
		{"nil mask", PrefillGrey, img, nil, "needs an image and a mask"},
		{"mask too big", PrefillHarmonic, img, NewMask(9, 8), "mask 9x8"},
		{"short mask", PrefillHarmonic, img, &Mask{W: 8, H: 8}, "holds 0 pixels"},
		{"bad mode", PrefillMode(7), img, m, "PrefillMode(7)"},
	}
	for _, tc := range tests {
		if _, err := Prefill(tc.mode, tc.img, tc.m); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}

func TestPrefillByName(t *testing.T) {
	for _, name := range PrefillNames() {
		mode, err := PrefillByName(name)
		if err != nil || mode.String() != name {
			t.Errorf("%q: %v, %v", name, mode, err)
		}
	}
	if PrefillNames()[0] != PrefillHarmonic.String() {
		t.Errorf("the default is not listed first: %v", PrefillNames())
	}
	if _, err := PrefillByName("gray"); err == nil || !strings.Contains(err.Error(), "harmonic, grey") {
		t.Errorf("unknown name: %v", err)
	}
}
