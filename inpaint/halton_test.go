package inpaint

import (
	"math"
	"slices"
	"testing"
)

func TestRadicalInverse(t *testing.T) {
	tests := []struct {
		i, b int
		want float64
	}{
		{0, 2, 0}, {1, 2, 0.5}, {2, 2, 0.25}, {3, 2, 0.75}, {6, 2, 0.375}, // 110₂ → 0.011₂
		{1, 3, 1.0 / 3}, {2, 3, 2.0 / 3}, {3, 3, 1.0 / 9}, {5, 3, 2.0/3 + 1.0/9}, // 12₃ → 0.21₃
	}
	for _, tc := range tests {
		if got := radicalInverse(tc.i, tc.b); math.Abs(got-tc.want) > 1e-15 {
			t.Errorf("radicalInverse(%d, %d) = %v, want %v", tc.i, tc.b, got, tc.want)
		}
	}
}

func TestHaltonOrderIsPermutation(t *testing.T) {
	for _, g := range [][2]int{{1, 1}, {4, 4}, {16, 16}, {5, 3}, {3, 5}, {7, 6}, {32, 1}, {1, 9}, {13, 11}} {
		order, err := HaltonOrder(g[0], g[1])
		if err != nil {
			t.Fatal(err)
		}
		sorted := slices.Sorted(slices.Values(order))
		for i, p := range sorted {
			if p != i {
				t.Fatalf("HaltonOrder(%d, %d) is not a permutation of 0..%d: %v", g[0], g[1], g[0]*g[1]-1, order)
			}
		}
	}
	if _, err := HaltonOrder(0, 4); err == nil {
		t.Error("HaltonOrder(0, 4) accepted an empty grid")
	}
}

// TestHaltonOrderGolden compares with scripts/inpaint_golden.py (halton_order).
func TestHaltonOrderGolden(t *testing.T) {
	g := loadGolden(t)
	if len(g.Halton) == 0 {
		t.Fatal("golden has no Halton orders")
	}
	for _, h := range g.Halton {
		got, err := HaltonOrder(h.W, h.H)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, h.Order) {
			t.Errorf("HaltonOrder(%d, %d) = %v, NumPy %v", h.W, h.H, got, h.Order)
		}
	}
	// By hand: i = 1 → (½, ⅓) → cell (2, 1) = 6 on 4×4; i = 2 → (¼, ⅔) → (1, 2) = 9.
	got, _ := HaltonOrder(4, 4)
	if got[0] != 6 || got[1] != 9 {
		t.Errorf("HaltonOrder(4, 4) starts %v, want [6 9 …]", got[:2])
	}
}
