package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainBF16: train's --bf16 is documented as experimental; a tiny run
// with it trains in bfloat16, --resume without the flag keeps it, and
// --resume --bf16=false is refused naming the field.
func TestTrainBF16(t *testing.T) {
	code, out, errOut := runCLI(t, "help", "train")
	if code != 0 || !strings.Contains(out+errOut, "--bf16") || !strings.Contains(out+errOut, "experimental") {
		t.Errorf("help train: exit %d, no experimental --bf16:\n%s%s", code, out, errOut)
	}
	if testing.Short() {
		t.Skip("trains two tiny models")
	}
	trainDir, valDir := trainFolders(t)
	runs := t.TempDir()
	tok := filepath.Join(runs, "tok")
	if code, stdout, stderr := runCLI(t, "train-tokenizer", "--preset", "tiny", "--steps", "1", "--batch", "2", "--out", tok,
		"--train-dir", trainDir, "--val-dir", valDir, "--threads", "1"); code != 0 {
		t.Fatalf("train-tokenizer: exit %d\n%s\n%s", code, stdout, stderr)
	}
	tr := filepath.Join(runs, "tr")
	args := []string{"train", "--preset", "tiny", "--steps", "2", "--batch", "2", "--tokenizer", tok, "--out", tr,
		"--train-dir", trainDir, "--val-dir", valDir, "--threads", "1"}
	code, stdout, stderr := runCLI(t, append(args, "--bf16", "--stop-at", "1")...)
	if code != 0 || !strings.Contains(stdout, "bfloat16 mixed precision") {
		t.Fatalf("train --bf16: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, append(args, "--resume")...)
	if code != 0 || !strings.Contains(stdout, "bfloat16 mixed precision") || !strings.Contains(stdout, "transformer: 2 steps") {
		t.Fatalf("train --resume (bfloat16 kept): exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, _, stderr = runCLI(t, append(args, "--resume", "--bf16=false")...)
	if code != 2 || !strings.Contains(stderr, "bfloat16: run has true, now absent") {
		t.Errorf("train --resume --bf16=false: exit %d %q", code, stderr)
	}
}
