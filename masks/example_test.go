package masks_test

import (
	"fmt"

	"github.com/maskgit-go/maskgit/masks"
)

// Draw the benchmark-like stroke masks of a seed and check their hole
// fractions.
func Example() {
	opt := masks.DefaultOptions(masks.Strokes)
	ms, err := masks.Series(masks.Strokes, opt, 1, 3)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, m := range ms {
		f := masks.Fraction(m)
		fmt.Printf("%s: %dx%d, holes within %.2f…%.2f: %v\n", masks.FileName(i), m.W, m.H, opt.MinHole, opt.MaxHole, f >= opt.MinHole && f <= opt.MaxHole)
	}
	// Output:
	// mask_000.png: 64x64, holes within 0.12…0.39: true
	// mask_001.png: 64x64, holes within 0.12…0.39: true
	// mask_002.png: 64x64, holes within 0.12…0.39: true
}

// A box mask: one rectangle, 0 = hole in the image written.
func ExampleImage() {
	opt := masks.Options{W: 8, H: 4, MinHole: 0.25, MaxHole: 0.25}
	m, err := masks.Generate(masks.Box, opt, masks.Rand(2, 0))
	if err != nil {
		fmt.Println(err)
		return
	}
	img := masks.Image(m)
	holes := 0
	for _, v := range img.Pix {
		if v == 0 {
			holes++
		}
	}
	fmt.Println(holes, "of", len(img.Pix), "pixels are 0")
	// Output:
	// 8 of 32 pixels are 0
}
