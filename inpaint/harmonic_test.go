package inpaint

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// TestLaplaceMatchesSciPy compares the conjugate-gradient solve with SciPy's
// sparse direct solve of the same system (scripts/harmonic_golden.py).
func TestLaplaceMatchesSciPy(t *testing.T) {
	data, err := os.ReadFile("testdata/harmonic_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Cases []struct {
			Name        string
			W, H        int
			Hole        []int
			Field, Want []float64
		}
	}
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Cases) < 5 {
		t.Fatalf("golden holds %d cases", len(g.Cases))
	}
	for _, c := range g.Cases {
		m := NewMask(c.W, c.H)
		for i, v := range c.Hole {
			m.Hole[i] = v != 0
		}
		l, err := NewLaplace(m)
		if err != nil {
			t.Fatal(err)
		}
		field := append([]float64(nil), c.Field...)
		if err := l.Solve(field); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		worst := 0.0
		for i := range field {
			worst = max(worst, math.Abs(field[i]-c.Want[i]))
			if !m.Hole[i] && field[i] != c.Field[i] {
				t.Fatalf("%s: known value %d changed", c.Name, i)
			}
		}
		if worst > 1e-6 {
			t.Errorf("%s: max |Go - SciPy| = %.3g", c.Name, worst)
		}
	}
}

func TestLaplaceReproducesLinearField(t *testing.T) {
	// A linear function is harmonic; with known values on the image border
	// and a hole inside, the solve must give it back.
	const w, h = 20, 15
	m := NewMask(w, h)
	field := make([]float64, w*h)
	want := make([]float64, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			want[y*w+x] = 3*float64(x) - 2*float64(y) + 7
			field[y*w+x] = want[y*w+x]
			if x > 1 && x < w-2 && y > 2 && y < h-1 {
				m.Hole[y*w+x] = true
				field[y*w+x] = 1e6 // ignored
			}
		}
	}
	l, err := NewLaplace(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Solve(field); err != nil {
		t.Fatal(err)
	}
	for i := range field {
		if math.Abs(field[i]-want[i]) > 1e-6 {
			t.Fatalf("pixel %d: %v, want %v", i, field[i], want[i])
		}
	}
}

func TestLaplaceErrors(t *testing.T) {
	if _, err := NewLaplace(&Mask{W: 3, H: 3}); err == nil {
		t.Error("short mask accepted")
	}
	l, err := NewLaplace(NewMask(4, 4))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Solve(make([]float64, 15)); err == nil {
		t.Error("short field accepted")
	}
	if l.Unknowns() != 0 {
		t.Errorf("no holes, %d unknowns", l.Unknowns())
	}
}

func BenchmarkLaplace64(b *testing.B) {
	m := NewMask(64, 64)
	for y := 10; y < 40; y++ {
		for x := 5; x < 50; x++ {
			m.Hole[y*64+x] = (x/7+y/5)%2 == 0 || y > 30
		}
	}
	field := make([]float64, 64*64)
	b.ReportAllocs()
	for b.Loop() {
		l, err := NewLaplace(m)
		if err != nil {
			b.Fatal(err)
		}
		for c := 0; c < 3; c++ {
			for i := range field {
				field[i] = float64(i % 17)
			}
			if err := l.Solve(field); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(m.Holes()), "hole-px")
}
