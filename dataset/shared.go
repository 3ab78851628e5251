package dataset

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// SharedEnv is the environment variable that points at the shared data folder.
const SharedEnv = "MASKGIT_SHARED"

// SharedDir returns the folder holding the project's read-only data:
// $MASKGIT_SHARED when set, else ../shared beside the repository root (the
// nearest folder above the working directory that holds go.mod). It returns
// an error when that folder does not exist.
func SharedDir() (string, error) {
	if d := os.Getenv(SharedEnv); d != "" {
		if err := isDir(d); err != nil {
			return "", fmt.Errorf("dataset: %s=%q: %w", SharedEnv, d, err)
		}
		return d, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("dataset: finding shared data: %w", err)
	}
	root, err := repoRoot(wd)
	if err != nil {
		return "", err
	}
	d := filepath.Join(filepath.Dir(root), "shared")
	if err := isDir(d); err != nil {
		return "", fmt.Errorf("dataset: shared data not found at %s (set %s): %w", d, SharedEnv, err)
	}
	return d, nil
}

// CatFacesDir returns SharedDir()/data/catfaces64, the cat-face data set.
func CatFacesDir() (string, error) {
	s, err := SharedDir()
	if err != nil {
		return "", err
	}
	d := filepath.Join(s, "data", "catfaces64")
	if err := isDir(d); err != nil {
		return "", fmt.Errorf("dataset: cat faces not found: %w", err)
	}
	return d, nil
}

// repoRoot returns the nearest folder at or above dir that holds go.mod.
func repoRoot(dir string) (string, error) {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("dataset: no go.mod above %s to locate ../shared (set %s)", dir, SharedEnv)
		}
		d = parent
	}
}

func isDir(d string) error {
	fi, err := os.Stat(d)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return errors.New(d + " is not a folder")
	}
	return nil
}
