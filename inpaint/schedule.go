package inpaint

import (
	"fmt"
	"math"
	"strings"
)

// Schedule is a mask schedule γ: given the decoding progress r ∈ [0, 1]
// (r = (t+1)/T after step t of T) and the number of tokens that were unknown
// at the start (unknown₀), it returns the fraction of unknown₀ that should
// still be masked, from γ(0) = 1 (everything masked) down to γ(1) = 0.
//
// Only the "log" and "exp" schedules use unknown₀; the others ignore it.
// r outside [0, 1] is clamped into it and the result is clamped into [0, 1].
type Schedule func(r float64, unknown0 int) float64

// The schedules below follow google-research/maskgit, libml/mask_schedule.py
// (function schedule). MaskGIT names: "uniform" = Linear, "pow2" = Square,
// "pow3" = Cubic, "pow0.5" = Sqrt, "cosine", "log", "exp". Unlike MaskGIT, the
// result is clipped to [0, 1] rather than [1e-6, 1], so γ(1) = 0; the decoding
// loop fills every token at the final step either way.

// Cosine is γ(r) = cos(rπ/2) (MaskGIT "cosine", the paper's default);
// γ(1) is exactly 0 rather than cos(π/2) ≈ 6e-17 in floating point.
func Cosine(r float64, _ int) float64 {
	if r >= 1 {
		return 0
	}
	return clamp01(math.Cos(clamp01(r) * math.Pi / 2))
}

// Linear is γ(r) = 1 − r (MaskGIT "uniform").
func Linear(r float64, _ int) float64 { return clamp01(1 - clamp01(r)) }

// Square is γ(r) = 1 − r² (MaskGIT "pow2").
func Square(r float64, _ int) float64 { r = clamp01(r); return clamp01(1 - r*r) }

// Cubic is γ(r) = 1 − r³ (MaskGIT "pow3").
func Cubic(r float64, _ int) float64 { r = clamp01(r); return clamp01(1 - r*r*r) }

// Sqrt is γ(r) = 1 − √r (MaskGIT "pow0.5").
func Sqrt(r float64, _ int) float64 { return clamp01(1 - math.Sqrt(clamp01(r))) }

// Log is γ(r) = −log₂(r) / log₂(n) with n = unknown₀ (MaskGIT "log"); γ(0) is
// +Inf before clipping, so 1. n < 2 is treated as 2 (log₂ 1 = 0 would divide
// by zero; with a single unknown token the loop fills it in one step anyway).
func Log(r float64, unknown0 int) float64 {
	r = clamp01(r)
	if r == 0 {
		return 1
	}
	n := float64(max(unknown0, 2))
	return clamp01(-math.Log2(r) / math.Log2(n))
}

// Exp is γ(r) = 1 − 2^(−log₂(n)·(1−r)) = 1 − n^(r−1) with n = unknown₀
// (MaskGIT "exp"). Note γ(0) = 1 − 1/n, slightly below 1; r = 0 is never
// evaluated by the decoding loop. n < 2 is treated as 2, like Log.
func Exp(r float64, unknown0 int) float64 {
	r = clamp01(r)
	n := float64(max(unknown0, 2))
	return clamp01(1 - math.Exp2(-math.Log2(n)*(1-r)))
}

func clamp01(x float64) float64 {
	switch {
	case math.IsNaN(x):
		return 0
	case x < 0:
		return 0
	case x > 1:
		return 1
	}
	return x
}

// scheduleNames lists the valid names in the order ScheduleNames returns them.
func scheduleNames() []string {
	return []string{"cosine", "cubic", "exp", "linear", "log", "sqrt", "square"}
}

func lookupSchedule(name string) Schedule {
	switch name {
	case "cosine":
		return Cosine
	case "linear":
		return Linear
	case "square":
		return Square
	case "cubic":
		return Cubic
	case "sqrt":
		return Sqrt
	case "log":
		return Log
	case "exp":
		return Exp
	}
	return nil
}

// ScheduleNames returns the valid schedule names, sorted.
func ScheduleNames() []string { return scheduleNames() }

// ScheduleByName returns the schedule called name (see ScheduleNames); case
// and surrounding spaces are ignored.
func ScheduleByName(name string) (Schedule, error) {
	s := lookupSchedule(strings.ToLower(strings.TrimSpace(name)))
	if s == nil {
		return nil, fmt.Errorf("inpaint: unknown mask schedule %q (valid: %s)", name, strings.Join(ScheduleNames(), ", "))
	}
	return s, nil
}

// KeepMasked returns how many tokens stay masked after step t (0-based) of T
// for an image that had unknown0 masked tokens at the start and unknownT
// masked tokens before this step:
//
//	clamp(floor(γ((t+1)/T)·unknown0), 1, unknownT−1)
//
// except that the final step (t ≥ T−1) and a step with unknownT ≤ 1 keep
// nothing masked (everything left is filled). Steps that would fill nothing are
// impossible: at least one token is fixed per step while any remain.
func KeepMasked(g Schedule, t, T, unknown0, unknownT int) int {
	if unknownT <= 1 || t >= T-1 {
		return 0
	}
	k := int(math.Floor(g(float64(t+1)/float64(T), unknown0) * float64(unknown0)))
	return min(max(k, 1), unknownT-1)
}
