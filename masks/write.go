package masks

import (
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"

	"github.com/maskgit-go/maskgit/inpaint"
	"github.com/maskgit-go/maskgit/internal/atomicfile"
)

// FileName returns the lab file name of mask i: mask_%03d.png.
func FileName(i int) string { return fmt.Sprintf("mask_%03d.png", i) }

// Write stores m at path as a lab-format PNG (greyscale, 0 = hole, 255 =
// keep), through a temporary file renamed into place.
func Write(path string, m *inpaint.Mask) error {
	if m == nil || m.W <= 0 || m.H <= 0 || len(m.Hole) != m.W*m.H {
		return fmt.Errorf("masks: %s: malformed mask", path)
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { return png.Encode(w, Image(m)) })
}

// WriteDir creates dir and writes ms[i] to dir/mask_%03d.png. It returns
// the paths written.
func WriteDir(dir string, ms []*inpaint.Mask) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("masks: %w", err)
	}
	paths := make([]string, len(ms))
	for i, m := range ms {
		paths[i] = filepath.Join(dir, FileName(i))
		if err := Write(paths[i], m); err != nil {
			return nil, err
		}
	}
	return paths, nil
}
