package inpaint

import (
	"context"
	"math"
	"slices"
	"testing"
)

// TestGumbelOnLogP replays the documented draw order (one Gumbel draw per
// masked position, in position order, every step but the last) with a copy of
// the image's stream and checks that each step fixes the tokens with the
// largest log p + temperature·(1 − (t+1)/T)·g. The expected scales for
// temperature 2, T = 4 are, by hand, 1.5, 1, 0.5 (and no noise at t = 3).
func TestGumbelOnLogP(t *testing.T) {
	cfg := tinyConfig()
	cfg.Temperature, cfg.Steps = 2, 4
	scales := []float64{1.5, 1, 0.5}
	for seed := uint64(0); seed < 6; seed++ {
		img := tinyInputs(100+seed, 1, 0)[0] // every token masked
		rec := &recordingPredictor{inner: &hashPredictor{seed: seed, n: 16, k: 8}}
		res := decodeTiny(t, cfg, rec, [][]int32{img}, seed, 0)[0]
		replay := NewImageRand(seed, 0)
		masked := make([]bool, 16)
		for i := range masked {
			masked[i] = true
		}
		for s := 0; s < len(res.Steps)-1; s++ {
			type cand struct {
				pos  int
				conf float64
			}
			var cands []cand
			for pos := range masked {
				if !masked[pos] {
					continue
				}
				row := rec.logits[s][pos*8 : pos*8+8]
				best, z := 0, 0.0
				for k, v := range row {
					z += math.Exp(float64(v))
					if v > row[best] {
						best = k
					}
				}
				logp := float64(row[best]) - math.Log(z)
				u := replay.Float64()
				cands = append(cands, cand{pos, logp + scales[s]*-math.Log(-math.Log(u))})
			}
			slices.SortStableFunc(cands, func(a, b cand) int {
				if a.conf > b.conf {
					return -1
				} else if a.conf < b.conf {
					return 1
				}
				return 0
			})
			keep := 0
			for _, m := range res.Steps[s].Masked {
				if m {
					keep++
				}
			}
			want := make([]bool, 16)
			for _, c := range cands[len(cands)-keep:] {
				want[c.pos] = true
			}
			if !slices.Equal(res.Steps[s].Masked, want) {
				t.Errorf("seed %d step %d: masked %v, want %v", seed, s, res.Steps[s].Masked, want)
			}
			masked = want
		}
	}
}

// TestPeakPredictorSanity guards the fake model used by the golden test: its
// favourite extra column really is the largest logit.
func TestPeakPredictorSanity(t *testing.T) {
	p := &peakPredictor{n: 16, k: 8, maskID: 8, extra: 1}
	l, err := p.Predict(context.Background(), make([]int32, 16), 1)
	if err != nil {
		t.Fatal(err)
	}
	for pos := 0; pos < 16; pos++ {
		row := l[pos*9 : pos*9+9]
		if slices.Max(row) != row[8] {
			t.Fatalf("position %d: favourite is not the extra column: %v", pos, row)
		}
	}
}
