package bench

import (
	"fmt"
	"math/rand/v2"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/graphs/transformer"
	"github.com/maskgit-go/maskgit/inpaint"
	"github.com/maskgit-go/maskgit/tfmodel"
	"github.com/maskgit-go/maskgit/train"
)

// trainSession is the transformer's training graph in a session with its
// variables initialised, and the masked training step that Train times and
// Losses records.
type trainSession struct {
	what string // "bench train" or "bench losses": the start of errors
	cfg  transformer.Config
	seed uint64
	g    *transformer.TrainGraph
	sess *tfmodel.Session
	rate *tf.Tensor // the dropout rate, cfg.Dropout
}

// newTrainSession builds transformer.BuildTrain(cfg, tc, seed), opens it
// with threads threads (in oneDNN bfloat16 mixed precision if bf16) and
// initialises the variables. what starts its error messages.
func newTrainSession(what string, cfg transformer.Config, tc transformer.TrainConfig, seed uint64, threads int, bf16 bool) (*trainSession, error) {
	g, err := transformer.BuildTrain(cfg, tc, int64(seed), "")
	if err != nil {
		return nil, err
	}
	sess, err := tfmodel.NewSession(g.Graph, tfmodel.SessionOptions{Threads: threads, BFloat16: bf16})
	if err != nil {
		return nil, err
	}
	if _, err := sess.Run(nil, nil, []*tf.Operation{g.Init}); err != nil {
		sess.Close()
		return nil, fmt.Errorf("%s: init: %w", what, err)
	}
	rate, err := tf.NewTensor(float32(cfg.Dropout))
	if err != nil {
		sess.Close()
		return nil, err
	}
	return &trainSession{what: what, cfg: cfg, seed: seed, g: g, sess: sess, rate: rate}, nil
}

// Close closes the session. Calling it again does nothing.
func (s *trainSession) Close() error { return s.sess.Close() }

// step masks target, rows of cfg.Positions tokens, as training does
// (train.MaskTokens with the cosine schedule, drawing from rng), runs one
// update at learning rate lr with the dropout seed (seed, step) and returns
// the loss. step counts from 0 (errors name it from 1).
func (s *trainSession) step(target []int32, rng *rand.Rand, lr *tf.Tensor, step int64) (*tf.Tensor, error) {
	n := int(s.cfg.Positions)
	b := len(target) / n
	input, weight := train.MaskTokens(target, b, n, s.cfg.MaskID(), inpaint.Cosine, rng)
	ti, err := tfmodel.NewTensorShaped(input, int64(b), int64(n))
	if err != nil {
		return nil, err
	}
	tt, err := tfmodel.NewTensorShaped(target, int64(b), int64(n))
	if err != nil {
		return nil, err
	}
	tw, err := tfmodel.NewTensorShaped(weight, int64(b), int64(n))
	if err != nil {
		return nil, err
	}
	seed, err := tf.NewTensor([]int64{int64(s.seed), step})
	if err != nil {
		return nil, err
	}
	g := s.g
	feeds := map[tf.Output]*tf.Tensor{g.Input: ti, g.Target: tt, g.Weight: tw, g.LR: lr, g.Rate: s.rate, g.Seed: seed}
	out, err := s.sess.Run(feeds, []tf.Output{g.Loss}, []*tf.Operation{g.Step})
	if err != nil {
		return nil, fmt.Errorf("%s: step %d: %w", s.what, step+1, err)
	}
	return out[0], nil
}
