package fid

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
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
// pivoting as LAPACK's dpstrf does: it stops once every remaining pivot is
// at most D·ε·max(diag S). Directions it drops have variance at rounding
// level, so they contribute nothing to Tr((Σ₁Σ₂)^½) in exact arithmetic.
//
// The rows of L are in the original order of S. A matrix with a clearly
// negative direction is reported as not positive semidefinite.
func psdFactor(s *mat.SymDense) (*mat.Dense, int, error) {
	d := s.SymmetricDim()
	// Full row-major copy of S, so each row is contiguous.
	a := make([]float64, d*d)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			v := s.At(i, j)
			a[i*d+j], a[j*d+i] = v, v
		}
	}
	diag := make([]float64, d) // remaining pivots S_ii − Σ_k L_ik²
	maxDiag := 0.0
	for i := range diag {
		diag[i] = a[i*d+i]
		maxDiag = math.Max(maxDiag, math.Abs(diag[i]))
	}
	perm := make([]int, d) // row i of l is row perm[i] of S
	for i := range perm {
		perm[i] = i
	}
	l := make([]float64, d*d) // row-major, row i holds L[perm[i]][:rank]
	tol := float64(d) * 0x1p-52 * maxDiag
	rank := 0
	for j := 0; j < d; j++ {
		q := j + floats.MaxIdx(diag[j:])
		if !(diag[q] > tol) {
			break
		}
		if q != j {
			diag[j], diag[q] = diag[q], diag[j]
			perm[j], perm[q] = perm[q], perm[j]
			rj, rq := l[j*d:j*d+j], l[q*d:q*d+j]
			for k := range rj {
				rj[k], rq[k] = rq[k], rj[k]
			}
		}
		piv := math.Sqrt(diag[j])
		l[j*d+j] = piv
		lj := l[j*d : j*d+j]
		srow := a[perm[j]*d : perm[j]*d+d]
		for i := j + 1; i < d; i++ {
			v := (srow[perm[i]] - floats.Dot(l[i*d:i*d+j], lj)) / piv
			l[i*d+j] = v
			diag[i] -= v * v
		}
		rank = j + 1
	}
	// What is left, S₂₂ − L₂L₂ᵀ, must be negligible for a PSD matrix.
	limit := psdTolerance * maxDiag
	for i := rank; i < d; i++ {
		li := l[i*d : i*d+rank]
		srow := a[perm[i]*d : perm[i]*d+d]
		for k := i; k < d; k++ {
			if r := srow[perm[k]] - floats.Dot(li, l[k*d:k*d+rank]); math.Abs(r) > limit {
				return nil, 0, fmt.Errorf("covariance is not positive semidefinite (residual %g at [%d][%d], largest variance %g)",
					r, perm[i], perm[k], maxDiag)
			}
		}
	}
	if rank == 0 {
		return nil, 0, nil
	}
	out := mat.NewDense(d, rank, nil)
	for i := 0; i < d; i++ {
		copy(out.RawRowView(perm[i]), l[i*d:i*d+rank])
	}
	return out, rank, nil
}
