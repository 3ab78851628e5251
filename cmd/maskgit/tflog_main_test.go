package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// asMaskgit makes the test binary act as the maskgit command (as main
// does) when started with it set: TestQuietTFEndToEnd runs it so.
const asMaskgit = "MASKGIT_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMaskgit) == "1" {
		args, code, ok := quietTF(os.Args[1:])
		if ok {
			code = run(context.Background(), args, os.Stdout, os.Stderr)
		}
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// TestQuietTFEndToEnd runs a command that creates a TensorFlow session (it
// logs the CPU-feature and MLIR INFO lines at level 0) through quietTF:
// by default those lines are gone, with --tf-log they show, and the
// command's own output is there either way.
func TestQuietTFEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command twice")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	imgs, masks := filepath.Join(dir, "images"), filepath.Join(dir, "masks")
	for _, d := range []string{imgs, masks} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"sample_000", "sample_001"} {
		for src, dst := range map[string]string{n + ".png": filepath.Join(imgs, n+".png"), n + "_mask.png": filepath.Join(masks, n+".png")} {
			b, err := os.ReadFile(filepath.Join("..", "..", "examples", src))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	model, _ := filepath.Abs(filepath.Join("..", "..", "models", "catfaces64"))
	for i, c := range []struct {
		extra []string
		shown bool
	}{{nil, false}, {[]string{"--tf-log"}, true}} {
		args := append([]string{"inpaint", "--model", model, "--images", imgs, "--masks", masks, "--threads", "1",
			"--out", filepath.Join(dir, "out", string(rune('a'+i)))}, c.extra...)
		cmd := exec.Command(exe, args...)
		env := []string{asMaskgit + "=1"}
		for _, e := range os.Environ() {
			if !strings.HasPrefix(e, "TF_CPP_MIN_LOG_LEVEL=") && !strings.HasPrefix(e, tfChildGuard+"=") {
				env = append(env, e)
			}
		}
		cmd.Env = append(env, "TF_CPP_MIN_LOG_LEVEL=0") // what the child must override
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%q: %v\n%s", c.extra, err, stderr.String())
		}
		if !strings.Contains(stdout.String(), "inpainted 2 images") {
			t.Errorf("%q: stdout %q", c.extra, stdout.String())
		}
		got := strings.Contains(stderr.String(), "cpu_feature_guard") || strings.Contains(stderr.String(), "mlir_graph_optimization_pass")
		if got != c.shown {
			t.Errorf("%q: TensorFlow's session INFO lines shown %v, want %v; stderr:\n%s", c.extra, got, c.shown, stderr.String())
		}
	}
}
