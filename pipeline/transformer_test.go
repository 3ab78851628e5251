package pipeline

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/maskgit-go/maskgit/inpaint"
)

// decodeWith decodes n random half-masked grids of m with p.
func decodeWith(t testing.TB, m *Model, p inpaint.Predictor, cfg inpaint.Config, n int, seed uint64) []inpaint.Result {
	t.Helper()
	cfg = m.DecodeConfig(cfg)
	d, err := inpaint.NewDecoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	in := halfMasked(cfg, n, seed)
	res, err := d.Decode(context.Background(), p, in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// halfMasked returns n grids of random codes with the second half of the
// positions masked, each with its own random stream.
func halfMasked(cfg inpaint.Config, n int, seed uint64) []inpaint.Input {
	rng := rand.New(rand.NewPCG(seed, 1))
	in := make([]inpaint.Input, n)
	for i := range in {
		tok := make([]int32, cfg.N())
		for p := range tok {
			tok[p] = int32(rng.IntN(cfg.K))
			if p >= cfg.N()/2 {
				tok[p] = cfg.MaskID
			}
		}
		in[i] = inpaint.Input{Tokens: tok, Rand: inpaint.NewImageRand(seed, uint64(i))}
	}
	return in
}

// TestChooseMatchesLogitsPath: decoding with the choice made in the graph
// (Transformer.Choose) gives the tokens of decoding from the full logits in
// Go (Transformer.Predict), argmax and sampling, with Gumbel noise.
func TestChooseMatchesLogitsPath(t *testing.T) {
	m, err := Load(tinyModel(t), Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, sample := range []bool{false, true} {
		cfg := inpaint.Config{Steps: 4, Temperature: 4.5, Sample: sample, Batch: 3, SaveSteps: true}
		logits := decodeWith(t, m, inpaint.PredictorFunc(m.Transformer.Predict), cfg, 5, 3)
		chosen := decodeWith(t, m, m.Transformer, cfg, 5, 3)
		for i := range logits {
			if !slices.Equal(logits[i].Tokens, chosen[i].Tokens) {
				t.Errorf("sample %v image %d: Choose %v, Predict %v", sample, i, chosen[i].Tokens, logits[i].Tokens)
			}
		}
	}
}

// BenchmarkInpaintLoop times the decoding loop of the shipped model at batch
// 32 (8 steps, temperature 4.5, half the tokens masked), alternating in one
// process: "logits1", the full logits copied out and the choice made in Go
// on one goroutine (GOMAXPROCS 1 during the loop: the loop before
// inpaint.Chooser), "logits", the same with the Go side parallel across
// images, and "choose", the choice made in the graph (Transformer.Choose,
// what Model.Inpaint uses). It reports images/s of each and the Go-side
// share of the loop's wall time (time outside the model call / loop time).
func BenchmarkInpaintLoop(b *testing.B) {
	dir := filepath.Join("..", "models", "catfaces64")
	if _, err := os.Stat(filepath.Join(dir, "transformer", "config.json")); err != nil {
		b.Skipf("no shipped model: %v", err)
	}
	m, err := Load(dir, Options{Threads: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	for _, sample := range []bool{false, true} {
		name := "argmax"
		if sample {
			name = "sample"
		}
		b.Run(name, func(b *testing.B) {
			cfg := m.DecodeConfig(inpaint.Config{Steps: 8, Temperature: 4.5, Sample: sample, Batch: 32})
			d, err := inpaint.NewDecoder(cfg)
			if err != nil {
				b.Fatal(err)
			}
			var model [3]time.Duration
			logits := inpaint.PredictorFunc(func(ctx context.Context, tok []int32, n int) ([]float32, error) {
				t0 := time.Now()
				defer func() { model[0] += time.Since(t0) }()
				return m.Transformer.Predict(ctx, tok, n)
			})
			logits1 := inpaint.PredictorFunc(func(ctx context.Context, tok []int32, n int) ([]float32, error) {
				t0 := time.Now()
				defer func() { model[1] += time.Since(t0) }()
				return m.Transformer.Predict(ctx, tok, n)
			})
			chooser := &timedChooser{t: m.Transformer, d: &model[2]}
			var wall [3]time.Duration
			images := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for k, p := range []inpaint.Predictor{logits, logits1, chooser} {
					procs := runtime.GOMAXPROCS(0)
					if k == 1 {
						runtime.GOMAXPROCS(1)
					}
					t0 := time.Now()
					_, err := d.Decode(context.Background(), p, halfMasked(cfg, 32, uint64(i)))
					wall[k] += time.Since(t0)
					runtime.GOMAXPROCS(procs)
					if err != nil {
						b.Fatal(err)
					}
				}
				images += 32
			}
			for k, label := range []string{"logits", "logits1", "choose"} {
				b.ReportMetric(float64(images)/wall[k].Seconds(), label+"_images/s")
				b.ReportMetric(100*(wall[k]-model[k]).Seconds()/wall[k].Seconds(), label+"_go_%")
			}
		})
	}
}

// timedChooser adds the time of the model calls to *d.
type timedChooser struct {
	t *Transformer
	d *time.Duration
}

func (c *timedChooser) Predict(ctx context.Context, tok []int32, n int) ([]float32, error) {
	return c.t.Predict(ctx, tok, n)
}

func (c *timedChooser) Choose(ctx context.Context, tok []int32, n int, u []float64) ([]int32, []float64, error) {
	t0 := time.Now()
	defer func() { *c.d += time.Since(t0) }()
	return c.t.Choose(ctx, tok, n, u)
}
