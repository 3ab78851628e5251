package transformer

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// TrainConfig sets the MVTM loss and the optimizer.
type TrainConfig struct {
	LabelSmoothing float64 `json:"label_smoothing"`
	Beta1          float64 `json:"beta1"`
	Beta2          float64 `json:"beta2"`
	WeightDecay    float64 `json:"weight_decay"`
	ClipNorm       float64 `json:"clip_norm"`
}

// TrainGraph is the MVTM training graph. Run Step with the feeds to train;
// fetch Loss and Accuracy without Step (and with Rate left at its default
// 0) to validate.
type TrainGraph struct {
	Graph *tf.Graph
	Cfg   Config
	// Inputs: Input ids [B, N] with [MASK] at masked positions, Target ids
	// [B, N] (the true tokens), Weight [B, N] (1 where masked, else 0), LR,
	// Rate (dropout, default 0) and Seed (int64[2], per step).
	Input, Target, Weight, LR, Rate, Seed tf.Output
	Step, Init                            *tf.Operation
	// Loss is the mean cross-entropy over masked positions; Accuracy the
	// share of masked positions whose argmax is the target.
	Loss, Accuracy, GradNorm tf.Output
	Saver                    *tfmodel.Saver
	// ModelSaver covers the model's variables only (no optimizer state):
	// the names of the inference graph's checkpoint, for warm starts.
	ModelSaver *tfmodel.Saver
	Vars       *tfmodel.Store
}

// BuildTrain builds the training graph; seed fixes the initial weights and
// device places the network ("" for no placement).
func BuildTrain(cfg Config, tc TrainConfig, seed int64, device string) (*TrainGraph, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if tc.LabelSmoothing < 0 || tc.LabelSmoothing >= 1 {
		return nil, fmt.Errorf("transformer: label smoothing %v must be in [0, 1)", tc.LabelSmoothing)
	}
	root := op.NewScope()
	s := root.WithDevice(device)
	vs := tfmodel.NewStore(seed, tf.Float)
	g := &TrainGraph{Cfg: cfg, Vars: vs}
	n := cfg.Positions
	g.Input = op.Placeholder(s.SubScope("input"), tf.Int32, op.PlaceholderShape(tf.MakeShape(-1, n)))
	g.Target = op.Placeholder(s.SubScope("target"), tf.Int32, op.PlaceholderShape(tf.MakeShape(-1, n)))
	g.Weight = op.Placeholder(s.SubScope("weight"), tf.Float, op.PlaceholderShape(tf.MakeShape(-1, n)))
	g.LR = op.Placeholder(s.SubScope("lr"), tf.Float, op.PlaceholderShape(tf.ScalarShape()))
	g.Rate = op.PlaceholderWithDefault(s.SubScope("rate"), op.Const(s.SubScope("rate_default"), float32(0)), tf.ScalarShape())
	g.Seed = op.PlaceholderWithDefault(s.SubScope("seed"), op.Const(s.SubScope("seed_default"), []int64{0, 0}), tf.MakeShape(2))
	logits := Logits(s, vs, cfg, g.Input, g.Rate, g.Seed)

	ls := s.SubScope("loss")
	flatLogits := op.Reshape(ls.SubScope("logits2d"), logits, op.Const(ls.SubScope("l_shape"), []int64{-1, cfg.Codes}))
	flatTarget := op.Reshape(ls.SubScope("target1d"), g.Target, op.Const(ls.SubScope("t_shape"), []int64{-1}))
	flatWeight := op.Reshape(ls.SubScope("weight1d"), g.Weight, op.Const(ls.SubScope("w_shape"), []int64{-1}))
	eps := tc.LabelSmoothing
	on := float32(1 - eps + eps/float64(cfg.Codes))
	off := float32(eps / float64(cfg.Codes))
	labels := op.OneHot(ls.SubScope("onehot"), flatTarget, op.Const(ls.SubScope("depth"), int32(cfg.Codes)),
		op.Const(ls.SubScope("on"), on), op.Const(ls.SubScope("off"), off))
	// SparseSoftmaxCrossEntropyWithLogits has no C++ gradient: one-hot
	// labels with the dense op on 2-D logits instead.
	xent, _ := op.SoftmaxCrossEntropyWithLogits(ls.SubScope("xent"), flatLogits, labels)
	axis0 := op.Const(ls.SubScope("axis0"), []int32{0})
	wsum := op.Maximum(ls.SubScope("wsum"), op.Sum(ls.SubScope("wsum0"), flatWeight, axis0), op.Const(ls.SubScope("one"), float32(1)))
	g.Loss = op.Div(ls.SubScope("loss"), op.Sum(ls.SubScope("wloss"), op.Mul(ls.SubScope("mul"), xent, flatWeight), axis0), wsum)
	pred := op.ArgMax(ls.SubScope("argmax"), flatLogits, op.Const(ls.SubScope("axis1"), int32(1)), op.ArgMaxOutputType(tf.Int32))
	hit := op.Cast(ls.SubScope("hit"), op.Equal(ls.SubScope("eq"), pred, flatTarget), tf.Float)
	g.Accuracy = op.Div(ls.SubScope("accuracy"), op.Sum(ls.SubScope("whit"), op.Mul(ls.SubScope("hmul"), hit, flatWeight), axis0), wsum)

	adam, err := tfmodel.NewAdamW(tfmodel.AdamConfig{Beta1: tc.Beta1, Beta2: tc.Beta2, Eps: 1e-8, WeightDecay: tc.WeightDecay,
		DecayFilter: tfmodel.NoDecay("bias", "gamma", "beta", "embeddings")})
	if err != nil {
		return nil, err
	}
	step, norm, err := adam.Minimize(root, vs, g.Loss, g.LR, tc.ClipNorm)
	if err != nil {
		return nil, err
	}
	g.Step, g.GradNorm = step, norm
	g.Init = vs.InitOp(root.SubScope("init"))
	g.Saver = tfmodel.NewSaver(root, vs.All())
	g.ModelSaver = tfmodel.NewSaver(root.SubScope("model_saver"), vs.Trainable())
	graph, err := root.Finalize()
	if err != nil {
		return nil, fmt.Errorf("transformer training graph: %w", err)
	}
	g.Graph = graph
	return g, nil
}
