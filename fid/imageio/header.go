package imageio

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
)

// Format is the container format of an image file.
type Format string

// The formats a Decoder reads.
const (
	JPEG Format = "JPEG"
	PNG  Format = "PNG"
)

// MaxPixels bounds the size of an image (width × height) that is decoded,
// so that a malformed or hostile header cannot make the decoder allocate
// gigabytes.
const MaxPixels = 1 << 26

var (
	pngSignature  = []byte("\x89PNG\r\n\x1a\n")
	jpegSignature = []byte{0xff, 0xd8}
)

// Header is what an image file's header says about it, as the standard
// library's image/png and image/jpeg DecodeConfig read it.
type Header struct {
	Format        Format
	Width, Height int
	// ColorModel is the colour model Go's decoder would decode to, which
	// tells the stored layout apart as far as decoding needs:
	// color.Gray16Model is a 16-bit greyscale PNG without alpha, which PIL
	// opens in mode I;16 and converts to RGB by clipping at 255; a JPEG is
	// color.GrayModel, color.YCbCrModel (or color.RGBAModel for an Adobe
	// RGB JPEG) or color.CMYKModel.
	ColorModel color.Model
}

// grey16 reports a 16-bit greyscale PNG without alpha.
func (h Header) grey16() bool { return h.Format == PNG && h.ColorModel == color.Gray16Model }

// FileError is a problem with one image file: it cannot be read, is not a
// PNG or JPEG image, or is corrupt.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// ParseHeader reads the format, size and colour model of a PNG or JPEG
// image with png.DecodeConfig or jpeg.DecodeConfig, chosen by the file's
// signature (a JPEG's header segments may be anywhere before its frame
// header, so pass the whole file). It checks only the header: a corrupt
// image body is found when decoding.
//
// The standard library's reader is stricter than libjpeg in a few rare
// cases, which are refused here although PIL reads them: JPEGs that are
// lossless, hierarchical or arithmetic-coded (SOF3, SOF5–7, SOF9–15) or
// use a sampling factor of 3 or other unusual chroma subsampling.
func ParseHeader(data []byte) (Header, error) {
	var (
		h            Header
		decodeConfig func(io.Reader) (image.Config, error)
	)
	switch {
	case bytes.HasPrefix(data, pngSignature):
		h.Format, decodeConfig = PNG, png.DecodeConfig
	case bytes.HasPrefix(data, jpegSignature):
		h.Format, decodeConfig = JPEG, jpeg.DecodeConfig
	default:
		return Header{}, errors.New("not a PNG or JPEG image")
	}
	cfg, err := decodeConfig(bytes.NewReader(data))
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return Header{}, fmt.Errorf("truncated %s header", h.Format)
	}
	if err != nil {
		return Header{}, fmt.Errorf("corrupt or unsupported %s header: %w", h.Format, err)
	}
	h.Width, h.Height, h.ColorModel = cfg.Width, cfg.Height, cfg.ColorModel
	if h.Width <= 0 || h.Height <= 0 || int64(h.Width)*int64(h.Height) > MaxPixels {
		return Header{}, fmt.Errorf("%s image of %dx%d pixels is empty or too large (at most %d pixels)", h.Format, h.Width, h.Height, MaxPixels)
	}
	return h, nil
}

// ReadHeader reads the file at path and parses its header. Errors are
// *FileError.
func ReadHeader(path string) (Header, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Header{}, &FileError{path, err}
	}
	h, err := ParseHeader(data)
	if err != nil {
		return Header{}, &FileError{path, err}
	}
	return h, nil
}

// CheckFiles reads the header of every file, so that a run can stop on a
// file that is not a readable PNG or JPEG image before any long
// computation. It returns the first problem as a *FileError.
func CheckFiles(paths []string) error {
	for _, p := range paths {
		if _, err := ReadHeader(p); err != nil {
			return err
		}
	}
	return nil
}
