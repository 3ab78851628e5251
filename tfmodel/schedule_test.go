package tfmodel

import (
	"math"
	"strings"
	"testing"
)

// TestSchedulesMatchTorch compares with torch's StepLR and
// SequentialLR(LinearLR, CosineAnnealingLR) learning rates recorded by
// scripts/optim_golden.py in testdata/optim_golden.json.
func TestSchedulesMatchTorch(t *testing.T) {
	g := loadOptimGolden(t)
	sl, wc := g.Schedules["step_lr"], g.Schedules["warmup_cosine"]
	stepLR, err := NewStepLR(sl.Base, sl.StepSize, sl.Gamma)
	if err != nil {
		t.Fatal(err)
	}
	cos, err := NewWarmupCosine(wc.Base, wc.Min, wc.Warmup, wc.Total)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		sched Schedule
		want  []float64
	}{{"StepLR", stepLR, sl.LRs}, {"WarmupCosine", cos, wc.LRs}} {
		if len(tc.want) < 10 {
			t.Fatalf("%s: golden has %d steps", tc.name, len(tc.want))
		}
		for k, want := range tc.want {
			if got := tc.sched.LR(k); math.Abs(got-want) > 1e-12*want {
				t.Errorf("%s step %d: lr %v, torch %v", tc.name, k, got, want)
			}
		}
	}
}

func TestScheduleValues(t *testing.T) {
	step := StepLR{Base: 1, StepSize: 2, Gamma: 0.5}
	wc := WarmupCosine{Base: 1, Min: 0.1, Warmup: 2, Total: 6}
	for _, tc := range []struct {
		name  string
		sched Schedule
		step  int
		want  float64
	}{
		{"constant", ConstantLR(0.3), 1000, 0.3},
		{"step 0", step, 0, 1},
		{"step 1", step, 1, 1},
		{"step 2", step, 2, 0.5},
		{"step 5", step, 5, 0.25},
		{"step negative", step, -3, 1},
		{"warmup first", wc, 0, 0.5},
		{"warmup last", wc, 1, 1},
		{"cosine start", wc, 2, 1},
		{"cosine middle", wc, 4, 0.55},                        // (1+cos(π/2))/2 = 1/2
		{"cosine 3/4", wc, 5, 0.1 + 0.9*(1-math.Sqrt(2)/2)/2}, // cos(3π/4) = −√2/2
		{"at total", wc, 6, 0.1},
		{"after total", wc, 100, 0.1},
		{"no warmup", WarmupCosine{Base: 2, Min: 0, Warmup: 0, Total: 4}, 0, 2},
		{"no warmup half", WarmupCosine{Base: 2, Min: 0, Warmup: 0, Total: 4}, 2, 1},
	} {
		if got := tc.sched.LR(tc.step); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s: LR(%d) = %v, want %v", tc.name, tc.step, got, tc.want)
		}
	}
}

func TestScheduleErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"step size 0", schedErr(NewStepLR(0.1, 0, 0.5)), "step size"},
		{"gamma 0", schedErr(NewStepLR(0.1, 2, 0)), "gamma"},
		{"negative base", schedErr(NewStepLR(-0.1, 2, 0.5)), "learning rate"},
		{"NaN base", schedErr(NewWarmupCosine(math.NaN(), 0, 1, 2)), "learning rate"},
		{"floor above base", schedErr(NewWarmupCosine(0.1, 0.2, 1, 2)), "exceeds"},
		{"total = warmup", schedErr(NewWarmupCosine(0.1, 0, 5, 5)), "warmup"},
		{"negative warmup", schedErr(NewWarmupCosine(0.1, 0, -1, 5)), "warmup"},
	} {
		if tc.err == nil || !strings.Contains(tc.err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, tc.err, tc.want)
		}
	}
	if _, err := NewWarmupCosine(0.1, 0.01, 0, 10); err != nil {
		t.Errorf("valid schedule rejected: %v", err)
	}
}

func schedErr[T any](_ T, err error) error { return err }
