package fid

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	gonumlapack "gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"
)

// psdTolerance bounds how far from positive semidefinite a covariance may
// look before it is rejected: entries of the part left after the factor
// stops may be at most this fraction of the largest variance. Rounding in a
// genuine covariance leaves about D·ε·max ≈ 1e-13·max, so this only catches
// matrices that are not covariances at all.
const psdTolerance = 1e-8

// psdFactor factors a positive semidefinite matrix as S ≈ L·Lᵀ with L of
// size D×r, r the numerical rank, by Cholesky with complete (diagonal)
// pivoting (gonum's LAPACK Dpstrf): it stops once every remaining pivot is
// at most D·ε·max|diag S|. Directions it drops have variance at rounding
// level, so they contribute nothing to Tr((Σ₁Σ₂)^½) in exact arithmetic.
//
// The rows of L are in the original order of S. A matrix with a clearly
// negative direction is reported as not positive semidefinite.
func psdFactor(s *mat.SymDense) (*mat.Dense, int, error) {
	d := s.SymmetricDim()
	if d == 0 {
		return nil, 0, nil
	}
	// Row-major copy of the upper triangle, which Dpstrf overwrites with U
	// (Pᵀ·S·P = Uᵀ·U).
	// mat.SymDense stores the upper triangle too.
	raw := s.RawSymmetric()
	a := make([]float64, d*d)
	maxDiag := 0.0
	for i := 0; i < d; i++ {
		copy(a[i*d+i:i*d+d], raw.Data[i*raw.Stride+i:i*raw.Stride+d])
		maxDiag = math.Max(maxDiag, math.Abs(a[i*d+i]))
	}
	piv := make([]int, d) // row k of Uᵀ is row piv[k] of S
	tol := float64(d) * 0x1p-52 * maxDiag
	rank, _ := gonumlapack.Implementation{}.Dpstrf(blas.Upper, d, a, d, piv, tol, make([]float64, 2*d))
	// What is left, S₂₂ − L₂L₂ᵀ (L₂ᵀ = U[:rank, rank:]), must be negligible
	// for a PSD matrix.
	if m := d - rank; m > 0 {
		r := make([]float64, m*m)
		for i := 0; i < m; i++ {
			for k := i; k < m; k++ {
				r[i*m+k] = s.At(piv[rank+i], piv[rank+k])
			}
		}
		if rank > 0 {
			blas64.Implementation().Dsyrk(blas.Upper, blas.Trans, m, rank, -1, a[rank:], d, 1, r, m)
		}
		limit := psdTolerance * maxDiag
		for i := 0; i < m; i++ {
			for k := i; k < m; k++ {
				if v := r[i*m+k]; math.Abs(v) > limit {
					return nil, 0, fmt.Errorf("covariance is not positive semidefinite (residual %g at [%d][%d], largest variance %g)",
						v, piv[rank+i], piv[rank+k], maxDiag)
				}
			}
		}
	}
	if rank == 0 {
		return nil, 0, nil
	}
	out := mat.NewDense(d, rank, nil)
	for i := 0; i < d; i++ {
		row := out.RawRowView(piv[i])
		for k := 0; k <= min(i, rank-1); k++ {
			row[k] = a[k*d+i]
		}
	}
	return out, rank, nil
}
