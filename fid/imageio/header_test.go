package imageio

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHeader(t *testing.T) {
	cases := []struct {
		file          string
		format        Format
		width, height int
		model         color.Model // nil: a color.Palette
		grey16        bool
	}{
		{"dec_jpeg420.jpg", JPEG, 40, 48, color.YCbCrModel, false},
		{"dec_jpeg_grey.jpg", JPEG, 32, 32, color.GrayModel, false},
		{"dec_jpeg_cmyk.jpg", JPEG, 40, 48, color.CMYKModel, false},
		{"dec_jpeg_odd.jpg", JPEG, 37, 23, color.YCbCrModel, false},
		{"dec_jpeg_progressive.jpg", JPEG, 40, 48, color.YCbCrModel, false},
		{"dec_png_rgba.png", PNG, 40, 48, color.NRGBAModel, false},
		{"dec_png_rgb16.png", PNG, 12, 10, color.RGBA64Model, false},
		{"dec_png_grey16.png", PNG, 20, 16, color.Gray16Model, true},
		{"dec_png_palette.png", PNG, 40, 48, nil, false},
		{"dec_png_1bit.png", PNG, 32, 32, color.GrayModel, false},
	}
	for _, c := range cases {
		h, err := ReadHeader(filepath.Join("testdata", c.file))
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		_, palette := h.ColorModel.(color.Palette)
		modelOK := h.ColorModel == c.model || (c.model == nil && palette)
		if h.Format != c.format || h.Width != c.width || h.Height != c.height || !modelOK || h.grey16() != c.grey16 {
			t.Errorf("%s: %s %dx%d model %T grey16 %v, want %s %dx%d model %T grey16 %v", c.file,
				h.Format, h.Width, h.Height, h.ColorModel, h.grey16(), c.format, c.width, c.height, c.model, c.grey16)
		}
	}
}

func TestHeaderErrors(t *testing.T) {
	png1, err := os.ReadFile("testdata/dec_png_rgb.png")
	if err != nil {
		t.Fatal(err)
	}
	jpg, err := os.ReadFile("testdata/dec_jpeg420.jpg")
	if err != nil {
		t.Fatal(err)
	}
	// setSize returns a copy of a PNG with its IHDR size changed (and the CRC fixed).
	setSize := func(w, h uint32) []byte {
		b := append([]byte(nil), png1...)
		binary.BigEndian.PutUint32(b[16:], w)
		binary.BigEndian.PutUint32(b[20:], h)
		binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
		return b
	}
	badCRC := append([]byte(nil), png1...)
	badCRC[29] ^= 1
	// A 12-bit JPEG: the frame header's precision byte follows SOF0's length.
	jpg12 := append([]byte(nil), jpg...)
	if i := bytes.Index(jpg12, []byte{0xff, 0xc0}); i < 0 {
		t.Fatal("no SOF0 in dec_jpeg420.jpg")
	} else {
		jpg12[i+4] = 12
	}
	tests := []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{"empty", nil, "not a PNG or JPEG image"},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), "not a PNG or JPEG image"},
		{"png signature only", png1[:8], "truncated PNG header"},
		{"png half IHDR", png1[:20], "truncated PNG header"},
		{"png bad IHDR CRC", badCRC, "corrupt or unsupported PNG header"},
		{"png too large", setSize(20000, 20000), "PNG image of 20000x20000 pixels is empty or too large"},
		{"png zero width", setSize(0, 5), "PNG header"},
		{"jpeg SOI only", jpg[:2], "truncated JPEG header"},
		{"jpeg truncated in a segment", []byte("\xff\xd8\xff\xe0\x00\x10JFIF"), "truncated JPEG header"},
		{"jpeg 12-bit", jpg12, "unsupported JPEG feature: precision"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseHeader(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}
