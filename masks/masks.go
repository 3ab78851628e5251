package masks

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/maskgit-go/maskgit/inpaint"
)

// Style names a kind of mask.
type Style string

// The mask styles.
const (
	Strokes Style = "strokes"
	Box     Style = "box"
	Blob    Style = "blob"
)

// Styles returns every style, in the order of the documentation.
func Styles() []Style { return []Style{Strokes, Box, Blob} }

// ParseStyle parses "strokes", "box" or "blob".
func ParseStyle(name string) (Style, error) {
	s := Style(strings.ToLower(strings.TrimSpace(name)))
	for _, v := range Styles() {
		if s == v {
			return v, nil
		}
	}
	return "", fmt.Errorf("masks: unknown style %q (valid: strokes, box, blob)", name)
}

// Options set the mask size and the bounds of its hole fraction.
type Options struct {
	W, H int
	// MinHole and MaxHole bound the fraction of hole pixels:
	// 0 < MinHole ≤ MaxHole < 1.
	MinHole, MaxHole float64
}

// DefaultOptions returns 64×64 masks with the style's default bounds:
// 12–39% holes for strokes and blobs (the benchmark's range), 10–35% for
// boxes.
func DefaultOptions(s Style) Options {
	if s == Box {
		return Options{W: 64, H: 64, MinHole: 0.10, MaxHole: 0.35}
	}
	return Options{W: 64, H: 64, MinHole: 0.12, MaxHole: 0.39}
}

// holeRange returns the smallest and largest hole counts the bounds allow.
func (o Options) holeRange() (lo, hi int, err error) {
	if o.W <= 0 || o.H <= 0 {
		return 0, 0, fmt.Errorf("masks: size %dx%d: both sides must be positive", o.W, o.H)
	}
	if !(o.MinHole > 0 && o.MinHole <= o.MaxHole && o.MaxHole < 1) {
		return 0, 0, fmt.Errorf("masks: hole fraction bounds %g…%g: want 0 < min ≤ max < 1", o.MinHole, o.MaxHole)
	}
	n := o.W * o.H
	lo = int(math.Ceil(o.MinHole*float64(n) - 1e-9))
	hi = int(math.Floor(o.MaxHole*float64(n) + 1e-9))
	if lo > hi {
		return 0, 0, fmt.Errorf("masks: no whole number of the %d pixels of a %dx%d mask lies between %g and %g of them", n, o.W, o.H, o.MinHole, o.MaxHole)
	}
	return lo, hi, nil
}

// Generate draws one mask of the style with r.
func Generate(s Style, opt Options, r *rand.Rand) (*inpaint.Mask, error) {
	lo, hi, err := opt.holeRange()
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, fmt.Errorf("masks: nil *rand.Rand")
	}
	switch s {
	case Strokes:
		return strokes(opt.W, opt.H, lo+r.IntN(hi-lo+1), r)
	case Box:
		return box(opt.W, opt.H, lo, hi, r)
	case Blob:
		return blob(opt.W, opt.H, lo+r.IntN(hi-lo+1), r), nil
	}
	return nil, fmt.Errorf("masks: unknown style %q (valid: strokes, box, blob)", string(s))
}

// Rand returns the random stream of mask index of a series drawn with seed:
// mask i of a series does not depend on how many masks the series has.
func Rand(seed, index uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, index^0x6d61736b73)) // "masks"
}

// Series draws n masks of the style, mask i with Rand(seed, i).
func Series(s Style, opt Options, seed uint64, n int) ([]*inpaint.Mask, error) {
	if n < 0 {
		return nil, fmt.Errorf("masks: negative count %d", n)
	}
	out := make([]*inpaint.Mask, n)
	for i := range out {
		m, err := Generate(s, opt, Rand(seed, uint64(i)))
		if err != nil {
			return nil, err
		}
		out[i] = m
	}
	return out, nil
}

// Image returns m in the lab format: greyscale, 0 = hole, 255 = keep.
func Image(m *inpaint.Mask) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, m.W, m.H))
	for i, h := range m.Hole {
		if !h {
			img.Pix[i/m.W*img.Stride+i%m.W] = 255
		}
	}
	return img
}

// Masked returns img with the hole pixels of m grey (128, 128, 128), as the
// lab's masked_image files show an input: an m.W×m.H image, read from img's
// bounds' origin.
func Masked(img image.Image, m *inpaint.Mask) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, m.W, m.H))
	draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
	for i, h := range m.Hole {
		if h {
			out.SetRGBA(i%m.W, i/m.W, color.RGBA{128, 128, 128, 255})
		}
	}
	return out
}

// Fraction returns the fraction of hole pixels of m.
func Fraction(m *inpaint.Mask) float64 {
	if len(m.Hole) == 0 {
		return 0
	}
	return float64(m.Holes()) / float64(len(m.Hole))
}
