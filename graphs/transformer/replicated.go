package transformer

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
	"github.com/maskgit-go/maskgit/tfmodel/replicate"
)

// BuildReplicatedTrain builds the MVTM training graph for synchronous
// data-parallel training with in-graph replication: one replica of the
// forward and backward pass per device, each on its share of the batch.
// devices[0] (the chief) holds the inputs, the variables and the optimizer,
// and runs replica 0; the batch fed to Input, Target and Weight is split
// into len(devices) consecutive shares in-graph. Each replica's gradients
// (of replicaLoss on its share, weighted by its share of the masked
// positions) are added on the chief, so the update, Loss, Accuracy and
// GradNorm are those of BuildTrain on the whole batch (up to the order of
// float sums). The variables have BuildTrain's names: checkpoints are
// interchangeable. Dropout draws replica i's masks from Seed + (0, i<<32).
func BuildReplicatedTrain(cfg Config, tc TrainConfig, seed int64, devices []string) (*TrainGraph, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if tc.LabelSmoothing < 0 || tc.LabelSmoothing >= 1 {
		return nil, fmt.Errorf("transformer: label smoothing %v must be in [0, 1)", tc.LabelSmoothing)
	}
	k := len(devices)
	if k == 0 {
		return nil, fmt.Errorf("transformer: no replica devices")
	}
	graph := tf.NewGraph()
	root := op.NewScopeWithGraph(graph)
	s := root.WithDevice(devices[0])
	vs := tfmodel.NewStore(seed, tf.Float)
	g := newTrainFeeds(s, cfg, vs)

	// The whole batch's count of masked positions.
	ls := s.SubScope("loss")
	flatW := op.Reshape(ls.SubScope("weight1d"), g.Weight, op.Const(ls.SubScope("w_shape"), []int64{-1}))
	wsum := op.Maximum(ls.SubScope("wsum"), op.Sum(ls.SubScope("wsum0"), flatW, op.Const(ls.SubScope("axis0"), []int32{0})),
		op.Const(ls.SubScope("one"), float32(1)))

	// Shares: k−1 of ⌊B/k⌋ rows, the rest to the last replica.
	ss := s.SubScope("split")
	shares := replicate.NewShares(ss, g.Input, k)
	inputs := shares.Split(ss.SubScope("input"), g.Input)
	targets := shares.Split(ss.SubScope("target"), g.Target)
	weights := shares.Split(ss.SubScope("weight"), g.Weight)
	if s.Err() != nil {
		return nil, s.Err()
	}

	// Replica i's loss is the mean over its share's masked positions, c_i =
	// max(Σ its weights, 1); the whole batch's loss is Σ c_i·loss_i / wsum,
	// so replica i's backward pass starts from dy_i = c_i / wsum.
	shareW := func(i int) tf.Output {
		cs := s.SubScope(fmt.Sprintf("share_%d", i))
		w := op.Sum(cs, op.Reshape(cs.SubScope("flat"), weights[i], op.Const(cs.SubScope("shape"), []int64{-1})), op.Const(cs.SubScope("axis"), []int32{0}))
		return op.Maximum(cs.SubScope("c"), w, op.Const(cs.SubScope("one"), float32(1)))
	}
	// Replica 0 is built in place: it creates the variables.
	l0, a0 := replicaLoss(s, vs, cfg, tc, inputs[0], targets[0], weights[0], g.Rate, g.Seed)
	c0 := shareW(0)
	vars := vs.Trainable()
	if s.Err() != nil {
		return nil, fmt.Errorf("transformer replicated training graph: %w", s.Err())
	}
	grads0, err := replicate.Gradients(root.SubScope("replica_0_gradients"), l0, vars, op.Div(s.SubScope("dy_0"), c0, wsum))
	if err != nil {
		return nil, fmt.Errorf("transformer: %w", err)
	}
	wlosses := []tf.Output{op.Mul(s.SubScope("wloss_0"), l0, c0)}
	whits := []tf.Output{op.Mul(s.SubScope("whit_0"), a0, c0)}
	gradSets := [][]tf.Output{grads0}
	for i := 1; i < k; i++ {
		rs := s.SubScope(fmt.Sprintf("seed_%d", i))
		seedI := op.Add(rs, g.Seed, op.Const(rs.SubScope("offset"), []int64{0, int64(i) << 32}))
		ci := shareW(i)
		out, err := importReplica(graph, cfg, tc, seed, vs, fmt.Sprintf("replica_%d", i), devices[i], map[string]tf.Output{
			"input": inputs[i], "target": targets[i], "weight": weights[i], "rate": g.Rate, "seed": seedI,
			"dy": op.Div(s.SubScope(fmt.Sprintf("dy_%d", i)), ci, wsum),
		})
		if err != nil {
			return nil, err
		}
		wlosses = append(wlosses, op.Mul(s.SubScope(fmt.Sprintf("wloss_%d", i)), out[0], ci))
		whits = append(whits, op.Mul(s.SubScope(fmt.Sprintf("whit_%d", i)), out[1], ci))
		gradSets = append(gradSets, out[2:])
	}

	g.Loss = op.Div(ls.SubScope("loss"), replicate.Sum(ls.SubScope("wloss"), wlosses), wsum)
	g.Accuracy = op.Div(ls.SubScope("accuracy"), replicate.Sum(ls.SubScope("whit"), whits), wsum)
	// Replicas run without dropout in validation too: the same pass.
	g.ValLoss, g.ValAccuracy = g.Loss, g.Accuracy
	grads, err := replicate.SumGradients(s.SubScope("replica_sum"), gradSets)
	if err != nil {
		return nil, fmt.Errorf("transformer: %w", err)
	}
	if tc.ClipNorm > 0 {
		grads, g.GradNorm = tfmodel.ClipByGlobalNorm(s.SubScope("optimizer_clip"), grads, tc.ClipNorm)
	} else {
		g.GradNorm = tfmodel.GlobalNorm(s.SubScope("optimizer_norm"), grads)
	}
	adam, err := tfmodel.NewAdamW(tfmodel.AdamConfig{Beta1: tc.Beta1, Beta2: tc.Beta2, Eps: 1e-8, WeightDecay: tc.WeightDecay,
		DecayFilter: tfmodel.NoDecay("bias", "gamma", "beta", "embeddings")})
	if err != nil {
		return nil, err
	}
	if g.Step, err = adam.ApplyGradients(s, vs, grads, vars, g.LR); err != nil {
		return nil, err
	}
	g.Init = vs.InitOp(root.SubScope("init"))
	g.Saver = tfmodel.NewSaver(root, vs.All())
	g.ModelSaver = tfmodel.NewSaver(root.SubScope("model_saver"), vs.Trainable())
	if _, err := root.Finalize(); err != nil {
		return nil, fmt.Errorf("transformer replicated training graph: %w", err)
	}
	g.Graph = graph
	return g, nil
}

// importReplica builds replica prefix (replicaLoss, the gradients of its
// loss with initial gradient dy) in a graph of its own and imports it into
// dst on device (replicate.ImportPass), its inputs and variable reads mapped
// to the tensors of in and to the chief's variables vs. It returns the
// loss, the accuracy and the gradients of the trainable variables (in
// vs.Trainable order).
func importReplica(dst *tf.Graph, cfg Config, tc TrainConfig, seed int64, vs *tfmodel.Store, prefix, device string,
	in map[string]tf.Output) ([]tf.Output, error) {
	outs, err := replicate.ImportPass(dst, prefix, device, in, []*tfmodel.Store{vs},
		func(s *op.Scope, ph map[string]tf.Output) ([]tf.Output, []*tfmodel.Store, error) {
			rvs := tfmodel.NewStore(seed, tf.Float)
			wl, wh := replicaLoss(s, rvs, cfg, tc, ph["input"], ph["target"], ph["weight"], ph["rate"], ph["seed"])
			if s.Err() != nil {
				return nil, nil, s.Err()
			}
			grads, err := replicate.Gradients(s.SubScope("gradients"), wl, rvs.Trainable(), ph["dy"])
			if err != nil {
				return nil, nil, err
			}
			return append([]tf.Output{wl, wh}, grads...), []*tfmodel.Store{rvs}, nil
		})
	if err != nil {
		return nil, fmt.Errorf("transformer: %w", err)
	}
	return outs, nil
}
