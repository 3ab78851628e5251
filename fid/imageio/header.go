package imageio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
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

// Header is what an image file's header says about it.
type Header struct {
	Format        Format
	Width, Height int
	// BitDepth is the bits per sample (8 for JPEG; 1, 2, 4, 8 or 16 for PNG).
	BitDepth int
	// Channels is the number of colour components stored (JPEG: 1, 3 or
	// 4; PNG: 1 grey, 2 grey+alpha, 3 RGB or palette, 4 RGBA).
	Channels int
	// grey16 marks a 16-bit greyscale PNG without alpha, which PIL opens
	// in mode I;16 and converts to RGB by clipping at 255.
	grey16 bool
}

// FileError is a problem with one image file: it cannot be read, is not a
// PNG or JPEG image, or is corrupt.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// ParseHeader reads the format, size and layout of a PNG or JPEG image from
// its first bytes (a JPEG's header segments may be anywhere before its
// frame header, so pass the whole file). It checks only the header: a
// corrupt image body is found when decoding.
func ParseHeader(data []byte) (Header, error) {
	var (
		h   Header
		err error
	)
	switch {
	case bytes.HasPrefix(data, pngSignature):
		h, err = parsePNG(data)
	case bytes.HasPrefix(data, jpegSignature):
		h, err = parseJPEG(data)
	default:
		return Header{}, errors.New("not a PNG or JPEG image")
	}
	if err != nil {
		return Header{}, err
	}
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

// parsePNG reads the IHDR chunk, which must come first.
func parsePNG(data []byte) (Header, error) {
	const ihdrEnd = 8 + 8 + 13
	if len(data) < ihdrEnd || string(data[12:16]) != "IHDR" || binary.BigEndian.Uint32(data[8:12]) != 13 {
		return Header{}, errors.New("truncated or corrupt PNG header (no IHDR chunk)")
	}
	w, h := binary.BigEndian.Uint32(data[16:20]), binary.BigEndian.Uint32(data[20:24])
	depth, colour := int(data[24]), data[25]
	channels := map[byte]int{0: 1, 2: 3, 3: 3, 4: 2, 6: 4}[colour]
	if channels == 0 {
		return Header{}, fmt.Errorf("corrupt PNG header: colour type %d", colour)
	}
	switch depth {
	case 1, 2, 4, 8, 16:
	default:
		return Header{}, fmt.Errorf("corrupt PNG header: bit depth %d", depth)
	}
	if w > 1<<31-1 || h > 1<<31-1 {
		return Header{}, fmt.Errorf("corrupt PNG header: size %dx%d", w, h)
	}
	return Header{Format: PNG, Width: int(w), Height: int(h), BitDepth: depth, Channels: channels,
		grey16: depth == 16 && colour == 0}, nil
}

// parseJPEG walks the marker segments up to the first frame header (SOFn).
func parseJPEG(data []byte) (Header, error) {
	i := 2
	for {
		// Markers are 0xFF followed by a code; extra 0xFF bytes are fill.
		if i >= len(data) || data[i] != 0xff {
			return Header{}, errors.New("truncated or corrupt JPEG header (no frame header)")
		}
		for i < len(data) && data[i] == 0xff {
			i++
		}
		if i >= len(data) {
			return Header{}, errors.New("truncated JPEG header")
		}
		m := data[i]
		i++
		switch {
		case m == 0x01 || (m >= 0xd0 && m <= 0xd7): // no payload
			continue
		case m == 0xd9 || m == 0xda:
			return Header{}, errors.New("corrupt JPEG: no frame header before the image data")
		}
		if i+2 > len(data) {
			return Header{}, errors.New("truncated JPEG header")
		}
		n := int(binary.BigEndian.Uint16(data[i:]))
		if n < 2 || i+n > len(data) {
			return Header{}, errors.New("truncated or corrupt JPEG header segment")
		}
		if m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc {
			if n < 8 {
				return Header{}, errors.New("corrupt JPEG frame header")
			}
			seg := data[i+2 : i+n]
			h := Header{Format: JPEG, BitDepth: int(seg[0]), Height: int(binary.BigEndian.Uint16(seg[1:])),
				Width: int(binary.BigEndian.Uint16(seg[3:])), Channels: int(seg[5])}
			if h.BitDepth != 8 {
				return Header{}, fmt.Errorf("unsupported %d-bit JPEG (only 8-bit)", h.BitDepth)
			}
			if h.Channels != 1 && h.Channels != 3 && h.Channels != 4 {
				return Header{}, fmt.Errorf("unsupported JPEG with %d colour components", h.Channels)
			}
			return h, nil
		}
		i += n
	}
}
