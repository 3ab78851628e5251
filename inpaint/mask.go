package inpaint

import (
	"fmt"
	"image"
	"image/color"
	_ "image/png" // the lab mask format is PNG
	"io"
	"os"
)

// Mask is a pixel mask in the lab format: a greyscale image, 0 = hole
// (to be inpainted), 255 = known. Hole[y*W+x] is true for holes.
type Mask struct {
	W, H int
	Hole []bool
}

// NewMask returns a w×h mask with every pixel known.
func NewMask(w, h int) *Mask {
	return &Mask{W: w, H: h, Hole: make([]bool, w*h)}
}

// Holes returns the number of hole pixels.
func (m *Mask) Holes() int {
	c := 0
	for _, h := range m.Hole {
		if h {
			c++
		}
	}
	return c
}

// MaskFromImage converts img to greyscale and thresholds it: values below 128
// are holes, 128 and above known. nonBinary counts pixels that were neither 0
// nor 255 (worth a warning: the mask was probably resampled).
func MaskFromImage(img image.Image) (m *Mask, nonBinary int) {
	b := img.Bounds()
	m = NewMask(b.Dx(), b.Dy())
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			g := color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
			if g != 0 && g != 255 {
				nonBinary++
			}
			m.Hole[y*m.W+x] = g < 128
		}
	}
	return m, nonBinary
}

// maxMaskPixels bounds the size (width × height) of a mask file that is
// decoded, as dataset and fid/imageio bound images, so that a small file
// declaring a huge image cannot make the decoder allocate gigabytes.
const maxMaskPixels = 1 << 26

// ReadMask reads a lab mask file (PNG, greyscale, 0 = hole) that must be
// w×h pixels. nonBinary is as in MaskFromImage. The size is read from the
// file's header first: a file of another size, or of more than 2^26
// pixels, is refused before any pixel is decoded.
func ReadMask(path string, w, h int) (m *Mask, nonBinary int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("inpaint: mask: %w", err)
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return nil, 0, fmt.Errorf("inpaint: mask %s: %w", path, err)
	}
	if cfg.Width != w || cfg.Height != h {
		return nil, 0, fmt.Errorf("inpaint: mask %s is %dx%d, want %dx%d (size read from its header, nothing decoded)", path, cfg.Width, cfg.Height, w, h)
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxMaskPixels {
		return nil, 0, fmt.Errorf("inpaint: mask %s is %dx%d: over the limit of %d pixels", path, cfg.Width, cfg.Height, maxMaskPixels)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, 0, fmt.Errorf("inpaint: mask %s: %w", path, err)
	}
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, 0, fmt.Errorf("inpaint: mask %s: %w", path, err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		return nil, 0, fmt.Errorf("inpaint: mask %s is %dx%d, want %dx%d", path, b.Dx(), b.Dy(), w, h)
	}
	m, nonBinary = MaskFromImage(img)
	return m, nonBinary, nil
}

// TokenMask maps the pixel mask onto a gridW×gridH token grid: a token is
// masked when any pixel of its P×P patch (P = W/gridW = H/gridH) is a hole.
// With dilate, every token 8-adjacent to a masked token is masked too (one
// token of dilation with a 3×3 square), covering the tokenizer's receptive
// field spilling over patch borders.
func (m *Mask) TokenMask(gridW, gridH int, dilate bool) ([]bool, error) {
	if gridW <= 0 || gridH <= 0 || m.W%gridW != 0 || m.H%gridH != 0 || m.W/gridW != m.H/gridH {
		return nil, fmt.Errorf("inpaint: a %dx%d mask does not split into square patches on a %dx%d token grid", m.W, m.H, gridW, gridH)
	}
	p := m.W / gridW
	tm := make([]bool, gridW*gridH)
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			if m.Hole[y*m.W+x] {
				tm[(y/p)*gridW+x/p] = true
			}
		}
	}
	if !dilate {
		return tm, nil
	}
	out := make([]bool, len(tm))
	for ty := 0; ty < gridH; ty++ {
		for tx := 0; tx < gridW; tx++ {
			if !tm[ty*gridW+tx] {
				continue
			}
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					x, y := tx+dx, ty+dy
					if x >= 0 && x < gridW && y >= 0 && y < gridH {
						out[y*gridW+x] = true
					}
				}
			}
		}
	}
	return out, nil
}

// MaskTokens returns a copy of tokens with maskID at every position where
// masked is true.
func MaskTokens(tokens []int32, masked []bool, maskID int32) ([]int32, error) {
	if len(tokens) != len(masked) {
		return nil, fmt.Errorf("inpaint: %d tokens but a token mask of %d", len(tokens), len(masked))
	}
	out := make([]int32, len(tokens))
	for i, t := range tokens {
		if masked[i] {
			t = maskID
		}
		out[i] = t
	}
	return out, nil
}
