package fid

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// sym builds a SymDense from full rows.
func sym(rows ...[]float64) *mat.SymDense {
	d := len(rows)
	s := mat.NewSymDense(d, nil)
	for i := range rows {
		for j := i; j < d; j++ {
			s.SetSym(i, j, rows[i][j])
		}
	}
	return s
}

// randomStats returns the statistics of n random rows of dimension d whose
// columns are mixed, so the covariance has no special structure (rank
// min(n−1, d)).
func randomStats(t testing.TB, rng *rand.Rand, n, d int, shift float64) Stats {
	t.Helper()
	mix := make([]float64, d*d)
	for i := range mix {
		mix[i] = rng.NormFloat64() / math.Sqrt(float64(d))
	}
	rows := make([][]float64, n)
	for i := range rows {
		z := make([]float64, d)
		for j := range z {
			z[j] = rng.NormFloat64()
		}
		rows[i] = make([]float64, d)
		for j := range rows[i] {
			v := shift
			for k := range z {
				v += mix[j*d+k] * z[k]
			}
			rows[i][j] = v
		}
	}
	s, err := FromFeatures64(rows)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// eigenFrechet is an independent reference: Tr((Σ₁Σ₂)^½) as the sum of
// square roots of the eigenvalues of √Σ₁ Σ₂ √Σ₁, with √Σ₁ from a full
// eigendecomposition (the formulation used by scripts/fid_golden.py's check).
func eigenFrechet(t *testing.T, a, b Stats) float64 {
	t.Helper()
	var e mat.EigenSym
	if !e.Factorize(a.Sigma, true) {
		t.Fatal("eigendecomposition failed")
	}
	var v mat.Dense
	e.VectorsTo(&v)
	w := e.Values(nil)
	d := len(w)
	for j := 0; j < d; j++ {
		f := math.Sqrt(math.Sqrt(math.Max(w[j], 0))) // (VΛ^¼)(VΛ^¼)ᵀ = √Σ₁
		for i := 0; i < d; i++ {
			v.Set(i, j, v.At(i, j)*f)
		}
	}
	var root, rs, m mat.Dense
	root.Mul(&v, v.T())
	rs.Mul(&root, b.Sigma)
	m.Mul(&rs, &root)
	ms := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			ms.SetSym(i, j, (m.At(i, j)+m.At(j, i))/2)
		}
	}
	if !e.Factorize(ms, false) {
		t.Fatal("eigendecomposition failed")
	}
	var tr float64
	for _, l := range e.Values(nil) {
		tr += math.Sqrt(math.Max(l, 0))
	}
	return combine(a, b, tr)
}

func TestFrechetDistanceClosedForms(t *testing.T) {
	d3 := func(a, b, c float64) *mat.SymDense {
		return sym([]float64{a, 0, 0}, []float64{0, b, 0}, []float64{0, 0, c})
	}
	// A rotated, non-diagonal covariance: Σ = R diag(4, 1) Rᵀ.
	c, s := math.Cos(0.3), math.Sin(0.3)
	rot := sym([]float64{4*c*c + s*s, 3 * c * s}, []float64{3 * c * s, 4*s*s + c*c})
	tests := []struct {
		name string
		a, b Stats
		want float64
	}{
		// 1-D: (μ₁−μ₂)² + (σ₁−σ₂)².
		{"1d", Stats{Mu: []float64{0}, Sigma: sym([]float64{1})}, Stats{Mu: []float64{1}, Sigma: sym([]float64{4})}, 2},
		// Commuting (diagonal): ‖Δμ‖² + Σ(√a−√b)².
		{"diagonal", Stats{Mu: []float64{1, 2, 3}, Sigma: d3(1, 4, 9)}, Stats{Mu: []float64{1, 0, 3}, Sigma: d3(4, 4, 1)},
			4 + 1 + 0 + 4},
		// Equal covariances: only the means differ.
		{"equal-cov", Stats{Mu: []float64{0, 0}, Sigma: rot}, Stats{Mu: []float64{3, 4}, Sigma: rot}, 25},
		// A zero covariance: ‖Δμ‖² + Tr Σ₂.
		{"zero-cov", Stats{Mu: []float64{0, 0}, Sigma: sym([]float64{0, 0}, []float64{0, 0})}, Stats{Mu: []float64{1, 1}, Sigma: rot}, 2 + 5},
		// Singular (rank 1 each) and orthogonal: the product is 0.
		{"orthogonal-rank1", Stats{Mu: []float64{0, 0}, Sigma: sym([]float64{2, 0}, []float64{0, 0})},
			Stats{Mu: []float64{0, 0}, Sigma: sym([]float64{0, 0}, []float64{0, 3})}, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FrechetDistance(tc.a, tc.b)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tc.want) > 1e-12*math.Max(1, tc.want) {
				t.Errorf("FrechetDistance = %.17g, want %v", got, tc.want)
			}
		})
	}
}

func TestFrechetDistanceAgainstEigenReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	tests := []struct {
		name string
		n, d int
	}{
		{"full-rank", 60, 12},
		{"rank-deficient", 8, 20}, // rank 7 of 20
		{"one-dim", 5, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := randomStats(t, rng, tc.n, tc.d, 0)
			b := randomStats(t, rng, tc.n+3, tc.d, 0.5)
			got, err := FrechetDistance(a, b)
			if err != nil {
				t.Fatal(err)
			}
			want := eigenFrechet(t, a, b)
			if e := relErr(got, want); e > 1e-8 {
				t.Errorf("FrechetDistance = %.15g, eigen reference %.15g (rel %.2e)", got, want, e)
			}
			self, err := FrechetDistance(a, a)
			if err != nil {
				t.Fatal(err)
			}
			var tr float64
			for i := 0; i < tc.d; i++ {
				tr += a.Sigma.At(i, i)
			}
			if math.Abs(self) > 1e-9*tr {
				t.Errorf("FrechetDistance(a, a) = %g, want 0 (trace %g)", self, tr)
			}
		})
	}
}

func TestFrechetDistanceOffset(t *testing.T) {
	a := Stats{Mu: []float64{0, 0}, Sigma: sym([]float64{1, 0}, []float64{0, 0})}
	b := Stats{Mu: []float64{0, 1}, Sigma: sym([]float64{4, 0}, []float64{0, 0})}
	const eps = 0.25
	// Traces stay unshifted: 1 + (1 + 4) − 2·(√(1.25·4.25) + √(0.25·0.25)).
	want := 1 + 5 - 2*(math.Sqrt(1.25*4.25)+0.25)
	got, err := FrechetDistanceOffset(a, b, eps)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("FrechetDistanceOffset = %.17g, want %.17g", got, want)
	}
	zero, err := FrechetDistanceOffset(a, b, 0)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := FrechetDistance(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if zero != plain {
		t.Errorf("offset 0 gives %v, FrechetDistance %v", zero, plain)
	}
	for _, eps := range []float64{-1e-6, math.NaN(), math.Inf(1)} {
		if _, err := FrechetDistanceOffset(a, b, eps); err == nil || !strings.Contains(err.Error(), "offset") {
			t.Errorf("eps %v: error %v, want an offset error", eps, err)
		}
	}
}

func TestFrechetDistanceErrors(t *testing.T) {
	good := Stats{Mu: []float64{0, 0}, Sigma: sym([]float64{1, 0}, []float64{0, 1}), N: 10}
	tests := []struct {
		name string
		a    Stats
		want string
	}{
		{"empty", Stats{}, "empty"},
		{"no-sigma", Stats{Mu: []float64{0, 0}}, "no covariance"},
		{"dim-mismatch-inside", Stats{Mu: []float64{0, 0, 0}, Sigma: good.Sigma}, "dimension 3"},
		{"one-sample", Stats{Mu: good.Mu, Sigma: good.Sigma, N: 1}, "at least 2 samples"},
		{"negative-n", Stats{Mu: good.Mu, Sigma: good.Sigma, N: -3}, "negative sample count"},
		{"nan-mu", Stats{Mu: []float64{math.NaN(), 0}, Sigma: good.Sigma}, "mean[0] is NaN"},
		{"inf-sigma", Stats{Mu: good.Mu, Sigma: sym([]float64{1, math.Inf(1)}, []float64{math.Inf(1), 1})}, "covariance[0][1] is +Inf"},
		{"nan-sigma", Stats{Mu: good.Mu, Sigma: sym([]float64{1, 0}, []float64{0, math.NaN()})}, "covariance[1][1] is NaN"},
		{"indefinite", Stats{Mu: good.Mu, Sigma: sym([]float64{1, 2}, []float64{2, 1})}, "not positive semidefinite"},
		{"negative-variance", Stats{Mu: good.Mu, Sigma: sym([]float64{-1, 0}, []float64{0, 1})}, "not positive semidefinite"},
		{"zero-diag-offdiag", Stats{Mu: good.Mu, Sigma: sym([]float64{0, 1}, []float64{1, 0})}, "not positive semidefinite"},
		{"other-dimension", Stats{Mu: []float64{0}, Sigma: sym([]float64{1})}, "dimension mismatch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, order := range []string{"first", "second"} {
				a, b := tc.a, good
				if order == "second" {
					a, b = good, tc.a
				}
				_, err := FrechetDistance(a, b)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s argument: error %v, want one containing %q", order, err, tc.want)
				}
				if _, err := FrechetDistanceOffset(a, b, DefaultOffset); err == nil {
					t.Errorf("%s argument: FrechetDistanceOffset accepted it", order)
				}
			}
		})
	}
}

// BenchmarkFrechetDistance2048 times a full-rank D=2048 distance, the size of
// Inception pool3 features against reference statistics of many images.
func BenchmarkFrechetDistance2048(b *testing.B) {
	for _, bc := range []struct {
		name string
		n    int
	}{{"full-rank", 2100}, {"rank-300", 301}} {
		b.Run(bc.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			const d = 2048
			stats := make([]Stats, 2)
			for k := range stats {
				acc, err := NewAccumulator(d)
				if err != nil {
					b.Fatal(err)
				}
				rows := make([][]float32, 100)
				for i := range rows {
					rows[i] = make([]float32, d)
				}
				for done := 0; done < bc.n; done += len(rows) {
					batch := rows[:min(len(rows), bc.n-done)]
					for _, r := range batch {
						for j := range r {
							r[j] = float32(math.Max(0, rng.NormFloat64()+0.1*float64(k)))
						}
					}
					if err := acc.Add32(batch); err != nil {
						b.Fatal(err)
					}
				}
				if stats[k], err = acc.Stats(); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := FrechetDistance(stats[0], stats[1]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/op")
		})
	}
}
