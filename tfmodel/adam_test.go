package tfmodel

import (
	"encoding/json"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// optimGolden mirrors tfmodel/testdata/optim_golden.json, written by
// scripts/optim_golden.py with PyTorch (torch.optim.Adam/AdamW,
// clip_grad_norm_, lr_scheduler).
type optimGolden struct {
	Script  string `json:"script"`
	Steps   int    `json:"steps"`
	Problem struct {
		X  [][]float64 `json:"x"`
		Y  [][]float64 `json:"y"`
		W0 [][]float64 `json:"w0"`
		B0 []float64   `json:"b0"`
	} `json:"problem"`
	Cases []optimCase `json:"cases"`
	// Schedules: see schedule_test.go.
	Schedules map[string]struct {
		Base     float64   `json:"base"`
		Min      float64   `json:"min"`
		StepSize int       `json:"step_size"`
		Gamma    float64   `json:"gamma"`
		Warmup   int       `json:"warmup"`
		Total    int       `json:"total"`
		LRs      []float64 `json:"lrs"`
	} `json:"schedules"`
}

type optimCase struct {
	Name        string   `json:"name"`
	Optimizer   string   `json:"optimizer"`
	LR          float64  `json:"lr"`
	Beta1       float64  `json:"beta1"`
	Beta2       float64  `json:"beta2"`
	Eps         float64  `json:"eps"`
	WeightDecay float64  `json:"weight_decay"`
	NoDecay     []string `json:"no_decay"`
	ClipNorm    float64  `json:"clip_norm"`
	StepSize    int      `json:"step_size"`
	Gamma       float64  `json:"gamma"`
	F64         optimRun `json:"float64"`
	F32         optimRun `json:"float32"`
}

type optimRun struct {
	LRs       []float64     `json:"lrs"`
	GradNorms []float64     `json:"grad_norms"`
	Losses    []float64     `json:"losses"`
	W         [][][]float64 `json:"w"`
	B         [][]float64   `json:"b"`
}

func loadOptimGolden(t *testing.T) *optimGolden {
	t.Helper()
	const path = "testdata/optim_golden.json"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (regenerate with scripts/optim_golden.py)", err)
	}
	var g optimGolden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(g.Cases) == 0 || g.Steps == 0 {
		t.Fatalf("%s: no cases", path)
	}
	return &g
}

// optimTyped converts float64 golden data to the Go value tf.NewTensor needs.
func optimTyped(dt tf.DataType, v interface{}) interface{} {
	if dt == tf.Double {
		return v
	}
	switch x := v.(type) {
	case [][]float64:
		out := make([][]float32, len(x))
		for i, r := range x {
			out[i] = optimTyped(dt, r).([]float32)
		}
		return out
	case []float64:
		out := make([]float32, len(x))
		for i, f := range x {
			out[i] = float32(f)
		}
		return out
	case float64:
		return float32(x)
	}
	panic("optimTyped: unsupported value")
}

// optimFlat flattens a float32/float64 scalar or nested slice (a fetched
// tensor value or a literal) to float64s.
func optimFlat(v interface{}) []float64 {
	var out []float64
	var walk func(r reflect.Value)
	walk = func(r reflect.Value) {
		switch r.Kind() {
		case reflect.Slice, reflect.Array:
			for i := 0; i < r.Len(); i++ {
				walk(r.Index(i))
			}
		case reflect.Float32, reflect.Float64:
			out = append(out, r.Float())
		default:
			panic("optimFlat: unsupported value " + r.Kind().String())
		}
	}
	walk(reflect.ValueOf(v))
	return out
}

// optimClose compares with a relative tolerance, measured against max(|want|, 0.1)
// so entries near zero are not held to an impossible standard.
func optimClose(got, want, rtol float64) bool {
	return math.Abs(got-want) <= rtol*math.Max(math.Abs(want), 0.1)
}

// linProblem is the golden least-squares problem in a graph.
type linProblem struct {
	st         *Store
	w, b       *Variable
	loss, lr   tf.Output
	train      *tf.Operation
	norm       tf.Output
	init       *tf.Operation
	opt        *Adam
	sess       *tf.Session
	graphScope *op.Scope
}

// buildLin builds the problem of scripts/optim_golden.py with the optimizer
// of case c in dtype dt. Extra options let tests add a frozen variable.
func buildLin(t *testing.T, g *optimGolden, c optimCase, dt tf.DataType, frozen bool) *linProblem {
	t.Helper()
	return buildLinRef(t, g, c, dt, frozen, false)
}

// buildLinRef is buildLin with the choice of the fused (reference false) or
// the element-wise (AdamConfig.Reference) update.
func buildLinRef(t *testing.T, g *optimGolden, c optimCase, dt tf.DataType, frozen, reference bool) *linProblem {
	t.Helper()
	s := op.NewScope()
	p := &linProblem{st: NewStore(1, dt), graphScope: s}
	lin := s.SubScope("lin")
	p.w = p.st.Variable(lin, "w", []int64{3, 4}, Values(optimTyped(dt, g.Problem.W0)))
	p.b = p.st.Variable(lin, "b", []int64{4}, Values(optimTyped(dt, g.Problem.B0)))
	x := op.Const(s.SubScope("x"), optimTyped(dt, g.Problem.X))
	y := op.Const(s.SubScope("y"), optimTyped(dt, g.Problem.Y))
	pred := op.Add(s.SubScope("pred"), op.MatMul(s, x, p.w.Value), p.b.Value)
	if frozen {
		// A non-trainable scale of 1 in the loss: optimizers must leave it alone.
		k := p.st.Variable(lin, "scale", nil, Ones(), NotTrainable())
		pred = op.Mul(s.SubScope("scaled"), pred, k.Value)
	}
	sq := op.Square(s, op.Sub(s, pred, y))
	p.loss = op.Mean(s, sq, op.Const(s.SubScope("axes"), []int32{0, 1}))
	p.lr = op.Placeholder(s.SubScope("lr"), dt, op.PlaceholderShape(tf.ScalarShape()))
	cfg := AdamConfig{Beta1: c.Beta1, Beta2: c.Beta2, Eps: c.Eps, WeightDecay: c.WeightDecay, Reference: reference}
	if len(c.NoDecay) > 0 {
		cfg.DecayFilter = NoDecay(c.NoDecay...)
	}
	var err error
	if c.Optimizer == "adamw" {
		p.opt, err = NewAdamW(cfg)
	} else {
		p.opt, err = NewAdam(cfg)
	}
	if err != nil {
		t.Fatal(err)
	}
	p.train, p.norm, err = p.opt.Minimize(s, p.st, p.loss, p.lr, c.ClipNorm)
	if err != nil {
		t.Fatal(err)
	}
	p.init = p.st.InitOp(s.SubScope("init"))
	return p
}

// start finalizes the graph, opens a session and initializes the variables.
func (p *linProblem) start(t *testing.T) {
	t.Helper()
	graph, err := p.graphScope.Finalize()
	if err != nil {
		t.Fatal(err)
	}
	if p.sess, err = tf.NewSession(graph, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.sess.Close() })
	if _, err := p.sess.Run(nil, nil, []*tf.Operation{p.init}); err != nil {
		t.Fatal(err)
	}
}

// step runs one update with learning rate lr and returns the pre-update loss and gradient norm.
func (p *linProblem) step(t *testing.T, lr float64) (loss, norm float64) {
	t.Helper()
	lrT, err := tf.NewTensor(optimTyped(p.st.DType(), lr))
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.sess.Run(map[tf.Output]*tf.Tensor{p.lr: lrT}, []tf.Output{p.loss, p.norm}, []*tf.Operation{p.train})
	if err != nil {
		t.Fatal(err)
	}
	return optimFlat(out[0].Value())[0], optimFlat(out[1].Value())[0]
}

// values fetches every variable of the store by name.
func (p *linProblem) values(t *testing.T) map[string]*tf.Tensor {
	t.Helper()
	vars := p.st.All()
	fetch := make([]tf.Output, len(vars))
	for i, v := range vars {
		fetch[i] = v.Value
	}
	out, err := p.sess.Run(nil, fetch, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*tf.Tensor{}
	for i, v := range vars {
		m[v.Name] = out[i]
	}
	return m
}

// TestAdamGolden matches 5 steps of Adam/AdamW with clipping and StepLR to
// PyTorch (scripts/optim_golden.py → testdata/optim_golden.json), for the
// fused update and the element-wise reference.
func TestAdamGolden(t *testing.T) {
	g := loadOptimGolden(t)
	for _, ref := range []bool{false, true} {
		for _, c := range g.Cases {
			if ref {
				c.Name = "reference/" + c.Name
			}
			testAdamGoldenCase(t, g, c, ref)
		}
	}
}

func testAdamGoldenCase(t *testing.T, g *optimGolden, c optimCase, reference bool) {
	{
		for _, tc := range []struct {
			dt   tf.DataType
			name string
			run  optimRun
			rtol float64
		}{{tf.Double, "float64", c.F64, 1e-10}, {tf.Float, "float32", c.F32, 1e-5}} {
			t.Run(c.Name+"/"+tc.name, func(t *testing.T) {
				var sched Schedule = ConstantLR(c.LR)
				if c.StepSize > 0 {
					var err error
					if sched, err = NewStepLR(c.LR, c.StepSize, c.Gamma); err != nil {
						t.Fatal(err)
					}
				}
				p := buildLinRef(t, g, c, tc.dt, false, reference)
				p.start(t)
				worst := 0.0
				check := func(what string, k int, got, want []float64) {
					t.Helper()
					if len(got) != len(want) {
						t.Fatalf("step %d %s: %d values, golden has %d", k, what, len(got), len(want))
					}
					for i := range got {
						worst = math.Max(worst, math.Abs(got[i]-want[i])/math.Max(math.Abs(want[i]), 0.1))
						if !optimClose(got[i], want[i], tc.rtol) {
							t.Fatalf("step %d %s[%d] = %.10g, torch %.10g", k, what, i, got[i], want[i])
						}
					}
				}
				for k := 0; k < g.Steps; k++ {
					lr := sched.LR(k)
					if !optimClose(lr, tc.run.LRs[k], 1e-12) {
						t.Fatalf("step %d: schedule lr %v, torch %v", k, lr, tc.run.LRs[k])
					}
					loss, norm := p.step(t, lr)
					check("loss", k, []float64{loss}, []float64{tc.run.Losses[k]})
					check("grad norm", k, []float64{norm}, []float64{tc.run.GradNorms[k]})
					vals := p.values(t)
					check("w", k, optimFlat(vals["lin/w"].Value()), optimFlat(tc.run.W[k]))
					check("b", k, optimFlat(vals["lin/b"].Value()), tc.run.B[k])
				}
				t.Logf("worst relative difference to torch: %.3g", worst)
			})
		}
	}
}

func TestAdamStateVariables(t *testing.T) {
	g := loadOptimGolden(t)
	c := g.Cases[0]
	p := buildLin(t, g, c, tf.Float, true)
	want := []string{"lin/b", "lin/scale", "lin/w", "optimizer/lin/b/m", "optimizer/lin/b/v",
		"optimizer/lin/w/m", "optimizer/lin/w/v", "optimizer/step"}
	if got := strings.Join(p.st.Names(), " "); got != strings.Join(want, " ") {
		t.Fatalf("store names %q, want %q", got, strings.Join(want, " "))
	}
	for _, n := range want {
		v, _ := p.st.Get(n)
		if trainable := n == "lin/w" || n == "lin/b"; v.Trainable != trainable {
			t.Errorf("%s: trainable %v, want %v", n, v.Trainable, trainable)
		}
	}
	if p.opt.Step().DType != tf.Int64 || len(p.opt.Step().Shape) != 0 {
		t.Errorf("step counter %v %v, want an int64 scalar", p.opt.Step().DType, p.opt.Step().Shape)
	}
	m, v, ok := p.opt.Slots(p.w)
	if !ok || m.Name != "optimizer/lin/w/m" || v.Name != "optimizer/lin/w/v" || m.DType != tf.Float || len(m.Shape) != 2 {
		t.Fatalf("slots of lin/w: %+v %+v %v", m, v, ok)
	}
	scale, _ := p.st.Get("lin/scale")
	if _, _, ok := p.opt.Slots(scale); ok {
		t.Errorf("non-trainable lin/scale got optimizer slots")
	}
	p.start(t)
	for k := 0; k < 3; k++ {
		p.step(t, c.LR)
	}
	vals := p.values(t)
	if got := vals["optimizer/step"].Value().(int64); got != 3 {
		t.Errorf("step counter %d after 3 steps", got)
	}
	if got := vals["lin/scale"].Value().(float32); got != 1 {
		t.Errorf("non-trainable variable changed to %v", got)
	}
	for _, n := range []string{"optimizer/lin/w/m", "optimizer/lin/w/v"} {
		if optimFlat(vals[n].Value())[0] == 0 {
			t.Errorf("%s still zero after 3 steps", n)
		}
	}
}

func TestAdamNamesUnderScope(t *testing.T) {
	s := op.NewScope()
	st := NewStore(1, tf.Double)
	w := st.Variable(s.SubScope("enc").SubScope("dense"), "kernel", []int64{2}, Ones())
	w2 := st.Variable(s.SubScope("dec"), "kernel", []int64{2}, Ones())
	loss := op.Sum(s, op.Mul(s, w.Value, w2.Value), op.Const(s.SubScope("axis"), int32(0)))
	lr := op.Const(s.SubScope("lr"), 0.1)
	cfg := DefaultAdamConfig()
	cfg.Name = "adam"
	opt, err := NewAdamW(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := opt.Minimize(s.SubScope("train"), st, loss, lr, 0); err != nil {
		t.Fatal(err)
	}
	want := "dec/kernel enc/dense/kernel train/adam/dec/kernel/m train/adam/dec/kernel/v " +
		"train/adam/enc/dense/kernel/m train/adam/enc/dense/kernel/v train/adam/step"
	if got := strings.Join(st.Names(), " "); got != want {
		t.Fatalf("names %q\nwant  %q", got, want)
	}
	if _, _, err := opt.Minimize(s.SubScope("train"), st, loss, lr, 0); err == nil || !strings.Contains(err.Error(), "already built") {
		t.Fatalf("second Minimize: %v", err)
	}
}

// TestAdamResume checks that the Store holds all optimizer state: 2 steps,
// a copy of every variable into a fresh graph, 3 more steps equal 5 steps
// in one go bit for bit; and a copy without the optimizer state does not.
func TestAdamResume(t *testing.T) {
	g := loadOptimGolden(t)
	c := g.Cases[0]
	sched, err := NewStepLR(c.LR, c.StepSize, c.Gamma)
	if err != nil {
		t.Fatal(err)
	}
	run := func(from, to int, p *linProblem) {
		for k := from; k < to; k++ {
			p.step(t, sched.LR(k))
		}
	}
	straight := buildLin(t, g, c, tf.Float, false)
	straight.start(t)
	run(0, 5, straight)
	want := optimFlat(straight.values(t)["lin/w"].Value())

	first := buildLin(t, g, c, tf.Float, false)
	first.start(t)
	run(0, 2, first)
	saved := first.values(t)

	for _, withState := range []bool{true, false} {
		p := buildLin(t, g, c, tf.Float, false)
		// Restore by assigning the saved values, as a checkpoint restore does.
		feeds := map[tf.Output]*tf.Tensor{}
		var assigns []*tf.Operation
		for _, v := range p.st.All() {
			if !withState && !v.Trainable {
				continue
			}
			rs := p.graphScope.SubScope("restore").SubScope(strings.ReplaceAll(v.Name, "/", "_"))
			ph := op.Placeholder(rs, v.DType)
			assigns = append(assigns, op.AssignVariableOp(rs, v.Handle, ph))
			feeds[ph] = saved[v.Name]
		}
		p.start(t)
		if _, err := p.sess.Run(feeds, nil, assigns); err != nil {
			t.Fatal(err)
		}
		run(2, 5, p)
		got := optimFlat(p.values(t)["lin/w"].Value())
		same := true
		for i := range got {
			same = same && got[i] == want[i]
		}
		if same != withState {
			t.Errorf("restored with optimizer state %v: equal to the straight run %v, want %v\n got %v\nwant %v", withState, same, withState, got, want)
		}
	}
}

func TestAdamConfigErrors(t *testing.T) {
	ok := DefaultAdamConfig()
	for _, tc := range []struct {
		name string
		edit func(*AdamConfig)
		want string
	}{
		{"beta1 = 1", func(c *AdamConfig) { c.Beta1 = 1 }, "Beta1"},
		{"beta2 < 0", func(c *AdamConfig) { c.Beta2 = -0.1 }, "Beta2"},
		{"beta1 NaN", func(c *AdamConfig) { c.Beta1 = math.NaN() }, "Beta1"},
		{"eps < 0", func(c *AdamConfig) { c.Eps = -1e-8 }, "Eps"},
		{"wd < 0", func(c *AdamConfig) { c.WeightDecay = -0.1 }, "WeightDecay"},
		{"wd inf", func(c *AdamConfig) { c.WeightDecay = math.Inf(1) }, "WeightDecay"},
		{"name with slash", func(c *AdamConfig) { c.Name = "a/b" }, "Name"},
	} {
		cfg := ok
		tc.edit(&cfg)
		for _, ctor := range []func(AdamConfig) (*Adam, error){NewAdam, NewAdamW} {
			if _, err := ctor(cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: error %v, want one naming %s", tc.name, err, tc.want)
			}
		}
	}
	a, err := NewAdamW(ok)
	if err != nil || a.Config().Name != "optimizer" {
		t.Fatalf("defaults: %v %+v", err, a.Config())
	}
}

func TestAdamBuildErrors(t *testing.T) {
	type graph struct {
		s       *op.Scope
		st      *Store
		w, u    *Variable
		loss    tf.Output
		lr      tf.Output
		other   *Variable // in another store
		wGrad   tf.Output
		badGrad tf.Output
	}
	mk := func() *graph {
		s := op.NewScope()
		g := &graph{s: s, st: NewStore(1, tf.Float)}
		g.w = g.st.Variable(s, "w", []int64{2}, Ones())
		g.u = g.st.Variable(s, "unused", []int64{2}, Ones())
		g.loss = op.Sum(s, g.w.Value, op.Const(s.SubScope("axis"), int32(0)))
		g.lr = op.Const(s.SubScope("lr"), float32(0.1))
		g.other = NewStore(2, tf.Float).Variable(s, "other", []int64{2}, Ones())
		g.wGrad = op.Const(s.SubScope("grad"), []float32{1, 1})
		g.badGrad = op.Const(s.SubScope("bad_grad"), []float64{1, 1})
		return g
	}
	for _, tc := range []struct {
		name  string
		build func(g *graph, a *Adam) error
		want  string
	}{
		{"unused variable", func(g *graph, a *Adam) error {
			_, _, err := a.Minimize(g.s, g.st, g.loss, g.lr, 1)
			return err
		}, "'unused/Read/ReadVariableOp' as it's unreachable"},
		{"integer lr", func(g *graph, a *Adam) error {
			_, err := a.ApplyGradients(g.s, g.st, []tf.Output{g.wGrad}, []*Variable{g.w}, op.Const(g.s.SubScope("ilr"), int32(1)))
			return err
		}, "learning rate has dtype"},
		{"vector lr", func(g *graph, a *Adam) error {
			_, err := a.ApplyGradients(g.s, g.st, []tf.Output{g.wGrad}, []*Variable{g.w}, op.Const(g.s.SubScope("vlr"), []float32{1, 2}))
			return err
		}, "want a scalar"},
		{"non-scalar loss", func(g *graph, a *Adam) error {
			_, _, err := a.Minimize(g.s, g.st, g.w.Value, g.lr, 0)
			return err
		}, "loss has shape"},
		{"count mismatch", func(g *graph, a *Adam) error {
			_, err := a.ApplyGradients(g.s, g.st, []tf.Output{g.wGrad, g.wGrad}, []*Variable{g.w}, g.lr)
			return err
		}, "2 gradients for 1 variables"},
		{"dtype mismatch", func(g *graph, a *Adam) error {
			_, err := a.ApplyGradients(g.s, g.st, []tf.Output{g.badGrad}, []*Variable{g.w}, g.lr)
			return err
		}, "gradient of dtype"},
		{"foreign variable", func(g *graph, a *Adam) error {
			_, err := a.ApplyGradients(g.s, g.st, []tf.Output{g.wGrad}, []*Variable{g.other}, g.lr)
			return err
		}, `"other" is not in the store`},
		{"duplicate variable", func(g *graph, a *Adam) error {
			_, err := a.ApplyGradients(g.s, g.st, []tf.Output{g.wGrad, g.wGrad}, []*Variable{g.w, g.w}, g.lr)
			return err
		}, "listed twice"},
		{"infinite clip", func(g *graph, a *Adam) error {
			_, _, err := a.Minimize(g.s, g.st, g.loss, g.lr, math.Inf(1))
			return err
		}, "clip norm"},
		{"MinimizeVars, a foreign variable", func(g *graph, a *Adam) error {
			_, _, err := a.MinimizeVars(g.s, g.st, []*Variable{g.other}, g.loss, g.lr, 0)
			return err
		}, `"other" is not a trainable variable of the store`},
		{"MinimizeVars, nothing", func(g *graph, a *Adam) error {
			_, _, err := a.MinimizeVars(g.s, g.st, nil, g.loss, g.lr, 0)
			return err
		}, "no trainable variables"},
		{"empty store", func(g *graph, a *Adam) error {
			_, _, err := a.Minimize(g.s, NewStore(1, tf.Float), g.loss, g.lr, 0)
			return err
		}, "no trainable variables"},
	} {
		g := mk()
		a, err := NewAdamW(DefaultAdamConfig())
		if err != nil {
			t.Fatal(err)
		}
		err = tc.build(g, a)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
		if _, ferr := g.s.Finalize(); ferr == nil {
			t.Errorf("%s: the scope does not carry the error", tc.name)
		}
	}
}

// TestMinimizeVars updates only the listed variable: the store's other
// variable, which the loss does not even reach (an error for Minimize),
// keeps its value and gets no optimizer state.
func TestMinimizeVars(t *testing.T) {
	s := op.NewScope()
	st := NewStore(1, tf.Float)
	w := st.Variable(s, "w", []int64{2}, Ones())
	u := st.Variable(s, "unused", []int64{2}, Ones())
	loss := op.Sum(s, op.Square(s, w.Value), op.Const(s.SubScope("axis"), int32(0)))
	a, err := NewAdamW(DefaultAdamConfig())
	if err != nil {
		t.Fatal(err)
	}
	step, _, err := a.MinimizeVars(s, st, []*Variable{w}, loss, op.Const(s.SubScope("lr"), float32(0.1)), 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := a.Slots(u); ok {
		t.Error("the variable left out has optimizer slots")
	}
	if _, _, ok := a.Slots(w); !ok {
		t.Error("the minimized variable has no optimizer slots")
	}
	init := st.InitOp(s.SubScope("init"))
	g, err := s.Finalize()
	if err != nil {
		t.Fatal(err)
	}
	sess, err := NewSession(g, SessionOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if _, err := sess.Run(nil, nil, []*tf.Operation{init}); err != nil {
		t.Fatal(err)
	}
	if _, err := sess.Run(nil, nil, []*tf.Operation{step}); err != nil {
		t.Fatal(err)
	}
	out, err := sess.Run(nil, []tf.Output{w.Value, u.Value}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := out[0].Value().([]float32); got[0] >= 1 || got[1] >= 1 {
		t.Errorf("w = %v after a step down the gradient, want below 1", got)
	}
	if got := out[1].Value().([]float32); got[0] != 1 || got[1] != 1 {
		t.Errorf("unused = %v, want it untouched at 1", got)
	}
}

func TestNoDecay(t *testing.T) {
	f := NoDecay("bias", "gamma")
	for _, tc := range []struct {
		name string
		want bool
	}{{"enc/dense/bias", false}, {"enc/norm/gamma", false}, {"enc/dense/kernel", true}, {"bias_net/kernel", true}, {"gamma", false}} {
		if got := f(&Variable{Name: tc.name}); got != tc.want {
			t.Errorf("NoDecay(bias, gamma)(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}
