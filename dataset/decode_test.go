package dataset

import (
	"errors"
	"fmt"
	"image"
	"path/filepath"
	"strings"
	"testing"
)

func TestDecodeFile(t *testing.T) {
	dir := t.TempDir()
	small, big, junk := filepath.Join(dir, "small.png"), filepath.Join(dir, "big.jpg"), filepath.Join(dir, "junk.png")
	writeFile(t, small, pngBytes(t, pattern(8, 6)))
	writeFile(t, big, jpegBytes(t, pattern(40, 30)))
	writeFile(t, junk, []byte("not an image"))
	var seen []string
	record := func(limit int) HeaderCheck {
		return func(cfg image.Config, format string) error {
			seen = append(seen, fmt.Sprintf("%s %dx%d", format, cfg.Width, cfg.Height))
			return PixelLimit(limit)(cfg, format)
		}
	}
	cases := []struct {
		path, want, seen string
		limit            int
		header           bool
	}{
		{small, "", "png 8x6", 48, false},
		{big, "jpeg image of 40x30 pixels is empty or over the limit of 1000 pixels", "jpeg 40x30", 1000, true},
		{big, "", "jpeg 40x30", 1200, false},
		{junk, "not a readable PNG or JPEG image", "", 1000, false},
		{filepath.Join(dir, "missing.png"), "missing.png", "", 1000, false},
	}
	for _, c := range cases {
		seen = nil
		img, err := DecodeFile(c.path, record(c.limit))
		if c.want == "" {
			if err != nil || img == nil {
				t.Errorf("%s: %v", c.path, err)
			}
		} else if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.path) {
			t.Errorf("%s: error %v, want one naming the file and %q", c.path, err, c.want)
		}
		var he *HeaderError
		if errors.As(err, &he) != c.header {
			t.Errorf("%s: HeaderError %v, want %v", c.path, errors.As(err, &he), c.header)
		}
		if got := strings.Join(seen, ","); got != c.seen {
			t.Errorf("%s: check saw %q, want %q", c.path, got, c.seen)
		}
	}
}
