package inpaint

import (
	"fmt"
	"image"
	"image/color"
)

// Composite returns the inpainted image: every known pixel of mask is copied
// exactly from input, every hole from decoded. input, decoded and mask must
// have the same size; the result's bounds start at (0, 0).
func Composite(input, decoded image.Image, mask *Mask) (*image.RGBA, error) {
	if input == nil || decoded == nil || mask == nil {
		return nil, fmt.Errorf("inpaint: composite needs an input, a decoded image and a mask")
	}
	ib, db := input.Bounds(), decoded.Bounds()
	if len(mask.Hole) != mask.W*mask.H {
		return nil, fmt.Errorf("inpaint: mask claims %dx%d but holds %d pixels", mask.W, mask.H, len(mask.Hole))
	}
	if ib.Dx() != mask.W || ib.Dy() != mask.H || db.Dx() != mask.W || db.Dy() != mask.H {
		return nil, fmt.Errorf("inpaint: composite needs equal sizes, got input %dx%d, decoded %dx%d, mask %dx%d",
			ib.Dx(), ib.Dy(), db.Dx(), db.Dy(), mask.W, mask.H)
	}
	out := image.NewRGBA(image.Rect(0, 0, mask.W, mask.H))
	for y := 0; y < mask.H; y++ {
		for x := 0; x < mask.W; x++ {
			var c color.Color
			if mask.Hole[y*mask.W+x] {
				c = decoded.At(db.Min.X+x, db.Min.Y+y)
			} else {
				c = input.At(ib.Min.X+x, ib.Min.Y+y)
			}
			out.Set(x, y, c)
		}
	}
	return out, nil
}
