package train

import (
	"fmt"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// LRConfig picks the learning-rate schedule.
type LRConfig struct {
	Base float64 `json:"base"`
	// Schedule is "step" (StepLR: ×Gamma every StepSize steps, the default)
	// or "cosine" (linear warmup over Warmup steps, then cosine decay to Min
	// at the last step).
	Schedule string  `json:"schedule"`
	StepSize int     `json:"step_size,omitempty"`
	Gamma    float64 `json:"gamma,omitempty"`
	Warmup   int     `json:"warmup,omitempty"`
	Min      float64 `json:"min,omitempty"`
}

// Build returns the schedule for a run of total steps.
func (c LRConfig) Build(total int64) (tfmodel.Schedule, error) {
	switch c.Schedule {
	case "", "step":
		return tfmodel.NewStepLR(c.Base, c.StepSize, c.Gamma)
	case "cosine":
		return tfmodel.NewWarmupCosine(c.Base, c.Min, c.Warmup, int(total))
	}
	return nil, fmt.Errorf("unknown learning-rate schedule %q (step, cosine)", c.Schedule)
}
