package masks

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/maskgit-go/maskgit/inpaint"
)

const boxTries = 1000

// box draws one axis-aligned rectangle of lo…hi pixels with an aspect ratio
// between 1:2 and 2:1 where the bounds allow it.
func box(w, h, lo, hi int, r *rand.Rand) (*inpaint.Mask, error) {
	for try := 0; try < boxTries; try++ {
		area := float64(lo + r.IntN(hi-lo+1))
		aspect := math.Exp((r.Float64()*2 - 1) * math.Ln2)
		if try >= boxTries/2 { // any shape that fits
			aspect = math.Exp((r.Float64()*2 - 1) * math.Log(float64(max(w, h))))
		}
		bw := min(max(int(math.Round(math.Sqrt(area*aspect))), 1), w)
		bh := min(max(int(math.Round(area/float64(bw))), 1), h)
		if bw*bh < lo || bw*bh > hi {
			continue
		}
		x0, y0 := r.IntN(w-bw+1), r.IntN(h-bh+1)
		m := inpaint.NewMask(w, h)
		for y := y0; y < y0+bh; y++ {
			for x := x0; x < x0+bw; x++ {
				m.Hole[y*w+x] = true
			}
		}
		return m, nil
	}
	return nil, fmt.Errorf("masks: box: found no rectangle of %d to %d pixels in %dx%d after %d tries", lo, hi, w, h, boxTries)
}
