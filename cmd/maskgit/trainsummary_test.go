package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/train"
)

func TestTrainSummaries(t *testing.T) {
	cases := []struct {
		got       string
		want, not []string
	}{
		{tokenizerSummary(train.TokenizerResult{Step: 20, BestStep: -1}, "runs/tok"), []string{"step 20", "before the first validation", "--resume"}, []string{"PSNR", "-1"}},
		{tokenizerSummary(train.TokenizerResult{Step: 40, BestStep: 30, BestPSNR: 21.5}, "r"), []string{"step 40", "21.50 dB at step 30"}, []string{"0.00"}},
		{tokenizerSummary(train.TokenizerResult{Step: 50, ValPSNR: 22, ValL2: 0.01, BestStep: 50, Used: 9}, "r"), []string{"50 steps", "PSNR 22.00 dB", "best at step 50"}, nil},
		{transformerSummary(train.TransformerResult{Step: 7, BestStep: -1}, "runs/tr"), []string{"step 7", "before the first validation"}, []string{"loss", "-1"}},
		{transformerSummary(train.TransformerResult{Step: 9, BestStep: 5, BestLoss: 5.5}, "r"), []string{"5.5000 at step 5"}, []string{"0.0000"}},
		{transformerSummary(train.TransformerResult{Step: 9, ValLoss: 5.6, ValAccuracy: 0.06, BestStep: 9}, "r"), []string{"validation loss 5.6000", "best at step 9"}, nil},
	}
	for _, c := range cases {
		for _, w := range c.want {
			if !strings.Contains(c.got, w) {
				t.Errorf("%q lacks %q", c.got, w)
			}
		}
		for _, n := range c.not {
			if strings.Contains(c.got, n) {
				t.Errorf("%q has %q", c.got, n)
			}
		}
	}
}

// TestTrainFlagMessages: bad schedule settings and missing data are
// reported with flag names (and MASKGIT_SHARED), not Go field names.
func TestTrainFlagMessages(t *testing.T) {
	cases := []struct {
		args      []string
		want, not string
	}{
		{[]string{"train-tokenizer", "--preset", "tiny", "--lr-schedule", "cosine", "--steps", "2", "--train-dir", ".", "--val-dir", ".", "--out", t.TempDir() + "/r"}, "--steps 2", "WarmupCosine"},
		{[]string{"train-tokenizer", "--preset", "cpu", "--steps", "100", "--train-dir", ".", "--val-dir", ".", "--out", t.TempDir() + "/r"}, "200 warm-up steps", "Warmup"},
		{[]string{"train-tokenizer", "--train-dir", "", "--out", t.TempDir() + "/r"}, "MASKGIT_SHARED", ""},
		{[]string{"train", "--tokenizer", "x", "--train-dir", "", "--out", t.TempDir() + "/r"}, "MASKGIT_SHARED", ""},
		{[]string{"sweep", "--model", "x", "--data", "", "--out", t.TempDir() + "/s"}, "MASKGIT_SHARED", ""},
	}
	for _, c := range cases {
		code, _, stderr := runCLI(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) || (c.not != "" && strings.Contains(stderr, c.not)) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}

// TestEncodeTakesModelDir: encode --tokenizer accepts a model directory
// (models/catfaces64, holding tokenizer/) as well as a tokenizer run.
func TestEncodeTakesModelDir(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"sample_000.png", "sample_001.png"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "tokens.mgtok")
	code, stdout, stderr := runCLI(t, "encode", "--tokenizer", filepath.Join("..", "..", "models", "catfaces64"), "--images", dir, "--out", out, "--flip")
	if code != 0 || !strings.Contains(stdout, "encoded 2 images (+2 mirrored)") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}
