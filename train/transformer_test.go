package train

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/graphs/transformer"
)

// tinyTransformerSetup writes 12 train and 5 val images into a temporary
// folder, trains a tiny tokenizer on them and returns the folder, a tiny
// transformer config on that tokenizer (encoding the folders itself) and
// the log both write to.
func tinyTransformerSetup(t *testing.T) (string, TransformerConfig, *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	writeImages(t, filepath.Join(dir, "train"), 12, 1)
	writeImages(t, filepath.Join(dir, "val"), 5, 2)
	tcfg := tinyTokenizerConfig(dir)
	tcfg.Steps, tcfg.Train.Disc = 4, false
	log := new(bytes.Buffer)
	tokRun := filepath.Join(dir, "tok")
	if _, err := TrainTokenizer(context.Background(), tcfg, RunOptions{Out: tokRun, Threads: 1, Log: log}); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	return dir, TransformerConfig{
		Model: transformer.Config{Codes: 16, Positions: 16, Dim: 16, Layers: 1, Heads: 2, MLPDim: 32, Dropout: 0.1},
		Train: transformer.TrainConfig{LabelSmoothing: 0.1, Beta1: 0.9, Beta2: 0.96, WeightDecay: 0.01, ClipNorm: 1},
		LR:    LRConfig{Base: 1e-3, Schedule: "cosine", Warmup: 2, Min: 1e-5},
		Batch: 4, Steps: 8, Seed: 3, MaskSchedule: "cosine",
		TokenizerDir: tokRun, TrainDir: filepath.Join(dir, "train"), ValDir: filepath.Join(dir, "val"), FlipTokens: true,
	}, log
}

// TestTransformerStageEndToEnd trains a tiny tokenizer, then the tiny
// transformer on its tokens (encoded by the trainer into the run), once in
// one go and once stopped and resumed: both reach the same validation loss.
func TestTransformerStageEndToEnd(t *testing.T) {
	dir, cfg, log := tinyTransformerSetup(t)
	opt := RunOptions{Out: filepath.Join(dir, "a"), LogEvery: 4, ValEvery: 4, CkptEvery: 4, Threads: 1, Log: log}
	a, err := TrainTransformer(context.Background(), cfg, opt)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	// The trainer encoded the folders once: 12 images plus 12 mirrored.
	tc, err := dataset.ReadTokenCache(filepath.Join(opt.Out, "tokens", "train.tokens"))
	if err != nil {
		t.Fatal(err)
	}
	if tc.N != 24 || tc.H != 4 || tc.Codebook != 16 {
		t.Errorf("train tokens: N %d H %d codebook %d", tc.N, tc.H, tc.Codebook)
	}
	opt.Out, opt.StopAt = filepath.Join(dir, "b"), 3
	if _, err := TrainTransformer(context.Background(), cfg, opt); err != nil {
		t.Fatal(err)
	}
	opt.StopAt, opt.Resume = 0, true
	b, err := TrainTransformer(context.Background(), cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	if a.Step != 8 || b.Step != 8 || a.ValLoss != b.ValLoss || a.ValAccuracy != b.ValAccuracy {
		t.Errorf("uninterrupted %+v, resumed %+v", a, b)
	}
	if !(a.ValLoss > 0) || !strings.Contains(log.String(), "masked-token accuracy") {
		t.Errorf("no validation: %+v\n%s", a, log.String())
	}
	if _, err := os.Stat(filepath.Join(opt.Out, "best", "model.index")); err != nil {
		t.Error("no best checkpoint")
	}
	// A bad tokenizer directory fails before anything is written.
	bad := cfg
	bad.TokenizerDir = filepath.Join(dir, "no-such-tokenizer")
	if _, err := TrainTransformer(context.Background(), bad, RunOptions{Out: filepath.Join(dir, "d"), Log: log}); err == nil {
		t.Error("training with a missing tokenizer succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "d")); !os.IsNotExist(err) {
		t.Error("a failed start left a run directory behind")
	}
	// Tokens from another codebook are refused.
	cfg.Model.Codes = 32
	opt.Out, opt.Resume = filepath.Join(dir, "c"), false
	cfg.TrainTokens, cfg.ValTokens = filepath.Join(dir, "a", "tokens", "train.tokens"), filepath.Join(dir, "a", "tokens", "val.tokens")
	if _, err := TrainTransformer(context.Background(), cfg, opt); err == nil || !strings.Contains(err.Error(), "16 codes") {
		t.Errorf("mismatched tokens: %v", err)
	}
}
