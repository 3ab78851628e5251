package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/inpaint"
)

func TestMasksCommand(t *testing.T) {
	for _, style := range []string{"strokes", "box", "blob"} {
		t.Run(style, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "mask64")
			code, stdout, stderr := runCLI(t, "masks", "--n", "3", "--seed", "4", "--style", style, "--out", out)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.Contains(stdout, "wrote 3 "+style+" masks (64x64") {
				t.Errorf("stdout %q", stdout)
			}
			for i := 0; i < 3; i++ {
				p := filepath.Join(out, fmt.Sprintf("mask_%03d.png", i))
				m, nonBinary, err := inpaint.ReadMask(p, 64, 64)
				if err != nil {
					t.Fatal(err)
				}
				lo, hi := 0.12, 0.39
				if style == "box" {
					lo, hi = 0.10, 0.35
				}
				if f := float64(m.Holes()) / 4096; nonBinary != 0 || f < lo || f > hi {
					t.Errorf("%s: %d non-binary pixels, hole fraction %.3f (want %.2f…%.2f)", p, nonBinary, f, lo, hi)
				}
			}
			// The same seed writes the same files.
			again := filepath.Join(t.TempDir(), "again")
			if code, _, stderr := runCLI(t, "masks", "--n", "3", "--seed", "4", "--style", style, "--out", again); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for i := 0; i < 3; i++ {
				a, _ := os.ReadFile(filepath.Join(out, fmt.Sprintf("mask_%03d.png", i)))
				b, _ := os.ReadFile(filepath.Join(again, fmt.Sprintf("mask_%03d.png", i)))
				if len(a) == 0 || !bytes.Equal(a, b) {
					t.Errorf("mask %d differs between two runs with seed 4", i)
				}
			}
		})
	}
	out := t.TempDir()
	code, _, _ := runCLI(t, "masks", "--n", "2", "--size", "32", "--min-hole", "0.5", "--max-hole", "0.6", "--out", out)
	if code != 0 {
		t.Fatalf("custom bounds: exit %d", code)
	}
	if m, _, err := inpaint.ReadMask(filepath.Join(out, "mask_001.png"), 32, 32); err != nil || m.Holes() < 512 || m.Holes() > 614 {
		t.Errorf("custom bounds: %v", err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"masks", "--n", "2"}, "--out is required"},
		{[]string{"masks", "--style", "disc", "--out", out}, "unknown style"},
		{[]string{"masks", "--n", "0", "--out", out}, "--n must be at least 1"},
		{[]string{"masks", "--min-hole", "0.5", "--max-hole", "0.2", "--out", out}, "want 0 < min ≤ max < 1"},
	} {
		code, _, stderr := runCLI(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q (want 2 and %q)", c.args, code, stderr, c.want)
		}
	}
}
