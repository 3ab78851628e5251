package savedmodel

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
// an error unless overwrite is set; then it is first renamed aside and
// removed once tmp is in place, so dst always names a complete export.
func replaceDir(tmp, dst string, overwrite bool) error {
	if _, err := os.Lstat(dst); err == nil {
		if !overwrite {
			return fmt.Errorf("savedmodel export: %s: %w (overwrite it explicitly)", dst, os.ErrExist)
		}
		old, err := os.MkdirTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".old-")
		if err != nil {
			return fmt.Errorf("savedmodel export: %w", err)
		}
		aside := filepath.Join(old, "export")
		if err := os.Rename(dst, aside); err != nil {
			os.Remove(old)
			return fmt.Errorf("savedmodel export: moving the old %s aside: %w", dst, err)
		}
		if err := os.Rename(tmp, dst); err != nil {
			if rerr := os.Rename(aside, dst); rerr != nil {
				return fmt.Errorf("savedmodel export: %w (and restoring the old export failed: %v; it is in %s)", err, rerr, aside)
			}
			os.RemoveAll(old)
			return fmt.Errorf("savedmodel export: %w", err)
		}
		syncParent(dst)
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("savedmodel export: removing the old export %s: %w", old, err)
		}
		return nil
	} else if !os.IsNotExist(err) {
		return fmt.Errorf("savedmodel export: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("savedmodel export: %w", err)
	}
	syncParent(dst)
	return nil
}

// syncParent fsyncs the directory holding path (best effort: a rename is
// already visible; the sync only makes it durable).
func syncParent(path string) {
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
}
