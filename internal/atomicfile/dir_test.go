package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// tree returns "path=content" for every file under dir, sorted.
func tree(t *testing.T, dir string) string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out = append(out, rel+"="+string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func mkTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, c := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReplaceDir(t *testing.T) {
	noExchange := func(a, b string) error { return errNoExchange }
	broken := errors.New("exchange failed")
	cases := []struct {
		name     string
		exchange func(a, b string) error
		old      bool // dst exists before
		wantErr  error
	}{
		{"new", exchange, false, nil},
		{"exchange", exchange, true, nil},
		{"fallback", noExchange, true, nil},
		{"fallback new", noExchange, false, nil},
		{"failing exchange", func(a, b string) error { return broken }, true, broken},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			dst := filepath.Join(root, "best")
			if c.old {
				mkTree(t, dst, map[string]string{"model.index": "old", "model.json": "1", "stale": "x"})
			}
			src, err := os.MkdirTemp(root, ".best.tmp-")
			if err != nil {
				t.Fatal(err)
			}
			mkTree(t, src, map[string]string{"model.index": "new", "model.json": "2", "sub/f": "y"})
			err = replaceDir(src, dst, c.exchange)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("replaceDir: %v, want %v", err, c.wantErr)
			}
			if c.wantErr != nil {
				if got := tree(t, dst); got != "model.index=old,model.json=1,stale=x" {
					t.Fatalf("a failed replace changed dst: %s", got)
				}
				return
			}
			if got := tree(t, dst); got != "model.index=new,model.json=2,sub/f=y" {
				t.Fatalf("dst = %s", got)
			}
			if ents, _ := os.ReadDir(root); len(ents) != 1 {
				t.Fatalf("left behind: %v", ents)
			}
		})
	}
}

// TestRemoveStale: temporary files and directories go; a directory moved
// aside by an interrupted fallback replace comes back when its replacement
// never arrived, and is dropped when it did.
func TestRemoveStale(t *testing.T) {
	root := t.TempDir()
	mkTree(t, root, map[string]string{
		"config.json":                  "c",
		".config.json.tmp-123":         "half",
		".model.tmp-456/model.index":   "half",
		".best.old-789/old/model.json": "old best",
		".ckpt.old-1/old/x":            "old ckpt",
		"ckpt/x":                       "new ckpt",
	})
	done, err := RemoveStale(root)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tree(t, root), "best/model.json=old best,ckpt/x=new ckpt,config.json=c"; got != want {
		t.Fatalf("after RemoveStale: %s, want %s", got, want)
	}
	if len(done) != 5 {
		t.Errorf("reported %v", done)
	}
	if done, err := RemoveStale(filepath.Join(root, "missing")); err != nil || len(done) != 0 {
		t.Errorf("missing dir: %v, %v", done, err)
	}
}

func TestExchange(t *testing.T) {
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	mkTree(t, a, map[string]string{"f": "a"})
	mkTree(t, b, map[string]string{"f": "b"})
	err := exchange(a, b)
	if errors.Is(err, errNoExchange) {
		t.Skip("no atomic exchange here; ReplaceDir uses its fallback")
	}
	if err != nil {
		t.Fatal(err)
	}
	if tree(t, a) != "f=b" || tree(t, b) != "f=a" {
		t.Fatalf("not swapped: a %s, b %s", tree(t, a), tree(t, b))
	}
}
