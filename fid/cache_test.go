package fid

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// writeTree creates files (relative name → content) under dir and returns
// their paths in the given order.
func writeTree(t *testing.T, dir string, names []string, content map[string]string) []string {
	t.Helper()
	paths := make([]string, len(names))
	for i, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content[n]), 0o644); err != nil {
			t.Fatal(err)
		}
		paths[i] = p
	}
	return paths
}

func TestKeyForFiles(t *testing.T) {
	content := map[string]string{"a.png": "AAAA", "sub/b.png": "BB", "c.png": ""}
	names := []string{"a.png", "sub/b.png", "c.png"}
	base := writeTree(t, t.TempDir(), names, content)
	key := func(t *testing.T, id string, paths []string) string {
		t.Helper()
		k, err := KeyForFiles(id, paths)
		if err != nil {
			t.Fatal(err)
		}
		if len(k) != 64 {
			t.Fatalf("key %q is not 64 hex digits", k)
		}
		return k
	}
	ref := key(t, "inception-v3/pt_inception-2015-12-05", base)

	t.Run("same-key", func(t *testing.T) {
		tests := []struct {
			name  string
			paths func(t *testing.T) []string
		}{
			{"again", func(*testing.T) []string { return base }},
			{"reordered", func(*testing.T) []string { return []string{base[2], base[0], base[1]} }},
			{"moved-elsewhere", func(t *testing.T) []string {
				return writeTree(t, filepath.Join(t.TempDir(), "deep", "er"), names, content)
			}},
		}
		for _, tc := range tests {
			if got := key(t, "inception-v3/pt_inception-2015-12-05", tc.paths(t)); got != ref {
				t.Errorf("%s: key %s, want %s", tc.name, got, ref)
			}
		}
	})
	t.Run("different-key", func(t *testing.T) {
		changed := map[string]string{"a.png": "AAAB", "sub/b.png": "BB", "c.png": ""}
		renamed := []string{"a2.png", "sub/b.png", "c.png"}
		moved := map[string]string{"a.png": "AAAA", "sub/a.png": "BB", "c.png": ""}
		// Content shifted between files: same concatenated bytes, other split.
		shifted := map[string]string{"a.png": "AAA", "sub/b.png": "ABB", "c.png": ""}
		tests := []struct {
			name  string
			id    string
			paths func(t *testing.T) []string
		}{
			{"extractor", "inception-v3/other-weights", func(*testing.T) []string { return base }},
			{"content", "", func(t *testing.T) []string { return writeTree(t, t.TempDir(), names, changed) }},
			{"renamed", "", func(t *testing.T) []string {
				return writeTree(t, t.TempDir(), renamed, map[string]string{"a2.png": "AAAA", "sub/b.png": "BB"})
			}},
			{"other-subdir", "", func(t *testing.T) []string {
				return writeTree(t, t.TempDir(), []string{"a.png", "sub/a.png", "c.png"}, moved)
			}},
			{"shifted-bytes", "", func(t *testing.T) []string { return writeTree(t, t.TempDir(), names, shifted) }},
			{"subset", "", func(*testing.T) []string { return base[:2] }},
		}
		for _, tc := range tests {
			id := tc.id
			if id == "" {
				id = "inception-v3/pt_inception-2015-12-05"
			}
			if got := key(t, id, tc.paths(t)); got == ref {
				t.Errorf("%s: key unchanged (%s)", tc.name, got)
			}
		}
	})
	t.Run("errors", func(t *testing.T) {
		dir := t.TempDir()
		missing := filepath.Join(dir, "missing.png")
		tests := []struct {
			name  string
			id    string
			paths []string
			want  string
		}{
			{"no-id", "", base, "feature-extractor id"},
			{"no-files", "x", nil, "at least one file"},
			{"missing", "x", []string{base[0], missing}, missing},
			{"directory", "x", []string{base[0], dir}, "not a regular file"},
			{"duplicate", "x", []string{base[0], base[1], filepath.Join(filepath.Dir(base[0]), ".", "a.png")}, "listed twice"},
		}
		for _, tc := range tests {
			if _, err := KeyForFiles(tc.id, tc.paths); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
			}
		}
	})
}

func TestCache(t *testing.T) {
	c := Cache{Dir: filepath.Join(t.TempDir(), "fid-cache")} // created on first Store
	paths := writeTree(t, t.TempDir(), []string{"x.png"}, map[string]string{"x.png": "pixels"})
	key, err := KeyForFiles("tiny-extractor", paths)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := c.Load(key); ok || err != nil {
		t.Fatalf("Load before Store: ok %v, err %v", ok, err)
	}
	s := Stats{Mu: []float64{1, 2}, Sigma: sym([]float64{1, 0.5}, []float64{0.5, 2}), N: 3}
	if err := c.Store(key, s); err != nil {
		t.Fatal(err)
	}
	got, ok, err := c.Load(key)
	if err != nil || !ok {
		t.Fatalf("Load after Store: ok %v, err %v", ok, err)
	}
	if got.N != 3 || got.Mu[0] != 1 || got.Mu[1] != 2 || !mat.Equal(got.Sigma, s.Sigma) {
		t.Errorf("Load returned %+v", got)
	}
	other, err := KeyForFiles("other-extractor", paths)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := c.Load(other); ok || err != nil {
		t.Errorf("Load of another key: ok %v, err %v", ok, err)
	}

	// A corrupt entry is an error naming its file.
	p, err := c.path(other)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Load(other); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("corrupt entry: error %v, want one naming %s", err, p)
	}

	for _, bad := range []string{"", "../../etc/passwd", strings.Repeat("g", 64), strings.ToUpper(key)} {
		if _, _, err := c.Load(bad); err == nil {
			t.Errorf("Load(%q) accepted a malformed key", bad)
		}
		if err := c.Store(bad, s); err == nil {
			t.Errorf("Store(%q) accepted a malformed key", bad)
		}
	}
	if err := (Cache{}).Store(key, s); err == nil {
		t.Error("a Cache without Dir stored")
	}
	if err := c.Store(key, Stats{Mu: []float64{1}}); err == nil {
		t.Error("Store accepted invalid statistics")
	}
}
