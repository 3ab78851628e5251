package train

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/pipeline"
)

// TestTransformerInitFrom: a run started with InitFrom (from a run directory
// or a bundled model directory) begins with that run's weights — after one
// step at a negligible learning rate it predicts what the source predicts,
// although its own seed differs — while the same run without InitFrom does
// not. A source of another architecture, or a missing one, fails before the
// run directory exists.
func TestTransformerInitFrom(t *testing.T) {
	dir, src, log := tinyTransformerSetup(t)
	src.Train.LabelSmoothing, src.FlipTokens, src.Steps = 0, false, 6
	src.LR = LRConfig{Base: 1e-2, Schedule: "step", StepSize: 100, Gamma: 1}
	tokRun := src.TokenizerDir
	run := func(cfg TransformerConfig, out string) error {
		_, err := TrainTransformer(context.Background(), cfg, RunOptions{Out: filepath.Join(dir, out), ValEvery: 1000, Threads: 1, Log: log})
		return err
	}
	if err := run(src, "src"); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if err := pipeline.Bundle(tokRun, filepath.Join(dir, "src"), filepath.Join(dir, "bundle")); err != nil {
		t.Fatal(err)
	}
	// The warm-started runs: another seed, dropout, one step at lr 1e-12.
	warm := src
	warm.Seed, warm.Steps, warm.Model.Dropout = 11, 1, 0
	warm.LR = LRConfig{Base: 1e-12, Schedule: "step", StepSize: 100, Gamma: 1}
	for name, from := range map[string]string{"fromrun": filepath.Join(dir, "src"), "frommodel": filepath.Join(dir, "bundle"), "fresh": ""} {
		cfg := warm
		cfg.InitFrom = from
		if err := run(cfg, name); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, log.String())
		}
	}
	if !strings.Contains(log.String(), "initialised the weights from") {
		t.Error("the warm start was not logged")
	}
	logits := func(run string) []float32 {
		tr, err := pipeline.LoadTransformer(filepath.Join(dir, run), pipeline.Options{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer tr.Close()
		toks := make([]int32, 2*16)
		for i := range toks {
			toks[i] = int32(i*7) % 17 // some [MASK] (16) among codes
		}
		l, err := tr.Predict(context.Background(), toks, 2)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	maxDiff := func(a, b []float32) float64 {
		d := 0.0
		for i := range a {
			d = math.Max(d, math.Abs(float64(a[i]-b[i])))
		}
		return d
	}
	want := logits("src")
	for _, name := range []string{"fromrun", "frommodel"} {
		if d := maxDiff(logits(name), want); d > 1e-5 {
			t.Errorf("%s: logits differ from the source's by %g", name, d)
		}
	}
	if d := maxDiff(logits("fresh"), want); d < 1e-2 {
		t.Errorf("the run without InitFrom predicts like the source (max difference %g): the check proves nothing", d)
	}
	// Bad sources fail before the run directory is created.
	for name, c := range map[string]func(*TransformerConfig){
		"missing": func(c *TransformerConfig) { c.InitFrom = filepath.Join(dir, "no-such-run") },
		"architecture": func(c *TransformerConfig) {
			c.InitFrom, c.Model.Dim, c.Model.MLPDim = filepath.Join(dir, "src"), 32, 64
		},
	} {
		cfg := warm
		c(&cfg)
		err := run(cfg, "bad-"+name)
		if err == nil || !strings.Contains(err.Error(), "--init-from") {
			t.Errorf("%s: %v", name, err)
		}
		if _, serr := os.Stat(filepath.Join(dir, "bad-"+name)); !os.IsNotExist(serr) {
			t.Errorf("%s: a failed warm start left a run directory", name)
		}
	}
}
