package inpaint

import (
	"context"
	"slices"
	"testing"
)

// TestDecodeGolden replays whole decoding runs of scripts/inpaint_golden.py
// (decode): the fake peak predictor, argmax, temperature 0, so there is no
// randomness and every step's mask and tokens must match NumPy exactly.
func TestDecodeGolden(t *testing.T) {
	g := loadGolden(t)
	if len(g.Decode) == 0 {
		t.Fatal("golden has no decode cases")
	}
	for _, c := range g.Decode {
		t.Run(c.Name, func(t *testing.T) {
			sched, err := ScheduleByName(c.Schedule)
			if err != nil {
				t.Fatal(err)
			}
			order, err := OrderByName(c.Order)
			if err != nil {
				t.Fatal(err)
			}
			for _, batch := range []int{0, 2} {
				d, err := NewDecoder(Config{
					GridW: c.GridW, GridH: c.GridH, K: c.K, MaskID: c.MaskID,
					Steps: c.Steps, SweetSpot: c.SweetSpot, Schedule: sched, Order: order,
					Batch: batch, SaveSteps: true,
				})
				if err != nil {
					t.Fatal(err)
				}
				p := &peakPredictor{n: c.GridW * c.GridH, k: c.K, maskID: c.MaskID, extra: c.Extra}
				in := make([]Input, len(c.Inputs))
				needWork := 0
				for i, toks := range c.Inputs {
					in[i] = Input{Tokens: toks}
					if slices.Contains(toks, c.MaskID) {
						needWork++
					}
				}
				res, err := d.Decode(context.Background(), p, in)
				if err != nil {
					t.Fatal(err)
				}
				for i, want := range c.Results {
					got := res[i]
					if !slices.Equal(got.Tokens, want.Tokens) || got.Unknown0 != want.Unknown0 {
						t.Errorf("batch %d image %d: tokens %v (unknown0 %d), NumPy %v (%d)", batch, i, got.Tokens, got.Unknown0, want.Tokens, want.Unknown0)
					}
					if len(got.Steps) != len(want.Steps) {
						t.Errorf("batch %d image %d: %d steps recorded, NumPy %d", batch, i, len(got.Steps), len(want.Steps))
						continue
					}
					for s, ws := range want.Steps {
						gs := got.Steps[s]
						masked := 0
						for _, m := range gs.Masked {
							if m {
								masked++
							}
						}
						if gs.Step != s || masked != ws.Keep || !slices.Equal(gs.Masked, ws.Masked) || !slices.Equal(gs.Tokens, ws.Tokens) {
							t.Errorf("batch %d image %d step %d: masked %v tokens %v, NumPy masked %v tokens %v",
								batch, i, s, gs.Masked, gs.Tokens, ws.Masked, ws.Tokens)
						}
					}
				}
				// Images with nothing masked never reach the model.
				if needWork > 0 && batch == 0 && p.calls[0] != needWork {
					t.Errorf("first Predict call had %d images, want %d (images with nothing masked skipped)", p.calls[0], needWork)
				}
			}
		})
	}
}
