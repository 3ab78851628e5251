package masks

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/maskgit-go/maskgit/inpaint"
)

// painter marks hole pixels until it has marked target of them.
type painter struct {
	m      *inpaint.Mask
	holes  int
	target int
}

func (p *painter) done() bool { return p.holes >= p.target }

// disc marks the pixels within radius of (cx, cy), nearest rows first,
// stopping as soon as the target is reached. It returns how many pixels it
// newly marked.
func (p *painter) disc(cx, cy, radius float64) int {
	added := 0
	r := int(math.Ceil(radius))
	x0, y0 := int(math.Floor(cx)), int(math.Floor(cy))
	for dy := 0; dy <= r; dy++ {
		for _, sy := range [2]int{1, -1} {
			if dy == 0 && sy < 0 {
				continue
			}
			y := y0 + sy*dy
			if y < 0 || y >= p.m.H {
				continue
			}
			for x := x0 - r; x <= x0+r; x++ {
				if x < 0 || x >= p.m.W {
					continue
				}
				ddx, ddy := float64(x)+0.5-cx, float64(y)+0.5-cy
				if ddx*ddx+ddy*ddy > radius*radius {
					continue
				}
				i := y*p.m.W + x
				if p.m.Hole[i] {
					continue
				}
				if p.done() {
					return added
				}
				p.m.Hole[i] = true
				p.holes++
				added++
			}
		}
	}
	return added
}

// Stroke shape parameters, chosen so that the masks look like the
// benchmark's (a few pieces, some 40% of hole pixels on an edge: see
// TestStrokesLikeBenchmark).
const (
	minStrokes    = 3
	maxStrokes    = 8
	stepLen       = 1.5  // pixels per walk step
	turnSigma     = 0.3  // radians: the walk's gentle turning
	sharpTurnProb = 0.06 // chance per step of a sharp turn
	minRadius     = 1.1  // brush radius of a stroke, drawn in [min, max)
	maxRadius     = 2.6
	radiusJitter  = 0.7 // per-step brush radius jitter (ragged edges)
	maxWalkSteps  = 4000
	maxStrokesAll = 200
)

// strokes draws random-walk brush strokes until exactly target pixels are
// holes.
func strokes(w, h, target int, r *rand.Rand) (*inpaint.Mask, error) {
	p := &painter{m: inpaint.NewMask(w, h), target: target}
	n := minStrokes + r.IntN(maxStrokes-minStrokes+1)
	share := (target + n - 1) / n
	for k := 0; !p.done(); k++ {
		if k == maxStrokesAll {
			return nil, fmt.Errorf("masks: strokes: %d strokes did not reach %d hole pixels on %dx%d", k, target, w, h)
		}
		p.stroke(share, r)
	}
	return p.m, nil
}

// stroke walks one brush stroke from a random point until it has marked
// share new pixels (or the target is reached, or it runs out of steps).
func (p *painter) stroke(share int, r *rand.Rand) {
	w, h := float64(p.m.W), float64(p.m.H)
	x, y := r.Float64()*w, r.Float64()*h
	angle := r.Float64() * 2 * math.Pi
	radius := minRadius + r.Float64()*(maxRadius-minRadius)
	marked := 0
	for s := 0; s < maxWalkSteps && marked < share && !p.done(); s++ {
		rad := math.Max(0.6, radius+(r.Float64()*2-1)*radiusJitter)
		marked += p.disc(x, y, rad)
		angle += r.NormFloat64() * turnSigma
		if r.Float64() < sharpTurnProb {
			angle += (r.Float64()*2 - 1) * math.Pi
		}
		nx, ny := x+stepLen*math.Cos(angle), y+stepLen*math.Sin(angle)
		// Bounce off the borders.
		if nx < 0 || nx >= w {
			angle = math.Pi - angle
			nx = x + stepLen*math.Cos(angle)
		}
		if ny < 0 || ny >= h {
			angle = -angle
			ny = y + stepLen*math.Sin(angle)
		}
		x, y = math.Min(math.Max(nx, 0), w-1e-9), math.Min(math.Max(ny, 0), h-1e-9)
	}
}
