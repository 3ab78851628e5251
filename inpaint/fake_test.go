package inpaint

import (
	"context"
	"fmt"
)

// peakPredictor is the fake model of scripts/inpaint_golden.py (fake_logits):
// ctx = Σ over known positions m of (x[m]+1)(m+1) mod 97; position n has a
// peak 1 + ((5n+ctx) mod N)/4 on class (3n+ctx) mod K, 0 elsewhere, and extra
// columns beyond K set to 100 (an out-of-range favourite).
type peakPredictor struct {
	n, k   int
	maskID int32
	extra  int
	calls  []int // batch size of every call
}

func (p *peakPredictor) Predict(_ context.Context, tokens []int32, batch int) ([]float32, error) {
	if len(tokens) != batch*p.n {
		return nil, fmt.Errorf("peakPredictor: %d tokens for batch %d", len(tokens), batch)
	}
	p.calls = append(p.calls, batch)
	v := p.k + p.extra
	out := make([]float32, batch*p.n*v)
	for b := 0; b < batch; b++ {
		x := tokens[b*p.n : (b+1)*p.n]
		ctx := 0
		for m, t := range x {
			if t != p.maskID {
				ctx += (int(t) + 1) * (m + 1)
			}
		}
		ctx %= 97
		for n := 0; n < p.n; n++ {
			row := out[(b*p.n+n)*v : (b*p.n+n+1)*v]
			row[(3*n+ctx)%p.k] = 1 + float32((5*n+ctx)%p.n)/4
			for e := p.k; e < v; e++ {
				row[e] = 100
			}
		}
	}
	return out, nil
}

// hashPredictor returns pseudo-random logits in [-4, 4) that depend only on
// seed, the image's own tokens, the position and the class, so an image's
// logits never depend on the rest of its batch. With extra > 0 it appends
// extra columns holding 50, a favourite outside the codebook.
type hashPredictor struct {
	seed   uint64
	n, k   int
	extra  int
	calls  []int
	images int // total images sent
}

func mix64(x uint64) uint64 { // splitmix64 finaliser
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func (p *hashPredictor) Predict(ctx context.Context, tokens []int32, batch int) ([]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(tokens) != batch*p.n {
		return nil, fmt.Errorf("hashPredictor: %d tokens for batch %d", len(tokens), batch)
	}
	p.calls = append(p.calls, batch)
	p.images += batch
	v := p.k + p.extra
	out := make([]float32, batch*p.n*v)
	for b := 0; b < batch; b++ {
		h := p.seed
		for _, t := range tokens[b*p.n : (b+1)*p.n] {
			h = mix64(h ^ uint64(uint32(t)))
		}
		for n := 0; n < p.n; n++ {
			for c := 0; c < v; c++ {
				x := float32(50)
				if c < p.k {
					x = float32(mix64(h^uint64(n*v+c+1))>>40)/float32(1<<24)*8 - 4
				}
				out[(b*p.n+n)*v+c] = x
			}
		}
	}
	return out, nil
}
