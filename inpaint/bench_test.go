package inpaint

import (
	"context"
	"fmt"
	"testing"
)

// benchDecode runs the decoding loop at the project's size (16×16 tokens,
// K = 1024, 8 cosine steps, temperature 4.5, half the tokens masked, 32
// images per call), with argmax and with sampling, on the model that model
// makes for the decoder's config, and reports images/s.
func benchDecode(b *testing.B, model func(b *testing.B, cfg Config) Predictor) {
	for _, sample := range []bool{false, true} {
		name := "argmax"
		if sample {
			name = "sample"
		}
		b.Run(name, func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Batch, cfg.Sample = 32, sample
			d, err := NewDecoder(cfg)
			if err != nil {
				b.Fatal(err)
			}
			p := model(b, cfg)
			n, k := cfg.N(), cfg.K
			tokens := make([]int32, n)
			for i := range tokens {
				tokens[i] = int32(i % k)
				if i >= n/2 {
					tokens[i] = cfg.MaskID
				}
			}
			b.ResetTimer()
			images := 0
			for i := 0; i < b.N; i++ {
				in := make([]Input, cfg.Batch)
				for j := range in {
					in[j] = Input{Tokens: tokens, Rand: NewImageRand(uint64(i), uint64(j))}
				}
				if _, err := d.Decode(context.Background(), p, in); err != nil {
					b.Fatal(err)
				}
				images += len(in)
			}
			b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// BenchmarkDecode runs benchDecode with a fake predictor that returns a
// fixed logits buffer, so the loop itself is measured.
func BenchmarkDecode(b *testing.B) {
	benchDecode(b, func(b *testing.B, cfg Config) Predictor {
		n, k := cfg.N(), cfg.K
		hp := &hashPredictor{seed: 1, n: n, k: k}
		one, err := hp.Predict(context.Background(), make([]int32, n), 1)
		if err != nil {
			b.Fatal(err)
		}
		buf := make([]float32, 0, cfg.Batch*n*k)
		for i := 0; i < cfg.Batch; i++ {
			buf = append(buf, one...)
		}
		return PredictorFunc(func(_ context.Context, _ []int32, batch int) ([]float32, error) {
			return buf[:batch*n*k], nil
		})
	})
}

// fixedChooser is a Chooser returning fixed choices, so BenchmarkDecodeChooser
// measures the Go side of a step when the model makes the choices.
type fixedChooser struct {
	ids  []int32
	logp []float64
}

func (f *fixedChooser) Predict(context.Context, []int32, int) ([]float32, error) {
	return nil, fmt.Errorf("fixedChooser: Predict called")
}

func (f *fixedChooser) Choose(_ context.Context, _ []int32, batch int, _ []float64) ([]int32, []float64, error) {
	per := len(f.ids) / 32 // the benchmark's batch
	return f.ids[:batch*per], f.logp[:batch*per], nil
}

// BenchmarkDecodeChooser is BenchmarkDecode with a Chooser model: the Go
// side is the random draws, the ranking and the bookkeeping only.
func BenchmarkDecodeChooser(b *testing.B) {
	benchDecode(b, func(b *testing.B, cfg Config) Predictor {
		n, k := cfg.N(), cfg.K
		f := &fixedChooser{ids: make([]int32, cfg.Batch*n), logp: make([]float64, cfg.Batch*n)}
		for i := range f.ids {
			f.ids[i] = int32(mix64(uint64(i)) % uint64(k))
			f.logp[i] = -float64(mix64(uint64(i)+7)>>40) / float64(1<<24) * 5
		}
		return f
	})
}
