package inception

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkFeatures measures feature extraction of 64x64 images in batches
// of 50 (images/s).
func BenchmarkFeatures(b *testing.B) {
	e, err := NewExtractor(testWeights(b), Options{BatchSize: 50})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	const n, size = 50, 64
	rng := rand.New(rand.NewPCG(1, 2))
	images := make([]uint8, n*size*size*3)
	for i := range images {
		images[i] = uint8(rng.IntN(256))
	}
	if _, err := e.Features(images, n, size, size); err != nil { // warm-up
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := e.Features(images, n, size, size); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "images/s")
}
