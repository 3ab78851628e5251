package dataset

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	_ "image/jpeg" // registers the JPEG decoder with image.Decode
	_ "image/png"  // registers the PNG decoder with image.Decode
	"io"
	"os"

	xdraw "golang.org/x/image/draw"
)

// DefaultResolution is the side of the square images the model sees.
const DefaultResolution = 64

// maxPixels bounds the size of a decoded image (before resizing), so a
// malformed or hostile header cannot make the decoder allocate gigabytes.
const maxPixels = 1 << 26

// ImageDecoder turns a PNG or JPEG file's bytes into pixels. The one the
// commands use is fid/imageio's Decoder (PIL-identical, as FID reads
// images), so the tokens a model is trained on are the tokens it sees
// later; nil means Go's image.Decode. It must be safe for concurrent use.
type ImageDecoder interface {
	DecodeImage(data []byte) (image.Image, error)
}

// LoadImage decodes the PNG or JPEG file at path (by its content, whatever
// its extension) and returns it centre-cropped and resized to res x res as
// RGB bytes, HWC, 3*res*res long. Errors name the file.
func LoadImage(path string, res int) ([]uint8, error) { return LoadImageWith(path, res, nil) }

// LoadImageWith is LoadImage decoding with dec (nil: Go's image.Decode).
func LoadImageWith(path string, res int, dec ImageDecoder) ([]uint8, error) {
	if res <= 0 {
		return nil, fmt.Errorf("dataset: resolution %d must be positive", res)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	img, err := decodeBytes(data, dec)
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", path, err)
	}
	return RGBBytes(Square(img, res)), nil
}

// decodeBytes decodes a PNG or JPEG image with dec after checking its size.
func decodeBytes(data []byte, dec ImageDecoder) (image.Image, error) {
	return decodeChecked(bytes.NewReader(data), PixelLimit(maxPixels), dec)
}

// HeaderCheck vets an image's size and format, read from its header, before
// any pixel is decoded.
type HeaderCheck func(cfg image.Config, format string) error

// PixelLimit is the HeaderCheck refusing empty images and images of more
// than maxPixels pixels.
func PixelLimit(maxPixels int) HeaderCheck {
	return func(cfg image.Config, format string) error {
		if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
			return fmt.Errorf("%s image of %dx%d pixels is empty or over the limit of %d pixels", format, cfg.Width, cfg.Height, maxPixels)
		}
		return nil
	}
}

// DecodeFile decodes the PNG or JPEG image at path (by its content) after
// reading its header and passing its size and format to check: an
// unreadable header or an error from check refuses the file before any
// pixel is decoded, so a small file declaring a huge image cannot make the
// decoder allocate gigabytes. The file is streamed, not read whole. Errors
// name the file; an error from check is wrapped as a *HeaderError.
func DecodeFile(path string, check HeaderCheck) (image.Image, error) {
	return DecodeFileWith(path, check, nil)
}

// DecodeFileWith is DecodeFile decoding the pixels with dec (nil: Go's
// image.Decode); the header is read by Go's image.DecodeConfig either way.
func DecodeFileWith(path string, check HeaderCheck, dec ImageDecoder) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	img, err := decodeChecked(f, check, dec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}

// HeaderError is an image refused by a HeaderCheck from its header alone:
// none of its pixels were decoded.
type HeaderError struct {
	Config image.Config
	Format string
	Err    error
}

func (e *HeaderError) Error() string { return e.Err.Error() }
func (e *HeaderError) Unwrap() error { return e.Err }

// decodeChecked reads the header from r, runs check on it, then rewinds r
// and decodes the pixels with dec (nil: image.Decode).
func decodeChecked(r io.ReadSeeker, check HeaderCheck, dec ImageDecoder) (image.Image, error) {
	cfg, format, err := image.DecodeConfig(r)
	if err != nil {
		return nil, fmt.Errorf("not a readable PNG or JPEG image: %w", err)
	}
	if err := check(cfg, format); err != nil {
		return nil, &HeaderError{Config: cfg, Format: format, Err: err}
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	var img image.Image
	if dec == nil {
		img, _, err = image.Decode(r)
	} else {
		var data []byte
		if data, err = io.ReadAll(r); err == nil {
			img, err = dec.DecodeImage(data)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("corrupt %s image: %w", format, err)
	}
	return img, nil
}

// Square returns img centre-cropped to a square of side min(w, h) and scaled
// to res x res with xdraw.CatmullRom, composited over black. An image that is
// already res x res is copied without resampling.
func Square(img image.Image, res int) *image.RGBA {
	b := img.Bounds()
	side := min(b.Dx(), b.Dy())
	x0 := b.Min.X + (b.Dx()-side)/2
	y0 := b.Min.Y + (b.Dy()-side)/2
	crop := image.Rect(x0, y0, x0+side, y0+side)
	// Convert the crop to RGBA first (YCbCr, paletted, grey and 16-bit
	// images all go through the standard library's colour conversion).
	sq := image.NewRGBA(image.Rect(0, 0, side, side))
	drawOverBlack(sq, subImage(img, crop))
	if side == res {
		return sq
	}
	dst := image.NewRGBA(image.Rect(0, 0, res, res))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), sq, sq.Bounds(), xdraw.Src, nil)
	return dst
}

// RGBBytes returns the RGB bytes (HWC) of an RGBA image, dropping alpha.
func RGBBytes(img *image.RGBA) []uint8 {
	b := img.Bounds()
	out := make([]uint8, 0, 3*b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := img.Pix[img.PixOffset(b.Min.X, y):]
		for x := 0; x < b.Dx(); x++ {
			out = append(out, row[4*x], row[4*x+1], row[4*x+2])
		}
	}
	return out
}

// drawOverBlack draws src (from its Min corner) over opaque black into dst.
func drawOverBlack(dst *image.RGBA, src image.Image) {
	sp := src.Bounds().Min
	if o, ok := src.(interface{ Opaque() bool }); ok && o.Opaque() {
		draw.Draw(dst, dst.Bounds(), src, sp, draw.Src)
		return
	}
	draw.Draw(dst, dst.Bounds(), image.Black, image.Point{}, draw.Src)
	draw.Draw(dst, dst.Bounds(), src, sp, draw.Over)
}

// subImage returns the part r of img (a view when img supports it).
func subImage(img image.Image, r image.Rectangle) image.Image {
	if s, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		return s.SubImage(r)
	}
	return &cropped{img, r}
}

// cropped is img restricted to r, for image types without SubImage.
type cropped struct {
	image.Image
	r image.Rectangle
}

func (c *cropped) Bounds() image.Rectangle { return c.r }
