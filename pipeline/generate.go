package pipeline

import (
	"context"
	"fmt"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/inpaint"
)

// GenerateOptions configure Model.Generate.
type GenerateOptions struct {
	// Decode is the decoding schedule; its grid, codebook and MaskID are
	// filled in from the model. Unconditional samples need Sample (or at
	// least Gumbel noise) to differ from each other.
	Decode inpaint.Config
	Seed   uint64
	// FirstIndex is the index of the first image: image i uses the random
	// stream (Seed, FirstIndex+i), so a long series can be drawn in parts.
	FirstIndex uint64
}

// Generate draws n images unconditionally: every token starts as [MASK] and
// iterative decoding fills them all. Outputs carry step strips when
// Decode.SaveSteps is set.
func (m *Model) Generate(ctx context.Context, n int, opt GenerateOptions) ([]Output, error) {
	if n < 0 {
		return nil, fmt.Errorf("pipeline: generate: negative count %d", n)
	}
	cfg := m.DecodeConfig(opt.Decode)
	dec, err := inpaint.NewDecoder(cfg)
	if err != nil {
		return nil, err
	}
	N := cfg.N()
	in := make([]inpaint.Input, n)
	for i := range in {
		t := make([]int32, N)
		for p := range t {
			t[p] = cfg.MaskID
		}
		in[i] = inpaint.Input{Tokens: t, Rand: inpaint.NewImageRand(opt.Seed, opt.FirstIndex+uint64(i))}
	}
	results, err := dec.Decode(ctx, m.Transformer, in)
	if err != nil {
		return nil, err
	}
	final := make([]int32, 0, n*N)
	for _, r := range results {
		final = append(final, r.Tokens...)
	}
	res := int(m.Tokenizer.Cfg.Resolution)
	per := 3 * res * res
	decoded, err := m.decodeBatched(final, n, cfg.Batch)
	if err != nil {
		return nil, err
	}
	outs := make([]Output, n)
	for i := range outs {
		img, err := dataset.ToRGBA(decoded[i*per:(i+1)*per], res, res)
		if err != nil {
			return nil, err
		}
		outs[i] = Output{Image: img, Unknown0: results[i].Unknown0}
		if cfg.SaveSteps && len(results[i].Steps) > 0 {
			if outs[i].MaskStrip, outs[i].StepStrip, err = m.stepStrips(results[i].Steps, cfg, res); err != nil {
				return nil, err
			}
		}
	}
	return outs, nil
}
