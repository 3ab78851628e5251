package main

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/inpaint"
	"github.com/maskgit-go/maskgit/pipeline"
)

func TestGenerateCommand(t *testing.T) {
	model, _, _ := labFixture(t)
	out := filepath.Join(t.TempDir(), "samples")
	args := []string{"generate", "--model", model, "--n", "3", "--out", out, "--total-iter", "3", "--seed", "2", "--threads", "1"}
	code, stdout, stderr := runCLI(t, append(args, "--with-masks", "strokes", "--save-steps")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "generated 3 images into "+out) {
		t.Errorf("stdout %q", stdout)
	}
	for i := 0; i < 3; i++ {
		stem := fmt.Sprintf("sample_%03d", i)
		f, err := os.Open(filepath.Join(out, stem+".png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() != 16 || img.Bounds().Dy() != 16 {
			t.Errorf("%s.png: %v, %v (want 16x16: the model's resolution)", stem, err, img.Bounds())
		}
		m, nonBinary, err := inpaint.ReadMask(filepath.Join(out, stem+"_mask.png"), 16, 16)
		if err != nil || nonBinary != 0 || m.Holes() == 0 {
			t.Errorf("%s_mask.png: %v, %d non-binary pixels", stem, err, nonBinary)
		}
		f, err = os.Open(filepath.Join(out, "steps", stem+"_steps.png"))
		if err != nil {
			t.Fatal(err)
		}
		strip, err := png.Decode(f)
		f.Close()
		if err != nil || strip.Bounds().Dx() != 3*16 {
			t.Errorf("%s step strip: %v (want 3 steps of 16 px)", stem, err)
		}
	}
	// Same seed, same samples.
	again := filepath.Join(t.TempDir(), "again")
	againArgs := append([]string{}, args...)
	againArgs[6] = again // the value of --out
	if code, _, stderr := runCLI(t, againArgs...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for i := 0; i < 3; i++ {
		name := fmt.Sprintf("sample_%03d.png", i)
		a, _ := os.ReadFile(filepath.Join(out, name))
		b, _ := os.ReadFile(filepath.Join(again, name))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs with seed 2", name)
		}
	}
	if _, err := os.Stat(filepath.Join(again, "sample_000_mask.png")); err == nil {
		t.Error("masks written without --with-masks")
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"generate", "--model", model, "--n", "2"}, "--out is required"},
		{[]string{"generate", "--out", out}, "--model is required"},
		{[]string{"generate", "--model", model, "--out", out, "--with-masks", "disc"}, "unknown style"},
		{[]string{"generate", "--model", model, "--out", out, "--n", "0"}, "--n must be at least 1"},
		{[]string{"generate", "--model", filepath.Join(out, "nope"), "--out", out}, "nope"},
	} {
		code, _, stderr := runCLI(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q (want 2 and %q)", c.args, code, stderr, c.want)
		}
	}
}

// A model tuned to inpaint in one step (sweet_spot 1 in its inpaint.json, as
// the shipped model) still generates with all T steps unless --sweet-spot is
// given: one step from an all-[MASK] grid draws every token independently.
func TestGenerateRunsAllStepsByDefault(t *testing.T) {
	model, _, _ := labFixture(t)
	set := pipeline.DefaultSettings()
	set.TotalIter, set.SweetSpot = 4, 1
	if err := pipeline.WriteSettings(model, set); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		extra []string
		steps int
	}{
		{nil, 4},
		{[]string{"--sweet-spot", "1"}, 1},
		{[]string{"--sweet-spot", "2"}, 2},
	} {
		out := filepath.Join(t.TempDir(), "samples")
		args := append([]string{"generate", "--model", model, "--n", "1", "--out", out, "--save-steps", "--threads", "1"}, c.extra...)
		if code, _, stderr := runCLI(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", c.extra, code, stderr)
		}
		f, err := os.Open(filepath.Join(out, "steps", "sample_000_steps.png"))
		if err != nil {
			t.Fatal(err)
		}
		strip, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := strip.Bounds().Dx() / 16; got != c.steps {
			t.Errorf("%v: %d steps in the strip, want %d", c.extra, got, c.steps)
		}
	}
}
