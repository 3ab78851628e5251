package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// stagedDir is an output folder written as a unit: files go to a hidden
// staging folder beside it (.<name>.tmp-*), and commit moves them in only
// once all are written; discard removes the staging folder (and any parent
// folders created for it), leaving the output folder as it was.
type stagedDir struct {
	final, tmp string
	// created are the missing ancestors of final made for tmp, deepest
	// first.
	created   []string
	committed bool
}

// stageDir prepares a staging folder for final, which must be a folder or
// not exist.
func stageDir(final string) (*stagedDir, error) {
	final = filepath.Clean(final)
	if fi, err := os.Stat(final); err == nil && !fi.IsDir() {
		return nil, badInput("--out %s exists and is not a folder", final)
	}
	parent := filepath.Dir(final)
	var created []string
	for d := parent; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		created = append(created, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(final)+".tmp-*")
	if err == nil {
		err = os.Chmod(tmp, 0o755)
	}
	s := &stagedDir{final: final, tmp: tmp, created: created}
	if err != nil {
		s.discard()
		return nil, err
	}
	return s, nil
}

// discard removes the staging folder unless committed. Safe to call twice.
func (s *stagedDir) discard() {
	if s.committed {
		return
	}
	s.committed = true // nothing left to discard
	if s.tmp != "" {
		os.RemoveAll(s.tmp)
	}
	for _, d := range s.created {
		os.Remove(d) // only if still empty
	}
}

// commit moves the staged files into final: one rename of the whole folder
// when final does not exist or is empty, else file by file (replacing
// files of the same name, keeping the others). If a move fails, the error
// says exactly which files were moved and where the rest are.
func (s *stagedDir) commit() error {
	if s.committed {
		return fmt.Errorf("%s: already committed or discarded", s.final)
	}
	os.Remove(s.final) // only if it is an empty folder
	if err := os.Rename(s.tmp, s.final); err == nil {
		s.committed = true
		syncDir(filepath.Dir(s.final))
		return nil
	}
	var files []string
	err := filepath.WalkDir(s.tmp, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(s.tmp, p)
		files = append(files, rel)
		return err
	})
	if err != nil {
		return fmt.Errorf("listing the results staged in %s: %w (nothing was moved into %s)", s.tmp, err, s.final)
	}
	sort.Strings(files)
	for i, rel := range files {
		dst := filepath.Join(s.final, rel)
		err := os.MkdirAll(filepath.Dir(dst), 0o755)
		if err == nil {
			err = os.Rename(filepath.Join(s.tmp, rel), dst)
		}
		if err != nil {
			s.committed = true // keep the unmoved results where they are
			if i == 0 {
				return fmt.Errorf("moving the results into %s: %w (nothing was moved; all %d files are in %s)", s.final, err, len(files), s.tmp)
			}
			return fmt.Errorf("moving the results into %s: %w (moved %d of %d files, %s to %s in name order; the other %d are in %s)",
				s.final, err, i, len(files), files[0], files[i-1], len(files)-i, s.tmp)
		}
	}
	s.committed = true
	os.RemoveAll(s.tmp)
	syncDir(s.final)
	return nil
}

// syncDir flushes a folder's entries (best effort).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
