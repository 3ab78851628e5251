package masks

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/maskgit-go/maskgit/inpaint"
)

// edgeRatio is the fraction of hole pixels with a known 4-neighbour: high
// for thin strokes, low for compact shapes.
func edgeRatio(m *inpaint.Mask) float64 {
	holes, edge := 0, 0
	for y := 0; y < m.H; y++ {
		for x := 0; x < m.W; x++ {
			if !m.Hole[y*m.W+x] {
				continue
			}
			holes++
			for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
				X, Y := x+d[0], y+d[1]
				if X >= 0 && X < m.W && Y >= 0 && Y < m.H && !m.Hole[Y*m.W+X] {
					edge++
					break
				}
			}
		}
	}
	return float64(edge) / float64(max(holes, 1))
}

func meanEdgeRatio(t *testing.T, s Style, n int) float64 {
	ms, err := Series(s, DefaultOptions(s), 11, n)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, m := range ms {
		sum += edgeRatio(m)
	}
	return sum / float64(n)
}

func TestStylesDifferInShape(t *testing.T) {
	strokes, box, blob := meanEdgeRatio(t, Strokes, 50), meanEdgeRatio(t, Box, 50), meanEdgeRatio(t, Blob, 50)
	// A 32x32 box has 124 of 1024 pixels on its edge (0.12); a stroke of
	// width 3 has about two thirds.
	if !(strokes > 0.3 && box < 0.2 && blob < 0.2) {
		t.Errorf("mean edge ratios: strokes %.3f (want > 0.3), box %.3f, blob %.3f (want < 0.2)", strokes, box, blob)
	}
}

// TestStrokesLikeBenchmark compares the strokes with the benchmark's test
// masks (shared/data/catfaces64/mask64): their mean edge ratio (how thin
// they are) must agree within 0.05.
func TestStrokesLikeBenchmark(t *testing.T) {
	shared := os.Getenv("MASKGIT_SHARED")
	if shared == "" {
		shared = filepath.Join("..", "..", "shared")
	}
	dir := filepath.Join(shared, "data", "catfaces64", "mask64")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("benchmark masks not found at %s (set MASKGIT_SHARED): %v", dir, err)
	}
	const n = 200
	sum := 0.0
	for i := 0; i < n; i++ {
		m, _, err := inpaint.ReadMask(filepath.Join(dir, fmt.Sprintf("mask_%03d.png", i)), 64, 64)
		if err != nil {
			t.Fatal(err)
		}
		sum += edgeRatio(m)
	}
	bench, ours := sum/n, meanEdgeRatio(t, Strokes, n)
	if d := ours - bench; d > 0.05 || d < -0.05 {
		t.Errorf("mean edge ratio: strokes %.3f, benchmark masks %.3f", ours, bench)
	}
	t.Logf("mean edge ratio: strokes %.3f, benchmark masks %.3f", ours, bench)
}
