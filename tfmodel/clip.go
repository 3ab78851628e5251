package tfmodel

import (
	"fmt"
	"math"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// clipEps is the term torch.nn.utils.clip_grad_norm_ adds to the norm
// before dividing by it.
const clipEps = 1e-6

// GlobalNorm builds the L2 norm of all gradients taken together,
// sqrt(Σ_i ‖g_i‖²), the norm torch.nn.utils.clip_grad_norm_ computes (it
// takes the norm of the per-tensor norms, the same number). It costs one
// L2Loss (½‖g‖², a single fused reduction) per gradient and three ops in
// all. All gradients must share one floating-point dtype; the result is a
// scalar of that dtype. Errors are recorded in s.
func GlobalNorm(s *op.Scope, grads []tf.Output) tf.Output {
	return globalNorm(s, grads, false)
}

// globalNorm is GlobalNorm; perTensor builds it as before the L2Loss form
// (eight ops per gradient: the reference of AdamConfig.Reference).
func globalNorm(s *op.Scope, grads []tf.Output, perTensor bool) tf.Output {
	if s.Err() != nil {
		return tf.Output{}
	}
	if len(grads) == 0 {
		s.UpdateErr("GlobalNorm", fmt.Errorf("no gradients"))
		return tf.Output{}
	}
	dt := grads[0].DataType()
	if dt != tf.Float && dt != tf.Double {
		s.UpdateErr("GlobalNorm", fmt.Errorf("gradient 0 has dtype %v, want float or double", dt))
		return tf.Output{}
	}
	sq := make([]tf.Output, len(grads))
	for i, g := range grads {
		if g.DataType() != dt {
			s.UpdateErr("GlobalNorm", fmt.Errorf("gradient %d has dtype %v, gradient 0 has %v", i, g.DataType(), dt))
			return tf.Output{}
		}
		gs := s.SubScope(fmt.Sprintf("norm%d", i))
		if !perTensor {
			sq[i] = op.L2Loss(gs, g) // ½‖g‖²
			continue
		}
		// Reduce over every axis: Range(0, Rank(g)) handles any rank, scalars included.
		axes := op.Range(gs, op.Const(gs.SubScope("start"), int32(0)), op.Rank(gs, g), op.Const(gs.SubScope("delta"), int32(1)))
		n := op.Sqrt(gs, op.Sum(gs, op.Square(gs, g), axes))
		sq[i] = op.Square(gs.SubScope("sq"), n)
	}
	ts := s.SubScope("total")
	total := op.AddN(ts, sq)
	if !perTensor {
		total = op.Mul(ts.SubScope("twice"), total, scalar(ts.SubScope("two"), 2, dt))
	}
	return op.Sqrt(ts, total)
}

// ClipByGlobalNorm scales grads by min(1, maxNorm/(norm+1e-6)), where norm is
// GlobalNorm(grads), exactly as torch.nn.utils.clip_grad_norm_ does. It
// returns the scaled gradients and the norm before clipping (for logging).
// maxNorm must be positive and finite. Errors are recorded in s.
func ClipByGlobalNorm(s *op.Scope, grads []tf.Output, maxNorm float64) (clipped []tf.Output, norm tf.Output) {
	return clipByGlobalNorm(s, grads, maxNorm, false)
}

func clipByGlobalNorm(s *op.Scope, grads []tf.Output, maxNorm float64, perTensor bool) (clipped []tf.Output, norm tf.Output) {
	if s.Err() != nil {
		return nil, tf.Output{}
	}
	if !(maxNorm > 0) || math.IsInf(maxNorm, 0) {
		s.UpdateErr("ClipByGlobalNorm", fmt.Errorf("max norm %v must be positive and finite", maxNorm))
		return nil, tf.Output{}
	}
	norm = globalNorm(s.SubScope("global_norm"), grads, perTensor)
	if s.Err() != nil {
		return nil, tf.Output{}
	}
	dt := norm.DataType()
	cs := s.SubScope("coef")
	denom := op.Add(cs, norm, scalar(cs.SubScope("eps"), clipEps, dt))
	coef := op.Div(cs, scalar(cs.SubScope("max"), maxNorm, dt), denom)
	coef = op.Minimum(cs, coef, scalar(cs.SubScope("one"), 1, dt))
	clipped = make([]tf.Output, len(grads))
	for i, g := range grads {
		clipped[i] = op.Mul(s.SubScope(fmt.Sprintf("clip%d", i)), g, coef)
	}
	return clipped, norm
}
