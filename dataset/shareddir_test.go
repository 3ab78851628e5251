package dataset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSharedDir(t *testing.T) {
	tmp := t.TempDir()
	missing := filepath.Join(tmp, "absent")
	file := filepath.Join(tmp, "file")
	writeFile(t, file, []byte("x"))
	tests := []struct {
		name    string
		env     string
		want    string
		wantErr string
	}{
		{"env folder", tmp, tmp, ""},
		{"env missing", missing, "", missing},
		{"env not a folder", file, "", "not a folder"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(SharedEnv, tc.env)
			got, err := SharedDir()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("SharedDir() = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	t.Run("default", func(t *testing.T) {
		t.Setenv(SharedEnv, "")
		wd, _ := os.Getwd()
		root, err := repoRoot(wd)
		if err != nil || filepath.Base(wd) != "dataset" || filepath.Dir(wd) != root {
			t.Fatalf("repoRoot(%s) = %s, %v; want the parent", wd, root, err)
		}
		want := filepath.Join(filepath.Dir(root), "shared")
		got, err := SharedDir()
		if _, statErr := os.Stat(want); statErr != nil {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("no %s: SharedDir() = %q, %v; want an error naming it", want, got, err)
			}
			return
		}
		if err != nil || got != want {
			t.Errorf("SharedDir() = %q, %v; want %q", got, err, want)
		}
	})
	t.Run("no go.mod", func(t *testing.T) {
		if _, err := repoRoot(tmp); err == nil || !strings.Contains(err.Error(), SharedEnv) {
			t.Errorf("repoRoot without go.mod: %v", err)
		}
	})
}
