// Package fid computes Fréchet Inception Distance statistics and distances
// in pure Go (gonum, no cgo), numerically matching pytorch-fid.
//
// Features (one row per image, for example Inception pool3 activations from
// package fid/inception) are reduced to Stats — the mean and the sample
// covariance (denominator N−1), exactly np.mean(axis=0) and
// np.cov(rowvar=False) — either at once (FromFeatures32, FromFeatures64) or
// batch by batch with an Accumulator. FrechetDistance compares two Stats:
//
//	FID = ‖μ₁−μ₂‖² + Tr(Σ₁) + Tr(Σ₂) − 2·Tr((Σ₁Σ₂)^½)
//
// and agrees with pytorch-fid's calculate_frechet_distance (scipy sqrtm):
// to ~1e-14 relative for full-rank covariances and ~1e-7 for rank-deficient
// ones (fewer images than feature dimensions, where scipy's own result is
// only that precise). FrechetDistanceOffset reproduces pytorch-fid's ε·I
// fallback path. At D=2048 with full-rank covariances a distance takes tens
// of seconds on two cores (a dense symmetric eigensolve in pure Go), about
// twice SciPy's time.
//
// Statistics are exchanged as .npz files with float64 "mu" and "sigma"
// arrays (WriteStats, ReadStats), the format of pytorch-fid's --save-stats,
// so NumPy and pytorch-fid read ours and we read theirs. Cache keeps
// reference statistics in a directory under a key derived from the
// feature-extractor id and the reference files' names and bytes
// (KeyForFiles), so they are computed once.
//
// Golden values come from scripts/fid_golden.py (NumPy/SciPy with
// pytorch-fid's formula), stored in testdata/.
package fid
