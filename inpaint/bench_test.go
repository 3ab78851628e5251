package inpaint

import (
	"context"
	"testing"
)

// BenchmarkDecode runs the decoding loop at the project's size (16×16 tokens,
// K = 1024, 8 cosine steps, temperature 4.5, half the tokens masked, 32 images
// per call) with a fake predictor that returns a fixed logits buffer, so the
// loop itself is measured.
func BenchmarkDecode(b *testing.B) {
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
			p := PredictorFunc(func(_ context.Context, _ []int32, batch int) ([]float32, error) {
				return buf[:batch*n*k], nil
			})
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
