package inpaint

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strings"
)

// CompositeMode says how the decoded pixels are put back into the input.
// Every mode but CompositeNone keeps the known pixels of the input exactly.
type CompositeMode int

const (
	// CompositeResidual (the default) corrects the decoded holes by the
	// decoder's error on the known pixels: the residual input − decoded,
	// known around the hole, is carried into it by harmonic (Laplace)
	// interpolation (see Laplace) and added to the decoded pixels. A
	// decoder that shifts colours then leaves no seam at the hole's edge.
	CompositeResidual CompositeMode = iota
	// CompositeHard copies the decoded pixels into the holes as they are.
	CompositeHard
	// CompositeNone returns the decoded image everywhere.
	CompositeNone
)

var compositeNames = [...]string{"residual", "hard", "none"}

// CompositeNames lists the modes' names, the default first.
func CompositeNames() []string { return append([]string(nil), compositeNames[:]...) }

func (c CompositeMode) String() string {
	if c >= 0 && int(c) < len(compositeNames) {
		return compositeNames[c]
	}
	return fmt.Sprintf("CompositeMode(%d)", int(c))
}

// CompositeByName parses a mode name ("residual", "hard" or "none").
func CompositeByName(name string) (CompositeMode, error) {
	for i, n := range compositeNames {
		if name == n {
			return CompositeMode(i), nil
		}
	}
	return 0, fmt.Errorf("unknown composite %q (want one of %s)", name, strings.Join(compositeNames[:], ", "))
}

// Composite returns the inpainted image: decoded put into the holes of input
// as mode says (CompositeNone: decoded as it is). input, decoded and mask
// must have the same size; the result's bounds start at (0, 0) and it is
// opaque.
func Composite(mode CompositeMode, input, decoded image.Image, mask *Mask) (*image.RGBA, error) {
	if input == nil || decoded == nil || mask == nil {
		return nil, fmt.Errorf("inpaint: composite needs an input, a decoded image and a mask")
	}
	if mode < 0 || int(mode) >= len(compositeNames) {
		return nil, fmt.Errorf("inpaint: unknown %v", mode)
	}
	ib, db := input.Bounds(), decoded.Bounds()
	if len(mask.Hole) != mask.W*mask.H {
		return nil, fmt.Errorf("inpaint: mask claims %dx%d but holds %d pixels", mask.W, mask.H, len(mask.Hole))
	}
	if ib.Dx() != mask.W || ib.Dy() != mask.H || db.Dx() != mask.W || db.Dy() != mask.H {
		return nil, fmt.Errorf("inpaint: composite needs equal sizes, got input %dx%d, decoded %dx%d, mask %dx%d",
			ib.Dx(), ib.Dy(), db.Dx(), db.Dy(), mask.W, mask.H)
	}
	in := opaqueRGBA(input)
	out := opaqueRGBA(decoded)
	if mode == CompositeNone {
		return out, nil
	}
	if mode == CompositeResidual && mask.Holes() > 0 {
		// The residual in − out, known around the hole, carried into it.
		residual := func(p, c int) float64 { return float64(in.Pix[4*p+c]) - float64(out.Pix[4*p+c]) }
		decodedPix := func(p, c int) float64 { return float64(out.Pix[4*p+c]) }
		if err := fillHoles(out, mask, residual, decodedPix); err != nil {
			return nil, err
		}
	}
	for p, hole := range mask.Hole {
		if !hole {
			copy(out.Pix[4*p:4*p+4], in.Pix[4*p:4*p+4])
		}
	}
	return out, nil
}

// fillHoles sets every hole pixel p of out, channel c, to base(p, c) plus
// the harmonic interpolation (Laplace) of known(p, c), given on the known
// pixels, rounded and clamped to [0, 255]. It is the shared step of the
// residual composite and the harmonic prefill. Hole regions without known
// neighbours get base alone.
func fillHoles(out *image.RGBA, mask *Mask, known, base func(p, c int) float64) error {
	lap, err := NewLaplace(mask)
	if err != nil {
		return err
	}
	field := make([]float64, mask.W*mask.H)
	for c := 0; c < 3; c++ {
		for p, hole := range mask.Hole {
			field[p] = 0
			if !hole {
				field[p] = known(p, c)
			}
		}
		if err := lap.Solve(field); err != nil {
			return err
		}
		for p, hole := range mask.Hole {
			if hole {
				v := math.Round(base(p, c) + field[p])
				out.Pix[4*p+c] = uint8(min(max(v, 0), 255))
			}
		}
	}
	return nil
}

// opaqueRGBA copies img into a new opaque RGBA image with bounds at (0, 0).
func opaqueRGBA(img image.Image) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Bounds(), &image.Uniform{color.Black}, image.Point{}, draw.Src)
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Over)
	return out
}
