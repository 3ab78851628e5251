package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ReplaceDir makes the complete directory src appear at dst in one step:
// readers of dst see the old directory or the new one, never a mixture or
// a half-written one. src must be on the same file system as dst (create it
// with os.MkdirTemp(filepath.Dir(dst), ...)); its files are synced first.
//
// A missing dst is created by one rename. An existing dst is swapped with
// src by one renameat2(RENAME_EXCHANGE) and the old contents, now at src,
// are removed. Where the kernel or file system cannot exchange, dst is
// renamed aside into a ".<name>.old-*" directory and src renamed to dst;
// a crash between the two leaves dst missing and the old directory aside,
// which RemoveStale puts back.
func ReplaceDir(src, dst string) error { return replaceDir(src, dst, exchange) }

// replaceDir is ReplaceDir with the exchange given (tests force the fallback).
func replaceDir(src, dst string, exchange func(a, b string) error) error {
	if err := syncTree(src); err != nil {
		return err
	}
	if _, err := os.Lstat(dst); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(src, dst); err != nil {
			return err
		}
		syncDir(filepath.Dir(dst))
		return nil
	} else if err != nil {
		return err
	}
	err := exchange(src, dst)
	if err == nil {
		syncDir(filepath.Dir(dst))
		return os.RemoveAll(src)
	}
	if !errors.Is(err, errNoExchange) {
		return fmt.Errorf("replacing %s: %w", dst, err)
	}
	aside, err := os.MkdirTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".old-")
	if err != nil {
		return err
	}
	if err := os.Rename(dst, filepath.Join(aside, oldName)); err != nil {
		os.Remove(aside)
		return fmt.Errorf("replacing %s: moving the old one aside: %w", dst, err)
	}
	if err := os.Rename(src, dst); err != nil {
		if rerr := os.Rename(filepath.Join(aside, oldName), dst); rerr != nil {
			return fmt.Errorf("replacing %s: %w (and putting the old one back failed: %v; it is in %s)", dst, err, rerr, aside)
		}
		os.Remove(aside)
		return fmt.Errorf("replacing %s: %w", dst, err)
	}
	syncDir(filepath.Dir(dst))
	return os.RemoveAll(aside)
}

// oldName is the name of the old directory inside its ".<name>.old-*" holder.
const oldName = "old"

// errNoExchange means the system cannot swap two paths atomically.
var errNoExchange = errors.New("atomic exchange not supported")

// IsTemp reports whether name (a base name) is a temporary file or
// directory of this package or of the checkpoint writers: ".<name>.tmp-*".
func IsTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-")
}

// RemoveStale cleans dir after a crash: it removes the temporary files and
// directories (see IsTemp) that an interrupted write left in it, and puts
// back a directory that ReplaceDir had moved aside when its replacement
// never arrived (else removes it). It returns the paths it removed or
// restored. A missing dir is not an error.
func RemoveStale(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var done []string
	for _, e := range ents {
		name := e.Name()
		p := filepath.Join(dir, name)
		if i := strings.Index(name, ".old-"); strings.HasPrefix(name, ".") && i > 1 && e.IsDir() {
			dst := filepath.Join(dir, name[1:i])
			if _, err := os.Lstat(dst); errors.Is(err, fs.ErrNotExist) {
				if _, err := os.Lstat(filepath.Join(p, oldName)); err == nil {
					if err := os.Rename(filepath.Join(p, oldName), dst); err != nil {
						return done, err
					}
					done = append(done, dst)
				}
			}
			if err := os.RemoveAll(p); err != nil {
				return done, err
			}
			done = append(done, p)
			continue
		}
		if IsTemp(name) {
			if err := os.RemoveAll(p); err != nil {
				return done, err
			}
			done = append(done, p)
		}
	}
	return done, nil
}

// syncTree fsyncs every file and directory under dir.
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
		if serr != nil && !d.IsDir() {
			return fmt.Errorf("syncing %s: %w", path, serr)
		}
		return cerr
	})
}

// syncDir makes renames in dir durable (best effort: some file systems
// cannot sync a directory, which only weakens durability).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
