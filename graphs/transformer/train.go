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
// fetch ValLoss and ValAccuracy (a second forward pass on the same
// variables, without dropout's random ops) to validate.
type TrainGraph struct {
	Graph *tf.Graph
	Cfg   Config
	// Inputs: Input ids [B, N] with [MASK] at masked positions, Target ids
	// [B, N] (the true tokens), Weight [B, N] (1 where masked, else 0; only
	// positions with a positive weight are scored), LR, Rate (dropout,
	// default 0) and Seed (int64[2], per step).
	Input, Target, Weight, LR, Rate, Seed tf.Output
	Step, Init                            *tf.Operation
	// Loss is the mean cross-entropy over masked positions of the training
	// pass (dropout at Rate); Accuracy the share of masked positions whose
	// argmax is the target; GradNorm the gradients' global norm before
	// clipping.
	Loss, Accuracy, GradNorm tf.Output
	// ValLoss and ValAccuracy are Loss and Accuracy of the pass without
	// dropout; Logits [B, N, K] are its logits at every position. They need
	// Input, Target and Weight (Logits only Input).
	ValLoss, ValAccuracy, Logits tf.Output
	Saver                        *tfmodel.Saver
	// ModelSaver covers the model's variables only (no optimizer state):
	// the names of the inference graph's checkpoint, for warm starts.
	ModelSaver *tfmodel.Saver
	Vars       *tfmodel.Store
}

// BuildTrain builds the training graph; seed fixes the initial weights and
// device places the network ("" for no placement).
func BuildTrain(cfg Config, tc TrainConfig, seed int64, device string) (*TrainGraph, error) {
	return buildTrain(cfg, tc, seed, device, buildOptions{})
}

// buildOptions select earlier forms of the training graph, for the A/B
// benchmark (BenchmarkTrainStep) and the equivalence tests.
type buildOptions struct {
	// referenceAdam builds the element-wise AdamW and per-tensor norms
	// (tfmodel.AdamConfig.Reference).
	referenceAdam bool
	// referenceModel builds the network from the ops package's layers
	// (referenceLogits), the loss over every position weighted by Weight,
	// and no separate validation pass (ValLoss = Loss at Rate 0).
	referenceModel bool
	// denseLoss scores every position (weighted) instead of gathering the
	// masked ones first.
	denseLoss bool
	// batchMatMul builds the attention's products with BatchMatMulV2
	// instead of Einsum.
	batchMatMul bool
	// opsDropout drops attention probabilities with ops.Dropout.
	opsDropout bool
}

func buildTrain(cfg Config, tc TrainConfig, seed int64, device string, bo buildOptions) (*TrainGraph, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if tc.LabelSmoothing < 0 || tc.LabelSmoothing >= 1 {
		return nil, fmt.Errorf("transformer: label smoothing %v must be in [0, 1)", tc.LabelSmoothing)
	}
	root := op.NewScope()
	s := root.WithDevice(device)
	vs := tfmodel.NewStore(seed, tf.Float)
	g := newTrainFeeds(s, cfg, vs)
	ls := s.SubScope("loss")
	flatTarget := op.Reshape(ls.SubScope("target1d"), g.Target, op.Const(ls.SubScope("t_shape"), []int64{-1}))
	flatWeight := op.Reshape(ls.SubScope("weight1d"), g.Weight, op.Const(ls.SubScope("w_shape"), []int64{-1}))
	if bo.referenceModel {
		logits := referenceLogits(s, vs, cfg, g.Input, g.Rate, g.Seed)
		flat := op.Reshape(ls.SubScope("logits2d"), logits, op.Const(ls.SubScope("l_shape"), []int64{-1, cfg.Codes}))
		g.Loss, g.Accuracy = crossEntropy(ls, flat, flatTarget, flatWeight, cfg.Codes, tc.LabelSmoothing)
		g.ValLoss, g.ValAccuracy, g.Logits = g.Loss, g.Accuracy, logits
	} else {
		m := newModel(s, vs, cfg)
		m.batchMatMul, m.opsDropout = bo.batchMatMul, bo.opsDropout
		// The validation pass first: its logits get the inference graph's
		// op name, "transformer/head/add_bias/Add".
		hv := m.trunk(g.Input, tf.Output{}, tf.Output{}, false)
		g.Logits = m.fullLogits(hv)
		g.ValLoss, g.ValAccuracy = m.maskedLoss(s.SubScope("val_loss"), hv, flatTarget, flatWeight, tc.LabelSmoothing)
		h := m.trunk(g.Input, g.Rate, g.Seed, true)
		if bo.denseLoss {
			flat := op.Reshape(ls.SubScope("logits2d"), m.fullLogits(h), op.Const(ls.SubScope("l_shape"), []int64{-1, cfg.Codes}))
			g.Loss, g.Accuracy = crossEntropy(ls, flat, flatTarget, flatWeight, cfg.Codes, tc.LabelSmoothing)
		} else {
			g.Loss, g.Accuracy = m.maskedLoss(ls, h, flatTarget, flatWeight, tc.LabelSmoothing)
		}
	}
	if s.Err() != nil {
		return nil, fmt.Errorf("transformer training graph: %w", s.Err())
	}

	adam, err := tfmodel.NewAdamW(tfmodel.AdamConfig{Beta1: tc.Beta1, Beta2: tc.Beta2, Eps: 1e-8, WeightDecay: tc.WeightDecay,
		DecayFilter: tfmodel.NoDecay("bias", "gamma", "beta", "embeddings"), Reference: bo.referenceAdam})
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

// maskedLoss gathers the rows of the trunk's output h [B·N, D] whose weight
// is positive (the masked positions), runs the head on those rows only and
// returns crossEntropy over them.
func (m *model) maskedLoss(ls *op.Scope, h, flatTarget, flatWeight tf.Output, smoothing float64) (loss, accuracy tf.Output) {
	if ls.Err() != nil {
		return tf.Output{}, tf.Output{}
	}
	gs := ls.SubScope("gather")
	idx := op.Where(gs, op.Greater(gs, flatWeight, op.Const(gs.SubScope("zero"), float32(0)))) // [M, 1] int64
	idx = op.Reshape(gs, idx, op.Const(gs.SubScope("shape"), []int64{-1}))
	axis := op.Const(gs.SubScope("axis"), int32(0))
	rows := op.GatherV2(gs.SubScope("rows"), h, idx, axis)
	target := op.GatherV2(gs.SubScope("target"), flatTarget, idx, axis)
	weight := op.GatherV2(gs.SubScope("weight"), flatWeight, idx, axis)
	pos := op.FloorMod(gs, idx, op.Const(gs.SubScope("positions"), m.cfg.Positions))
	logits := m.rowLogits(ls.SubScope("head"), rows, pos)
	return crossEntropy(ls, logits, target, weight, m.cfg.Codes, smoothing)
}

// crossEntropy is the label-smoothed softmax cross-entropy of logits [R, K]
// against target ids [R], averaged with weights [R] (over max(Σw, 1)), and
// the weighted share of rows whose argmax is the target.
func crossEntropy(ls *op.Scope, logits, target, weight tf.Output, k int64, eps float64) (loss, accuracy tf.Output) {
	on := float32(1 - eps + eps/float64(k))
	off := float32(eps / float64(k))
	labels := op.OneHot(ls.SubScope("onehot"), target, op.Const(ls.SubScope("depth"), int32(k)),
		op.Const(ls.SubScope("on"), on), op.Const(ls.SubScope("off"), off))
	// SparseSoftmaxCrossEntropyWithLogits has no C++ gradient: one-hot
	// labels with the dense op on 2-D logits instead.
	xent, _ := op.SoftmaxCrossEntropyWithLogits(ls.SubScope("xent"), logits, labels)
	axis0 := op.Const(ls.SubScope("axis0"), []int32{0})
	wsum := op.Maximum(ls.SubScope("wsum"), op.Sum(ls.SubScope("wsum0"), weight, axis0), op.Const(ls.SubScope("one"), float32(1)))
	loss = op.Div(ls.SubScope("loss"), op.Sum(ls.SubScope("wloss"), op.Mul(ls.SubScope("mul"), xent, weight), axis0), wsum)
	pred := op.ArgMax(ls.SubScope("argmax"), logits, op.Const(ls.SubScope("axis1"), int32(1)), op.ArgMaxOutputType(tf.Int32))
	hit := op.Cast(ls.SubScope("hit"), op.Equal(ls.SubScope("eq"), pred, target), tf.Float)
	accuracy = op.Div(ls.SubScope("accuracy"), op.Sum(ls.SubScope("whit"), op.Mul(ls.SubScope("hmul"), hit, weight), axis0), wsum)
	return loss, accuracy
}

// newTrainFeeds returns a TrainGraph with its feeds: input, target and
// weight [B, N], the learning rate, and the dropout rate and seed (both
// defaulting to no dropout).
func newTrainFeeds(s *op.Scope, cfg Config, vs *tfmodel.Store) *TrainGraph {
	g := &TrainGraph{Cfg: cfg, Vars: vs}
	n := cfg.Positions
	g.Input = op.Placeholder(s.SubScope("input"), tf.Int32, op.PlaceholderShape(tf.MakeShape(-1, n)))
	g.Target = op.Placeholder(s.SubScope("target"), tf.Int32, op.PlaceholderShape(tf.MakeShape(-1, n)))
	g.Weight = op.Placeholder(s.SubScope("weight"), tf.Float, op.PlaceholderShape(tf.MakeShape(-1, n)))
	g.LR = op.Placeholder(s.SubScope("lr"), tf.Float, op.PlaceholderShape(tf.ScalarShape()))
	g.Rate = op.PlaceholderWithDefault(s.SubScope("rate"), op.Const(s.SubScope("rate_default"), float32(0)), tf.ScalarShape())
	g.Seed = op.PlaceholderWithDefault(s.SubScope("seed"), op.Const(s.SubScope("seed_default"), []int64{0, 0}), tf.MakeShape(2))
	return g
}
