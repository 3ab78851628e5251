package serve

import (
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/maskgit-go/maskgit/inpaint"
	"github.com/maskgit-go/maskgit/pipeline"
)

// Params are a request's decoding settings.
type Params struct {
	Schedule    string  `json:"schedule"`    // mask schedule γ name (inpaint.ScheduleNames)
	TotalIter   int     `json:"total_iter"`  // T
	SweetSpot   int     `json:"sweet_spot"`  // stop after this many steps (0: T)
	Temperature float64 `json:"temperature"` // Gumbel noise scale
	Seed        uint64  `json:"seed"`        // keys the request's random stream
	Order       string  `json:"order"`       // confidence or halton
	Sample      bool    `json:"sample"`      // sample from the softmax instead of argmax
	Dilate      bool    `json:"dilate"`      // grow the token mask by one token
	Steps       bool    `json:"steps"`       // answer JSON with the per-step strips
	Composite   string  `json:"composite"`   // residual, hard or none (inpaint.CompositeNames)
	Prefill     string  `json:"prefill"`     // harmonic or grey (inpaint.PrefillNames)
}

// DefaultParams are the settings of a request that sets none when the
// model has no settings of its own: pipeline.DefaultSettings.
func DefaultParams() Params { return ParamsFromSettings(pipeline.DefaultSettings()) }

// ParamsFromSettings returns a model's settings as request parameters:
// a server's defaults are its model's (see ModelConfig).
func ParamsFromSettings(s pipeline.Settings) Params {
	return Params{Schedule: s.Schedule, TotalIter: s.TotalIter, SweetSpot: s.SweetSpot, Temperature: s.Temperature,
		Seed: s.Seed, Order: s.Order, Sample: s.Sample, Dilate: s.Dilate, Composite: s.Composite,
		Prefill: s.Prefill}
}

// paramNames returns the fields Set accepts.
func paramNames() []string {
	return []string{"schedule", "total_iter", "sweet_spot", "temperature", "seed", "order", "sample", "dilate", "steps", "composite", "prefill"}
}

// isParam reports whether name is a settings field.
func isParam(name string) bool {
	for _, n := range paramNames() {
		if n == name {
			return true
		}
	}
	return false
}

// Set parses one field; an unknown name or a malformed value is a 400.
func (p *Params) Set(name, value string) error {
	value = strings.TrimSpace(value)
	bad := func(want string) error {
		return errorf(http.StatusBadRequest, "bad_param", "%s=%q: want %s", name, truncate(value, 40), want)
	}
	var err error
	switch name {
	case "schedule":
		p.Schedule = value
	case "order":
		p.Order = value
	case "composite":
		p.Composite = value
	case "prefill":
		p.Prefill = value
	case "total_iter", "sweet_spot":
		v, e := strconv.Atoi(value)
		if e != nil {
			return bad("an integer")
		}
		if name == "total_iter" {
			p.TotalIter = v
		} else {
			p.SweetSpot = v
		}
	case "temperature":
		if p.Temperature, err = strconv.ParseFloat(value, 64); err != nil {
			return bad("a number")
		}
	case "seed":
		if p.Seed, err = strconv.ParseUint(value, 10, 64); err != nil {
			return bad("an unsigned integer")
		}
	case "sample", "dilate", "steps":
		v, e := strconv.ParseBool(value)
		if e != nil {
			return bad("a boolean (1, 0, true, false)")
		}
		switch name {
		case "sample":
			p.Sample = v
		case "dilate":
			p.Dilate = v
		default:
			p.Steps = v
		}
	default:
		return unknownField(name)
	}
	return nil
}

// unknownField is the error for a field that is not image, mask or a setting.
func unknownField(name string) error {
	return errorf(http.StatusBadRequest, "unknown_field", "unknown field %q (valid: image, mask, %s)", truncate(name, 40), strings.Join(paramNames(), ", "))
}

// batchKey is what requests must share to be decoded in one model call:
// every setting except the seed.
type batchKey struct {
	schedule, order       string
	totalIter, sweetSpot  int
	temperature           float64
	sample, dilate, steps bool
	composite, prefill    string
}

// key returns p's batch key (p must be valid).
func (p Params) key() batchKey {
	return batchKey{schedule: p.Schedule, order: p.Order, totalIter: p.TotalIter, sweetSpot: p.SweetSpot,
		temperature: p.Temperature, sample: p.Sample, dilate: p.Dilate, steps: p.Steps, composite: p.Composite,
		prefill: p.Prefill}
}

// Options validates p against the limit on total_iter and returns the
// pipeline options of a batch (Seed 0: a request's seed is its job index).
// Out-of-range settings are a 422.
func (p Params) Options(maxTotalIter, maxBatch int) (pipeline.InpaintOptions, error) {
	sched, err := inpaint.ScheduleByName(p.Schedule)
	if err != nil {
		return pipeline.InpaintOptions{}, errorf(http.StatusUnprocessableEntity, "bad_param", "schedule: %v", err)
	}
	order, err := inpaint.OrderByName(p.Order)
	if err != nil {
		return pipeline.InpaintOptions{}, errorf(http.StatusUnprocessableEntity, "bad_param", "order: %v", err)
	}
	comp, err := inpaint.CompositeByName(p.Composite)
	if err != nil {
		return pipeline.InpaintOptions{}, errorf(http.StatusUnprocessableEntity, "bad_param", "composite: %v", err)
	}
	prefill, err := inpaint.PrefillByName(p.Prefill)
	if err != nil {
		return pipeline.InpaintOptions{}, errorf(http.StatusUnprocessableEntity, "bad_param", "prefill: %v", err)
	}
	if p.TotalIter < 1 || p.TotalIter > maxTotalIter {
		return pipeline.InpaintOptions{}, errorf(http.StatusUnprocessableEntity, "bad_param", "total_iter must be in 1..%d, got %d", maxTotalIter, p.TotalIter)
	}
	if p.SweetSpot < 0 || p.SweetSpot > p.TotalIter {
		return pipeline.InpaintOptions{}, errorf(http.StatusUnprocessableEntity, "bad_param", "sweet_spot must be in 0..%d (total_iter), got %d", p.TotalIter, p.SweetSpot)
	}
	if p.Temperature < 0 || p.Temperature > 1e6 || math.IsNaN(p.Temperature) {
		return pipeline.InpaintOptions{}, errorf(http.StatusUnprocessableEntity, "bad_param", "temperature must be in [0, 1e6], got %v", p.Temperature)
	}
	cfg := inpaint.Config{Steps: p.TotalIter, SweetSpot: p.SweetSpot, Schedule: sched, Temperature: p.Temperature,
		Sample: p.Sample, Order: order, Batch: maxBatch, SaveSteps: p.Steps, K: 1, MaskID: 1, GridW: 1, GridH: 1}
	if err := cfg.Validate(); err != nil {
		return pipeline.InpaintOptions{}, errorf(http.StatusUnprocessableEntity, "bad_param", "%v", err)
	}
	return pipeline.InpaintOptions{Decode: cfg, Dilate: p.Dilate, Composite: comp, Prefill: prefill}, nil
}

// truncate shortens s for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
