package inpaint

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// Predictor is the model: given a batch of token grids it returns logits.
//
// tokens holds batch×N token ids (row-major grids, N = Config.GridW·GridH),
// with Config.MaskID at masked positions. The result holds batch×N×V float32
// logits, V ≥ K = Config.K; only the first K classes of every position are
// codebook entries and are considered — any further columns (a [MASK] or
// other special class a model may carry) are ignored, so [MASK] can never be
// emitted. batch varies from call to call (images finish at different steps);
// an implementation needing a fixed batch pads internally. The decoder does
// not keep tokens or the returned slice after the call.
type Predictor interface {
	Predict(ctx context.Context, tokens []int32, batch int) ([]float32, error)
}

// PredictorFunc adapts a function to the Predictor interface.
type PredictorFunc func(ctx context.Context, tokens []int32, batch int) ([]float32, error)

// Predict calls f.
func (f PredictorFunc) Predict(ctx context.Context, tokens []int32, batch int) ([]float32, error) {
	return f(ctx, tokens, batch)
}

// Order says which masked tokens are fixed at each step.
type Order int

const (
	// OrderConfidence fixes the most confident predictions (log p plus
	// annealed Gumbel noise), as in MaskGIT.
	OrderConfidence Order = iota
	// OrderHalton fixes tokens in the precomputed 2-D Halton order of the
	// grid (see HaltonOrder), ignoring confidence; the count schedule is the
	// same.
	OrderHalton
)

// String returns "confidence" or "halton".
func (o Order) String() string {
	switch o {
	case OrderConfidence:
		return "confidence"
	case OrderHalton:
		return "halton"
	}
	return fmt.Sprintf("Order(%d)", int(o))
}

// OrderByName parses "confidence" or "halton".
func OrderByName(name string) (Order, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "confidence":
		return OrderConfidence, nil
	case "halton":
		return OrderHalton, nil
	}
	return 0, fmt.Errorf("inpaint: unknown decoding order %q (valid: confidence, halton)", name)
}

// Config describes the token grid, the model's vocabulary and the decoding
// schedule.
type Config struct {
	GridW, GridH int   // token grid; N = GridW·GridH positions (16×16 for 64×64 images)
	K            int   // codebook size: classes 0…K−1
	MaskID       int32 // id of [MASK] in the Predictor's input; outside 0…K−1, usually K

	Steps       int      // T ≥ 1 decoding steps
	SweetSpot   int      // stop after this many steps (≤ T) and fill the rest; 0 means T
	Schedule    Schedule // γ; nil means Cosine
	Temperature float64  // Gumbel noise scale on log p, annealed by 1 − (t+1)/T; ≥ 0
	Sample      bool     // sample predictions from the softmax instead of argmax
	Order       Order    // which tokens to fix per step
	Batch       int      // max images per Predict call; 0 means all at once
	SaveSteps   bool     // record every step in Result.Steps
}

// DefaultConfig is the project's setting: a 16×16 grid over a 1024-entry
// codebook with [MASK] = 1024, 8 cosine steps, argmax predictions and
// MaskGIT's choice temperature 4.5.
func DefaultConfig() Config {
	return Config{
		GridW: 16, GridH: 16, K: 1024, MaskID: 1024,
		Steps: 8, Schedule: Cosine, Temperature: 4.5,
		Order: OrderConfidence, Batch: 64,
	}
}

// N returns the number of token positions, GridW·GridH.
func (c Config) N() int { return c.GridW * c.GridH }

// stop is the number of steps actually run.
func (c Config) stop() int {
	if c.SweetSpot > 0 {
		return c.SweetSpot
	}
	return c.Steps
}

// needsRand reports whether decoding draws random numbers.
func (c Config) needsRand() bool {
	return c.Sample || (c.Temperature > 0 && c.Order == OrderConfidence)
}

// Validate reports the first problem with c.
func (c Config) Validate() error {
	switch {
	case c.GridW <= 0 || c.GridH <= 0:
		return fmt.Errorf("inpaint: token grid must be positive, got %dx%d", c.GridW, c.GridH)
	case c.K <= 0:
		return fmt.Errorf("inpaint: codebook size K must be positive, got %d", c.K)
	case c.MaskID >= 0 && int64(c.MaskID) < int64(c.K):
		return fmt.Errorf("inpaint: MaskID %d is a codebook class (K = %d); use an id outside 0..%d, usually K", c.MaskID, c.K, c.K-1)
	case c.Steps <= 0:
		return fmt.Errorf("inpaint: Steps must be ≥ 1, got %d", c.Steps)
	case c.SweetSpot < 0 || c.SweetSpot > c.Steps:
		return fmt.Errorf("inpaint: SweetSpot must be in 0..Steps (%d), got %d", c.Steps, c.SweetSpot)
	case math.IsNaN(c.Temperature) || math.IsInf(c.Temperature, 0) || c.Temperature < 0:
		return fmt.Errorf("inpaint: Temperature must be finite and ≥ 0, got %v", c.Temperature)
	case c.Order != OrderConfidence && c.Order != OrderHalton:
		return fmt.Errorf("inpaint: unknown decoding order %v", c.Order)
	case c.Batch < 0:
		return fmt.Errorf("inpaint: Batch must be ≥ 0, got %d", c.Batch)
	}
	return nil
}

// NewImageRand returns the random stream of image index under seed: a PCG
// seeded with (seed, index). Giving every image its own stream keyed by its
// index in the data set makes results independent of batch composition.
func NewImageRand(seed, index uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, index))
}
