package fid_test

import (
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"

	"github.com/maskgit-go/maskgit/fid"
	"gonum.org/v1/gonum/mat"
)

// Two 1-D Gaussians N(0, 1) and N(1, 4): (0−1)² + (1−2)² = 2.
func ExampleFrechetDistance() {
	a := fid.Stats{Mu: []float64{0}, Sigma: mat.NewSymDense(1, []float64{1})}
	b := fid.Stats{Mu: []float64{1}, Sigma: mat.NewSymDense(1, []float64{4})}
	d, err := fid.FrechetDistance(a, b)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%.6f\n", d)
	// Output: 2.000000
}

// Features arrive in batches (for example from the Inception model); the
// accumulator gives the same statistics as np.mean / np.cov over all rows.
func ExampleAccumulator() {
	acc, err := fid.NewAccumulator(2)
	if err != nil {
		log.Fatal(err)
	}
	batches := [][][]float32{
		{{0, 1}, {2, 3}},
		{{4, 5}},
		{{6, 9}},
	}
	for _, b := range batches {
		if err := acc.Add32(b); err != nil {
			log.Fatal(err)
		}
	}
	s, err := acc.Stats()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("N:", s.N)
	fmt.Println("mu:", s.Mu)
	fmt.Printf("sigma:\n%.4f\n", mat.Formatted(s.Sigma))

	// The distance of a set to itself is 0 (up to rounding).
	self, err := fid.FrechetDistance(s, s)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("self FID below 1e-9:", math.Abs(self) < 1e-9)
	// Output:
	// N: 4
	// mu: [3 4.5]
	// sigma:
	// ⎡ 6.6667   8.6667⎤
	// ⎣ 8.6667  11.6667⎦
	// self FID below 1e-9: true
}

// Reference statistics are computed once per feature extractor and file set,
// then loaded from the cache.
func ExampleCache() {
	dir, err := os.MkdirTemp("", "fid-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	img := filepath.Join(dir, "ref.png")
	if err := os.WriteFile(img, []byte("stand-in for image bytes"), 0o644); err != nil {
		log.Fatal(err)
	}
	cache := fid.Cache{Dir: filepath.Join(dir, "cache")}
	key, err := fid.KeyForFiles("inception-v3/pool3", []string{img})
	if err != nil {
		log.Fatal(err)
	}
	for round := 1; round <= 2; round++ {
		s, ok, err := cache.Load(key)
		if err != nil {
			log.Fatal(err)
		}
		if !ok {
			// Here the features of the reference images would be extracted.
			s, err = fid.FromFeatures64([][]float64{{0, 1}, {2, 3}, {4, 8}})
			if err != nil {
				log.Fatal(err)
			}
			if err := cache.Store(key, s); err != nil {
				log.Fatal(err)
			}
		}
		fmt.Printf("round %d: cached %v, N=%d, mu=%v\n", round, ok, s.N, s.Mu)
	}
	// Output:
	// round 1: cached false, N=3, mu=[2 4]
	// round 2: cached true, N=3, mu=[2 4]
}
