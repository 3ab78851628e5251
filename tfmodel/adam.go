package tfmodel

import (
	"fmt"
	"math"
	"strings"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// AdamConfig holds the hyper-parameters of Adam and AdamW. The learning rate
// is not part of it: it is a graph input, so a Schedule can change it every
// step.
type AdamConfig struct {
	Beta1, Beta2 float64 // moment decay rates, in [0, 1)
	Eps          float64 // added to the bias-corrected √v̂, ≥ 0
	// WeightDecay is the L2 penalty coefficient (NewAdam: added to the
	// gradient as torch.optim.Adam does) or the decoupled decay rate (NewAdamW:
	// p ← p − lr·WeightDecay·p as torch.optim.AdamW does).
	WeightDecay float64
	// DecayFilter reports whether a variable gets weight decay. nil decays
	// every variable, as torch does for a single parameter group; NoDecay
	// builds a filter that exempts biases, norm scales and the like.
	DecayFilter func(v *Variable) bool
	// Name is the scope of the optimizer's variables; "" means "optimizer".
	Name string
	// Reference builds the update from element-wise ops (about 20 per
	// variable) instead of TensorFlow's fused kernels (about 4), and
	// Minimize's gradient norm from per-tensor norms (8 ops per variable
	// instead of 1): the same arithmetic, kept as the reference the fused
	// update is tested against and as the baseline of the training-step
	// benchmarks.
	Reference bool
}

// DefaultAdamConfig returns torch's defaults: betas (0.9, 0.999), eps 1e-8,
// no weight decay.
func DefaultAdamConfig() AdamConfig {
	return AdamConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
}

// NoDecay returns a DecayFilter that exempts every variable whose last name
// component is one of names (e.g. NoDecay("bias", "gamma", "beta",
// "embeddings")) and decays the others.
func NoDecay(names ...string) func(v *Variable) bool {
	skip := map[string]bool{}
	for _, n := range names {
		skip[n] = true
	}
	return func(v *Variable) bool {
		return !skip[v.Name[strings.LastIndex(v.Name, "/")+1:]]
	}
}

// Adam builds the update of the Adam or AdamW optimizer (torch.optim.Adam /
// torch.optim.AdamW semantics, amsgrad off) from TensorFlow's fused
// ResourceApplyAdam kernel (see applyFused for how the bias corrections are
// folded into it). For a
// variable p with gradient g, at step t = 1, 2, …:
//
//	g ← g + wd·p                         (Adam only: L2 penalty)
//	p ← p·(1 − lr·wd)                    (AdamW only: decoupled decay)
//	m ← m + (1−β1)·(g − m)
//	v ← β2·v + (1−β2)·g²
//	p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps)
//
// Bias corrections are computed in float64 whatever the variable dtype, as
// torch does. The optimizer state lives in non-trainable variables of the
// Store, so checkpoints save it and a resumed run continues exactly:
//
//	<scope>/<Name>/step             int64 scalar, updates applied so far
//	<scope>/<Name>/<variable>/m     first moment, shape and dtype of the variable
//	<scope>/<Name>/<variable>/v     second moment
//
// where <scope> is the scope passed to Minimize or ApplyGradients ("" at the
// root) and <Name> is AdamConfig.Name ("optimizer" by default), e.g.
// "optimizer/encoder/conv_in/kernel/m". One Adam builds one update op.
type Adam struct {
	cfg       AdamConfig
	decoupled bool
	step      *Variable
	slots     map[string][2]*Variable
}

// NewAdam returns torch.optim.Adam: WeightDecay, if set, is an L2 penalty
// added to the gradient.
func NewAdam(cfg AdamConfig) (*Adam, error) { return newAdam(cfg, false) }

// NewAdamW returns torch.optim.AdamW: WeightDecay is decoupled from the
// gradient and shrinks the variables directly.
func NewAdamW(cfg AdamConfig) (*Adam, error) { return newAdam(cfg, true) }

func newAdam(cfg AdamConfig, decoupled bool) (*Adam, error) {
	kind := "Adam"
	if decoupled {
		kind = "AdamW"
	}
	for _, b := range []struct {
		name string
		v    float64
	}{{"Beta1", cfg.Beta1}, {"Beta2", cfg.Beta2}} {
		if !(b.v >= 0 && b.v < 1) {
			return nil, fmt.Errorf("%s: %s = %v must be in [0, 1)", kind, b.name, b.v)
		}
	}
	if !(cfg.Eps >= 0) || math.IsInf(cfg.Eps, 0) {
		return nil, fmt.Errorf("%s: Eps = %v must be finite and non-negative", kind, cfg.Eps)
	}
	if !(cfg.WeightDecay >= 0) || math.IsInf(cfg.WeightDecay, 0) {
		return nil, fmt.Errorf("%s: WeightDecay = %v must be finite and non-negative", kind, cfg.WeightDecay)
	}
	if cfg.Name == "" {
		cfg.Name = "optimizer"
	}
	if strings.Contains(cfg.Name, "/") {
		return nil, fmt.Errorf("%s: Name %q must not contain '/'", kind, cfg.Name)
	}
	return &Adam{cfg: cfg, decoupled: decoupled}, nil
}

// Config returns the optimizer's hyper-parameters (Name filled in).
func (a *Adam) Config() AdamConfig { return a.cfg }

// Step returns the step counter variable, nil before the update is built.
func (a *Adam) Step() *Variable { return a.step }

// Slots returns the first and second moment variables of v, ok false if v
// is not updated by this optimizer.
func (a *Adam) Slots(v *Variable) (m, sq *Variable, ok bool) {
	sl, ok := a.slots[v.Name]
	return sl[0], sl[1], ok
}

// Minimize builds one training step on every trainable variable of vs:
// gradients of loss (a scalar) with respect to each Variable.Value, global
// norm clipping to clipNorm (clip_grad_norm_ semantics; clipNorm ≤ 0 turns
// clipping off), then ApplyGradients. lr is a float or double scalar,
// usually a placeholder fed from a Schedule. It returns the op to run each
// step and the global gradient norm before clipping. Errors are recorded in
// s and returned; a trainable variable the loss does not depend on is an
// error (TensorFlow reports its read op as unreachable).
func (a *Adam) Minimize(s *op.Scope, vs *Store, loss, lr tf.Output, clipNorm float64) (*tf.Operation, tf.Output, error) {
	if s.Err() != nil {
		return nil, tf.Output{}, s.Err()
	}
	return a.MinimizeVars(s, vs, vs.Trainable(), loss, lr, clipNorm)
}

// MinimizeVars is Minimize for some of vs's trainable variables only (a
// fine-tune of part of a model); the others are left as they are and get
// no optimizer state.
func (a *Adam) MinimizeVars(s *op.Scope, vs *Store, vars []*Variable, loss, lr tf.Output, clipNorm float64) (*tf.Operation, tf.Output, error) {
	if s.Err() != nil {
		return nil, tf.Output{}, s.Err()
	}
	if len(vars) == 0 {
		s.UpdateErr("Minimize", fmt.Errorf("no trainable variables to minimize over"))
		return nil, tf.Output{}, s.Err()
	}
	for _, v := range vars {
		if have, ok := vs.Get(v.Name); !ok || have != v || !v.Trainable {
			s.UpdateErr("Minimize", fmt.Errorf("variable %q is not a trainable variable of the store", v.Name))
			return nil, tf.Output{}, s.Err()
		}
	}
	if n := loss.Shape().NumDimensions(); n > 0 {
		s.UpdateErr("Minimize", fmt.Errorf("loss has shape %v, want a scalar", loss.Shape()))
		return nil, tf.Output{}, s.Err()
	}
	if math.IsNaN(clipNorm) || math.IsInf(clipNorm, 0) {
		s.UpdateErr("Minimize", fmt.Errorf("clip norm %v must be finite", clipNorm))
		return nil, tf.Output{}, s.Err()
	}
	xs := make([]tf.Output, len(vars))
	for i, v := range vars {
		xs[i] = v.Value
	}
	grads := op.Gradients(s.SubScope(a.cfg.Name+"_gradients"), []tf.Output{loss}, xs)
	if s.Err() != nil {
		return nil, tf.Output{}, s.Err()
	}
	for i, g := range grads {
		if g.Op == nil {
			s.UpdateErr("Minimize", fmt.Errorf("variable %q does not affect the loss (no gradient)", vars[i].Name))
			return nil, tf.Output{}, s.Err()
		}
	}
	var norm tf.Output
	if clipNorm > 0 {
		grads, norm = clipByGlobalNorm(s.SubScope(a.cfg.Name+"_clip"), grads, clipNorm, a.cfg.Reference)
	} else {
		norm = globalNorm(s.SubScope(a.cfg.Name+"_norm"), grads, a.cfg.Reference)
	}
	if s.Err() != nil {
		return nil, tf.Output{}, s.Err()
	}
	train, err := a.ApplyGradients(s, vs, grads, vars, lr)
	return train, norm, err
}

// ApplyGradients builds one update of vars (trainable variables of vs) with
// grads (same order, same dtypes) and learning rate lr (float or double
// scalar). It creates the optimizer's variables in vs, so build the Store's
// InitOp after it. The returned op increments the step counter and assigns
// the new variables and moments. Errors are recorded in s and returned.
func (a *Adam) ApplyGradients(s *op.Scope, vs *Store, grads []tf.Output, vars []*Variable, lr tf.Output) (*tf.Operation, error) {
	if s.Err() != nil {
		return nil, s.Err()
	}
	fail := func(err error) (*tf.Operation, error) {
		s.UpdateErr("ApplyGradients", err)
		return nil, s.Err()
	}
	if a.step != nil {
		return fail(fmt.Errorf("optimizer %q already built its update", a.cfg.Name))
	}
	if len(grads) != len(vars) || len(vars) == 0 {
		return fail(fmt.Errorf("%d gradients for %d variables", len(grads), len(vars)))
	}
	seen := map[string]bool{}
	for i, v := range vars {
		if w, ok := vs.Get(v.Name); !ok || w != v {
			return fail(fmt.Errorf("variable %q is not in the store", v.Name))
		}
		if !v.Trainable {
			return fail(fmt.Errorf("variable %q is not trainable", v.Name))
		}
		if seen[v.Name] {
			return fail(fmt.Errorf("variable %q listed twice", v.Name))
		}
		seen[v.Name] = true
		if grads[i].Op == nil {
			return fail(fmt.Errorf("variable %q has no gradient", v.Name))
		}
		if grads[i].DataType() != v.DType || (v.DType != tf.Float && v.DType != tf.Double) {
			return fail(fmt.Errorf("variable %q (%v) has a gradient of dtype %v; want matching float or double", v.Name, v.DType, grads[i].DataType()))
		}
	}
	if dt := lr.DataType(); dt != tf.Float && dt != tf.Double {
		return fail(fmt.Errorf("learning rate has dtype %v, want float or double", dt))
	}
	if n := lr.Shape().NumDimensions(); n > 0 {
		return fail(fmt.Errorf("learning rate has shape %v, want a scalar", lr.Shape()))
	}
	if err := a.createState(s, vs, vars); err != nil {
		return fail(err)
	}

	us := s.SubScope(a.cfg.Name + "_update")
	ts := us.SubScope("step")
	t := op.Add(ts, a.step.Value, op.Const(ts.SubScope("one"), int64(1)))
	stepAssign := op.AssignVariableOp(ts.SubScope("assign"), a.step.Handle, t)
	var updates []*tf.Operation
	if a.cfg.Reference {
		updates = a.applyRaw(us, ts, t, lr, grads, vars)
	} else {
		updates = a.applyFused(us, ts, t, lr, grads, vars)
	}
	train := op.NoOp(us.SubScope("apply").WithControlDependencies(append(updates, stepAssign)...))
	return train, s.Err()
}

// stepScalars holds the float64 step-wide scalars both update builders use.
type stepScalars struct {
	lr64, t64 tf.Output
}

func (a *Adam) stepScalars(ts *op.Scope, t, lr tf.Output) stepScalars {
	lr64 := lr
	if lr.DataType() != tf.Double {
		lr64 = op.Cast(ts.SubScope("lr"), lr, tf.Double)
	}
	return stepScalars{lr64: lr64, t64: op.Cast(ts.SubScope("t"), t, tf.Double)}
}

// biasCorrection returns 1 − βᵗ in float64.
func biasCorrection(ts *op.Scope, name string, beta float64, t64 tf.Output) tf.Output {
	bs := ts.SubScope(name)
	return op.Sub(bs, scalar(bs.SubScope("one"), 1, tf.Double), op.Pow(bs, scalar(bs.SubScope("beta"), beta, tf.Double), t64))
}

// decays reports whether v gets weight decay.
func (a *Adam) decays(v *Variable) bool {
	return a.cfg.WeightDecay > 0 && (a.cfg.DecayFilter == nil || a.cfg.DecayFilter(v))
}

// applyFused builds the update from TensorFlow's fused kernels, about four
// ops per variable: ResourceApplyAdam, fed a learning rate and an epsilon
// that fold in torch's bias corrections (and its beta powers left at 0, so
// the kernel adds none of its own), preceded for AdamW by one
// ResourceApplyGradientDescent with delta = p, i.e. p ← p − lr·wd·p.
//
// torch updates p ← p − lr/b1 · m / (√v/√b2 + eps) with b1 = 1 − β1ᵗ and
// b2 = 1 − β2ᵗ, which is p − (lr·√b2/b1) · m / (√v + eps·√b2). The kernel
// weights the new gradient by 1 − β in the variable's dtype, which for
// float32 differs from torch's 1 − β by a factor c = (1 − float32(β)) / (1 − β)
// (1 − 1.3e-5 for β2 = 0.999): its moments are c·m and c·v. The fed scalars
// divide that back out, so the update follows torch to float rounding and
// the slots keep their meaning to within |1 − c|.
func (a *Adam) applyFused(us, ts *op.Scope, t, lr tf.Output, grads []tf.Output, vars []*Variable) []*tf.Operation {
	sc := a.stepScalars(ts, t, lr)
	bc1 := biasCorrection(ts, "bc1", a.cfg.Beta1, sc.t64)
	bc2 := biasCorrection(ts, "bc2", a.cfg.Beta2, sc.t64)
	// Per-dtype scalars, built once.
	type consts struct{ lr, eps, beta1, beta2, zero, decay tf.Output }
	byType := map[tf.DataType]*consts{}
	constsFor := func(dt tf.DataType) *consts {
		if c, ok := byType[dt]; ok {
			return c
		}
		cs := ts.SubScope("fused_" + dtypeName(dt))
		c1, c2 := 1.0, 1.0
		if dt == tf.Float {
			c1 = (1 - float64(float32(a.cfg.Beta1))) / (1 - a.cfg.Beta1)
			c2 = (1 - float64(float32(a.cfg.Beta2))) / (1 - a.cfg.Beta2)
		}
		// √(c2·b2): the kernel's √v is √c2 times torch's, its m c1 times.
		sqrtB2 := op.Sqrt(cs.SubScope("sqrt_b2"), op.Mul(cs.SubScope("c2_b2"), bc2, scalar(cs.SubScope("c2"), c2, tf.Double)))
		lrT := op.Div(cs.SubScope("lr_t"), op.Mul(cs.SubScope("lr_sqrt_b2"), sc.lr64, sqrtB2),
			op.Mul(cs.SubScope("c1_b1"), bc1, scalar(cs.SubScope("c1"), c1, tf.Double)))
		epsT := op.Mul(cs.SubScope("eps_t"), sqrtB2, scalar(cs.SubScope("eps"), a.cfg.Eps, tf.Double))
		cast := func(name string, x tf.Output) tf.Output {
			if dt == tf.Double {
				return x
			}
			return op.Cast(cs.SubScope(name), x, dt)
		}
		c := &consts{
			lr: cast("lr_cast", lrT), eps: cast("eps_cast", epsT),
			beta1: scalar(cs.SubScope("beta1"), a.cfg.Beta1, dt), beta2: scalar(cs.SubScope("beta2"), a.cfg.Beta2, dt),
			zero: scalar(cs.SubScope("zero"), 0, dt),
		}
		if a.decoupled && a.cfg.WeightDecay > 0 {
			c.decay = cast("decay_cast", op.Mul(cs.SubScope("decay"), sc.lr64, scalar(cs.SubScope("wd"), a.cfg.WeightDecay, tf.Double)))
		}
		byType[dt] = c
		return c
	}
	updates := make([]*tf.Operation, 0, len(vars))
	for i, v := range vars {
		vsc := us.SubScope(strings.ReplaceAll(v.Name, "/", "_"))
		c := constsFor(v.DType)
		sl := a.slots[v.Name]
		g := grads[i]
		// After the read of p: a gradient need not depend on it (a bias
		// that enters the loss linearly), and the kernels update in place.
		as := vsc.WithControlDependencies(v.Value.Op)
		if a.decays(v) {
			if a.decoupled {
				// p ← p − lr·wd·p before the Adam step, as torch.optim.AdamW.
				// Ordered after g, which needs every read of p.
				ds := vsc.SubScope("decay").WithControlDependencies(g.Op)
				as = as.WithControlDependencies(op.ResourceApplyGradientDescent(ds, v.Handle, c.decay, v.Value))
			} else {
				g = op.Add(vsc.SubScope("l2"), g, op.Mul(vsc.SubScope("l2_p"), scalar(vsc.SubScope("wd"), a.cfg.WeightDecay, v.DType), v.Value))
			}
		}
		updates = append(updates, op.ResourceApplyAdam(as.SubScope("adam"), v.Handle, sl[0].Handle, sl[1].Handle,
			c.zero, c.zero, c.lr, c.beta1, c.beta2, c.eps, g))
	}
	return updates
}

// applyRaw builds the update from element-wise ops, about 20 per variable:
// the reference the fused update is tested against, and the baseline of
// the training-step benchmarks (AdamConfig.Reference).
func (a *Adam) applyRaw(us, ts *op.Scope, t, lr tf.Output, grads []tf.Output, vars []*Variable) []*tf.Operation {
	sc := a.stepScalars(ts, t, lr)
	lr64 := sc.lr64
	stepSize := op.Neg(ts.SubScope("neg_step_size"), op.Div(ts.SubScope("step_size"), lr64, biasCorrection(ts, "bc1", a.cfg.Beta1, sc.t64)))
	sqrtBc2 := op.Sqrt(ts.SubScope("sqrt_bc2"), biasCorrection(ts, "bc2", a.cfg.Beta2, sc.t64))
	decay := op.Sub(ts.SubScope("decay"), scalar(ts.SubScope("decay_one"), 1, tf.Double),
		op.Mul(ts.SubScope("decay_lr"), lr64, scalar(ts.SubScope("wd"), a.cfg.WeightDecay, tf.Double)))

	var assigns []*tf.Operation
	for i, v := range vars {
		vsc := us.SubScope(strings.ReplaceAll(v.Name, "/", "_"))
		c := func(name string, x tf.Output) tf.Output { // float64 scalar → v.DType
			if v.DType == tf.Double {
				return x
			}
			return op.Cast(vsc.SubScope(name), x, v.DType)
		}
		k := func(name string, x float64) tf.Output { return scalar(vsc.SubScope(name), x, v.DType) }
		sl := a.slots[v.Name]
		g, p := grads[i], v.Value
		decays := a.decays(v)
		if decays && !a.decoupled {
			g = op.Add(vsc.SubScope("l2"), g, op.Mul(vsc.SubScope("l2_p"), k("wd", a.cfg.WeightDecay), p))
		}
		m := sl[0].Value
		m = op.Add(vsc.SubScope("m"), m, op.Mul(vsc.SubScope("m_w"), k("one_minus_beta1", 1-a.cfg.Beta1), op.Sub(vsc.SubScope("m_d"), g, m)))
		sq := op.Mul(vsc.SubScope("v_beta"), sl[1].Value, k("beta2", a.cfg.Beta2))
		sq = op.Add(vsc.SubScope("v"), sq, op.Mul(vsc.SubScope("v_gg"), op.Mul(vsc.SubScope("v_g"), k("one_minus_beta2", 1-a.cfg.Beta2), g), g))
		denom := op.Div(vsc.SubScope("denom_bc"), op.Sqrt(vsc.SubScope("denom_sqrt"), sq), c("sqrt_bc2", sqrtBc2))
		denom = op.Add(vsc.SubScope("denom"), denom, k("eps", a.cfg.Eps))
		if decays && a.decoupled {
			p = op.Mul(vsc.SubScope("decay"), p, c("decay_coef", decay))
		}
		upd := op.Div(vsc.SubScope("upd"), op.Mul(vsc.SubScope("upd_m"), c("step_size", stepSize), m), denom)
		p = op.Add(vsc.SubScope("p"), p, upd)
		assigns = append(assigns,
			op.AssignVariableOp(vsc.SubScope("assign_m"), sl[0].Handle, m),
			op.AssignVariableOp(vsc.SubScope("assign_v"), sl[1].Handle, sq),
			op.AssignVariableOp(vsc.SubScope("assign_p"), v.Handle, p))
	}
	return assigns
}

// createState makes the step counter and the moment slots in vs and checks
// that they got the documented names.
func (a *Adam) createState(s *op.Scope, vs *Store, vars []*Variable) error {
	root := s.SubScope(a.cfg.Name)
	step := vs.Variable(root, "step", nil, Zeros(), NotTrainable(), WithDType(tf.Int64))
	if s.Err() != nil {
		return s.Err()
	}
	prefix := strings.TrimSuffix(step.Name, "/step")
	// One scope per name prefix: op.Scope renames a second SubScope with the
	// same name, so sibling variables must share their parents' scopes.
	scopes := map[string]*op.Scope{"": root}
	scopeOf := func(path string) *op.Scope {
		parts := strings.Split(path, "/")
		cur := ""
		for _, part := range parts {
			parent := scopes[cur]
			if cur != "" {
				cur += "/"
			}
			cur += part
			if _, ok := scopes[cur]; !ok {
				scopes[cur] = parent.SubScope(part)
			}
		}
		return scopes[cur]
	}
	slots := map[string][2]*Variable{}
	for _, v := range vars {
		vsc := scopeOf(v.Name)
		m := vs.Variable(vsc, "m", v.Shape, Zeros(), NotTrainable(), WithDType(v.DType))
		sq := vs.Variable(vsc, "v", v.Shape, Zeros(), NotTrainable(), WithDType(v.DType))
		if s.Err() != nil {
			return s.Err()
		}
		if want := prefix + "/" + v.Name + "/m"; m.Name != want {
			return fmt.Errorf("optimizer slot of %q is named %q, want %q (a variable's name clashes with the optimizer's)", v.Name, m.Name, want)
		}
		slots[v.Name] = [2]*Variable{m, sq}
	}
	a.step, a.slots = step, slots
	return nil
}
