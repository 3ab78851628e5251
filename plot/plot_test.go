package plot

import (
	"image/color"
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
