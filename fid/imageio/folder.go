package imageio

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/maskgit-go/maskgit/dataset"
)

// MinImages is the fewest images a folder needs for FID statistics (the
// covariance divides by N−1).
const MinImages = 2

// ListFolder returns the paths (dir joined with the relative name) of the
// PNG and JPEG images under dir, recursively, in dataset.ListImages' sorted
// order. A missing folder, a file instead of a folder and a folder with
// fewer than MinImages images are errors naming the folder.
func ListFolder(dir string) ([]string, error) {
	rel, err := dataset.ListImages(dir)
	if err != nil {
		return nil, strip(err)
	}
	if len(rel) < MinImages {
		return nil, fmt.Errorf("image folder %s has %d image(s); FID needs at least %d", dir, len(rel), MinImages)
	}
	paths := make([]string, len(rel))
	for i, r := range rel {
		paths[i] = filepath.Join(dir, filepath.FromSlash(r))
	}
	return paths, nil
}

// strip removes dataset's package prefix: the errors read as our own.
func strip(err error) error {
	msg := err.Error()
	if s, ok := strings.CutPrefix(msg, "dataset: "); ok {
		return fmt.Errorf("%s", s)
	}
	return err
}

// IsStatsFile reports whether path names a statistics file (.npz, as
// written by fid.WriteStats or pytorch-fid --save-stats) rather than an
// image folder.
func IsStatsFile(path string) bool {
	return strings.EqualFold(filepath.Ext(path), ".npz")
}
