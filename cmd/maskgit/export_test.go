package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestExportCommand exports the untrained lab fixture model, describes the
// export with the savedmodel command, and checks the usage errors.
func TestExportCommand(t *testing.T) {
	model, _, _ := labFixture(t)
	out := filepath.Join(t.TempDir(), "export")
	code, stdout, stderr := runCLI(t, "export", "--model", model, "--out", out, "--threads", "1")
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "signatures decode, encode, logits") {
		t.Errorf("export stdout %q", stdout)
	}
	code, stdout, stderr = runCLI(t, "savedmodel", "--dir", out, "--ops", "--threads", "1")
	if code != 0 {
		t.Fatalf("savedmodel: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"signature encode (tensorflow/serving/predict)", "in  images: float32 [?, 16, 16, 3]",
		"out logits: float32 [?, 16, 16]", `op SaveV2 (node "save/SaveV2")`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("savedmodel stdout lacks %q:\n%s", want, stdout)
		}
	}
	cases := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"existing out", []string{"export", "--model", model, "--out", out}, 2, "--overwrite"},
		{"overwrite", []string{"export", "--model", model, "--out", out, "--overwrite", "--threads", "1"}, 0, ""},
		{"no out", []string{"export", "--model", model}, 2, "required"},
		{"missing model", []string{"export", "--model", filepath.Join(t.TempDir(), "nope"), "--out", filepath.Join(t.TempDir(), "x")}, 2, "nope"},
		{"no dir", []string{"savedmodel"}, 2, "--dir is required"},
		{"not a SavedModel", []string{"savedmodel", "--dir", model}, 2, "no saved_model.pb"},
		{"unsafe ops refused", []string{"savedmodel", "--dir", filepath.Join("..", "..", "savedmodel", "testdata", "tf_readfile")}, 2, "ReadFile"},
		{"unsafe ops allowed", []string{"savedmodel", "--dir", filepath.Join("..", "..", "savedmodel", "testdata", "tf_readfile"), "--allow-unsafe-ops"}, 0, "in  path: string []"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, c.code, stderr)
			}
			if !strings.Contains(stdout+stderr, c.contains) {
				t.Errorf("output %q lacks %q", stdout+stderr, c.contains)
			}
		})
	}
}
