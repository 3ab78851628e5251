package fid

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// twoPass is the textbook mean and (N−1)-covariance, centring all rows at once.
func twoPass(rows [][]float64) (mu []float64, cov [][]float64) {
	n, d := len(rows), len(rows[0])
	mu = make([]float64, d)
	for _, r := range rows {
		for j, v := range r {
			mu[j] += v
		}
	}
	for j := range mu {
		mu[j] /= float64(n)
	}
	cov = make([][]float64, d)
	for i := range cov {
		cov[i] = make([]float64, d)
		for j := range cov[i] {
			for _, r := range rows {
				cov[i][j] += (r[i] - mu[i]) * (r[j] - mu[j])
			}
			cov[i][j] /= float64(n - 1)
		}
	}
	return mu, cov
}

func TestAccumulatorMatchesTwoPass(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	tests := []struct {
		name    string
		n, d    int
		offset  float64 // a large common mean stresses cancellation
		batches []int
		tol     float64 // relative to the standard deviations
	}{
		{"one-batch", 30, 5, 0, []int{30}, 1e-12},
		{"singletons", 9, 4, 0, []int{1, 1, 1, 1, 1, 1, 1, 1, 1}, 1e-12},
		{"uneven", 40, 6, 0, []int{3, 0, 17, 1, 19}, 1e-12},
		// Values near 1e6 carry only ~1e-10 absolute precision; a sum of
		// squares without centring would be off by ~1e-4 here.
		{"large-mean", 50, 3, 1e6, []int{7, 43}, 1e-9},
		{"two-rows", 2, 3, 0, []int{1, 1}, 1e-12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows := make([][]float64, tc.n)
			for i := range rows {
				rows[i] = make([]float64, tc.d)
				for j := range rows[i] {
					rows[i][j] = tc.offset + rng.NormFloat64()*float64(j+1)
				}
			}
			acc, err := NewAccumulator(tc.d)
			if err != nil {
				t.Fatal(err)
			}
			lo := 0
			for _, size := range tc.batches {
				if err := acc.Add64(rows[lo : lo+size]); err != nil {
					t.Fatal(err)
				}
				lo += size
			}
			got, err := acc.Stats()
			if err != nil {
				t.Fatal(err)
			}
			mu, cov := twoPass(rows)
			if got.N != tc.n || acc.N() != tc.n {
				t.Errorf("N = %d (accumulator %d), want %d", got.N, acc.N(), tc.n)
			}
			for i := range mu {
				if math.Abs(got.Mu[i]-mu[i]) > 1e-14*math.Max(1, math.Abs(mu[i])) {
					t.Errorf("mu[%d] = %.17g, want %.17g", i, got.Mu[i], mu[i])
				}
				for j := range mu {
					if math.Abs(got.Sigma.At(i, j)-cov[i][j]) > tc.tol*math.Sqrt(cov[i][i]*cov[j][j]) {
						t.Errorf("sigma[%d][%d] = %.17g, want %.17g", i, j, got.Sigma.At(i, j), cov[i][j])
					}
				}
			}
		})
	}
}

func TestAccumulatorFloat32MatchesFloat64(t *testing.T) {
	rows32 := [][]float32{{0.5, 1.25}, {2, -3}, {0.125, 7}}
	rows64 := [][]float64{{0.5, 1.25}, {2, -3}, {0.125, 7}}
	a, err := FromFeatures32(rows32)
	if err != nil {
		t.Fatal(err)
	}
	b, err := FromFeatures64(rows64)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Mu {
		if a.Mu[i] != b.Mu[i] {
			t.Errorf("mu[%d]: float32 path %v, float64 path %v", i, a.Mu[i], b.Mu[i])
		}
		for j := range a.Mu {
			if a.Sigma.At(i, j) != b.Sigma.At(i, j) {
				t.Errorf("sigma[%d][%d]: float32 path %v, float64 path %v", i, j, a.Sigma.At(i, j), b.Sigma.At(i, j))
			}
		}
	}
}

func TestAccumulatorStatsDoesNotAlias(t *testing.T) {
	acc, err := NewAccumulator(2)
	if err != nil {
		t.Fatal(err)
	}
	if err := acc.Add64([][]float64{{0, 0}, {2, 4}}); err != nil {
		t.Fatal(err)
	}
	first, err := acc.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if err := acc.Add64([][]float64{{100, 100}}); err != nil {
		t.Fatal(err)
	}
	if first.Mu[0] != 1 || first.Mu[1] != 2 || first.Sigma.At(0, 1) != 4 || first.N != 2 {
		t.Errorf("earlier Stats changed after Add: mu %v, sigma01 %v, N %d", first.Mu, first.Sigma.At(0, 1), first.N)
	}
}

func TestAccumulatorErrors(t *testing.T) {
	if _, err := NewAccumulator(0); err == nil || !strings.Contains(err.Error(), "dimension") {
		t.Errorf("NewAccumulator(0): error %v", err)
	}
	tests := []struct {
		name string
		rows [][]float64
		want string
	}{
		{"short-row", [][]float64{{1, 2, 3}, {1, 2}}, "row 1 has length 2, want 3"},
		{"nan", [][]float64{{1, 2, 3}, {1, math.NaN(), 3}}, "row 1, column 1 is NaN"},
		{"inf", [][]float64{{math.Inf(-1), 2, 3}}, "row 0, column 0 is -Inf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			acc, err := NewAccumulator(3)
			if err != nil {
				t.Fatal(err)
			}
			if err := acc.Add64([][]float64{{1, 1, 1}, {2, 2, 2}}); err != nil {
				t.Fatal(err)
			}
			before, _ := acc.Stats()
			err = acc.Add64(tc.rows)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Add64: error %v, want one containing %q", err, tc.want)
			}
			rows32 := make([][]float32, len(tc.rows))
			for i, r := range tc.rows {
				for _, v := range r {
					rows32[i] = append(rows32[i], float32(v))
				}
			}
			if err := acc.Add32(rows32); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Add32: error %v, want one containing %q", err, tc.want)
			}
			after, _ := acc.Stats()
			if acc.N() != 2 || after.Mu[0] != before.Mu[0] || after.Sigma.At(0, 0) != before.Sigma.At(0, 0) {
				t.Errorf("a failed Add changed the accumulator: N %d, mu %v", acc.N(), after.Mu)
			}
		})
	}
	for _, n := range []int{0, 1} {
		acc, _ := NewAccumulator(2)
		if err := acc.Add64(make([][]float64, n)[:0]); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if err := acc.Add64([][]float64{{1, 2}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := acc.Stats(); err == nil || !strings.Contains(err.Error(), "at least 2") {
			t.Errorf("Stats with %d rows: error %v", n, err)
		}
	}
	if _, err := FromFeatures32(nil); err == nil {
		t.Error("FromFeatures32(nil) succeeded")
	}
	if _, err := FromFeatures64([][]float64{{1, 2}}); err == nil || !strings.Contains(err.Error(), "at least 2") {
		t.Errorf("FromFeatures64 of one row: error %v", err)
	}
}
