package bench

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/maskgit-go/maskgit/inpaint"
	"github.com/maskgit-go/maskgit/pipeline"
)

// InpaintOptions configure Inpaint.
type InpaintOptions struct {
	// Steps is T (every step run: no sweet spot), with the cosine schedule,
	// argmax predictions, confidence order and Gumbel Temperature.
	Steps         int
	Temperature   float64
	Warmup, Iters int
	Seed          uint64
}

func (o InpaintOptions) decodeConfig(m *pipeline.Model, batch int) inpaint.Config {
	c := inpaint.DefaultConfig()
	c.Steps, c.SweetSpot, c.Temperature, c.Batch = o.Steps, 0, o.Temperature, batch
	return m.DecodeConfig(c)
}

// Inpaint times pipeline.Model.Inpaint on all inputs in one batch (hard
// compositing, which the PyTorch loop mirrors). Units are images. Extra
// holds the medians of a split run: encode_s, predict_s (transformer
// calls), go_loop_s (decoding loop outside the transformer), decode_s and
// go_share = go_loop_s / (encode_s + decode loop + decode_s).
func Inpaint(ctx context.Context, m *pipeline.Model, in *Inputs, opt InpaintOptions) (Result, error) {
	n := len(in.Images)
	res := Result{Name: "inpaint", Side: "go", Units: float64(n)}
	if n == 0 || opt.Iters < 1 || opt.Steps < 1 {
		return res, fmt.Errorf("bench inpaint: %d images, iters %d, steps %d", n, opt.Iters, opt.Steps)
	}
	jobs := make([]pipeline.Job, n)
	for i := range jobs {
		jobs[i] = pipeline.Job{Image: in.Images[i], Mask: in.Masks[i], Index: uint64(i)}
	}
	po := pipeline.InpaintOptions{Decode: opt.decodeConfig(m, n), Seed: opt.Seed, Composite: inpaint.CompositeHard}
	var err error
	res.Seconds, err = timeRuns(opt.Warmup, opt.Iters, func() error {
		_, err := m.Inpaint(ctx, jobs, po)
		return err
	})
	if err != nil {
		return res, err
	}
	split := map[string][]float64{}
	for i := 0; i < opt.Iters; i++ {
		s, err := splitRun(ctx, m, in, opt)
		if err != nil {
			return res, err
		}
		for k, v := range s {
			split[k] = append(split[k], v)
		}
	}
	res.Extra = map[string]float64{}
	for k, v := range split {
		sort.Float64s(v)
		res.Extra[k] = v[len(v)/2]
	}
	return res, nil
}

// splitRun runs encode, decoding loop and decode separately, timing the
// transformer calls inside the loop (Transformer.Choose, as Model.Inpaint).
func splitRun(ctx context.Context, m *pipeline.Model, in *Inputs, opt InpaintOptions) (map[string]float64, error) {
	n := len(in.Images)
	cfg := opt.decodeConfig(m, n)
	dec, err := inpaint.NewDecoder(cfg)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	tokens, err := m.Tokenizer.Encode(in.Pixels, n)
	if err != nil {
		return nil, err
	}
	encode := time.Since(t0).Seconds()
	g := cfg.N()
	inputs := make([]inpaint.Input, n)
	for i := range inputs {
		tm, err := in.Masks[i].TokenMask(cfg.GridW, cfg.GridH, false)
		if err != nil {
			return nil, err
		}
		t, err := inpaint.MaskTokens(tokens[i*g:(i+1)*g], tm, cfg.MaskID)
		if err != nil {
			return nil, err
		}
		inputs[i] = inpaint.Input{Tokens: t, Rand: inpaint.NewImageRand(opt.Seed, uint64(i))}
	}
	var predict time.Duration
	timed := &timedChooser{t: m.Transformer, d: &predict}
	t1 := time.Now()
	results, err := dec.Decode(ctx, timed, inputs)
	if err != nil {
		return nil, err
	}
	loop := time.Since(t1).Seconds()
	final := make([]int32, 0, n*g)
	for _, r := range results {
		final = append(final, r.Tokens...)
	}
	t2 := time.Now()
	if _, err := m.Tokenizer.Decode(final, n); err != nil {
		return nil, err
	}
	decode := time.Since(t2).Seconds()
	goLoop := loop - predict.Seconds()
	return map[string]float64{
		"encode_s": encode, "predict_s": predict.Seconds(), "go_loop_s": goLoop, "decode_s": decode,
		"go_share": goLoop / (encode + loop + decode),
	}, nil
}

// timedChooser is the transformer as pipeline.Model.Inpaint uses it (the
// choice made in the graph, inpaint.Chooser), adding the time of its calls
// to *d.
type timedChooser struct {
	t *pipeline.Transformer
	d *time.Duration
}

func (c *timedChooser) Predict(ctx context.Context, tokens []int32, batch int) ([]float32, error) {
	t := time.Now()
	defer func() { *c.d += time.Since(t) }()
	return c.t.Predict(ctx, tokens, batch)
}

func (c *timedChooser) Choose(ctx context.Context, tokens []int32, batch int, uniforms []float64) ([]int32, []float64, error) {
	t := time.Now()
	defer func() { *c.d += time.Since(t) }()
	return c.t.Choose(ctx, tokens, batch, uniforms)
}
