package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
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

// TestReexecKeepsName: the process started again at load (to run with
// TF_CPP_MIN_LOG_LEVEL=2) keeps its name in ps and top — /proc/PID/comm is
// the executable's base name, not "exe" as an exec of /proc/self/exe
// itself would make it. The worker command runs until stopped, so the
// test can look at it.
func TestReexecKeepsName(t *testing.T) {
	if _, err := os.Stat("/proc/self/comm"); err != nil {
		t.Skip("no /proc")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "worker", "--cluster", freePorts(t, 1)[0], "--task", "0")
	env := []string{asMaskgit + "=1"}
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "TF_CPP_MIN_LOG_LEVEL=") && !strings.HasPrefix(e, asMaskgit+"=") {
			env = append(env, e)
		}
	}
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	want := filepath.Base(exe)
	if len(want) > 15 { // the kernel keeps 15 bytes of a name
		want = want[:15]
	}
	proc := filepath.Join("/proc", strconv.Itoa(cmd.Process.Pid))
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		environ, err := os.ReadFile(filepath.Join(proc, "environ"))
		if err != nil {
			t.Fatalf("the worker ended early: %v", err)
		}
		if !bytes.Contains(environ, []byte("\x00TF_CPP_MIN_LOG_LEVEL=2\x00")) && !bytes.HasPrefix(environ, []byte("TF_CPP_MIN_LOG_LEVEL=2\x00")) {
			continue // not started again yet
		}
		comm, err := os.ReadFile(filepath.Join(proc, "comm"))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(string(comm)); got != want {
			t.Fatalf("after the re-exec the process is named %q, want %q", got, want)
		}
		return
	}
	t.Fatal("the worker was not started again with TF_CPP_MIN_LOG_LEVEL=2 within 30 s")
}
