package pipeline

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/inpaint"
)

// Job is one image to inpaint.
type Job struct {
	// Image is the input, Resolution² pixels. Its hole pixels are ignored:
	// they are replaced as InpaintOptions.Prefill says before encoding.
	Image image.Image
	// Mask marks the holes (true = hole), same size as Image.
	Mask *inpaint.Mask
	// Index keys the image's random stream (with the seed), so results do
	// not depend on which images share a batch.
	Index uint64
}

// InpaintOptions configure Model.Inpaint.
type InpaintOptions struct {
	// Decode is the decoding schedule; its grid, codebook and MaskID are
	// filled in from the model.
	Decode inpaint.Config
	Seed   uint64
	// Dilate grows the token mask by one token.
	Dilate bool
	// Composite says how the decoded pixels go back into the input; the
	// zero value is inpaint.CompositeResidual.
	Composite inpaint.CompositeMode
	// Prefill says what the hole pixels hold when the image is encoded;
	// the zero value is inpaint.PrefillHarmonic.
	Prefill inpaint.PrefillMode
}

// Output is one inpainted image.
type Output struct {
	Image *image.RGBA
	// Unknown0 is the number of tokens that were masked.
	Unknown0 int
	// MaskStrip and StepStrip (with Decode.SaveSteps) show, left to right,
	// the token mask after each step (white = still masked) and the image
	// decoded from each step's tokens.
	MaskStrip, StepStrip *image.RGBA
}

// DecodeConfig returns the decoding config for this model with cfg's
// schedule settings.
func (m *Model) DecodeConfig(cfg inpaint.Config) inpaint.Config {
	cfg.GridW, cfg.GridH = int(m.Tokenizer.Cfg.Grid), int(m.Tokenizer.Cfg.Grid)
	cfg.K, cfg.MaskID = int(m.Transformer.Cfg.Codes), m.Transformer.Cfg.MaskID()
	return cfg
}

// Inpaint fills the holes of every job with iterative decoding.
func (m *Model) Inpaint(ctx context.Context, jobs []Job, opt InpaintOptions) ([]Output, error) {
	cfg := m.DecodeConfig(opt.Decode)
	dec, err := inpaint.NewDecoder(cfg)
	if err != nil {
		return nil, err
	}
	res := int(m.Tokenizer.Cfg.Resolution)
	per := 3 * res * res
	pixels := make([]float32, len(jobs)*per)
	inputs := make([]*image.RGBA, len(jobs))
	masks := make([][]bool, len(jobs))
	for i, j := range jobs {
		b := j.Image.Bounds()
		if b.Dx() != res || b.Dy() != res {
			return nil, fmt.Errorf("image %d is %dx%d, the model takes %dx%d", i, b.Dx(), b.Dy(), res, res)
		}
		if j.Mask == nil || j.Mask.W != res || j.Mask.H != res {
			return nil, fmt.Errorf("image %d: mask missing or not %dx%d", i, res, res)
		}
		rgba, err := inpaint.Prefill(opt.Prefill, j.Image, j.Mask)
		if err != nil {
			return nil, fmt.Errorf("image %d: %w", i, err)
		}
		inputs[i] = rgba
		dataset.ToFloat(pixels[i*per:(i+1)*per], dataset.RGBBytes(rgba), res, false)
		if masks[i], err = j.Mask.TokenMask(cfg.GridW, cfg.GridH, opt.Dilate); err != nil {
			return nil, fmt.Errorf("image %d: %w", i, err)
		}
	}
	tokens, err := m.encodeBatched(pixels, len(jobs), cfg.Batch)
	if err != nil {
		return nil, err
	}
	n := cfg.N()
	in := make([]inpaint.Input, len(jobs))
	for i := range jobs {
		t, err := inpaint.MaskTokens(tokens[i*n:(i+1)*n], masks[i], cfg.MaskID)
		if err != nil {
			return nil, err
		}
		in[i] = inpaint.Input{Tokens: t, Rand: inpaint.NewImageRand(opt.Seed, jobs[i].Index)}
	}
	results, err := dec.Decode(ctx, m.Transformer, in)
	if err != nil {
		return nil, err
	}
	final := make([]int32, 0, len(jobs)*n)
	for _, r := range results {
		final = append(final, r.Tokens...)
	}
	decoded, err := m.decodeBatched(final, len(jobs), cfg.Batch)
	if err != nil {
		return nil, err
	}
	outs := make([]Output, len(jobs))
	for i, j := range jobs {
		img, err := dataset.ToRGBA(decoded[i*per:(i+1)*per], res, res)
		if err != nil {
			return nil, err
		}
		if img, err = inpaint.Composite(opt.Composite, inputs[i], img, j.Mask); err != nil {
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

// stepStrips draws the latent mask and the decoded image of every step.
func (m *Model) stepStrips(steps []inpaint.StepRecord, cfg inpaint.Config, res int) (maskStrip, imgStrip *image.RGBA, err error) {
	n := cfg.N()
	all := make([]int32, 0, len(steps)*n)
	for _, s := range steps {
		all = append(all, s.Tokens...)
	}
	pix, err := m.decodeBatched(all, len(steps), cfg.Batch)
	if err != nil {
		return nil, nil, err
	}
	per := 3 * res * res
	maskStrip = image.NewRGBA(image.Rect(0, 0, res*len(steps), res))
	imgStrip = image.NewRGBA(image.Rect(0, 0, res*len(steps), res))
	cell := res / cfg.GridW
	for k, s := range steps {
		for p, masked := range s.Masked {
			c := color.RGBA{0, 0, 0, 255}
			if masked {
				c = color.RGBA{255, 255, 255, 255}
			}
			x, y := (p%cfg.GridW)*cell+k*res, (p/cfg.GridW)*cell
			draw.Draw(maskStrip, image.Rect(x, y, x+cell, y+cell), &image.Uniform{c}, image.Point{}, draw.Src)
		}
		img, err := dataset.ToRGBA(pix[k*per:(k+1)*per], res, res)
		if err != nil {
			return nil, nil, err
		}
		draw.Draw(imgStrip, image.Rect(k*res, 0, (k+1)*res, res), img, image.Point{}, draw.Src)
	}
	return maskStrip, imgStrip, nil
}

func (m *Model) encodeBatched(pixels []float32, n, batch int) ([]int32, error) {
	if batch <= 0 {
		batch = n
	}
	res := int(m.Tokenizer.Cfg.Resolution)
	per := 3 * res * res
	var out []int32
	for s := 0; s < n; s += batch {
		e := min(s+batch, n)
		ids, err := m.Tokenizer.Encode(pixels[s*per:e*per], e-s)
		if err != nil {
			return nil, err
		}
		out = append(out, ids...)
	}
	return out, nil
}

func (m *Model) decodeBatched(tokens []int32, n, batch int) ([]float32, error) {
	if batch <= 0 {
		batch = n
	}
	per := len(tokens) / max(n, 1)
	var out []float32
	for s := 0; s < n; s += batch {
		e := min(s+batch, n)
		px, err := m.Tokenizer.Decode(tokens[s*per:e*per], e-s)
		if err != nil {
			return nil, err
		}
		out = append(out, px...)
	}
	return out, nil
}
