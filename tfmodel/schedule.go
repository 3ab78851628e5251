package tfmodel

import (
	"fmt"
	"math"
)

// Schedule gives the learning rate of each optimizer step. Step 0 is the
// first update; step k is the update made after k calls of a torch
// scheduler's step(). The value is fed to the graph through the lr
// placeholder passed to Adam.Minimize.
type Schedule interface {
	LR(step int) float64
}

func checkLR(name string, v float64) error {
	if !(v >= 0) || math.IsInf(v, 0) {
		return fmt.Errorf("%s: learning rate %v must be finite and non-negative", name, v)
	}
	return nil
}

// ConstantLR is a fixed learning rate.
type ConstantLR float64

// LR returns the constant.
func (c ConstantLR) LR(int) float64 { return float64(c) }

// StepLR multiplies the base rate by Gamma every StepSize steps, as
// torch.optim.lr_scheduler.StepLR: lr(step) = Base·Gamma^⌊step/StepSize⌋.
type StepLR struct {
	Base     float64
	StepSize int
	Gamma    float64
}

// NewStepLR checks the arguments and returns the schedule.
func NewStepLR(base float64, stepSize int, gamma float64) (StepLR, error) {
	if err := checkLR("StepLR", base); err != nil {
		return StepLR{}, err
	}
	if stepSize <= 0 {
		return StepLR{}, fmt.Errorf("StepLR: step size %d must be positive", stepSize)
	}
	if !(gamma > 0) || math.IsInf(gamma, 0) {
		return StepLR{}, fmt.Errorf("StepLR: gamma %v must be positive and finite", gamma)
	}
	return StepLR{Base: base, StepSize: stepSize, Gamma: gamma}, nil
}

// LR returns Base·Gamma^⌊step/StepSize⌋ (Base for negative steps).
func (c StepLR) LR(step int) float64 {
	if step <= 0 || c.StepSize <= 0 {
		return c.Base
	}
	return c.Base * math.Pow(c.Gamma, float64(step/c.StepSize))
}

// WarmupCosine ramps the rate linearly from Base/Warmup to Base over the
// first Warmup steps, then decays it along a half cosine from Base (at step
// Warmup) to Min (at step Total), and stays at Min afterwards:
//
//	step < Warmup:          Base·(step+1)/Warmup
//	Warmup ≤ step < Total:  Min + (Base−Min)·(1+cos(π·(step−Warmup)/(Total−Warmup)))/2
//	step ≥ Total:           Min
//
// Up to Total this is torch's SequentialLR of LinearLR(start_factor=1/Warmup,
// total_iters=Warmup−1) and CosineAnnealingLR(T_max=Total−Warmup, eta_min=Min)
// with milestone Warmup.
type WarmupCosine struct {
	Base, Min     float64
	Warmup, Total int
}

// NewWarmupCosine checks the arguments and returns the schedule.
func NewWarmupCosine(base, min float64, warmup, total int) (WarmupCosine, error) {
	if err := checkLR("WarmupCosine", base); err != nil {
		return WarmupCosine{}, err
	}
	if err := checkLR("WarmupCosine floor", min); err != nil {
		return WarmupCosine{}, err
	}
	if min > base {
		return WarmupCosine{}, fmt.Errorf("WarmupCosine: floor %v exceeds base rate %v", min, base)
	}
	if warmup < 0 || total <= warmup {
		return WarmupCosine{}, fmt.Errorf("WarmupCosine: need 0 <= warmup (%d) < total (%d)", warmup, total)
	}
	return WarmupCosine{Base: base, Min: min, Warmup: warmup, Total: total}, nil
}

// LR returns the rate of the given step.
func (c WarmupCosine) LR(step int) float64 {
	if step < 0 {
		step = 0
	}
	if step < c.Warmup {
		return c.Base * float64(step+1) / float64(c.Warmup)
	}
	if step >= c.Total {
		return c.Min
	}
	p := float64(step-c.Warmup) / float64(c.Total-c.Warmup)
	return c.Min + (c.Base-c.Min)*(1+math.Cos(math.Pi*p))/2
}
