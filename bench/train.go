package bench

import (
	"fmt"
	"math/rand/v2"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/graphs/transformer"
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
	ts, err := newTrainSession("bench train", opt.Model, opt.Train, opt.Seed, opt.Threads, opt.BFloat16)
	if err != nil {
		return res, err
	}
	defer ts.Close()
	n, b := int(opt.Model.Positions), opt.Batch
	rng := rand.New(rand.NewPCG(opt.Seed, 0x62656e6368))
	lr, err := tf.NewTensor(float32(opt.LR))
	if err != nil {
		return res, err
	}
	step := int64(0)
	run := func() error {
		target := make([]int32, b*n)
		for i := range target {
			target[i] = int32(rng.IntN(int(opt.Model.Codes)))
		}
		_, err := ts.step(target, rng, lr, step)
		step++
		return err
	}
	res.Seconds, err = timeRuns(opt.Warmup, opt.Iters, run)
	return res, err
}
