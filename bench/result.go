package bench

import (
	"sort"
	"time"
)

// Result is one timed measurement: Iters runs of Units units of work each
// (samples for a training step, images for inpainting, FLOPs for a matmul).
type Result struct {
	Name    string    `json:"name"`
	Side    string    `json:"side"`
	Units   float64   `json:"units"`
	Seconds []float64 `json:"seconds"`
	// Extra holds measurement-specific figures (e.g. the inpainting breakdown).
	Extra map[string]float64 `json:"extra,omitempty"`
}

// Median returns the median time of one run.
func (r Result) Median() float64 {
	if len(r.Seconds) == 0 {
		return 0
	}
	s := append([]float64(nil), r.Seconds...)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// timeRuns runs f warmup times untimed, then iters times timed.
func timeRuns(warmup, iters int, f func() error) ([]float64, error) {
	for i := 0; i < warmup; i++ {
		if err := f(); err != nil {
			return nil, err
		}
	}
	secs := make([]float64, 0, iters)
	for i := 0; i < iters; i++ {
		t0 := time.Now()
		if err := f(); err != nil {
			return nil, err
		}
		secs = append(secs, time.Since(t0).Seconds())
	}
	return secs, nil
}
