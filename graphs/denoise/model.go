package denoise

import (
	"fmt"
	"math"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/ops"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// Config sets the denoiser, its noise and its optimizer.
type Config struct {
	// Crop is the side of the square crops the model sees.
	Crop int `json:"crop"`
	// Channels is the width of every hidden layer; Groups divides it.
	Channels int64 `json:"channels"`
	Groups   int64 `json:"groups"`
	// Blocks is the number of ResBlocks between conv_in and conv_out.
	Blocks int `json:"blocks"`
	// NoiseStd is the standard deviation of the Gaussian noise added to the
	// crops, on the [-1, 1] pixel scale.
	NoiseStd float64 `json:"noise_std"`
	// AdamW hyper-parameters; the learning rate is fed every step.
	Beta1       float64 `json:"beta1"`
	Beta2       float64 `json:"beta2"`
	WeightDecay float64 `json:"weight_decay"`
	// ClipNorm clips the global gradient norm; ≤ 0 turns clipping off.
	ClipNorm float64 `json:"clip_norm"`
}

// DefaultConfig is the small model of the training proof: 16x16 crops,
// 16 channels, two ResBlocks, noise σ = 0.2 (PSNR 20 dB on [0, 1]).
func DefaultConfig() Config {
	return Config{Crop: 16, Channels: 16, Groups: 4, Blocks: 2, NoiseStd: 0.2,
		Beta1: 0.9, Beta2: 0.999, WeightDecay: 1e-4, ClipNorm: 1}
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case c.Crop <= 0:
		return fmt.Errorf("denoise config: crop %d must be positive", c.Crop)
	case c.Channels <= 0:
		return fmt.Errorf("denoise config: channels %d must be positive", c.Channels)
	case c.Groups <= 0 || c.Channels%c.Groups != 0:
		return fmt.Errorf("denoise config: %d channels are not divisible into %d groups", c.Channels, c.Groups)
	case c.Blocks < 0:
		return fmt.Errorf("denoise config: blocks %d must be non-negative", c.Blocks)
	case !(c.NoiseStd >= 0) || !finite(c.NoiseStd):
		return fmt.Errorf("denoise config: noise std %v must be finite and non-negative", c.NoiseStd)
	case !finite(c.ClipNorm):
		return fmt.Errorf("denoise config: clip norm %v must be finite", c.ClipNorm)
	}
	return nil
}

// Graph is the denoiser's training graph. Feed Noisy and Clean (crops
// [B, Crop, Crop, 3] in the [-1, 1] scale) and LR; run Step to train, or
// fetch Loss and Baseline without Step to evaluate.
type Graph struct {
	Config Config
	Graph  *tf.Graph
	Vars   *tfmodel.Store
	// Inputs.
	Noisy, Clean, LR tf.Output
	// Denoised is Noisy minus the predicted noise.
	Denoised tf.Output
	// Loss is mean((Denoised − Clean)²); Baseline is mean((Noisy − Clean)²),
	// the loss of the identity.
	Loss, Baseline tf.Output
	// Step applies one AdamW update; GradNorm is the global gradient norm
	// before clipping; OptStep reads the optimizer's step counter.
	Step     *tf.Operation
	GradNorm tf.Output
	OptStep  tf.Output
	// Init initialises every variable.
	Init *tf.Operation
	// Saver covers the model and the optimizer state.
	Saver *tfmodel.Saver
}

// Build builds the training graph of cfg; seed fixes the initial weights.
//
// The model predicts the noise: conv_in (3x3, 3 → Channels), Blocks
// ResBlocks, GroupNorm, SiLU and conv_out (3x3, Channels → 3), all under
// "denoiser/". conv_out's kernel starts at zero, so the untrained model is
// the identity and its loss equals Baseline.
func Build(cfg Config, seed int64) (*Graph, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := op.NewScope()
	vs := tfmodel.NewStore(seed, tf.Float)
	g := &Graph{Config: cfg, Vars: vs}
	c := int64(cfg.Crop)
	shape := op.PlaceholderShape(tf.MakeShape(-1, c, c, 3))
	g.Noisy = op.Placeholder(s.SubScope("noisy"), tf.Float, shape)
	g.Clean = op.Placeholder(s.SubScope("clean"), tf.Float, shape)
	g.LR = op.Placeholder(s.SubScope("lr"), tf.Float, op.PlaceholderShape(tf.ScalarShape()))

	ms := s.SubScope("denoiser")
	h := ops.Conv2D(ms, vs, "conv_in", g.Noisy, cfg.Channels, 3, 1, ops.Same)
	for i := 0; i < cfg.Blocks; i++ {
		h = ops.ResBlock(ms, vs, fmt.Sprintf("res%d", i), h, cfg.Channels, cfg.Groups, 1e-6)
	}
	h = ops.GroupNorm(ms, vs, "norm_out", h, cfg.Groups, 1e-6)
	h = ops.SiLU(ms, h)
	noise := ops.Conv2D(ms, vs, "conv_out", h, 3, 3, 1, ops.Same, ops.Init("kernel", tfmodel.Zeros()))
	g.Denoised = op.Sub(ms.SubScope("denoised"), g.Noisy, noise)

	ls := s.SubScope("loss")
	axes := op.Const(ls.SubScope("axes"), []int32{0, 1, 2, 3})
	mse := func(name string, a, b tf.Output) tf.Output {
		sub := ls.SubScope(name)
		return op.Mean(sub, op.Square(sub, op.Sub(sub, a, b)), axes)
	}
	g.Loss = mse("mse", g.Denoised, g.Clean)
	g.Baseline = mse("baseline", g.Noisy, g.Clean)

	adam, err := tfmodel.NewAdamW(tfmodel.AdamConfig{Beta1: cfg.Beta1, Beta2: cfg.Beta2, Eps: 1e-8,
		WeightDecay: cfg.WeightDecay, DecayFilter: tfmodel.NoDecay("bias", "gamma", "beta")})
	if err != nil {
		return nil, fmt.Errorf("denoise: %w", err)
	}
	if g.Step, g.GradNorm, err = adam.Minimize(s, vs, g.Loss, g.LR, cfg.ClipNorm); err != nil {
		return nil, fmt.Errorf("denoise graph: %w", err)
	}
	g.OptStep = adam.Step().Value
	g.Init = vs.InitOp(s.SubScope("init"))
	g.Saver = tfmodel.NewSaver(s, vs.All())
	if g.Graph, err = s.Finalize(); err != nil {
		return nil, fmt.Errorf("denoise graph: %w", err)
	}
	return g, nil
}
