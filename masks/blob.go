package masks

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/maskgit-go/maskgit/inpaint"
)

// blob draws one star-shaped blob of exactly target pixels: the pixels with
// the smallest normalised distance |p − c| / ρ(θ) from a centre c, where
// ρ(θ) = 1 + Σ a_k cos(kθ + φ_k) over a few low harmonics. Growing the
// level set pixel by pixel keeps the shape and hits the count exactly.
func blob(w, h, target int, r *rand.Rand) *inpaint.Mask {
	cx := float64(w) * (0.25 + 0.5*r.Float64())
	cy := float64(h) * (0.25 + 0.5*r.Float64())
	type harmonic struct{ k, a, phi float64 }
	hs := make([]harmonic, 0, 4)
	for k := 2; k <= 5; k++ {
		hs = append(hs, harmonic{float64(k), r.Float64() * 0.3 / float64(k-1), r.Float64() * 2 * math.Pi})
	}
	stretch := math.Exp((r.Float64()*2 - 1) * 0.4) // x:y stretch
	n := w * h
	dist := make([]float64, n)
	order := make([]int, n)
	for i := range order {
		order[i] = i
		dx := (float64(i%w) + 0.5 - cx) / stretch
		dy := (float64(i/w) + 0.5 - cy) * stretch
		theta := math.Atan2(dy, dx)
		rho := 1.0
		for _, hm := range hs {
			rho += hm.a * math.Cos(hm.k*theta+hm.phi)
		}
		dist[i] = math.Hypot(dx, dy) / math.Max(rho, 0.2)
	}
	sort.SliceStable(order, func(a, b int) bool { return dist[order[a]] < dist[order[b]] })
	m := inpaint.NewMask(w, h)
	for _, i := range order[:target] {
		m.Hole[i] = true
	}
	return m
}
