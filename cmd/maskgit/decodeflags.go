package main

import (
	"fmt"
	"math"

	"github.com/spf13/pflag"

	"github.com/maskgit-go/maskgit/inpaint"
	"github.com/maskgit-go/maskgit/pipeline"
)

// decodeFlags are the iterative-decoding and compositing flags shared by
// inpaint, demo, generate and sweep. A flag the user does not give takes the
// model's own setting (pipeline.Model.Settings, from the model directory's
// inpaint.json), so a model ships with its best settings.
type decodeFlags struct {
	fs    *pflag.FlagSet
	s     pipeline.Settings
	batch int
}

func (d *decodeFlags) register(fs *pflag.FlagSet) { d.registerExcept(fs) }

// registerExcept registers the flags but those named in skip: a command
// with its own list flags (sweep's --schedules) has no singular twin.
func (d *decodeFlags) registerExcept(fs *pflag.FlagSet, skip ...string) {
	d.fs = fs
	all := pflag.NewFlagSet(fs.Name(), pflag.ContinueOnError) // then copied into fs but skip
	all.SortFlags = false
	def := pipeline.DefaultSettings()
	const m = " (default: the model's; built-in %v)"
	all.StringVar(&d.s.Schedule, "schedule", def.Schedule, fmt.Sprintf("mask schedule γ %v"+m, inpaint.ScheduleNames(), def.Schedule))
	all.IntVar(&d.s.TotalIter, "total-iter", def.TotalIter, fmt.Sprintf("total iterations T of the schedule"+m, def.TotalIter))
	all.IntVar(&d.s.SweetSpot, "sweet-spot", def.SweetSpot, fmt.Sprintf("stop after this many steps and fill the rest, 0: run all T"+m, def.SweetSpot))
	all.Float64Var(&d.s.Temperature, "temperature", def.Temperature, fmt.Sprintf("Gumbel noise scale on log p, annealed by 1 − (t+1)/T"+m, def.Temperature))
	all.BoolVar(&d.s.Sample, "sample", def.Sample, fmt.Sprintf("sample tokens from the softmax instead of taking the argmax"+m, def.Sample))
	all.StringVar(&d.s.Order, "order", def.Order, fmt.Sprintf("which tokens to fix each step: confidence or halton"+m, def.Order))
	all.BoolVar(&d.s.Dilate, "dilate", def.Dilate, fmt.Sprintf("grow the token mask by one token"+m, def.Dilate))
	all.Uint64Var(&d.s.Seed, "seed", def.Seed, fmt.Sprintf("seed of the Gumbel noise and sampling, per image: seed and image index"+m, def.Seed))
	all.StringVar(&d.s.Composite, "composite", def.Composite, fmt.Sprintf("how decoded pixels go into the holes: residual (the decoder's colour error on the known pixels carried smoothly into the hole), hard (as decoded) or none (decoded image everywhere)"+m, def.Composite))
	all.StringVar(&d.s.Prefill, "prefill", def.Prefill, fmt.Sprintf("what the hole pixels hold when the image is encoded: harmonic (a smooth fill from the known pixels around) or grey"+m, def.Prefill))
	all.IntVar(&d.batch, "batch", 32, "images per model call")
	for _, name := range []string{"schedule", "total-iter", "sweet-spot", "temperature", "sample", "order", "dilate", "seed", "composite", "prefill"} {
		all.Lookup(name).DefValue = "" // the model decides; the help text names the built-in value
	}
	all.VisitAll(func(f *pflag.Flag) {
		for _, n := range skip {
			if f.Name == n {
				return
			}
		}
		fs.AddFlag(f)
	})
}

// check reports a bad flag value before anything is loaded (how the
// values combine with the model's settings is checked by options).
func (d *decodeFlags) check() error {
	s := d.settings(pipeline.DefaultSettings())
	s.SweetSpot = min(max(s.SweetSpot, 0), max(s.TotalIter, 1)) // checked with the model's T
	if d.s.SweetSpot < 0 {
		return badInput("--sweet-spot must be ≥ 0, got %d", d.s.SweetSpot)
	}
	if err := flagWords(s, ""); err != nil {
		return err
	}
	if _, err := s.Options(d.batch); err != nil {
		return usageError{err}
	}
	if d.batch < 0 {
		return badInput("--batch must be ≥ 0, got %d", d.batch)
	}
	return nil
}

// settings returns model with every flag the user gave applied on top.
func (d *decodeFlags) settings(model pipeline.Settings) pipeline.Settings {
	s := model
	set := func(name string, apply func()) {
		if d.fs != nil && d.fs.Changed(name) {
			apply()
		}
	}
	set("schedule", func() { s.Schedule = d.s.Schedule })
	set("total-iter", func() { s.TotalIter = d.s.TotalIter })
	set("sweet-spot", func() { s.SweetSpot = d.s.SweetSpot })
	set("temperature", func() { s.Temperature = d.s.Temperature })
	set("sample", func() { s.Sample = d.s.Sample })
	set("order", func() { s.Order = d.s.Order })
	set("dilate", func() { s.Dilate = d.s.Dilate })
	set("seed", func() { s.Seed = d.s.Seed })
	set("composite", func() { s.Composite = d.s.Composite })
	set("prefill", func() { s.Prefill = d.s.Prefill })
	return s
}

// options returns the pipeline options of the model's settings with the
// user's flags applied.
func (d *decodeFlags) options(model pipeline.Settings) (pipeline.Settings, pipeline.InpaintOptions, error) {
	s := d.settings(model)
	if err := flagWords(s, " (the model's inpaint.json with the flags given)"); err != nil {
		return s, pipeline.InpaintOptions{}, err
	}
	opt, err := s.Options(d.batch)
	if err != nil {
		return s, opt, usageError{fmt.Errorf("decoding settings (the model's inpaint.json with the flags given): %w", err)}
	}
	return s, opt, nil
}

// flagWords checks s and reports a problem with the flags' names
// (--total-iter, not inpaint.Config's Steps), with where added.
func flagWords(s pipeline.Settings, where string) error {
	if _, err := inpaint.ScheduleByName(s.Schedule); err != nil {
		return badInput("--schedule%s: %v", where, err)
	}
	if _, err := inpaint.OrderByName(s.Order); err != nil {
		return badInput("--order%s: %v", where, err)
	}
	if _, err := inpaint.CompositeByName(s.Composite); err != nil {
		return badInput("--composite%s: %v", where, err)
	}
	if _, err := inpaint.PrefillByName(s.Prefill); err != nil {
		return badInput("--prefill%s: %v", where, err)
	}
	switch {
	case s.TotalIter < 1:
		return badInput("--total-iter must be ≥ 1, got %d%s", s.TotalIter, where)
	case s.SweetSpot < 0 || s.SweetSpot > s.TotalIter:
		return badInput("--sweet-spot must be in 0..%d (--total-iter), got %d%s", s.TotalIter, s.SweetSpot, where)
	case math.IsNaN(s.Temperature) || math.IsInf(s.Temperature, 0) || s.Temperature < 0:
		return badInput("--temperature must be finite and ≥ 0, got %v%s", s.Temperature, where)
	}
	return nil
}
