package fid

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestPSDFactor(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	tests := []struct {
		name     string
		n, d     int
		wantRank int
	}{
		{"full-rank", 60, 12, 12},
		{"rank-deficient", 8, 20, 7},
		{"rank-1", 2, 5, 1},
		{"blocked (d > Dpstrf's block size)", 150, 100, 100},
		{"blocked, stops mid-block", 91, 200, 90},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := randomStats(t, rng, tc.n, tc.d, 0).Sigma
			l, rank, err := psdFactor(s)
			if err != nil {
				t.Fatal(err)
			}
			if rank != tc.wantRank {
				t.Fatalf("rank %d, want %d", rank, tc.wantRank)
			}
			var p mat.Dense
			p.Mul(l, l.T()) // rows of L are in S's order, so L·Lᵀ is S itself
			maxS, maxErr := 0.0, 0.0
			for i := 0; i < tc.d; i++ {
				for j := 0; j < tc.d; j++ {
					maxS = math.Max(maxS, math.Abs(s.At(i, j)))
					maxErr = math.Max(maxErr, math.Abs(p.At(i, j)-s.At(i, j)))
				}
			}
			if maxErr > 1e-12*maxS {
				t.Errorf("max |L·Lᵀ − S| = %g, max |S| = %g", maxErr, maxS)
			}
		})
	}
	if l, rank, err := psdFactor(mat.NewSymDense(3, nil)); l != nil || rank != 0 || err != nil {
		t.Errorf("zero matrix: %v, %d, %v; want nil, 0, nil", l, rank, err)
	}
	// Not PSD with a zero leading pivot and a negative Schur complement entry
	// deep in the trailing block: only the full residual check sees it.
	bad := mat.NewSymDense(3, []float64{1, 0, 0, 0, 0, 1, 0, 1, 0})
	if _, _, err := psdFactor(bad); err == nil {
		t.Error("indefinite matrix accepted")
	}
}
