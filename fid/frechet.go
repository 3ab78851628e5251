package fid

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// DefaultOffset is the ε that pytorch-fid adds to both covariance diagonals
// when the plain matrix square root fails (its calculate_frechet_distance
// default eps).
const DefaultOffset = 1e-6

// errNoConvergence marks an eigenvalue iteration that did not converge, the
// one failure FrechetDistance answers with the ε·I retry.
var errNoConvergence = errors.New("fid: symmetric eigenvalue iteration did not converge")

// FrechetDistance returns the Fréchet distance between the Gaussians a and b,
//
//	‖μ₁−μ₂‖² + Tr(Σ₁) + Tr(Σ₂) − 2·Tr((Σ₁Σ₂)^½),
//
// the FID when a and b are Inception-feature statistics. It equals
// pytorch-fid's calculate_frechet_distance (scipy.linalg.sqrtm) to rounding.
//
// Tr((Σ₁Σ₂)^½) is computed without a non-symmetric matrix square root:
// with Σ₁ = L₁L₁ᵀ and Σ₂ = L₂L₂ᵀ (pivoted Cholesky, rank-revealing, so
// covariances from fewer samples than dimensions are fine), the eigenvalues
// of Σ₁Σ₂ are the squared singular values of C = L₁ᵀL₂, hence
// Tr((Σ₁Σ₂)^½) = Σᵢ √λᵢ(CCᵀ), from a symmetric eigendecomposition of the
// smaller Gram matrix. Tiny negative eigenvalues from rounding count as 0.
//
// This route stays finite for every valid input, so pytorch-fid's fallback
// (retrying with ε·I added to both covariances after a non-finite sqrtm) is
// only taken here if the eigenvalue iteration fails to converge; the result
// is then FrechetDistanceOffset(a, b, DefaultOffset).
//
// The result can be slightly negative (about −1e-12·Tr) for identical
// statistics, as with pytorch-fid; it is returned as computed.
func FrechetDistance(a, b Stats) (float64, error) {
	if err := checkPair(a, b); err != nil {
		return 0, err
	}
	tr, err := traceSqrtProduct(a.Sigma, b.Sigma)
	if errors.Is(err, errNoConvergence) || (err == nil && (math.IsNaN(tr) || math.IsInf(tr, 0))) {
		return FrechetDistanceOffset(a, b, DefaultOffset)
	}
	if err != nil {
		return 0, err
	}
	return combine(a, b, tr), nil
}

// FrechetDistanceOffset is pytorch-fid's fallback path: the square-root
// term uses (Σ₁+εI)(Σ₂+εI) while the traces use the original covariances,
//
//	‖μ₁−μ₂‖² + Tr(Σ₁) + Tr(Σ₂) − 2·Tr(((Σ₁+εI)(Σ₂+εI))^½).
//
// It is exposed to reproduce numbers from runs that took that path. eps
// must be finite and non-negative.
func FrechetDistanceOffset(a, b Stats, eps float64) (float64, error) {
	if !(eps >= 0) || math.IsInf(eps, 0) {
		return 0, fmt.Errorf("fid: offset must be finite and non-negative, got %v", eps)
	}
	if err := checkPair(a, b); err != nil {
		return 0, err
	}
	tr, err := traceSqrtProduct(addDiagonal(a.Sigma, eps), addDiagonal(b.Sigma, eps))
	if err != nil {
		return 0, err
	}
	return combine(a, b, tr), nil
}

// checkPair validates both statistics and that their dimensions agree.
func checkPair(a, b Stats) error {
	if err := a.Validate(); err != nil {
		return fmt.Errorf("first statistics: %w", err)
	}
	if err := b.Validate(); err != nil {
		return fmt.Errorf("second statistics: %w", err)
	}
	if a.Dim() != b.Dim() {
		return fmt.Errorf("fid: dimension mismatch: first statistics have D=%d, second D=%d", a.Dim(), b.Dim())
	}
	return nil
}

// combine assembles ‖μ₁−μ₂‖² + Tr Σ₁ + Tr Σ₂ − 2·trSqrt.
func combine(a, b Stats, trSqrt float64) float64 {
	var diff2, tr1, tr2 float64
	for i := range a.Mu {
		d := a.Mu[i] - b.Mu[i]
		diff2 += d * d
		tr1 += a.Sigma.At(i, i)
		tr2 += b.Sigma.At(i, i)
	}
	return diff2 + tr1 + tr2 - 2*trSqrt
}

// addDiagonal returns s + eps·I as a new matrix.
func addDiagonal(s *mat.SymDense, eps float64) *mat.SymDense {
	d := s.SymmetricDim()
	out := mat.NewSymDense(d, nil)
	out.CopySym(s)
	for i := 0; i < d; i++ {
		out.SetSym(i, i, out.At(i, i)+eps)
	}
	return out
}

// traceSqrtProduct returns Tr((Σ₁Σ₂)^½) for positive semidefinite Σ₁, Σ₂.
func traceSqrtProduct(s1, s2 *mat.SymDense) (float64, error) {
	l1, r1, err := psdFactor(s1)
	if err != nil {
		return 0, fmt.Errorf("fid: first %w", err)
	}
	l2, r2, err := psdFactor(s2)
	if err != nil {
		return 0, fmt.Errorf("fid: second %w", err)
	}
	if r1 == 0 || r2 == 0 {
		return 0, nil // a zero covariance: Σ₁Σ₂ = 0
	}
	var c mat.Dense
	c.Mul(l1.T(), l2) // r1×r2
	var g mat.SymDense
	if r1 <= r2 {
		g.SymOuterK(1, &c) // C·Cᵀ, r1×r1
	} else {
		g.SymOuterK(1, c.T()) // Cᵀ·C, r2×r2
	}
	var eig mat.EigenSym
	if !eig.Factorize(&g, false) {
		return 0, errNoConvergence
	}
	lambda := eig.Values(nil)
	top := math.Max(math.Abs(lambda[0]), math.Abs(lambda[len(lambda)-1]))
	var sum float64
	for _, v := range lambda {
		if v < 0 {
			if v < -psdTolerance*top {
				return 0, fmt.Errorf("fid: covariance product has eigenvalue %g (largest %g): not positive semidefinite", v, top)
			}
			continue
		}
		sum += math.Sqrt(v)
	}
	return sum, nil
}
