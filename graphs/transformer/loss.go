package transformer

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// maskedSums builds the MVTM loss terms of logits [B, N, Codes] against
// target ids [B, N] weighted by weight [B, N] (1 at masked positions), as
// sums so that shares of a batch add up: wloss = Σ w·xent (label-smoothed
// cross-entropy), whit = Σ w·[argmax = target] and wsum = Σ w. The loss is
// wloss / max(wsum, 1) and the accuracy whit / max(wsum, 1).
func maskedSums(ls *op.Scope, cfg Config, tc TrainConfig, logits, target, weight tf.Output) (wloss, whit, wsum tf.Output) {
	flatLogits := op.Reshape(ls.SubScope("logits2d"), logits, op.Const(ls.SubScope("l_shape"), []int64{-1, cfg.Codes}))
	flatTarget := op.Reshape(ls.SubScope("target1d"), target, op.Const(ls.SubScope("t_shape"), []int64{-1}))
	flatWeight := op.Reshape(ls.SubScope("weight1d"), weight, op.Const(ls.SubScope("w_shape"), []int64{-1}))
	eps := tc.LabelSmoothing
	on := float32(1 - eps + eps/float64(cfg.Codes))
	off := float32(eps / float64(cfg.Codes))
	labels := op.OneHot(ls.SubScope("onehot"), flatTarget, op.Const(ls.SubScope("depth"), int32(cfg.Codes)),
		op.Const(ls.SubScope("on"), on), op.Const(ls.SubScope("off"), off))
	// SparseSoftmaxCrossEntropyWithLogits has no C++ gradient: one-hot
	// labels with the dense op on 2-D logits instead.
	xent, _ := op.SoftmaxCrossEntropyWithLogits(ls.SubScope("xent"), flatLogits, labels)
	axis0 := op.Const(ls.SubScope("axis0"), []int32{0})
	wsum = op.Sum(ls.SubScope("wsum0"), flatWeight, axis0)
	wloss = op.Sum(ls.SubScope("wloss"), op.Mul(ls.SubScope("mul"), xent, flatWeight), axis0)
	pred := op.ArgMax(ls.SubScope("argmax"), flatLogits, op.Const(ls.SubScope("axis1"), int32(1)), op.ArgMaxOutputType(tf.Int32))
	hit := op.Cast(ls.SubScope("hit"), op.Equal(ls.SubScope("eq"), pred, flatTarget), tf.Float)
	whit = op.Sum(ls.SubScope("whit"), op.Mul(ls.SubScope("hmul"), hit, flatWeight), axis0)
	return wloss, whit, wsum
}
