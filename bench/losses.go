package bench

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/graphs/transformer"
)

// LossOptions configure Losses.
type LossOptions struct {
	Model transformer.Config
	Train transformer.TrainConfig
	Batch int
	Steps int
	// Window is the number of steps per row of the comparison (10 if 0).
	Window  int
	Threads int
	// LR is the learning rate, reached linearly over the first LRWarmup
	// steps (from LR/LRWarmup at step 1) and constant after.
	LR       float64
	LRWarmup int
	Seed     uint64
	// Tokens, if set, are the training images (a token cache from maskgit
	// encode); nil trains on uniformly random tokens.
	Tokens *dataset.TokenCache
}

// LossWindow compares the two loss curves over steps [Start, End) (0-based).
type LossWindow struct {
	Start      int     `json:"start"`
	End        int     `json:"end"`
	MeanFP32   float64 `json:"mean_fp32"`
	MeanBF16   float64 `json:"mean_bf16"`
	MaxAbsDiff float64 `json:"max_abs_diff"`
}

// LossCurves are the training losses of the same run in float32 and in
// oneDNN bfloat16 mixed precision, step by step, and their comparison.
type LossCurves struct {
	Name       string       `json:"name"`
	FP32       []float64    `json:"fp32"`
	BF16       []float64    `json:"bf16"`
	Windows    []LossWindow `json:"windows"`
	MaxAbsDiff float64      `json:"max_abs_diff"`
}

// Losses trains the transformer for opt.Steps steps twice from the same
// seeded initial weights, on the same batches, masks and dropout draws:
// once in float32 and once with tfmodel.SessionOptions.BFloat16, and
// returns both loss curves with the largest |Δ| per window of steps.
func Losses(opt LossOptions) (LossCurves, error) {
	res := LossCurves{Name: "losses"}
	if opt.Batch < 1 || opt.Steps < 1 || opt.Window < 0 || opt.LRWarmup < 0 {
		return res, fmt.Errorf("bench losses: batch %d, steps %d, window %d, lr warm-up %d", opt.Batch, opt.Steps, opt.Window, opt.LRWarmup)
	}
	if t := opt.Tokens; t != nil && (t.H*t.W != int(opt.Model.Positions) || int64(t.Codebook) != opt.Model.Codes || t.N < 1) {
		return res, fmt.Errorf("bench losses: the token cache holds %d grids of %dx%d of %d codes; the model wants %d positions of %d codes",
			t.N, t.H, t.W, t.Codebook, opt.Model.Positions, opt.Model.Codes)
	}
	var err error
	if res.FP32, err = lossCurve(opt, false); err != nil {
		return res, err
	}
	if res.BF16, err = lossCurve(opt, true); err != nil {
		return res, err
	}
	w := opt.Window
	if w == 0 {
		w = 10
	}
	for start := 0; start < opt.Steps; start += w {
		win := LossWindow{Start: start, End: min(start+w, opt.Steps)}
		for i := win.Start; i < win.End; i++ {
			d := math.Abs(res.BF16[i] - res.FP32[i])
			if !(d <= win.MaxAbsDiff) { // NaN stays
				win.MaxAbsDiff = d
			}
			win.MeanFP32 += res.FP32[i] / float64(win.End-win.Start)
			win.MeanBF16 += res.BF16[i] / float64(win.End-win.Start)
		}
		if !(win.MaxAbsDiff <= res.MaxAbsDiff) {
			res.MaxAbsDiff = win.MaxAbsDiff
		}
		res.Windows = append(res.Windows, win)
	}
	return res, nil
}

// lossCurve trains one run of Losses and returns the loss of every step.
func lossCurve(opt LossOptions, bf16 bool) ([]float64, error) {
	ts, err := newTrainSession("bench losses", opt.Model, opt.Train, opt.Seed, opt.Threads, bf16)
	if err != nil {
		return nil, err
	}
	defer ts.Close()
	n, b := int(opt.Model.Positions), opt.Batch
	// The same stream in both runs: the same batches and masks.
	rng := rand.New(rand.NewPCG(opt.Seed, 0x6c6f73736573))
	losses := make([]float64, opt.Steps)
	target := make([]int32, b*n)
	for step := range losses {
		for i := 0; i < b; i++ {
			row := target[i*n : (i+1)*n]
			if opt.Tokens == nil {
				for j := range row {
					row[j] = int32(rng.IntN(int(opt.Model.Codes)))
				}
				continue
			}
			for j, v := range opt.Tokens.Image(rng.IntN(opt.Tokens.N)) {
				row[j] = int32(v)
			}
		}
		f := 1.0
		if step < opt.LRWarmup {
			f = float64(step+1) / float64(opt.LRWarmup)
		}
		lr, err := tf.NewTensor(float32(opt.LR * f))
		if err != nil {
			return nil, err
		}
		out, err := ts.step(target, rng, lr, int64(step))
		if err != nil {
			return nil, err
		}
		l, ok := out.Value().(float32)
		if !ok {
			return nil, fmt.Errorf("bench losses: the loss is %T, want float32", out.Value())
		}
		losses[step] = float64(l)
	}
	return losses, nil
}

// WriteTable writes the per-window comparison and both curves as text.
func (c LossCurves) WriteTable(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "%-11s %10s %10s %12s\n", "steps", "mean fp32", "mean bf16", "max |Δ|"); err != nil {
		return err
	}
	for _, win := range c.Windows {
		if _, err := fmt.Fprintf(w, "%5d-%-5d %10.4f %10.4f %12.4g\n", win.Start+1, win.End, win.MeanFP32, win.MeanBF16, win.MaxAbsDiff); err != nil {
			return err
		}
	}
	if _, err := fmt.Fprintf(w, "max |Δ| over %d steps: %.4g\nstep      fp32      bf16\n", len(c.FP32), c.MaxAbsDiff); err != nil {
		return err
	}
	for i := range c.FP32 {
		if _, err := fmt.Fprintf(w, "%4d %9.4f %9.4f\n", i+1, c.FP32[i], c.BF16[i]); err != nil {
			return err
		}
	}
	return nil
}
