package plot

import (
	"image/color"
	"math"
	"testing"
)

func TestRenderDrawsSeriesAndRejectsBadInput(t *testing.T) {
	c := Chart{Title: "γ", XLabel: "r", YLabel: "masked", Width: 300, Height: 200, Markers: true, Series: []Series{
		{Name: "linear", X: []float64{0, 0.5, 1}, Y: []float64{1, 0.5, 0}},
		{Name: "flat", X: []float64{0, 1}, Y: []float64{0.5, 0.5}},
	}}
	img, err := c.Render()
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != 300 || img.Bounds().Dy() != 200 {
		t.Fatalf("size %v", img.Bounds())
	}
	count := map[color.RGBA]int{}
	for y := 0; y < 200; y++ {
		for x := 0; x < 300; x++ {
			count[img.RGBAAt(x, y)]++
		}
	}
	if count[palette(0)] < 50 || count[palette(1)] < 50 {
		t.Errorf("series colours drawn %d and %d times", count[palette(0)], count[palette(1)])
	}
	// The linear series runs from the top-left to the bottom-right corner of
	// the plot area: its start is above its end.
	first, last := -1, -1
	for y := 0; y < 200; y++ {
		if img.RGBAAt(70, y) == palette(0) && first < 0 {
			first = y
		}
		if img.RGBAAt(150, y) == palette(0) {
			last = y
		}
	}
	if first < 0 || last < 0 || first >= last {
		t.Errorf("linear series not falling: left y %d, right y %d", first, last)
	}
	for _, bad := range []Chart{{}, {Series: []Series{{X: []float64{1}, Y: nil}}}} {
		if _, err := bad.Render(); err == nil {
			t.Errorf("bad chart %+v rendered", bad)
		}
	}
}

func TestNiceTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		n      int
		want   []float64
	}{
		{0, 1, 5, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{0, 1, 6, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{-0.05, 1.05, 6, []float64{-0.5, 0, 0.5, 1, 1.5}},
		{0, 1, 10, []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1}},
		{-0.05, 1.05, 8, []float64{-0.2, 0, 0.2, 0.4, 0.6, 0.8, 1, 1.2}},
		{1, 12, 6, []float64{0, 2, 4, 6, 8, 10, 12}},
		{38.9, 46.9, 6, []float64{38, 40, 42, 44, 46, 48}},
		{0.3, 0.7, 6, []float64{0.3, 0.4, 0.5, 0.6, 0.7}},
		{100, 1000, 5, []float64{0, 200, 400, 600, 800, 1000}},
	} {
		got := niceTicks(c.lo, c.hi, c.n)
		if len(got) != len(c.want) {
			t.Errorf("niceTicks(%v, %v, %d) = %v, want %v", c.lo, c.hi, c.n, got, c.want)
			continue
		}
		for i := range got {
			if math.Abs(got[i]-c.want[i]) > 1e-12 {
				t.Errorf("niceTicks(%v, %v, %d) = %v, want %v", c.lo, c.hi, c.n, got, c.want)
				break
			}
		}
	}
}

// TestWholeNumberTicks: an axis of whole numbers (sweet spots 1..3) gets
// whole-number ticks, not 1.2, 1.4, ...; a real-valued axis keeps fine ticks.
func TestWholeNumberTicks(t *testing.T) {
	whole := []Series{{X: []float64{1, 2, 3}, Y: []float64{1.5, 2.25, 3}}}
	step := wholeStep(whole, func(s Series) []float64 { return s.X })
	got := niceTicksMin(1, 3, 8, step)
	for _, v := range got {
		if v != math.Trunc(v) {
			t.Fatalf("ticks of a whole-number axis: %v", got)
		}
	}
	if len(got) != 3 {
		t.Errorf("ticks %v, want 1 2 3", got)
	}
	if wholeStep(whole, func(s Series) []float64 { return s.Y }) != 0 {
		t.Errorf("a real-valued axis was taken for whole numbers")
	}
	if fine := niceTicks(1, 3, 8); len(fine) < 5 {
		t.Errorf("niceTicks(1, 3, 8) = %v: want fine ticks for a real axis", fine)
	}
}
