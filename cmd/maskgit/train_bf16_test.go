package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainBF16: train's --bf16 defaults to on where the CPU has native
// bfloat16 (the help says so); a tiny run without the flag follows that
// default, --resume keeps what the run recorded, a change on --resume is
// refused naming the field, and --bf16=false trains in float32.
func TestTrainBF16(t *testing.T) {
	code, out, errOut := runCLI(t, "help", "train")
	if code != 0 || !strings.Contains(out+errOut, "--bf16") || !strings.Contains(out+errOut, "on by default when this CPU has") {
		t.Errorf("help train: exit %d, --bf16 default not explained:\n%s%s", code, out, errOut)
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
	const bf16Line = "bfloat16 mixed precision"
	code, stdout, stderr := runCLI(t, append(args, "--stop-at", "1")...)
	if code != 0 || strings.Contains(stdout, bf16Line) != cpuHasBF16() {
		t.Fatalf("train (default, CPU has bf16: %v): exit %d\n%s\n%s", cpuHasBF16(), code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, append(args, "--resume")...)
	if code != 0 || strings.Contains(stdout, bf16Line) != cpuHasBF16() || !strings.Contains(stdout, "transformer: 2 steps") {
		t.Fatalf("train --resume (setting kept): exit %d\n%s\n%s", code, stdout, stderr)
	}
	change := fmt.Sprintf("--bf16=%v", !cpuHasBF16())
	const want = "bfloat16: run has"
	code, _, stderr = runCLI(t, append(args, "--resume", change)...)
	if code != 2 || !strings.Contains(stderr, want) {
		t.Errorf("train --resume %s: exit %d %q, want one naming %q", change, code, stderr, want)
	}
	fp32 := filepath.Join(runs, "tr32")
	for i := range args {
		if args[i] == tr {
			args[i] = fp32
		}
	}
	code, stdout, stderr = runCLI(t, append(args, "--bf16=false")...)
	if code != 0 || strings.Contains(stdout, bf16Line) {
		t.Errorf("train --bf16=false: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
