package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// asMaskgit makes the test binary act as the maskgit command (as main
// does) when started with it set. The test binary is built from this
// package: the same preinit function as in bin/maskgit quiets TensorFlow
// before libtensorflow is initialised (tflog.go).
const asMaskgit = "MASKGIT_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	replayTFLoadLog(os.Stderr)
	if os.Getenv(asMaskgit) == "1" {
		os.Exit(run(context.Background(), stripTFLog(os.Args[1:]), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// hasTFLogLine reports whether one of the lines of s is TensorFlow's INFO
// or WARNING line (or absl's notice).
func hasTFLogLine(s string) bool {
	for _, l := range strings.Split(s, "\n") {
		if tfLogLine.MatchString(l) {
			return true
		}
	}
	return false
}

// runAsMaskgit runs the test binary as maskgit with args, in the test's
// environment without TensorFlow's log variables, plus extra.
func runAsMaskgit(t *testing.T, args []string, extra ...string) (stdout, stderr string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	env := []string{asMaskgit + "=1"}
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "TF_CPP_MIN_LOG_LEVEL=") && !strings.HasPrefix(e, "TF_ENABLE_ONEDNN_OPTS=") && !strings.HasPrefix(e, asMaskgit+"=") {
			env = append(env, e)
		}
	}
	cmd.Env = append(env, extra...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("%q %q: %v\n%s", args, extra, err, e.String())
	}
	return o.String(), e.String()
}

// TestQuietTFAtLoad runs version, which only loads TensorFlow: while it
// is initialised, libtensorflow logs absl's notice and the oneDNN notice
// whatever TF_CPP_MIN_LOG_LEVEL says, before Go runs. In a clean
// environment (and with TF_CPP_MIN_LOG_LEVEL=1, as ./build.sh env sets
// it) nothing may show; with --tf-log the load-time lines do (on amd64,
// where oneDNN is on by default), even with TF_CPP_MIN_LOG_LEVEL=3.
func TestQuietTFAtLoad(t *testing.T) {
	for _, env := range [][]string{nil, {"TF_CPP_MIN_LOG_LEVEL=1"}} {
		stdout, stderr := runAsMaskgit(t, []string{"version"}, env...)
		if !strings.Contains(stdout, "TensorFlow 2.") {
			t.Errorf("%q: stdout %q", env, stdout)
		}
		if stderr != "" {
			t.Errorf("%q: version printed on stderr:\n%s", env, stderr)
		}
	}
	for _, env := range [][]string{nil, {"TF_CPP_MIN_LOG_LEVEL=3"}} {
		_, stderr := runAsMaskgit(t, []string{"--tf-log", "version"}, env...)
		if runtime.GOARCH == "amd64" && (!hasTFLogLine(stderr) || !strings.Contains(stderr, "oneDNN custom operations are on")) {
			t.Errorf("--tf-log %q: TensorFlow's load-time lines missing; stderr:\n%s", env, stderr)
		}
	}
}

// TestQuietTFEndToEnd runs a command that creates a TensorFlow session (it
// logs the CPU-feature and MLIR INFO lines at level 0): by default those
// lines are gone even with TF_CPP_MIN_LOG_LEVEL=0 in the environment, with
// --tf-log they show, and the command's own output is there either way.
func TestQuietTFEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command twice")
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
		stdout, stderr := runAsMaskgit(t, args, "TF_CPP_MIN_LOG_LEVEL=0") // what the preinit function must override
		if !strings.Contains(stdout, "inpainted 2 images") {
			t.Errorf("%q: stdout %q", c.extra, stdout)
		}
		got := strings.Contains(stderr, "cpu_feature_guard") || strings.Contains(stderr, "mlir_graph_optimization_pass")
		if got != c.shown {
			t.Errorf("%q: TensorFlow's session INFO lines shown %v, want %v; stderr:\n%s", c.extra, got, c.shown, stderr)
		}
		if !c.shown && hasTFLogLine(stderr) {
			t.Errorf("%q: TensorFlow lines on stderr:\n%s", c.extra, stderr)
		}
	}
}
