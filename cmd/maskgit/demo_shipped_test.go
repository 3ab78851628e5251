package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/maskgit-go/maskgit/pipeline"
)

// TestDemoShippedModel runs the demo the README promises: the shipped model
// on the shipped examples, default settings. It checks the picture exists,
// keeps every known pixel and is the same for the same seed.
func TestDemoShippedModel(t *testing.T) {
	root := filepath.Join("..", "..")
	model := filepath.Join(root, shippedModel)
	examples := filepath.Join(root, shippedExamples)
	if _, err := os.Stat(filepath.Join(model, "transformer", "config.json")); err != nil {
		t.Skipf("no shipped model at %s yet (%v): the demo test runs once the trained model is committed", model, err)
	}
	if _, err := listExamples(examples); err != nil {
		t.Skipf("no shipped examples in %s yet: %v", examples, err)
	}
	var pics [2][]byte
	for k := range pics {
		out := filepath.Join(t.TempDir(), "demo.png")
		t0 := time.Now()
		code, stdout, stderr := runCLI(t, "demo", "--model", model, "--examples", examples, "--out", out, "--seed", "1")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		t.Logf("run %d: %.1f s\n%s", k, time.Since(t0).Seconds(), stdout)
		if k == 0 {
			// The demo runs the model's own settings: its strip shows the
			// steps they run.
			set, _, err := pipeline.ReadSettings(model)
			if err != nil {
				t.Fatal(err)
			}
			steps := set.TotalIter
			if set.SweetSpot > 0 {
				steps = set.SweetSpot
			}
			checkDemoGrid(t, out, examples, 64, 2, steps)
		}
		pics[k], _ = os.ReadFile(out)
	}
	if len(pics[0]) == 0 || !bytes.Equal(pics[0], pics[1]) {
		t.Error("two demo runs with seed 1 wrote different pictures")
	}
}
