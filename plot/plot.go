// Package plot draws simple line charts to PNG with the standard library
// and golang.org/x/image's basic font: enough for the schedule curves and
// FID-against-sweet-spot figures of `maskgit sweep`, with no plotting
// dependency.
package plot

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strconv"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Series is one named line; X and Y have the same length.
type Series struct {
	Name string
	X, Y []float64
}

// Chart is a line chart.
type Chart struct {
	Title, XLabel, YLabel string
	Series                []Series
	// Width and Height in pixels (default 640x420).
	Width, Height int
	// Markers draws a dot at every point.
	Markers bool
}

// palette holds distinguishable line colours (used in order, cycling).
func palette(i int) color.RGBA {
	p := []color.RGBA{
		{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255},
		{148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255},
	}
	return p[i%len(p)]
}

// Render draws the chart. It fails on empty or mismatched series and
// non-finite values.
func (c Chart) Render() (*image.RGBA, error) {
	w, h := c.Width, c.Height
	if w == 0 {
		w = 640
	}
	if h == 0 {
		h = 420
	}
	if len(c.Series) == 0 {
		return nil, fmt.Errorf("plot %q: no series", c.Title)
	}
	xmin, xmax, ymin, ymax := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range c.Series {
		if len(s.X) != len(s.Y) || len(s.X) == 0 {
			return nil, fmt.Errorf("plot %q: series %q has %d x and %d y values", c.Title, s.Name, len(s.X), len(s.Y))
		}
		for i := range s.X {
			if math.IsNaN(s.X[i]) || math.IsInf(s.X[i], 0) || math.IsNaN(s.Y[i]) || math.IsInf(s.Y[i], 0) {
				return nil, fmt.Errorf("plot %q: series %q has a non-finite point %d", c.Title, s.Name, i)
			}
			xmin, xmax = math.Min(xmin, s.X[i]), math.Max(xmax, s.X[i])
			ymin, ymax = math.Min(ymin, s.Y[i]), math.Max(ymax, s.Y[i])
		}
	}
	if xmax == xmin {
		xmin, xmax = xmin-1, xmax+1
	}
	if ymax == ymin {
		ymin, ymax = ymin-1, ymax+1
	}
	pad := (ymax - ymin) * 0.05
	// An axis whose values are all whole numbers (steps, sweet spots,
	// counts) gets whole-number ticks only.
	xt := niceTicksMin(xmin, xmax, 8, wholeStep(c.Series, func(s Series) []float64 { return s.X }))
	yt := niceTicksMin(ymin-pad, ymax+pad, 8, wholeStep(c.Series, func(s Series) []float64 { return s.Y }))
	xmin, xmax = xt[0], xt[len(xt)-1]
	ymin, ymax = yt[0], yt[len(yt)-1]

	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	left, right, top, bottom := 70, w-150, 44, h-50
	tx := func(x float64) int { return left + int(math.Round((x-xmin)/(xmax-xmin)*float64(right-left))) }
	ty := func(y float64) int { return bottom - int(math.Round((y-ymin)/(ymax-ymin)*float64(bottom-top))) }
	black := color.RGBA{0, 0, 0, 255}
	grey := color.RGBA{220, 220, 220, 255}
	for _, xv := range xt {
		line(img, tx(xv), top, tx(xv), bottom, grey)
		s := tick(xv)
		label(img, tx(xv)-7*len(s)/2, bottom+16, s, black)
	}
	for _, yv := range yt {
		line(img, left, ty(yv), right, ty(yv), grey)
		s := tick(yv)
		label(img, left-6-7*len(s), ty(yv)+4, s, black)
	}
	line(img, left, bottom, right, bottom, black)
	line(img, left, top, left, bottom, black)
	for i, s := range c.Series {
		col := palette(i)
		for k := 1; k < len(s.X); k++ {
			line(img, tx(s.X[k-1]), ty(s.Y[k-1]), tx(s.X[k]), ty(s.Y[k]), col)
		}
		if c.Markers || len(s.X) == 1 {
			for k := range s.X {
				draw.Draw(img, image.Rect(tx(s.X[k])-2, ty(s.Y[k])-2, tx(s.X[k])+3, ty(s.Y[k])+3), &image.Uniform{col}, image.Point{}, draw.Src)
			}
		}
		ly := top + 10 + 16*i
		draw.Draw(img, image.Rect(right+10, ly-5, right+30, ly-2), &image.Uniform{col}, image.Point{}, draw.Src)
		label(img, right+36, ly, s.Name, black)
	}
	label(img, left, 16, c.Title, black)
	label(img, (left+right)/2-7*len(c.XLabel)/2, h-12, c.XLabel, black)
	label(img, 8, top-10, c.YLabel, black)
	return img, nil
}

func tick(v float64) string {
	if math.Abs(v) < 1e-9 {
		v = 0 // no "-0" or "1e-17" at the origin
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// wholeStep returns 1 when every value of axis is a whole number (the
// smallest tick step that axis may have), else 0.
func wholeStep(series []Series, axis func(Series) []float64) float64 {
	for _, s := range series {
		for _, v := range axis(s) {
			if v != math.Trunc(v) {
				return 0
			}
		}
	}
	return 1
}

// niceTicks returns evenly spaced round values (steps of 1, 2 or 5 times a
// power of ten) from at or below lo to at or above hi: the smallest such
// step that needs at most n intervals.
func niceTicks(lo, hi float64, n int) []float64 { return niceTicksMin(lo, hi, n, 0) }

// niceTicksMin is niceTicks with a step of at least minStep (1: whole
// numbers only).
func niceTicksMin(lo, hi float64, n int, minStep float64) []float64 {
	if n < 1 {
		n = 1
	}
	mag := math.Pow(10, math.Floor(math.Log10((hi-lo)/float64(n))))
	var step float64
	for k := 0; step == 0; k++ {
		for _, m := range []float64{1, 2, 5} {
			st := m * mag * math.Pow(10, float64(k))
			if st < minStep {
				continue
			}
			if math.Floor(lo/st+1e-9)*st+float64(n)*st >= hi-st*1e-9 {
				step = st
				break
			}
		}
	}
	first := math.Floor(lo/step+1e-9) * step
	var out []float64
	for k := 0; ; k++ {
		v := first + float64(k)*step
		// Round away the float error of k·step (0.30000000000000004).
		v = math.Round(v/step*1e6) / 1e6 * step
		out = append(out, v)
		if v >= hi-step*1e-9 {
			return out
		}
	}
}

func label(img *image.RGBA, x, y int, s string, col color.Color) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(col), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// line draws a 1-pixel line with Bresenham's algorithm.
func line(img *image.RGBA, x0, y0, x1, y1 int, col color.RGBA) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		if (image.Point{x0, y0}).In(img.Rect) {
			img.SetRGBA(x0, y0, col)
		}
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			x0 += sx
		}
		if e2 <= dx {
			e += dx
			y0 += sy
		}
	}
}

func abs(a int) int {
	if a < 0 {
		return -a
	}
	return a
}

func sign(a int) int {
	switch {
	case a > 0:
		return 1
	case a < 0:
		return -1
	}
	return 0
}
