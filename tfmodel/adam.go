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
// torch.optim.AdamW semantics, amsgrad off) from raw graph ops. For a
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
	vars := vs.Trainable()
	if len(vars) == 0 {
		s.UpdateErr("Minimize", fmt.Errorf("the store has no trainable variables"))
		return nil, tf.Output{}, s.Err()
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
		grads, norm = ClipByGlobalNorm(s.SubScope(a.cfg.Name+"_clip"), grads, clipNorm)
	} else {
		norm = GlobalNorm(s.SubScope(a.cfg.Name+"_norm"), grads)
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
	// Step-wide float64 scalars: t, lr, the bias corrections.
	ts := us.SubScope("step")
	t := op.Add(ts, a.step.Value, op.Const(ts.SubScope("one"), int64(1)))
	assigns := []*tf.Operation{op.AssignVariableOp(ts.SubScope("assign"), a.step.Handle, t)}
	t64 := op.Cast(ts.SubScope("t"), t, tf.Double)
	lr64 := lr
	if lr.DataType() != tf.Double {
		lr64 = op.Cast(ts.SubScope("lr"), lr, tf.Double)
	}
	bc := func(name string, beta float64) tf.Output { // 1 − βᵗ
		bs := ts.SubScope(name)
		return op.Sub(bs, scalar(bs.SubScope("one"), 1, tf.Double), op.Pow(bs, scalar(bs.SubScope("beta"), beta, tf.Double), t64))
	}
	stepSize := op.Neg(ts.SubScope("neg_step_size"), op.Div(ts.SubScope("step_size"), lr64, bc("bc1", a.cfg.Beta1)))
	sqrtBc2 := op.Sqrt(ts.SubScope("sqrt_bc2"), bc("bc2", a.cfg.Beta2))
	decay := op.Sub(ts.SubScope("decay"), scalar(ts.SubScope("decay_one"), 1, tf.Double),
		op.Mul(ts.SubScope("decay_lr"), lr64, scalar(ts.SubScope("wd"), a.cfg.WeightDecay, tf.Double)))

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
		decays := a.cfg.WeightDecay > 0 && (a.cfg.DecayFilter == nil || a.cfg.DecayFilter(v))
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
	train := op.NoOp(us.SubScope("apply").WithControlDependencies(assigns...))
	return train, s.Err()
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
