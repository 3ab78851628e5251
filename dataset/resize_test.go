package dataset

import (
	"encoding/json"
	"image"
	"image/color"
	"os"
	"testing"
)

// TestSquareGolden compares the centre crop and CatmullRom resize with a
// NumPy re-implementation of x/image/draw's kernel scaler:
// testdata/resize_golden.json, written by scripts/dataset_golden.py.
// Float summation order differs, so a value may be one level off.
func TestSquareGolden(t *testing.T) {
	data, err := os.ReadFile("testdata/resize_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden struct {
		Cases []struct {
			W, H, Res int
			RGB       []int
		}
	}
	if err := json.Unmarshal(data, &golden); err != nil {
		t.Fatal(err)
	}
	if len(golden.Cases) == 0 {
		t.Fatal("no golden cases")
	}
	for _, c := range golden.Cases {
		got := RGBBytes(Square(pattern(c.W, c.H), c.Res))
		if len(got) != len(c.RGB) {
			t.Fatalf("%dx%d -> %d: %d values, want %d", c.W, c.H, c.Res, len(got), len(c.RGB))
		}
		off := 0
		for i, v := range got {
			d := int(v) - c.RGB[i]
			if d > 1 || d < -1 {
				t.Fatalf("%dx%d -> %d: value %d is %d, want %d", c.W, c.H, c.Res, i, v, c.RGB[i])
			}
			if d != 0 {
				off++
			}
		}
		if off*100 > len(got) {
			t.Errorf("%dx%d -> %d: %d of %d values one level off", c.W, c.H, c.Res, off, len(got))
		}
		t.Logf("%dx%d -> %d: %d of %d values one level off", c.W, c.H, c.Res, off, len(got))
	}
}

func TestSquareCropsCentre(t *testing.T) {
	// A 90x30 image whose centre 30x30 square is white and the rest black:
	// the crop keeps only white; sub-image bounds are honoured.
	tests := []struct {
		name string
		img  image.Image
	}{
		{"wide", centreWhite(90, 30, image.Point{})},
		{"tall", centreWhite(30, 90, image.Point{})},
		{"offset bounds", centreWhite(90, 30, image.Point{X: -7, Y: 13})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range RGBBytes(Square(tc.img, 16)) {
				if v != 255 {
					t.Fatalf("crop kept a non-white value %d", v)
				}
			}
		})
	}
}

func centreWhite(w, h int, min image.Point) *image.RGBA {
	img := image.NewRGBA(image.Rectangle{Min: min, Max: min.Add(image.Pt(w, h))})
	side := w
	if h < side {
		side = h
	}
	x0, y0 := (w-side)/2, (h-side)/2
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{0, 0, 0, 255}
			if x >= x0 && x < x0+side && y >= y0 && y < y0+side {
				c = color.RGBA{255, 255, 255, 255}
			}
			img.SetRGBA(min.X+x, min.Y+y, c)
		}
	}
	return img
}

func TestSquareAlphaOverBlack(t *testing.T) {
	// Half-transparent white over black is mid grey; grey and paletted
	// images come out as RGB.
	nrgba := image.NewNRGBA(image.Rect(0, 0, 4, 4))
	for i := 0; i < 16; i++ {
		copy(nrgba.Pix[4*i:], []uint8{255, 255, 255, 128})
	}
	gray := image.NewGray(image.Rect(0, 0, 4, 4))
	for i := range gray.Pix {
		gray.Pix[i] = 77
	}
	pal := image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.RGBA{10, 20, 30, 255}})
	tests := []struct {
		name string
		img  image.Image
		want [3]uint8
	}{
		{"nrgba", nrgba, [3]uint8{128, 128, 128}},
		{"gray", gray, [3]uint8{77, 77, 77}},
		{"paletted", pal, [3]uint8{10, 20, 30}},
	}
	for _, tc := range tests {
		rgb := RGBBytes(Square(tc.img, 4))
		for p := 0; p < 16; p++ {
			if [3]uint8(rgb[3*p:3*p+3]) != tc.want {
				t.Fatalf("%s: pixel %d = %v, want %v", tc.name, p, rgb[3*p:3*p+3], tc.want)
			}
		}
	}
}
