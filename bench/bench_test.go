package bench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/graphs/transformer"
	"github.com/maskgit-go/maskgit/graphs/vqvae"
	"github.com/maskgit-go/maskgit/inpaint"
	"github.com/maskgit-go/maskgit/pipeline"
	"github.com/maskgit-go/maskgit/train"
)

// The measurements run end to end on tiny models (one timed run each; no
// timing is checked), so the benchmark keeps building and working as the
// graphs change.

func TestMatmulRuns(t *testing.T) {
	r, err := Matmul(16, 0, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.Units != 2*16*16*16 || len(r.Seconds) != 2 || r.Median() <= 0 {
		t.Fatalf("result %+v", r)
	}
	if _, err := Matmul(0, 0, 1, 1); err == nil {
		t.Fatal("n = 0 accepted")
	}
}

func TestTrainRuns(t *testing.T) {
	p, err := train.TransformerPreset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	// The second is benchgo train --bf16.
	for _, c := range []struct {
		bf16 bool
		name string
	}{{false, "train"}, {true, "train-bf16"}} {
		r, err := Train(TrainOptions{Model: p.Model, Train: p.Train, Batch: 2, Warmup: 1, Iters: 1, Threads: 1, LR: 1e-3, Seed: 1, BFloat16: c.bf16})
		if err != nil {
			t.Fatalf("bf16 %v: %v", c.bf16, err)
		}
		if r.Units != 2 || len(r.Seconds) != 1 || r.Name != c.name {
			t.Fatalf("bf16 %v: result %+v, want name %q", c.bf16, r, c.name)
		}
	}
}

// tinyModel writes and loads an untrained 16x16-pixel model and two inputs
// with a hole each.
func tinyModel(t *testing.T) (*pipeline.Model, *Inputs) {
	t.Helper()
	return tinyModelWith(t, pipeline.Options{Threads: 1})
}

// tinyModelWith is tinyModel loaded with opt.
func tinyModelWith(t *testing.T, opt pipeline.Options) (*pipeline.Model, *Inputs) {
	t.Helper()
	dir := t.TempDir()
	tok := vqvae.Config{Resolution: 16, Grid: 4, Channels: []int64{8, 8, 8}, ResBlocks: 1, Groups: 4, Latent: 4, Codes: 16, Beta: 0.25, Normalize: true}
	tr := transformer.Config{Codes: 16, Positions: 16, Dim: 16, Layers: 1, Heads: 2, MLPDim: 32}
	if err := pipeline.WriteUntrained(dir, tok, tr, 5); err != nil {
		t.Fatal(err)
	}
	m, err := pipeline.Load(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	in := &Inputs{Res: 16, Pixels: make([]float32, 2*3*16*16)}
	for i := 0; i < 2; i++ {
		rgb := make([]uint8, 3*16*16)
		for p := range rgb {
			rgb[p] = uint8(p*7 + i*50)
		}
		img := newRGBA(rgb, 16)
		mk := inpaint.NewMask(16, 16)
		for y := 4; y < 10; y++ {
			for x := 2 + i; x < 9+i; x++ {
				mk.Hole[y*16+x] = true
			}
		}
		for p, v := range rgb {
			in.Pixels[i*3*16*16+p] = float32(v)/127.5 - 1
		}
		in.Names = append(in.Names, "synthetic")
		in.Images = append(in.Images, img)
		in.Masks = append(in.Masks, mk)
	}
	return m, in
}

func TestInpaintRuns(t *testing.T) {
	// The second is benchgo inpaint --bf16 (compare.py's inpaint-bf16).
	for _, opt := range []pipeline.Options{{Threads: 1}, {Threads: 1, BFloat16Tokenizer: true, BFloat16Transformer: true}} {
		m, in := tinyModelWith(t, opt)
		r, err := Inpaint(context.Background(), m, in, InpaintOptions{Steps: 3, Temperature: 4.5, Iters: 1, Seed: 1})
		if err != nil {
			t.Fatalf("bfloat16 %s: %v", opt.BFloat16(), err)
		}
		if r.Units != 2 || len(r.Seconds) != 1 {
			t.Fatalf("bfloat16 %s: result %+v", opt.BFloat16(), r)
		}
		for _, k := range []string{"encode_s", "predict_s", "go_loop_s", "decode_s", "go_share"} {
			if v, ok := r.Extra[k]; !ok || v < 0 || (k == "go_share" && v > 1) {
				t.Errorf("bfloat16 %s: extra %s = %v (present %v)", opt.BFloat16(), k, v, ok)
			}
		}
	}
}

func TestDumpWritesArrays(t *testing.T) {
	m, in := tinyModel(t)
	dir := t.TempDir()
	if err := Dump(context.Background(), m, "tiny", in, 2, dir); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{ // bytes
		"images": 2 * 16 * 16 * 3 * 4, "holes": 2 * 16 * 16, "ids": 2 * 16 * 4,
		"tokens": 2 * 16 * 4, "logits": 2 * 16 * 16 * 4, "decoded": 2 * 16 * 16 * 3 * 4, "filled": 2 * 16 * 4,
	}
	for name, size := range want {
		st, err := os.Stat(filepath.Join(dir, name+".bin"))
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() != size {
			t.Errorf("%s.bin: %d bytes, want %d", name, st.Size(), size)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		t.Fatal(err)
	}
}

// TestMirrorMatches checks the PyTorch mirror (bench/mirror.py) against the
// shipped model's Go outputs to 1e-4. It needs the bench venv (made by
// bench/compare.sh), the TF venv (MASKGIT_VENV) and the data set
// (MASKGIT_SHARED); it skips without them, and with -short.
func TestMirrorMatches(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the mirror check starts TF Python and PyTorch")
	}
	bpy, _ := filepath.Abs(".venv/bin/python")
	tfVenv := os.Getenv("MASKGIT_VENV")
	data := filepath.Join(os.Getenv("MASKGIT_SHARED"), "data", "catfaces64")
	for _, need := range []string{bpy, filepath.Join(tfVenv, "bin", "python"), filepath.Join(data, "test_index.csv")} {
		if _, err := os.Stat(need); err != nil || tfVenv == "" || os.Getenv("MASKGIT_SHARED") == "" {
			t.Skipf("needs the bench venv (bench/compare.sh), MASKGIT_VENV and MASKGIT_SHARED: %v", need)
		}
	}
	model := filepath.Join("..", "models", "catfaces64")
	m, err := pipeline.Load(model, pipeline.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	in, err := LoadInputs(data, 8, int(m.Tokenizer.Cfg.Resolution))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := Dump(context.Background(), m, model, in, 5, dir); err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{"tokenizer", "transformer"} {
		cmd := exec.Command(filepath.Join(tfVenv, "bin", "python"), "export_weights.py",
			filepath.Join(model, part, "best", "model"), filepath.Join(dir, part+".npz"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("export_weights %s: %v\n%s", part, err, out)
		}
	}
	out, err := exec.Command(bpy, "check.py", dir, model).CombinedOutput()
	t.Logf("check.py:\n%s", out)
	if err != nil || !strings.Contains(string(out), "mirror check: PASS") {
		t.Fatalf("check.py: %v", err)
	}
}
