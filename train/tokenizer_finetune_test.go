package train

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/internal/testutil"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// TestTokenizerDecoderFineTune starts a decoder-only run with the
// perceptual loss from a trained tokenizer (InitFrom), stops and resumes
// it: its checkpoint keeps the source's encoder and codebook bit for bit,
// its decoder has moved, and the validation reports the perceptual score.
// Bad combinations fail before the run directory exists.
func TestTokenizerDecoderFineTune(t *testing.T) {
	dir := t.TempDir()
	writeImages(t, filepath.Join(dir, "train"), 12, 1)
	writeImages(t, filepath.Join(dir, "val"), 5, 2)
	src := tinyTokenizerConfig(dir)
	src.Train.Disc, src.Steps = false, 4
	var log bytes.Buffer
	opt := RunOptions{Out: filepath.Join(dir, "src"), ValEvery: 4, CkptEvery: 4, Threads: 1, Log: &log}
	if _, err := TrainTokenizer(context.Background(), src, opt); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}

	ft := src
	ft.InitFrom, ft.Seed, ft.Steps, ft.DeadCodeEvery = filepath.Join(dir, "src"), 9, 4, 0
	ft.Train.DecoderOnly = true
	ft.Train.Perceptual, ft.Train.PerceptualSize, ft.Train.PerceptualNet = 0.5, 32, testutil.InceptionWeights(t)
	ftOpt := opt
	ftOpt.Out, ftOpt.ValEvery, ftOpt.StopAt = filepath.Join(dir, "ft"), 2, 2
	if _, err := TrainTokenizer(context.Background(), ft, ftOpt); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	ftOpt.StopAt, ftOpt.Resume = 0, true
	if _, err := TrainTokenizer(context.Background(), ft, ftOpt); err != nil {
		t.Fatalf("resume: %v\n%s", err, log.String())
	}
	for _, want := range []string{"initialised the weights from " + filepath.Join(dir, "src", "best", "model"), "perceptual", "score"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
	if n := strings.Count(log.String(), "initialised the weights"); n != 1 {
		t.Errorf("the weights were initialised %d times; a resumed run restores its own checkpoint", n)
	}

	read := func(prefix string) map[string][]float32 {
		r, err := tfmodel.OpenCheckpoint(prefix)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		tensors, err := r.Tensors()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]float32{}
		for _, ct := range tensors {
			if strings.HasPrefix(ct.Name, "encoder/") || strings.HasPrefix(ct.Name, "decoder/") || ct.Name == "quantizer/codebook" {
				v, err := r.Tensor(ct.Name)
				if err != nil {
					t.Fatal(err)
				}
				if out[ct.Name], err = tfmodel.Float32s(v); err != nil {
					t.Fatal(err)
				}
			}
		}
		return out
	}
	before := read(filepath.Join(dir, "src", "best", "model"))
	after := read(filepath.Join(dir, "ft", "ckpt", "step-00000004"))
	moved := 0
	for name, b := range before {
		same := slices.Equal(b, after[name])
		switch {
		case strings.HasPrefix(name, "decoder/") && !same:
			moved++
		case !strings.HasPrefix(name, "decoder/") && !same:
			t.Errorf("%s changed in a decoder-only fine-tune", name)
		}
	}
	if moved == 0 || len(before) != len(after) {
		t.Errorf("%d decoder variables moved; %d variables before, %d after", moved, len(before), len(after))
	}

	for _, tc := range []struct {
		name string
		edit func(*TokenizerConfig)
		want string
	}{
		{"decoder-only from scratch", func(c *TokenizerConfig) { c.InitFrom = "" }, "--init-from"},
		{"dead codes on", func(c *TokenizerConfig) { c.DeadCodeEvery = 3 }, "dead-code re-initialisation"},
		{"no weights", func(c *TokenizerConfig) { c.Train.PerceptualNet = nil }, "Inception weights"},
		{"missing source", func(c *TokenizerConfig) { c.InitFrom = filepath.Join(dir, "nope") }, "--init-from"},
		{"other architecture", func(c *TokenizerConfig) { c.Model.Latent = 8 }, "this run builds"},
	} {
		cfg := ft
		tc.edit(&cfg)
		o := opt
		o.Out = filepath.Join(dir, "bad-"+strings.ReplaceAll(tc.name, " ", "-"))
		_, err := TrainTokenizer(context.Background(), cfg, o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one naming %q", tc.name, err, tc.want)
		}
		if _, err := os.Stat(o.Out); !os.IsNotExist(err) {
			t.Errorf("%s: the run directory was created", tc.name)
		}
	}
}
