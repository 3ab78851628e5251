package testutil

import "math"

// MaxDiff returns the largest |a[i]−b[i]| and the scale to relate it to,
// max(1, max |a[i]|); diff/scale is the relative difference. diff is +Inf
// if the lengths differ.
func MaxDiff(a, b []float32) (diff, scale float64) {
	if len(a) != len(b) {
		return math.Inf(1), 1
	}
	scale = 1
	for i := range a {
		scale = math.Max(scale, math.Abs(float64(a[i])))
		diff = math.Max(diff, math.Abs(float64(a[i]-b[i])))
	}
	return diff, scale
}

// RelDiff is |a−b| relative to the larger of |a| and |b| (1e-30 at least).
func RelDiff(a, b float64) float64 {
	return math.Abs(a-b) / math.Max(math.Max(math.Abs(a), math.Abs(b)), 1e-30)
}
