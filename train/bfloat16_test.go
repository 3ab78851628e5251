package train

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"golang.org/x/sys/cpu"

	"github.com/maskgit-go/maskgit/pipeline"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// TestTransformerBFloat16 trains the tiny transformer with the same seed
// and data in float32 and with BFloat16: the bfloat16 losses are finite
// but not the float32 ones (so the option reached the session and
// TensorFlow rewrote the graph), config.json records it, the checkpoint
// holds float32 variables only and loads into the float32 inference
// graph, and --resume without it is refused naming the field.
func TestTransformerBFloat16(t *testing.T) {
	if runtime.GOARCH != "amd64" || !cpu.X86.HasAVX512F {
		t.Skip("TensorFlow's oneDNN bfloat16 rewrite needs an x86 CPU with AVX512F")
	}
	dir, cfg, log := tinyTransformerSetup(t)
	cfg.Steps = 4
	train := func(name string, c TransformerConfig) []float64 {
		var losses []float64
		opt := RunOptions{Out: filepath.Join(dir, name), LogEvery: 4, ValEvery: 4, CkptEvery: 4, Threads: 1, Log: log,
			StepHook: func(_ int64, loss float64) { losses = append(losses, loss) }}
		if _, err := TrainTransformer(context.Background(), c, opt); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, log.String())
		}
		return losses
	}
	f32 := train("f32", cfg)
	bcfg := cfg
	bcfg.BFloat16 = true
	b16 := train("bf16", bcfg)
	if len(f32) != 4 || len(b16) != 4 {
		t.Fatalf("losses: float32 %v, bfloat16 %v; want 4 each", f32, b16)
	}
	same := true
	for i := range b16 {
		if math.IsNaN(b16[i]) || math.IsInf(b16[i], 0) || !(b16[i] > 0) {
			t.Errorf("bfloat16 step %d: loss %v", i+1, b16[i])
		}
		same = same && b16[i] == f32[i]
	}
	if same {
		t.Errorf("bfloat16 losses %v equal the float32 ones: the option did not reach the session", b16)
	}
	if !strings.Contains(log.String(), "bfloat16 mixed precision") {
		t.Error("the bfloat16 run did not say so")
	}
	run := RunDir(filepath.Join(dir, "bf16"))
	b, err := os.ReadFile(run.Config())
	if err != nil || !strings.Contains(string(b), `"bfloat16": true`) {
		t.Errorf("config.json does not record bfloat16 (%v):\n%s", err, b)
	}
	if b, err := os.ReadFile(RunDir(filepath.Join(dir, "f32")).Config()); err != nil || strings.Contains(string(b), "bfloat16") {
		t.Errorf("a float32 run's config.json mentions bfloat16 (%v)", err)
	}
	vars, err := tfmodel.ListCheckpoint(run.BestPrefix())
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vars {
		if v.DType == tf.Bfloat16 || v.DType == tf.Half {
			t.Errorf("checkpoint variable %s is %v, want float32", v.Name, v.DType)
		}
	}
	tr, err := pipeline.LoadTransformer(string(run), pipeline.Options{Threads: 1})
	if err != nil {
		t.Fatalf("float32 inference graph: %v", err)
	}
	defer tr.Close()
	toks := make([]int32, 16)
	for i := range toks {
		toks[i] = int32(i*5) % 17
	}
	logits, err := tr.Predict(context.Background(), toks, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range logits {
		if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) {
			t.Fatalf("float32 inference of the bfloat16 checkpoint: logit %v", l)
		}
	}
	// Resuming the bfloat16 run in float32 is a config change.
	_, err = TrainTransformer(context.Background(), cfg, RunOptions{Out: string(run), Resume: true, Threads: 1, Log: log})
	if !errors.Is(err, ErrConfigMismatch) || !strings.Contains(err.Error(), "bfloat16") {
		t.Errorf("resume without bfloat16: %v, want a config mismatch naming bfloat16", err)
	}
}
