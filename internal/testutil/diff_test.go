package testutil

import (
	"math"
	"testing"
)

func TestMaxDiff(t *testing.T) {
	for _, c := range []struct {
		name        string
		a, b        []float32
		diff, scale float64
	}{
		{"equal", []float32{1, -2}, []float32{1, -2}, 0, 2},
		{"small values scale 1", []float32{0.5, 0.25}, []float32{0.5, 0}, 0.25, 1},
		{"scale from a", []float32{-4, 1}, []float32{-3, 1}, 1, 4},
		{"scale ignores b", []float32{1}, []float32{10}, 9, 1},
		{"empty", nil, nil, 0, 1},
		{"lengths differ", []float32{1}, []float32{1, 1}, math.Inf(1), 1},
	} {
		if d, s := MaxDiff(c.a, c.b); d != c.diff || s != c.scale {
			t.Errorf("%s: MaxDiff %v, %v; want %v, %v", c.name, d, s, c.diff, c.scale)
		}
	}
	if d, _ := MaxDiff([]float32{float32(math.NaN())}, []float32{0}); !math.IsNaN(d) {
		t.Errorf("a NaN gives diff %v, want NaN", d)
	}
}

func TestRelDiff(t *testing.T) {
	for _, c := range []struct{ a, b, want float64 }{
		{1, 1, 0},
		{2, 1, 0.5},
		{-1, 1, 2},
		{0, 0, 0},
		{1e-40, 0, 1e-10},
	} {
		if got := RelDiff(c.a, c.b); math.Abs(got-c.want) > 1e-12*math.Max(c.want, 1e-30) {
			t.Errorf("RelDiff(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
