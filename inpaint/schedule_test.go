package inpaint

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
)

// golden is inpaint/testdata/golden.json, written by scripts/inpaint_golden.py.
type golden struct {
	Schedules []struct {
		Name  string
		R     float64
		N     int
		Gamma float64
	}
	Counts []struct {
		Name     string
		Unknown0 int
		Steps    int
		Keep     []int
	}
	Halton []struct {
		W, H  int
		Order []int
	}
	TokenMasks []struct {
		W, H      int
		GridW     int `json:"grid_w"`
		GridH     int `json:"grid_h"`
		Dilate    bool
		Hole      []int
		TokenMask []int `json:"token_mask"`
	} `json:"token_masks"`
	Decode []goldenDecode
}

type goldenDecode struct {
	Name      string
	GridW     int   `json:"grid_w"`
	GridH     int   `json:"grid_h"`
	K         int   `json:"k"`
	MaskID    int32 `json:"mask_id"`
	Steps     int
	SweetSpot int `json:"sweet_spot"`
	Schedule  string
	Order     string
	Extra     int
	Inputs    [][]int32
	Results   []struct {
		Tokens   []int32
		Unknown0 int
		Steps    []struct {
			Masked []bool
			Tokens []int32
			Keep   int
		}
	}
}

func loadGolden(t *testing.T) *golden {
	t.Helper()
	// Regenerate with: third_party/venv/bin/python scripts/inpaint_golden.py
	data, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatalf("read golden (scripts/inpaint_golden.py writes it): %v", err)
	}
	var g golden
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("parse testdata/golden.json: %v", err)
	}
	return &g
}

// TestScheduleHandValues checks each schedule against values computed by hand
// from its formula.
func TestScheduleHandValues(t *testing.T) {
	tests := []struct {
		name string
		r    float64
		n    int
		want float64
	}{
		{"cosine", 0, 0, 1},                      // cos 0
		{"cosine", 0.5, 0, math.Sqrt2 / 2},       // cos π/4
		{"cosine", 1.0 / 3, 0, math.Sqrt(3) / 2}, // cos π/6
		{"cosine", 1, 0, 0},                      // cos π/2 ≈ 6e-17
		{"linear", 0.25, 0, 0.75},                // 1 − r
		{"square", 0.5, 0, 0.75},                 // 1 − 0.25
		{"cubic", 0.5, 0, 0.875},                 // 1 − 0.125
		{"sqrt", 0.25, 0, 0.5},                   // 1 − 0.5
		{"sqrt", 0.81, 0, 0.1},                   // 1 − 0.9
		{"log", 0.5, 256, 0.125},                 // −log₂(½)/log₂ 256 = 1/8
		{"log", 0.25, 16, 0.5},                   // 2/4
		{"log", 0, 16, 1},                        // +Inf clipped
		{"log", 1, 16, 0},                        // 0
		{"exp", 0.5, 256, 1 - 1.0/16},            // 1 − 256^(−½)
		{"exp", 0, 16, 1 - 1.0/16},               // 1 − 16^(−1)
		{"exp", 1, 16, 0},                        // 1 − 16⁰
		{"exp", 0.75, 1, 1 - math.Pow(2, -0.25)}, // n < 2 → 2: 1 − 2^(−¼)
		{"linear", -0.5, 0, 1},                   // r clamped to 0
		{"square", 2, 0, 0},                      // r clamped to 1
	}
	for _, tc := range tests {
		g, err := ScheduleByName(tc.name)
		if err != nil {
			t.Fatal(err)
		}
		if got := g(tc.r, tc.n); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%s(%v, n=%d) = %v, want %v", tc.name, tc.r, tc.n, got, tc.want)
		}
	}
}

// TestScheduleGolden compares with NumPy (scripts/inpaint_golden.py).
func TestScheduleGolden(t *testing.T) {
	g := loadGolden(t)
	if len(g.Schedules) == 0 {
		t.Fatal("golden has no schedules")
	}
	for _, s := range g.Schedules {
		f, err := ScheduleByName(s.Name)
		if err != nil {
			t.Fatal(err)
		}
		if got := f(s.R, s.N); math.Abs(got-s.Gamma) > 1e-12 {
			t.Errorf("%s(%v, n=%d) = %.17g, NumPy %.17g", s.Name, s.R, s.N, got, s.Gamma)
		}
	}
}

func TestScheduleShape(t *testing.T) {
	for _, name := range ScheduleNames() {
		g, err := ScheduleByName(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := g(1, 256); got != 0 {
			t.Errorf("%s(1) = %v, want 0", name, got)
		}
		if name != "exp" { // exp(0) = 1 − 1/n by MaskGIT's definition
			if got := g(0, 256); got != 1 {
				t.Errorf("%s(0) = %v, want 1", name, got)
			}
		}
		prev := math.Inf(1)
		for i := 0; i <= 100; i++ {
			v := g(float64(i)/100, 256)
			if v > prev || v < 0 || v > 1 {
				t.Errorf("%s not non-increasing in [0,1] at r=%v: %v after %v", name, float64(i)/100, v, prev)
			}
			prev = v
		}
	}
}

func TestScheduleByName(t *testing.T) {
	want := "cosine, cubic, exp, linear, log, sqrt, square"
	if got := strings.Join(ScheduleNames(), ", "); got != want {
		t.Errorf("ScheduleNames = %s, want %s", got, want)
	}
	if _, err := ScheduleByName(" Cosine "); err != nil {
		t.Errorf("case/space-insensitive lookup failed: %v", err)
	}
	_, err := ScheduleByName("arccos")
	if err == nil || !strings.Contains(err.Error(), `"arccos"`) || !strings.Contains(err.Error(), want) {
		t.Errorf("ScheduleByName(arccos) error = %v, want one naming it and listing %s", err, want)
	}
}

// TestKeepMasked checks the count schedule. Hand computation for unknown₀ = 10,
// T = 4, cosine:
//
//	t=0: floor(10·cos(π/8)=9.24) = 9, clamp(9, 1, 10−1) = 9
//	t=1: floor(10·cos(π/4)=7.07) = 7, clamp(7, 1, 9−1)  = 7
//	t=2: floor(10·cos(3π/8)=3.83) = 3, clamp(3, 1, 7−1) = 3
//	t=3: final step fills everything → 0
func TestKeepMasked(t *testing.T) {
	tests := []struct {
		name                 string
		g                    Schedule
		t, T, unknown0, unkT int
		want                 int
	}{
		{"cosine t0", Cosine, 0, 4, 10, 10, 9},
		{"cosine t1", Cosine, 1, 4, 10, 9, 7},
		{"cosine t2", Cosine, 2, 4, 10, 7, 3},
		{"cosine final", Cosine, 3, 4, 10, 3, 0},
		{"clamp to unknown−1", Cosine, 0, 100, 10, 10, 9}, // floor(9.9987·…)= 9 anyway
		{"clamp up to 1", Linear, 2, 4, 2, 2, 1},          // floor(0.25·2) = 0 → 1
		{"clamp below unknownT", Linear, 0, 2, 10, 3, 2},  // floor(0.5·10)=5 → 3−1
		{"one left fills", Cosine, 0, 8, 10, 1, 0},        // unknown_t ≤ 1
		{"T=1 fills", Cosine, 0, 1, 256, 256, 0},          // only step is final
		{"square mid", Square, 1, 4, 256, 240, 192},       // floor(256·0.75) = 192
	}
	for _, tc := range tests {
		if got := KeepMasked(tc.g, tc.t, tc.T, tc.unknown0, tc.unkT); got != tc.want {
			t.Errorf("%s: KeepMasked(t=%d,T=%d,u0=%d,ut=%d) = %d, want %d", tc.name, tc.t, tc.T, tc.unknown0, tc.unkT, got, tc.want)
		}
	}
}

func TestKeepMaskedGolden(t *testing.T) {
	g := loadGolden(t)
	for _, c := range g.Counts {
		f, err := ScheduleByName(c.Name)
		if err != nil {
			t.Fatal(err)
		}
		u := c.Unknown0
		for step, want := range c.Keep {
			u = KeepMasked(f, step, c.Steps, c.Unknown0, u)
			if u != want {
				t.Errorf("%s u0=%d T=%d step %d: keep %d, NumPy %d", c.Name, c.Unknown0, c.Steps, step, u, want)
				break
			}
		}
	}
}
