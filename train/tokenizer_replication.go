package train

import (
	"github.com/maskgit-go/maskgit/graphs/vqvae"
)

// buildTokenizerTrain builds the tokenizer's training graph: on opt.Device,
// or with opt.Replicas one replica per device (vqvae.BuildReplicatedTrain).
//
// The training loop is the same either way: the chief feeds the global
// batch, and the replicated graph's fetches are those of the whole batch.
// In particular the code usage counts come from the global batch's IDs and
// dead codes are re-initialised on the chief from the global batch's
// encodings (Flat, the replicas' rows in batch order) with the run's seeded
// random stream, so a replicated run picks the same rows as a one-device
// run; the discriminator, when there is one, is replicated like the
// tokenizer (its gradients are added on the chief, its update made there).
func buildTokenizerTrain(cfg TokenizerConfig, opt RunOptions) (*vqvae.TrainGraph, error) {
	if opt.Replicas != nil {
		return vqvae.BuildReplicatedTrain(cfg.Model, cfg.Train, int64(cfg.Seed), opt.Replicas.Devices)
	}
	return vqvae.BuildTrain(cfg.Model, cfg.Train, int64(cfg.Seed), opt.Device)
}
