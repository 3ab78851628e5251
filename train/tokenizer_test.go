package train

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/graphs/vqvae"
)

// writeImages writes n smooth random 16x16 PNGs into dir.
func writeImages(t *testing.T, dir string, n int, seed uint64) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	for i := 0; i < n; i++ {
		im := image.NewRGBA(image.Rect(0, 0, 16, 16))
		a, b, c := rng.IntN(256), rng.IntN(256), rng.IntN(256)
		for y := 0; y < 16; y++ {
			for x := 0; x < 16; x++ {
				im.Set(x, y, color.RGBA{uint8(a + 8*x), uint8(b + 8*y), uint8(c), 255})
			}
		}
		f, err := os.Create(filepath.Join(dir, string(rune('a'+i%26))+string(rune('a'+i/26))+".png"))
		if err != nil {
			t.Fatal(err)
		}
		png.Encode(f, im)
		f.Close()
	}
}

func tinyTokenizerConfig(dir string) TokenizerConfig {
	return TokenizerConfig{
		Model: vqvae.Config{Resolution: 16, Grid: 4, Channels: []int64{8, 8, 8}, ResBlocks: 1, Groups: 4, Latent: 4, Codes: 16, Beta: 0.25},
		Train: vqvae.TrainConfig{L1: 1, L2: 1, Beta1: 0.9, Beta2: 0.99, WeightDecay: 1e-4, ClipNorm: 1, Disc: true, DiscChannels: 8},
		LR:    LRConfig{Base: 2e-3, Schedule: "step", StepSize: 4, Gamma: 0.5},
		Batch: 4, Steps: 8, Seed: 5, Flip: true, DiscStart: 3, DiscWeight: 0.1, DeadCodeEvery: 3,
		TrainDir: filepath.Join(dir, "train"), ValDir: filepath.Join(dir, "val"),
	}
}

// TestTokenizerResumeMatchesUninterrupted trains 8 steps in one go and in
// two runs (stop at 5, resume), and expects the same validation loss.
func TestTokenizerResumeMatchesUninterrupted(t *testing.T) {
	dir := t.TempDir()
	writeImages(t, filepath.Join(dir, "train"), 12, 1)
	writeImages(t, filepath.Join(dir, "val"), 5, 2)
	cfg := tinyTokenizerConfig(dir)
	var log bytes.Buffer
	opt := RunOptions{Out: filepath.Join(dir, "a"), LogEvery: 2, ValEvery: 4, CkptEvery: 4, Threads: 1, Log: &log}
	a, err := TrainTokenizer(context.Background(), cfg, opt)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	opt.Out = filepath.Join(dir, "b")
	opt.StopAt = 5
	b1, err := TrainTokenizer(context.Background(), cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	if b1.Step != 5 {
		t.Fatalf("stopped at %d, want 5", b1.Step)
	}
	opt.StopAt, opt.Resume = 0, true
	b, err := TrainTokenizer(context.Background(), cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	if a.Step != 8 || b.Step != 8 {
		t.Fatalf("steps %d, %d", a.Step, b.Step)
	}
	if a.ValL2 != b.ValL2 || a.ValPSNR != b.ValPSNR {
		t.Errorf("resumed run differs: l2 %v vs %v, psnr %v vs %v", a.ValL2, b.ValL2, a.ValPSNR, b.ValPSNR)
	}
	for _, want := range []string{"step 2/8", "images/s", "validation at step 4", "validation at step 8"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
	for _, p := range []string{"config.json", "best/model.index", "best/model.json", "ckpt/checkpoint", "ckpt/step-00000008.index", "ckpt/step-00000008.json"} {
		if _, err := os.Stat(filepath.Join(opt.Out, p)); err != nil {
			t.Errorf("missing %s", p)
		}
	}
	if ev, _ := filepath.Glob(filepath.Join(opt.Out, "events", "events.out.tfevents.*")); len(ev) == 0 {
		t.Error("no TensorBoard events")
	}
	// A different config refuses to resume, and nothing is written.
	cfg.Batch = 3
	if _, err := TrainTokenizer(context.Background(), cfg, opt); err == nil || !strings.Contains(err.Error(), "batch: run has 4, now 3") {
		t.Errorf("mismatched resume: %v", err)
	}
}

func TestTokenizerBadInput(t *testing.T) {
	dir := t.TempDir()
	writeImages(t, filepath.Join(dir, "val"), 3, 2)
	os.MkdirAll(filepath.Join(dir, "train"), 0o755)
	cfg := tinyTokenizerConfig(dir)
	opt := RunOptions{Out: filepath.Join(dir, "run"), Log: &bytes.Buffer{}}
	_, err := TrainTokenizer(context.Background(), cfg, opt)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "train")) {
		t.Errorf("empty train folder: %v", err)
	}
	if _, serr := os.Stat(opt.Out); !os.IsNotExist(serr) {
		t.Errorf("run directory created despite the error")
	}
	writeImages(t, filepath.Join(dir, "train"), 4, 1)
	os.WriteFile(filepath.Join(dir, "train", "broken.png"), []byte("not a png"), 0o644)
	_, err = TrainTokenizer(context.Background(), cfg, opt)
	if err == nil || !strings.Contains(err.Error(), "broken.png") {
		t.Errorf("corrupt image: %v", err)
	}
	opt.Resume = true
	if _, err := TrainTokenizer(context.Background(), cfg, opt); err == nil {
		t.Error("resume of a missing run succeeded")
	}
}
