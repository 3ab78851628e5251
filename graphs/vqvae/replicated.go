package vqvae

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
	"github.com/maskgit-go/maskgit/tfmodel/replicate"
)

// BuildReplicatedTrain builds the tokenizer's training graph for
// synchronous data-parallel training with in-graph replication: one replica
// of the training pass (BuildTrain's own: encoder, quantizer with its
// straight-through estimator, codebook and commitment losses, decoder, pixel
// losses and, with tc.Disc, the discriminator) per device, each on its share
// of the batch fed to Images (len(devices) consecutive shares, split
// in-graph). devices[0] (the chief) holds the feeds, every variable (model,
// discriminator, both optimizers' state) and the updates, and runs replica 0.
//
// Every loss of the pass is a mean over its share's pixels, encodings or
// patches, so replica i's backward passes start from dy_i = n_i/B (its share
// of the batch): the gradients added on the chief, then clipped and applied
// (the tokenizer's AdamW by Step, the discriminator's Adam by DiscStep), are
// those of BuildTrain on the whole batch, up to the order of float sums.
// The scalar fetches are the same weighted sums; IDs, Flat and Recon are the
// replicas' rows concatenated in batch order, and Perplexity and Used are
// computed on the chief from the concatenated IDs, so dead-code
// re-initialisation (Reinit, on the chief's codebook) sees exactly what it
// sees with BuildTrain. CodebookLoss and CommitLoss are the weighted sums of
// the replicas' (β included). The Val fetches come from one more pass, on
// the chief and the whole batch, without gradients. Variable names are
// BuildTrain's: checkpoints are interchangeable.
func BuildReplicatedTrain(cfg Config, tc TrainConfig, seed int64, devices []string) (*TrainGraph, error) {
	k := len(devices)
	if k == 0 {
		return nil, fmt.Errorf("tokenizer: no replica devices")
	}
	if tc.Perceptual > 0 || tc.DecoderOnly {
		return nil, fmt.Errorf("tokenizer: a perceptual loss or a decoder-only fine-tune trains on one device, not replicated")
	}
	graph := tf.NewGraph()
	root := op.NewScopeWithGraph(graph)
	s := root.WithDevice(devices[0])
	g, dvs, err := newTrainFeeds(s, cfg, tc, seed)
	if err != nil {
		return nil, err
	}
	stores := []*tfmodel.Store{g.Vars}
	if dvs != nil {
		stores = append(stores, dvs)
	}
	ss := s.SubScope("split")
	shares := replicate.NewShares(ss, g.Images, k)
	images := shares.Split(ss.SubScope("images"), g.Images)
	dys := shares.Fractions(ss.SubScope("fraction"), tf.Float)
	if s.Err() != nil {
		return nil, fmt.Errorf("tokenizer replicated training graph: %w", s.Err())
	}

	// Replica 0 is built in place: it creates the variables.
	outs := make([][]tf.Output, k)
	p0 := buildPass(s, g.Model, dvs, tc, images[0], g.DiscWeight)
	if s.Err() != nil {
		return nil, fmt.Errorf("tokenizer replicated training graph: %w", s.Err())
	}
	if outs[0], err = passGradients(root, "replica_0_", p0, stores, dys[0]); err != nil {
		return nil, err
	}
	for i := 1; i < k; i++ {
		prefix := fmt.Sprintf("replica_%d", i)
		outs[i], err = replicate.ImportPass(graph, prefix, devices[i], map[string]tf.Output{
			"images": images[i], "disc_weight": g.DiscWeight, "dy": dys[i],
		}, stores, func(rs *op.Scope, in map[string]tf.Output) ([]tf.Output, []*tfmodel.Store, error) {
			m, rvs, rdvs, err := newStores(rs, cfg, tc, seed)
			if err != nil {
				return nil, nil, err
			}
			p := buildPass(rs, m, rdvs, tc, in["images"], in["disc_weight"])
			if rs.Err() != nil {
				return nil, nil, rs.Err()
			}
			rstores := []*tfmodel.Store{rvs}
			if rdvs != nil {
				rstores = append(rstores, rdvs)
			}
			o, err := passGradients(rs, "", p, rstores, in["dy"])
			return o, rstores, err
		})
		if err != nil {
			return nil, fmt.Errorf("tokenizer: %w", err)
		}
	}

	// Per replica: passScalars scalars, 3 row tensors, then the gradients.
	col := func(j int) []tf.Output {
		c := make([]tf.Output, k)
		for i := range c {
			c[i] = outs[i][j]
		}
		return c
	}
	cs := s.SubScope("combine")
	scalars := make([]tf.Output, passScalars)
	for j := range scalars {
		scalars[j] = replicate.WeightedSum(cs.SubScope(fmt.Sprintf("s%d", j)), col(j), dys)
	}
	g.Loss, g.L1, g.L2, g.CodebookLoss, g.CommitLoss, g.GenLoss, g.DiscLoss, g.PSNR =
		scalars[0], scalars[1], scalars[2], scalars[3], scalars[4], scalars[5], scalars[6], scalars[7]
	g.IDs = replicate.Concat(cs.SubScope("ids"), col(passScalars))
	g.Flat = replicate.Concat(cs.SubScope("flat"), col(passScalars+1))
	g.Recon = replicate.Concat(cs.SubScope("recon"), col(passScalars+2))
	g.Perplexity, g.Used = codeStats(cs.SubScope("codes"), g.IDs, cfg.Codes)

	// Validation runs on the chief alone: a validation batch may have
	// fewer images than there are replicas, and TensorFlow's convolutions
	// fail on the empty share that would leave.
	val, err := replicate.ImportPass(graph, "validation", devices[0], map[string]tf.Output{"images": g.Images}, stores[:1],
		func(vs *op.Scope, in map[string]tf.Output) ([]tf.Output, []*tfmodel.Store, error) {
			m, rvs, _, err := newStores(vs, cfg, tc, seed)
			if err != nil {
				return nil, nil, err
			}
			p := buildPass(vs, m, nil, tc, in["images"], tf.Output{})
			return []tf.Output{p.l2, p.psnr, p.q.IDs, p.recon}, []*tfmodel.Store{rvs}, vs.Err()
		})
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	g.ValL2, g.ValPSNR, g.ValIDs, g.ValRecon = val[0], val[1], val[2], val[3]

	nv := len(g.Vars.Trainable())
	modelSets, discSets := make([][]tf.Output, k), make([][]tf.Output, k)
	for i := range outs {
		grads := outs[i][passScalars+3:]
		modelSets[i], discSets[i] = grads[:nv], grads[nv:]
	}
	adam, dadam, err := newOptimizers(tc)
	if err != nil {
		return nil, err
	}
	if g.Step, g.GradNorm, err = applySummed(s, "optimizer", adam, g.Vars, modelSets, g.LR, tc.ClipNorm); err != nil {
		return nil, err
	}
	if dvs != nil {
		if g.DiscStep, _, err = applySummed(s, "disc_optimizer", dadam, dvs, discSets, g.LR, tc.ClipNorm); err != nil {
			return nil, err
		}
	}
	return g.finish(root, s, dvs)
}

// passScalars is the number of scalar outputs of passGradients.
const passScalars = 8

// passGradients returns what one replica sends to the chief: the pass's
// scalars (loss, l1, l2, codebook loss, commitment loss, generator loss,
// discriminator loss, PSNR), its IDs, encodings (Flat) and reconstruction,
// then the gradients of the loss with respect to the model's trainable
// variables (stores[0]) and of the discriminator loss with respect to the
// discriminator's (stores[1], when there is one), each backward pass
// starting from dy. Gradients are built on scopes named prefix+"gradients"
// and prefix+"disc_gradients" under s.
func passGradients(s *op.Scope, prefix string, p pass, stores []*tfmodel.Store, dy tf.Output) ([]tf.Output, error) {
	out := []tf.Output{p.loss, p.l1, p.l2, p.q.CodebookLoss, p.q.CommitLoss, p.genLoss, p.discLoss, p.psnr,
		p.q.IDs, p.q.Flat, p.recon}
	grads, err := replicate.Gradients(s.SubScope(prefix+"gradients"), p.loss, stores[0].Trainable(), dy)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	out = append(out, grads...)
	if len(stores) > 1 {
		dgrads, err := replicate.Gradients(s.SubScope(prefix+"disc_gradients"), p.discLoss, stores[1].Trainable(), dy)
		if err != nil {
			return nil, fmt.Errorf("tokenizer discriminator: %w", err)
		}
		out = append(out, dgrads...)
	}
	return out, nil
}

// applySummed adds the replicas' gradient sets of vs's trainable variables,
// clips them by their global norm (clipNorm ≤ 0: no clipping) and builds
// opt's update; it returns the update and the norm before clipping.
func applySummed(s *op.Scope, name string, opt *tfmodel.Adam, vs *tfmodel.Store, sets [][]tf.Output, lr tf.Output, clipNorm float64) (*tf.Operation, tf.Output, error) {
	grads, err := replicate.SumGradients(s.SubScope(name+"_replica_sum"), sets)
	if err != nil {
		return nil, tf.Output{}, fmt.Errorf("tokenizer: %w", err)
	}
	var norm tf.Output
	if clipNorm > 0 {
		grads, norm = tfmodel.ClipByGlobalNorm(s.SubScope(name+"_clip"), grads, clipNorm)
	} else {
		norm = tfmodel.GlobalNorm(s.SubScope(name+"_norm"), grads)
	}
	step, err := opt.ApplyGradients(s, vs, grads, vs.Trainable(), lr)
	return step, norm, err
}
