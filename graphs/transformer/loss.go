package transformer

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// replicaLoss builds one replica's training pass: the transformer on input
// (dropout at rate, seeded by seed) and the MVTM loss on its share of the
// batch, the mean label-smoothed cross-entropy over the masked positions
// (weight > 0) and the masked-token accuracy, both over max(Σ weight, 1) —
// BuildTrain's loss and accuracy on that share.
func replicaLoss(s *op.Scope, vs *tfmodel.Store, cfg Config, tc TrainConfig, input, target, weight, rate, seed tf.Output) (loss, accuracy tf.Output) {
	logits := Logits(s, vs, cfg, input, rate, seed)
	ls := s.SubScope("loss")
	flatLogits := op.Reshape(ls.SubScope("logits2d"), logits, op.Const(ls.SubScope("l_shape"), []int64{-1, cfg.Codes}))
	flatTarget := op.Reshape(ls.SubScope("target1d"), target, op.Const(ls.SubScope("t_shape"), []int64{-1}))
	flatWeight := op.Reshape(ls.SubScope("weight1d"), weight, op.Const(ls.SubScope("w_shape"), []int64{-1}))
	eps := tc.LabelSmoothing
	on := float32(1 - eps + eps/float64(cfg.Codes))
	off := float32(eps / float64(cfg.Codes))
	labels := op.OneHot(ls.SubScope("onehot"), flatTarget, op.Const(ls.SubScope("depth"), int32(cfg.Codes)),
		op.Const(ls.SubScope("on"), on), op.Const(ls.SubScope("off"), off))
	xent, _ := op.SoftmaxCrossEntropyWithLogits(ls.SubScope("xent"), flatLogits, labels)
	axis0 := op.Const(ls.SubScope("axis0"), []int32{0})
	wsum := op.Maximum(ls.SubScope("wsum"), op.Sum(ls.SubScope("wsum0"), flatWeight, axis0), op.Const(ls.SubScope("one"), float32(1)))
	loss = op.Div(ls.SubScope("loss"), op.Sum(ls.SubScope("wloss"), op.Mul(ls.SubScope("mul"), xent, flatWeight), axis0), wsum)
	pred := op.ArgMax(ls.SubScope("argmax"), flatLogits, op.Const(ls.SubScope("axis1"), int32(1)), op.ArgMaxOutputType(tf.Int32))
	hit := op.Cast(ls.SubScope("hit"), op.Equal(ls.SubScope("eq"), pred, flatTarget), tf.Float)
	accuracy = op.Div(ls.SubScope("accuracy"), op.Sum(ls.SubScope("whit"), op.Mul(ls.SubScope("hmul"), hit, flatWeight), axis0), wsum)
	return loss, accuracy
}
