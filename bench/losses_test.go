package bench

import (
	"math"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/cpu"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/train"
)

// TestLossesTiny is benchgo losses on the tiny preset: both curves have a
// finite loss per step, the windows cover the steps, the bfloat16 curve
// differs from float32 (the rewrite ran); batches come from a token cache
// when given, and one of the wrong size is refused.
func TestLossesTiny(t *testing.T) {
	p, err := train.TransformerPreset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	opt := LossOptions{Model: p.Model, Train: p.Train, Batch: 2, Steps: 3, Window: 2, Threads: 1, LR: 1e-3, LRWarmup: 2, Seed: 1}
	c, err := Losses(opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.FP32) != 3 || len(c.BF16) != 3 || len(c.Windows) != 2 || c.Windows[1].Start != 2 || c.Windows[1].End != 3 {
		t.Fatalf("curves %+v", c)
	}
	for i := range c.FP32 {
		if !(c.FP32[i] > 0) || !(c.BF16[i] > 0) || math.IsInf(c.FP32[i]+c.BF16[i], 0) {
			t.Errorf("step %d: fp32 %v bf16 %v", i+1, c.FP32[i], c.BF16[i])
		}
	}
	if runtime.GOARCH == "amd64" && cpu.X86.HasAVX512F && !(c.MaxAbsDiff > 0) {
		t.Errorf("bfloat16 losses %v equal the float32 ones %v", c.BF16, c.FP32)
	}
	var b strings.Builder
	if err := c.WriteTable(&b); err != nil || !strings.Contains(b.String(), "max |Δ| over 3 steps") {
		t.Errorf("table (%v):\n%s", err, b.String())
	}
	// Batches from a token cache (a pattern the model can learn).
	cache := &dataset.TokenCache{N: 3, H: 16, W: 16, Codebook: int(p.Model.Codes), Tokens: make([]uint16, 3*256)}
	for i := range cache.Tokens {
		cache.Tokens[i] = uint16(i % 7)
	}
	opt.Tokens = cache
	if c, err := Losses(opt); err != nil || len(c.BF16) != 3 || !(c.BF16[2] > 0) || !(c.FP32[2] > 0) {
		t.Errorf("from a token cache: %+v, %v", c, err)
	}
	opt.Tokens = &dataset.TokenCache{N: 1, H: 2, W: 2, Codebook: int(p.Model.Codes), Tokens: make([]uint16, 4)}
	if _, err := Losses(opt); err == nil || !strings.Contains(err.Error(), "token cache") {
		t.Errorf("a 2x2 token cache: %v", err)
	}
}
