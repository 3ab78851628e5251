package inpaint

import (
	"fmt"
	"image"
	"strings"
)

// PrefillMode says what the hole pixels hold when an image is encoded.
//
// The tokenizer's encoder sees a neighbourhood around every token, so the
// codes of the known tokens next to a hole depend on the hole's pixels even
// though the transformer predicts only the hole's tokens. The tokenizer and
// the transformer were trained on whole images, never on grey rectangles:
// filling the holes with a smooth guess first makes the known tokens' codes
// closer to those of the true image (docs/results.md measures it).
// Whatever the mode, the result never depends on the input's hole pixels.
type PrefillMode int

const (
	// PrefillHarmonic (the default) fills every hole with the harmonic
	// (Laplace) interpolation of the known pixels around it, channel by
	// channel (see Laplace); a hole region that touches no known pixel
	// is mid-grey.
	PrefillHarmonic PrefillMode = iota
	// PrefillGrey sets every hole pixel to mid-grey (128, 128, 128), as
	// the benchmark's masked images have them.
	PrefillGrey
)

var prefillNames = [...]string{"harmonic", "grey"}

// PrefillNames lists the modes' names, the default first.
func PrefillNames() []string { return append([]string(nil), prefillNames[:]...) }

func (m PrefillMode) String() string {
	if m >= 0 && int(m) < len(prefillNames) {
		return prefillNames[m]
	}
	return fmt.Sprintf("PrefillMode(%d)", int(m))
}

// PrefillByName parses a mode name ("harmonic" or "grey").
func PrefillByName(name string) (PrefillMode, error) {
	for i, n := range prefillNames {
		if name == n {
			return PrefillMode(i), nil
		}
	}
	return 0, fmt.Errorf("unknown prefill %q (want one of %s)", name, strings.Join(prefillNames[:], ", "))
}

// greyLevel is the value PrefillGrey writes and the value of hole regions
// without known neighbours under PrefillHarmonic.
const greyLevel = 128

// Prefill returns a copy of img (opaque, bounds at (0, 0)) whose hole
// pixels are replaced as mode says; the known pixels are kept exactly.
// img and mask must have the same size.
func Prefill(mode PrefillMode, img image.Image, mask *Mask) (*image.RGBA, error) {
	if img == nil || mask == nil {
		return nil, fmt.Errorf("inpaint: prefill needs an image and a mask")
	}
	if mode < 0 || int(mode) >= len(prefillNames) {
		return nil, fmt.Errorf("inpaint: unknown %v", mode)
	}
	if len(mask.Hole) != mask.W*mask.H {
		return nil, fmt.Errorf("inpaint: mask claims %dx%d but holds %d pixels", mask.W, mask.H, len(mask.Hole))
	}
	if b := img.Bounds(); b.Dx() != mask.W || b.Dy() != mask.H {
		return nil, fmt.Errorf("inpaint: prefill needs equal sizes, got image %dx%d, mask %dx%d", b.Dx(), b.Dy(), mask.W, mask.H)
	}
	out := opaqueRGBA(img)
	for p, hole := range mask.Hole {
		if hole {
			out.Pix[4*p], out.Pix[4*p+1], out.Pix[4*p+2] = greyLevel, greyLevel, greyLevel
		}
	}
	if mode == PrefillGrey || mask.Holes() == 0 {
		return out, nil
	}
	// Solved around grey, so that regions without known neighbours
	// (the solver's 0) come out grey.
	pixel := func(p, c int) float64 { return float64(out.Pix[4*p+c]) - greyLevel }
	grey := func(int, int) float64 { return greyLevel }
	if err := fillHoles(out, mask, pixel, grey); err != nil {
		return nil, err
	}
	return out, nil
}
