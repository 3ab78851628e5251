package fid

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Cache stores reference statistics under content keys (see KeyForFiles),
// one .npz file per key in Dir, so the statistics of a fixed reference set
// are computed once per feature extractor.
type Cache struct {
	Dir string
}

// cacheKeyDomain versions the key derivation; change it when the layout of
// the hashed data changes.
const cacheKeyDomain = "maskgit-fid-stats/v1"

// KeyForFiles returns the cache key for the statistics of the given files
// under a feature extractor: the hex SHA-256 over the extractor id and, for
// each file in order of its name relative to the files' common directory,
// that name and the file's bytes (every field length-prefixed). The key is
// therefore independent of where the data set lives and of the order of
// paths, and changes when a file is renamed, added, removed or edited, or
// when extractorID changes (put the model and its weights' version in it).
func KeyForFiles(extractorID string, paths []string) (string, error) {
	if extractorID == "" {
		return "", errors.New("fid: cache key needs a non-empty feature-extractor id")
	}
	if len(paths) == 0 {
		return "", errors.New("fid: cache key needs at least one file")
	}
	abs := make([]string, len(paths))
	for i, p := range paths {
		a, err := filepath.Abs(p)
		if err != nil {
			return "", fmt.Errorf("fid: cache key: %s: %w", p, err)
		}
		abs[i] = a
	}
	base := filepath.Dir(abs[0])
	for _, a := range abs[1:] {
		for !within(base, a) {
			base = filepath.Dir(base)
		}
	}
	type entry struct{ rel, path string }
	entries := make([]entry, len(abs))
	for i, a := range abs {
		rel, err := filepath.Rel(base, a)
		if err != nil {
			return "", fmt.Errorf("fid: cache key: %s: %w", paths[i], err)
		}
		entries[i] = entry{filepath.ToSlash(rel), a}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].rel < entries[j].rel })
	h := sha256.New()
	writeField(h, []byte(cacheKeyDomain))
	writeField(h, []byte(extractorID))
	writeUint(h, uint64(len(entries)))
	for i, e := range entries {
		if i > 0 && e.rel == entries[i-1].rel {
			return "", fmt.Errorf("fid: cache key: file %s is listed twice", e.path)
		}
		writeField(h, []byte(e.rel))
		if err := hashFile(h, e.path); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// within reports whether path lies under dir.
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func writeUint(h hash.Hash, v uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	h.Write(b[:])
}

func writeField(h hash.Hash, b []byte) {
	writeUint(h, uint64(len(b)))
	h.Write(b)
}

// hashFile adds the length and bytes of a regular file to h.
func hashFile(h hash.Hash, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("fid: cache key: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("fid: cache key: %w", err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("fid: cache key: %s is not a regular file", path)
	}
	writeUint(h, uint64(info.Size()))
	n, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("fid: cache key: reading %s: %w", path, err)
	}
	if n != info.Size() {
		return fmt.Errorf("fid: cache key: %s changed while being read (%d bytes, expected %d)", path, n, info.Size())
	}
	return nil
}

// path returns the file of key, rejecting anything but a KeyForFiles key.
func (c Cache) path(key string) (string, error) {
	if c.Dir == "" {
		return "", errors.New("fid: cache has no directory")
	}
	if len(key) != 2*sha256.Size {
		return "", fmt.Errorf("fid: cache key %q is not a hex SHA-256", key)
	}
	if _, err := hex.DecodeString(key); err != nil || strings.ToLower(key) != key {
		return "", fmt.Errorf("fid: cache key %q is not a lower-case hex SHA-256", key)
	}
	return filepath.Join(c.Dir, "fid-stats-"+key+".npz"), nil
}

// Load returns the statistics stored under key; ok is false (with a nil
// error) when there are none. A present but unreadable file is an error
// naming the file.
func (c Cache) Load(key string) (s Stats, ok bool, err error) {
	p, err := c.path(key)
	if err != nil {
		return Stats{}, false, err
	}
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return Stats{}, false, nil
	} else if err != nil {
		return Stats{}, false, fmt.Errorf("fid: cache: %w", err)
	}
	s, err = ReadStats(p)
	if err != nil {
		return Stats{}, false, err
	}
	return s, true, nil
}

// Store saves s under key (atomically), creating Dir if needed.
func (c Cache) Store(key string, s Stats) error {
	p, err := c.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return fmt.Errorf("fid: cache: %w", err)
	}
	return WriteStats(p, s)
}
