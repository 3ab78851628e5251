package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

var (
	pngSignature  = []byte("\x89PNG\r\n\x1a\n")
	jpegSignature = []byte{0xff, 0xd8, 0xff}
)

// ListImages walks dir recursively and returns the paths of its PNG and JPEG
// files relative to dir, with '/' separators, sorted byte-wise (so "10.jpg"
// comes before "2.jpg"). See the package documentation for which files count
// as images. A missing folder, a path that is not a folder and a folder
// without images are errors naming the folder.
func ListImages(dir string) ([]string, error) {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("dataset: image folder %s does not exist", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("dataset: image folder: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("dataset: image folder %s is not a folder", dir)
	}
	var files []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("dataset: listing %s: %w", path, err)
		}
		if path != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			// A link to a file counts as that file (links to folders are not
			// followed, so the walk cannot loop).
			if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		ok, err := isImageFile(path)
		if err != nil {
			return err
		}
		if ok {
			rel, err := filepath.Rel(dir, path)
			if err != nil {
				return fmt.Errorf("dataset: listing %s: %w", path, err)
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("dataset: no PNG or JPEG images in folder %s", dir)
	}
	sort.Strings(files)
	return files, nil
}

// isImageFile reports whether path has an image extension or, failing that,
// starts with a PNG or JPEG signature.
func isImageFile(path string) (bool, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".png", ".jpg", ".jpeg":
		return true, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	head := make([]byte, len(pngSignature))
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("dataset: reading %s: %w", path, err)
	}
	head = head[:n]
	return bytes.HasPrefix(head, pngSignature) || bytes.HasPrefix(head, jpegSignature), nil
}
