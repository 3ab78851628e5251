package main

import (
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/train"
)

// trainFolders writes small 64x64 train and val folders.
func trainFolders(t *testing.T) (trainDir, valDir string) {
	dir := t.TempDir()
	for split, n := range map[string]int{"train": 8, "val": 3} {
		for i := 0; i < n; i++ {
			img := image.NewRGBA(image.Rect(0, 0, 64, 64))
			for p := 0; p < 64*64; p++ {
				img.Set(p%64, p/64, color.RGBA{uint8(4*(p%64) + 10*i), uint8(4 * (p / 64)), uint8(30 * i), 255})
			}
			writeTestPNG(t, filepath.Join(dir, split, split+string(rune('a'+i))+".png"), img)
		}
	}
	return filepath.Join(dir, "train"), filepath.Join(dir, "val")
}

func TestTrainCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two tiny models")
	}
	trainDir, valDir := trainFolders(t)
	runs := t.TempDir()
	tok := filepath.Join(runs, "tok")
	code, stdout, stderr := runCLI(t, "train-tokenizer", "--preset", "tiny", "--steps", "3", "--batch", "2", "--out", tok,
		"--train-dir", trainDir, "--val-dir", valDir, "--log-every", "1", "--threads", "1")
	if code != 0 || !strings.Contains(stdout, "tokenizer: 3 steps") || !strings.Contains(stdout, "step 3/3") {
		t.Fatalf("train-tokenizer: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// A second fresh run into the same directory is refused; nothing is changed.
	code, _, stderr = runCLI(t, "train-tokenizer", "--preset", "tiny", "--out", tok, "--train-dir", trainDir, "--val-dir", valDir)
	if code != 2 || !strings.Contains(stderr, "not empty") {
		t.Errorf("second run: exit %d %q", code, stderr)
	}
	tr := filepath.Join(runs, "tr")
	code, stdout, stderr = runCLI(t, "train", "--preset", "tiny", "--steps", "2", "--batch", "2", "--tokenizer", tok, "--out", tr,
		"--train-dir", trainDir, "--val-dir", valDir, "--threads", "1")
	if code != 0 || !strings.Contains(stdout, "transformer: 2 steps") {
		t.Fatalf("train: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// Its events hold the sample inpaintings (their content: train's tests).
	ev, _ := filepath.Glob(filepath.Join(tr, "events", "events.out.tfevents.*"))
	if len(ev) != 1 {
		t.Fatalf("train: event files %v", ev)
	}
	if b, err := os.ReadFile(ev[0]); err != nil || !strings.Contains(string(b), train.SampleTag) {
		t.Errorf("train: no %s in %s (%v)", train.SampleTag, ev[0], err)
	}
	// Resuming with a different config is refused with the difference named.
	code, _, stderr = runCLI(t, "train", "--preset", "tiny", "--steps", "4", "--batch", "2", "--tokenizer", tok, "--out", tr,
		"--train-dir", trainDir, "--val-dir", valDir, "--resume")
	if code != 2 || !strings.Contains(stderr, "steps: run has 2, now 4") {
		t.Errorf("mismatched resume: exit %d %q", code, stderr)
	}
	// encode writes a token cache; the trained pair inpaints.
	code, stdout, stderr = runCLI(t, "encode", "--tokenizer", tok, "--images", valDir, "--out", filepath.Join(runs, "val.tokens"))
	if code != 0 || !strings.Contains(stdout, "encoded 3 images") {
		t.Errorf("encode: exit %d %s %s", code, stdout, stderr)
	}
	for _, bad := range [][]string{
		{"train-tokenizer", "--preset", "huge", "--out", filepath.Join(runs, "x")},
		{"train-tokenizer", "--preset", "tiny", "--out", filepath.Join(runs, "y"), "--train-dir", filepath.Join(runs, "none"), "--val-dir", valDir},
		{"train", "--preset", "tiny", "--out", filepath.Join(runs, "z"), "--tokenizer", filepath.Join(runs, "none")},
		{"train-tokenizer", "--preset", "tiny", "--out", filepath.Join(runs, "w"), "--device", "tpu"},
		{"train-tokenizer", "--preset", "tiny", "--out", filepath.Join(runs, "p1"), "--train-dir", trainDir, "--val-dir", valDir, "--perceptual", "-1"},
		{"train-tokenizer", "--preset", "tiny", "--out", filepath.Join(runs, "p2"), "--train-dir", trainDir, "--val-dir", valDir, "--perceptual", "1", "--perceptual-size", "16"},
		{"train-tokenizer", "--preset", "tiny", "--out", filepath.Join(runs, "p3"), "--train-dir", trainDir, "--val-dir", valDir, "--decoder-only"},
		{"train-tokenizer", "--preset", "tiny", "--out", filepath.Join(runs, "p4"), "--train-dir", trainDir, "--val-dir", valDir, "--init-from", filepath.Join(runs, "none")},
		{"train-tokenizer", "--preset", "tiny", "--out", filepath.Join(runs, "p5"), "--train-dir", trainDir, "--val-dir", valDir, "--perceptual", "1", "--inception-weights", filepath.Join(runs, "none.weights")},
	} {
		if code, _, stderr := runCLI(t, bad...); code != 2 {
			t.Errorf("%q: exit %d, want 2 (%s)", bad, code, stderr)
		} else if flag := bad[len(bad)-2]; (strings.HasPrefix(flag, "--perceptual") || flag == "--init-from" || flag == "--inception-weights") && !strings.Contains(stderr, flag) {
			t.Errorf("%q: the error does not name %s: %s", bad, flag, stderr)
		}
	}
	for _, p := range []string{"x", "y", "z", "w", "p1", "p2", "p3", "p4", "p5"} {
		if _, err := os.Stat(filepath.Join(runs, p)); !os.IsNotExist(err) {
			t.Errorf("failed command left %s behind", p)
		}
	}
}

// TestTrainTokenizerDevices trains the tiny tokenizer with one
// data-parallel replica on each of two CPU devices.
func TestTrainTokenizerDevices(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a tiny tokenizer")
	}
	trainDir, valDir := trainFolders(t)
	tok := filepath.Join(t.TempDir(), "tok")
	code, stdout, stderr := runCLI(t, "train-tokenizer", "--preset", "tiny", "--steps", "2", "--batch", "3", "--out", tok,
		"--train-dir", trainDir, "--val-dir", valDir, "--log-every", "1", "--threads", "1", "--device", "cpu:0,cpu:1", "--disc", "--disc-start", "1")
	if code != 0 || !strings.Contains(stdout, "tokenizer: 2 steps") || !strings.Contains(stdout, "step 2/2") {
		t.Fatalf("train-tokenizer --device cpu:0,cpu:1: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
