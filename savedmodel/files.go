package savedmodel

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/maskgit-go/maskgit/internal/atomicfile"
)

// syncTree fsyncs every file and directory under dir, so that a rename of
// dir publishes complete contents.
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		serr := f.Sync()
		cerr := f.Close()
		if serr != nil {
			return fmt.Errorf("syncing %s: %w", path, serr)
		}
		return cerr
	})
}

// replaceDir renames the complete directory tmp to dst. An existing dst is
// an error unless overwrite is set; then tmp replaces it in one step
// (atomicfile.ReplaceDir), so dst always names a complete export.
func replaceDir(tmp, dst string, overwrite bool) error {
	if _, err := os.Lstat(dst); err == nil {
		if !overwrite {
			return fmt.Errorf("savedmodel export: %s: %w (overwrite it explicitly)", dst, os.ErrExist)
		}
	} else if !os.IsNotExist(err) {
		return fmt.Errorf("savedmodel export: %w", err)
	}
	if err := atomicfile.ReplaceDir(tmp, dst); err != nil {
		return fmt.Errorf("savedmodel export: %w", err)
	}
	return nil
}
