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

// TrainOptions configure Train.
type TrainOptions struct {
	Model transformer.Config
	// Train is the loss and optimizer config (a preset's).
	Train         transformer.TrainConfig
	Batch         int
	Warmup, Iters int
	Threads       int
	LR            float64
	Seed          uint64
	// BFloat16 runs the step with oneDNN's bfloat16 auto mixed precision
	// (tfmodel.SessionOptions.BFloat16); the result is named "train-bf16".
	BFloat16 bool
}

// Train times MVTM training steps: each step masks a batch of random token
// grids with the cosine schedule (train.MaskTokens, as training does) and
// runs the training graph's update with dropout on. Units are samples.
func Train(opt TrainOptions) (Result, error) {
	res := Result{Name: "train", Side: "go", Units: float64(opt.Batch)}
	if opt.BFloat16 {
		res.Name = "train-bf16"
	}
	if opt.Batch < 1 || opt.Iters < 1 || opt.Warmup < 0 {
		return res, fmt.Errorf("bench train: batch %d, iters %d, warmup %d", opt.Batch, opt.Iters, opt.Warmup)
	}
	g, err := transformer.BuildTrain(opt.Model, opt.Train, int64(opt.Seed), "")
	if err != nil {
		return res, err
	}
	sess, err := tfmodel.NewSession(g.Graph, tfmodel.SessionOptions{Threads: opt.Threads, BFloat16: opt.BFloat16})
	if err != nil {
		return res, err
	}
	defer sess.Close()
	if _, err := sess.Run(nil, nil, []*tf.Operation{g.Init}); err != nil {
		return res, fmt.Errorf("bench train: init: %w", err)
	}
	n, b := int(opt.Model.Positions), opt.Batch
	rng := rand.New(rand.NewPCG(opt.Seed, 0x62656e6368))
	lr, err := tf.NewTensor(float32(opt.LR))
	if err != nil {
		return res, err
	}
	rate, err := tf.NewTensor(float32(opt.Model.Dropout))
	if err != nil {
		return res, err
	}
	step := int64(0)
	run := func() error {
		target := make([]int32, b*n)
		for i := range target {
			target[i] = int32(rng.IntN(int(opt.Model.Codes)))
		}
		input, weight := train.MaskTokens(target, b, n, opt.Model.MaskID(), inpaint.Cosine, rng)
		ti, err := tfmodel.NewTensorShaped(input, int64(b), int64(n))
		if err != nil {
			return err
		}
		tt, err := tfmodel.NewTensorShaped(target, int64(b), int64(n))
		if err != nil {
			return err
		}
		tw, err := tfmodel.NewTensorShaped(weight, int64(b), int64(n))
		if err != nil {
			return err
		}
		seed, err := tf.NewTensor([]int64{int64(opt.Seed), step})
		if err != nil {
			return err
		}
		step++
		feeds := map[tf.Output]*tf.Tensor{g.Input: ti, g.Target: tt, g.Weight: tw, g.LR: lr, g.Rate: rate, g.Seed: seed}
		if _, err := sess.Run(feeds, []tf.Output{g.Loss}, []*tf.Operation{g.Step}); err != nil {
			return fmt.Errorf("bench train: step %d: %w", step, err)
		}
		return nil
	}
	res.Seconds, err = timeRuns(opt.Warmup, opt.Iters, run)
	return res, err
}
