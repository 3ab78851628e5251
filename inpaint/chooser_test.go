package inpaint

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// goChooser makes a Chooser of a logits Predictor with the Go choice, as a
// model graph would: every position's argmax or inverse-CDF sample.
type goChooser struct {
	Predictor
	k         int
	uniforms  [][]float64 // every call's uniforms
	corruptID int32       // when ≥ 0, returned as the first id
}

func (g *goChooser) Choose(ctx context.Context, tokens []int32, batch int, uniforms []float64) ([]int32, []float64, error) {
	logits, err := g.Predict(ctx, tokens, batch)
	if err != nil {
		return nil, nil, err
	}
	g.uniforms = append(g.uniforms, slices.Clone(uniforms))
	cells := len(tokens)
	v := len(logits) / cells
	ids, logp := make([]int32, cells), make([]float64, cells)
	for i := range ids {
		u := 0.0
		if uniforms != nil {
			u = uniforms[i]
		}
		id, lp, err := chooseU(logits[i*v:i*v+g.k], uniforms != nil, u)
		if err != nil {
			lp = math.NaN()
		}
		ids[i], logp[i] = id, lp
	}
	if g.corruptID >= 0 {
		ids[0] = g.corruptID
	}
	return ids, logp, nil
}

// TestChooserMatchesLogits: decoding through Choose (the model chooses)
// gives exactly the tokens and steps of decoding from the logits in Go, for
// every variant and batch size, and feeds uniforms only when sampling.
func TestChooserMatchesLogits(t *testing.T) {
	toks := tinyInputs(21, 7, 0.5)
	for _, cfg := range variants() {
		for _, batch := range []int{0, 3} {
			cfg.Batch = batch
			t.Run(fmt.Sprintf("%s/batch=%d", name(cfg), batch), func(t *testing.T) {
				want := decodeTiny(t, cfg, &hashPredictor{seed: 6, n: 16, k: 8, extra: 1}, toks, 5, 0)
				c := &goChooser{Predictor: &hashPredictor{seed: 6, n: 16, k: 8, extra: 1}, k: 8, corruptID: -1}
				got := decodeTiny(t, cfg, c, toks, 5, 0)
				for i := range want {
					if !slices.Equal(got[i].Tokens, want[i].Tokens) || len(got[i].Steps) != len(want[i].Steps) {
						t.Fatalf("image %d: chooser %v, logits %v", i, got[i].Tokens, want[i].Tokens)
					}
					for s := range want[i].Steps {
						if !slices.Equal(got[i].Steps[s].Masked, want[i].Steps[s].Masked) || !slices.Equal(got[i].Steps[s].Tokens, want[i].Steps[s].Tokens) {
							t.Fatalf("image %d step %d differs", i, s)
						}
					}
				}
				for call, u := range c.uniforms {
					if (u != nil) != cfg.Sample {
						t.Fatalf("call %d: uniforms fed %v with Sample %v", call, u != nil, cfg.Sample)
					}
				}
			})
		}
	}
}

// TestChooserErrors: a chosen id outside the codebook, unusable logits (NaN
// log p) and a short answer are errors naming the step and position.
func TestChooserErrors(t *testing.T) {
	cfg := tinyConfig()
	good := tinyInputs(3, 1, 0)[0]
	nan := PredictorFunc(func(_ context.Context, tok []int32, b int) ([]float32, error) {
		out := make([]float32, len(tok)*8)
		out[0] = float32(math.NaN())
		return out, nil
	})
	cases := []struct {
		name string
		p    Predictor
		want string
	}{
		{"mask id", &goChooser{Predictor: &hashPredictor{seed: 1, n: 16, k: 8}, k: 8, corruptID: 8}, "chose class 8"},
		{"nan", &goChooser{Predictor: nan, k: 8, corruptID: -1}, "position 0: log-probability NaN"},
		{"short", shortChooser{}, "chose 15 ids"},
	}
	for _, c := range cases {
		d, err := NewDecoder(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.Decode(context.Background(), c.p, []Input{{Tokens: good, Rand: NewImageRand(1, 0)}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

type shortChooser struct{ Predictor }

func (shortChooser) Choose(_ context.Context, tokens []int32, _ int, _ []float64) ([]int32, []float64, error) {
	return make([]int32, len(tokens)-1), make([]float64, len(tokens)-1), nil
}
