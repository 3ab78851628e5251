package inpaint

import "fmt"

// radicalInverse returns the van der Corput radical inverse of i in base b:
// the base-b digits of i mirrored around the radix point (i = 6 = 110₂ →
// 0.011₂ = 0.375).
func radicalInverse(i, b int) float64 {
	f, r := 1.0, 0.0
	for ; i > 0; i /= b {
		f /= float64(b)
		r += f * float64(i%b)
	}
	return r
}

// HaltonOrder returns the positions (row-major, y*w+x) of a w×h token grid in
// the order the 2-D Halton sequence with bases 2 (x) and 3 (y) visits them:
// point i = 1, 2, … maps to cell (⌊H₂(i)·w⌋, ⌊H₃(i)·h⌋) and cells already
// visited are skipped. The result is a permutation of 0…w·h−1; should the
// sequence not reach every cell within a generous bound (it does for all
// practical grids), the missing cells are appended in raster order.
func HaltonOrder(w, h int) ([]int, error) {
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("inpaint: Halton grid must be positive, got %dx%d", w, h)
	}
	n := w * h
	seen := make([]bool, n)
	order := make([]int, 0, n)
	limit := 64 * n
	for i := 1; len(order) < n && i <= limit; i++ {
		x := min(int(radicalInverse(i, 2)*float64(w)), w-1)
		y := min(int(radicalInverse(i, 3)*float64(h)), h-1)
		p := y*w + x
		if !seen[p] {
			seen[p] = true
			order = append(order, p)
		}
	}
	for p := 0; p < n && len(order) < n; p++ {
		if !seen[p] {
			seen[p] = true
			order = append(order, p)
		}
	}
	return order, nil
}
