package transformer

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// replicaLoss builds one replica's training pass with BuildTrain's own
// code: the trunk on input (dropout at rate, seeded by seed) and the MVTM
// loss on its share of the batch (model.maskedLoss: the head on the masked
// rows only, the mean label-smoothed cross-entropy and the masked-token
// accuracy over max(Σ weight, 1)).
func replicaLoss(s *op.Scope, vs *tfmodel.Store, cfg Config, tc TrainConfig, input, target, weight, rate, seed tf.Output) (loss, accuracy tf.Output) {
	ls := s.SubScope("loss")
	flatTarget := op.Reshape(ls.SubScope("target1d"), target, op.Const(ls.SubScope("t_shape"), []int64{-1}))
	flatWeight := op.Reshape(ls.SubScope("weight1d"), weight, op.Const(ls.SubScope("w_shape"), []int64{-1}))
	m := newModel(s, vs, cfg)
	h := m.trunk(input, rate, seed, true)
	return m.maskedLoss(ls, h, flatTarget, flatWeight, tc.LabelSmoothing)
}
