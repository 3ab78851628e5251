package train

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTransformerBadInputCreatesNothing: a transformer run whose image
// folders fail their checks (empty, a corrupt image, an empty validation
// folder after a good training folder) or whose device is missing creates
// nothing: before, the run
// directory was set up (best/ ckpt/ config.json tokens/) and then left.
// A run killed before its first checkpoint then resumes from step 0 and
// ends as an uninterrupted run does.
func TestTransformerBadInputCreatesNothing(t *testing.T) {
	dir, cfg, log := tinyTransformerSetup(t)
	empty := filepath.Join(dir, "empty")
	corrupt := filepath.Join(dir, "corrupt")
	os.MkdirAll(empty, 0o755)
	writeImages(t, corrupt, 3, 4)
	os.WriteFile(filepath.Join(corrupt, "broken.png"), []byte("not a png"), 0o644)
	cases := []struct{ name, train, val, device, want string }{
		{"empty train", empty, cfg.ValDir, "", empty},
		{"corrupt train", corrupt, cfg.ValDir, "", "broken.png"},
		{"empty val", cfg.TrainDir, empty, "", empty},
		// A device this machine lacks (no TensorFlow build here sees 99 GPUs).
		{"missing device", cfg.TrainDir, cfg.ValDir, "/device:GPU:99", "GPU:99 is not available"},
	}
	for _, c := range cases {
		bad := cfg
		bad.TrainDir, bad.ValDir = c.train, c.val
		out := filepath.Join(dir, "run-"+strings.ReplaceAll(c.name, " ", "-"))
		_, err := TrainTransformer(context.Background(), bad, RunOptions{Out: out, Threads: 1, Device: c.device, Log: log})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error naming %s", c.name, err, c.want)
		}
		if _, serr := os.Stat(out); !os.IsNotExist(serr) {
			ents, _ := os.ReadDir(out)
			t.Errorf("%s: the failed run left %s with %v", c.name, out, ents)
		}
	}

	// Killed before the first checkpoint: the directory holds config.json
	// (and the encoded tokens); --resume starts from step 0.
	opt := RunOptions{Out: filepath.Join(dir, "a"), ValEvery: 4, CkptEvery: 4, Threads: 1, Log: log}
	a, err := TrainTransformer(context.Background(), cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	killed := RunDir(filepath.Join(dir, "b"))
	if err := killed.Init(cfg, false); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(string(killed), "ckpt", ".step-00000004.tmp-1"), []byte("x"), 0o644)
	opt.Out, opt.Resume = string(killed), true
	b, err := TrainTransformer(context.Background(), cfg, opt)
	if err != nil {
		t.Fatalf("resume of a run without checkpoints: %v\n%s", err, log.String())
	}
	if a.Step != 8 || b.Step != 8 || a.ValLoss != b.ValLoss {
		t.Errorf("uninterrupted %+v, resumed from nothing %+v", a, b)
	}
	if _, err := os.Stat(filepath.Join(string(killed), "ckpt", ".step-00000004.tmp-1")); !os.IsNotExist(err) {
		t.Error("stale temporary file not removed on resume")
	}

	// The same for a warm-started run: the resumed one starts from the
	// --init-from weights too, not from a random initialisation.
	warm := cfg
	warm.InitFrom, warm.Steps, warm.Seed = filepath.Join(dir, "a"), 4, 9
	opt.Out, opt.Resume = filepath.Join(dir, "warm-a"), false
	wa, err := TrainTransformer(context.Background(), warm, opt)
	if err != nil {
		t.Fatal(err)
	}
	killed = RunDir(filepath.Join(dir, "warm-b"))
	if err := killed.Init(warm, false); err != nil {
		t.Fatal(err)
	}
	log.Reset()
	opt.Out, opt.Resume = string(killed), true
	wb, err := TrainTransformer(context.Background(), warm, opt)
	if err != nil {
		t.Fatal(err)
	}
	if wa.ValLoss != wb.ValLoss {
		t.Errorf("warm start: uninterrupted loss %v, resumed from nothing %v", wa.ValLoss, wb.ValLoss)
	}
	if !strings.Contains(log.String(), "initialised the weights from") {
		t.Errorf("the resumed warm start did not load the weights:\n%s", log.String())
	}
}

// TestTokenizerMissingDeviceCreatesNothing: a device the machine lacks is
// refused before the run directory is created.
func TestTokenizerMissingDeviceCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	writeImages(t, filepath.Join(dir, "train"), 4, 1)
	writeImages(t, filepath.Join(dir, "val"), 2, 2)
	opt := RunOptions{Out: filepath.Join(dir, "run"), Threads: 1, Device: "/device:GPU:99"}
	_, err := TrainTokenizer(context.Background(), tinyTokenizerConfig(dir), opt)
	if err == nil || !strings.Contains(err.Error(), "GPU:99 is not available") {
		t.Errorf("missing device: %v", err)
	}
	if _, serr := os.Stat(opt.Out); !os.IsNotExist(serr) {
		t.Error("run directory created despite the missing device")
	}
}
