package fid

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Stats are the Gaussian statistics of a feature set: the mean Mu (length
// D), the sample covariance Sigma (D×D, denominator N−1, as np.cov with
// rowvar=False) and the number of samples N they came from. N == 0 means
// "unknown", as for statistics read from a pytorch-fid .npz file, which
// stores only mu and sigma.
type Stats struct {
	Mu    []float64
	Sigma *mat.SymDense
	N     int
}

// Dim returns the feature dimension D (0 for empty statistics).
func (s Stats) Dim() int { return len(s.Mu) }

// Validate reports why s cannot be used: no features, a Sigma that does not
// match Mu, a single sample, or a non-finite value.
func (s Stats) Validate() error {
	d := len(s.Mu)
	switch {
	case d == 0:
		return errors.New("fid: empty statistics (no mean vector)")
	case s.Sigma == nil:
		return errors.New("fid: statistics have no covariance matrix")
	case s.Sigma.SymmetricDim() != d:
		return fmt.Errorf("fid: mean has dimension %d but covariance is %d×%d", d, s.Sigma.SymmetricDim(), s.Sigma.SymmetricDim())
	case s.N < 0:
		return fmt.Errorf("fid: negative sample count %d", s.N)
	case s.N == 1:
		return errors.New("fid: statistics of a single sample: the covariance needs at least 2 samples")
	}
	for i, v := range s.Mu {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("fid: mean[%d] is %v", i, v)
		}
	}
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			if v := s.Sigma.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("fid: covariance[%d][%d] is %v", i, j, v)
			}
		}
	}
	return nil
}

// Accumulator computes Stats from feature batches as they arrive (for
// example from the Inception model, one batch per call). It merges batch
// means and centred scatter matrices (Chan et al.), which is as stable as
// centring all features at once and matches np.mean / np.cov to rounding.
//
// The zero value is not usable; create one with NewAccumulator. An
// Accumulator is not safe for concurrent use.
type Accumulator struct {
	dim  int
	n    int
	mean []float64
	m2   *mat.SymDense // Σ (x−mean)(x−mean)ᵀ over all rows so far
}

// NewAccumulator returns an empty accumulator for dim-dimensional features.
func NewAccumulator(dim int) (*Accumulator, error) {
	if dim <= 0 {
		return nil, fmt.Errorf("fid: feature dimension must be positive, got %d", dim)
	}
	return &Accumulator{dim: dim, mean: make([]float64, dim), m2: mat.NewSymDense(dim, nil)}, nil
}

// Dim returns the feature dimension.
func (a *Accumulator) Dim() int { return a.dim }

// N returns the number of feature rows added so far.
func (a *Accumulator) N() int { return a.n }

// Add32 adds a batch of float32 feature rows (each of length Dim). Values
// are widened to float64 first, as pytorch-fid stores activations in a
// float64 array. On error the accumulator is unchanged.
func (a *Accumulator) Add32(rows [][]float32) error {
	x, err := batchMatrix(a.dim, len(rows), func(i int) int { return len(rows[i]) },
		func(i, j int) float64 { return float64(rows[i][j]) })
	if err != nil {
		return err
	}
	a.add(x)
	return nil
}

// Add64 adds a batch of float64 feature rows (each of length Dim). On error
// the accumulator is unchanged.
func (a *Accumulator) Add64(rows [][]float64) error {
	x, err := batchMatrix(a.dim, len(rows), func(i int) int { return len(rows[i]) },
		func(i, j int) float64 { return rows[i][j] })
	if err != nil {
		return err
	}
	a.add(x)
	return nil
}

// batchMatrix copies n rows into an n×dim matrix, checking lengths and
// finiteness. A nil matrix with nil error means an empty batch.
func batchMatrix(dim, n int, rowLen func(int) int, at func(i, j int) float64) (*mat.Dense, error) {
	if n == 0 {
		return nil, nil
	}
	data := make([]float64, n*dim)
	for i := 0; i < n; i++ {
		if l := rowLen(i); l != dim {
			return nil, fmt.Errorf("fid: feature row %d has length %d, want %d", i, l, dim)
		}
		row := data[i*dim : (i+1)*dim]
		for j := range row {
			v := at(i, j)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("fid: feature row %d, column %d is %v", i, j, v)
			}
			row[j] = v
		}
	}
	return mat.NewDense(n, dim, data), nil
}

// add merges the batch x (B×D, finite) into the running mean and scatter.
func (a *Accumulator) add(x *mat.Dense) {
	if x == nil {
		return
	}
	b, d := x.Dims()
	bm := make([]float64, d)
	for i := 0; i < b; i++ {
		for j, v := range x.RawRowView(i) {
			bm[j] += v
		}
	}
	for j := range bm {
		bm[j] /= float64(b)
	}
	for i := 0; i < b; i++ {
		row := x.RawRowView(i)
		for j := range row {
			row[j] -= bm[j]
		}
	}
	// Scatter of the centred batch, then the between-means correction.
	a.m2.SymRankK(a.m2, 1, x.T())
	na, nb := float64(a.n), float64(b)
	n := na + nb
	delta := make([]float64, d)
	for j := range delta {
		delta[j] = bm[j] - a.mean[j]
	}
	if a.n > 0 {
		a.m2.SymRankOne(a.m2, na*nb/n, mat.NewVecDense(d, delta))
	}
	for j := range a.mean {
		a.mean[j] += delta[j] * nb / n
	}
	a.n += b
}

// Stats returns the statistics of all rows added so far. It needs at least
// two rows (the covariance divides by N−1). The result does not share
// memory with the accumulator, which may keep accumulating.
func (a *Accumulator) Stats() (Stats, error) {
	if a.n < 2 {
		return Stats{}, fmt.Errorf("fid: need at least 2 feature rows for a covariance, have %d", a.n)
	}
	sigma := mat.NewSymDense(a.dim, nil)
	sigma.ScaleSym(1/float64(a.n-1), a.m2)
	return Stats{Mu: append([]float64(nil), a.mean...), Sigma: sigma, N: a.n}, nil
}

// FromFeatures32 returns the statistics of an N×D float32 feature matrix
// given as rows, exactly as pytorch-fid computes them (float64 mean and
// covariance with denominator N−1).
func FromFeatures32(rows [][]float32) (Stats, error) {
	if len(rows) == 0 {
		return Stats{}, errors.New("fid: no feature rows")
	}
	acc, err := NewAccumulator(len(rows[0]))
	if err != nil {
		return Stats{}, err
	}
	if err := acc.Add32(rows); err != nil {
		return Stats{}, err
	}
	return acc.Stats()
}

// FromFeatures64 is FromFeatures32 for float64 rows.
func FromFeatures64(rows [][]float64) (Stats, error) {
	if len(rows) == 0 {
		return Stats{}, errors.New("fid: no feature rows")
	}
	acc, err := NewAccumulator(len(rows[0]))
	if err != nil {
		return Stats{}, err
	}
	if err := acc.Add64(rows); err != nil {
		return Stats{}, err
	}
	return acc.Stats()
}
