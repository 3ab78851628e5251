package vqvae

import (
	"fmt"
	"math"
	"slices"
	"strings"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/fid/inception"
	"github.com/maskgit-go/maskgit/ops"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// TrainConfig sets the tokenizer loss and optimizer.
type TrainConfig struct {
	// L1 and L2 weigh the pixel losses mean|x − x̂| and mean (x − x̂)².
	L1 float64 `json:"l1"`
	L2 float64 `json:"l2"`
	// AdamW hyper-parameters; the learning rate is fed every step.
	Beta1       float64 `json:"beta1"`
	Beta2       float64 `json:"beta2"`
	WeightDecay float64 `json:"weight_decay"`
	ClipNorm    float64 `json:"clip_norm"`
	// Disc adds a patch discriminator with a hinge loss, weighted by the
	// fed DiscWeight (0 until the step it is switched on).
	Disc         bool  `json:"disc"`
	DiscChannels int64 `json:"disc_channels"`
	// Perceptual weighs inception.BuildPerceptual's distance between the
	// reconstruction and the image (0: off), computed at PerceptualSize
	// (0: inception.DefaultPerceptualSize) with PerceptualNet's weights.
	Perceptual     float64            `json:"perceptual,omitempty"`
	PerceptualSize int64              `json:"perceptual_size,omitempty"`
	PerceptualNet  *inception.Weights `json:"-"`
	// DecoderOnly trains the decoder alone: the encoder and the codebook
	// keep their values (and get no optimizer state), so every image keeps
	// its tokens and a transformer trained on them stays valid. The
	// codebook and commitment losses, which only move those, leave the
	// loss.
	DecoderOnly bool `json:"decoder_only,omitempty"`
}

// decoderScope is the prefix of the decoder's variable names.
const decoderScope = "decoder/"

// check reports settings BuildTrain cannot build.
func (tc TrainConfig) check() error {
	if tc.Perceptual < 0 || math.IsNaN(tc.Perceptual) || math.IsInf(tc.Perceptual, 0) {
		return fmt.Errorf("perceptual weight %v must be finite and at least 0", tc.Perceptual)
	}
	if tc.Perceptual > 0 && tc.PerceptualNet == nil {
		return fmt.Errorf("a perceptual loss needs the Inception weights (PerceptualNet)")
	}
	return nil
}

// TrainGraph is the tokenizer's training graph: one AdamW step on a batch,
// plus the fetches for logging and validation (run them without Step).
type TrainGraph struct {
	Graph *tf.Graph
	Model *Model
	// Inputs: Images [B, R, R, 3] in [-1, 1]; LR; DiscWeight (ignored
	// without a discriminator).
	Images, LR, DiscWeight tf.Output
	// Step updates the tokenizer; DiscStep the discriminator (nil without).
	Step, DiscStep *tf.Operation
	// Init initialises every variable.
	Init *tf.Operation
	// Fetches.
	Loss, L1, L2, CodebookLoss, CommitLoss, GenLoss, DiscLoss tf.Output
	// Perceptual is the perceptual distance (0 without TrainConfig.Perceptual).
	Perceptual                       tf.Output
	Perplexity, Used, PSNR, GradNorm tf.Output
	Recon                            tf.Output // x̂ clipped to [-1, 1]
	Flat                             tf.Output // encodings [B·G·G, Latent]
	IDs                              tf.Output
	// ValL2, ValPSNR, ValIDs and ValRecon are L2, PSNR, IDs and Recon of a
	// pass on the whole batch on one device, for validation: BuildTrain's
	// are the same tensors, BuildReplicatedTrain's a pass on the chief,
	// which takes batches of any size.
	ValL2, ValPSNR, ValIDs, ValRecon tf.Output
	Reinit                           Reinit
	// Saver covers the model, the optimizers' state and the discriminator;
	// ModelSaver the model's variables only (to start a run from another's
	// weights).
	Saver, ModelSaver *tfmodel.Saver
	Vars              *tfmodel.Store
}

// BuildTrain builds the training graph. seed fixes the initial weights;
// device ("" or a TensorFlow device name such as "/device:GPU:0") places
// its ops.
func BuildTrain(cfg Config, tc TrainConfig, seed int64, device string) (*TrainGraph, error) {
	if err := tc.check(); err != nil {
		return nil, err
	}
	root := op.NewScope()
	// Gradients refuse device annotations: the model is placed, the
	// optimizers (built on root) follow their inputs.
	s := root.WithDevice(device)
	g, dvs, err := newTrainFeeds(s, cfg, tc, seed)
	if err != nil {
		return nil, err
	}
	p := buildPass(s, g.Model, dvs, tc, g.Images, g.DiscWeight)
	g.setPass(p)
	if s.Err() != nil {
		return nil, fmt.Errorf("tokenizer training graph: %w", s.Err())
	}
	model := g.Vars.All()
	g.ModelSaver = tfmodel.NewSaver(root.SubScope("model_saver"), model)

	adam, dadam, err := newOptimizers(tc)
	if err != nil {
		return nil, err
	}
	trained := g.Vars.Trainable()
	if tc.DecoderOnly {
		trained = slices.DeleteFunc(trained, func(v *tfmodel.Variable) bool { return !strings.HasPrefix(v.Name, decoderScope) })
	}
	step, norm, err := adam.MinimizeVars(root, g.Vars, trained, p.loss, g.LR, tc.ClipNorm)
	if err != nil {
		return nil, err
	}
	g.Step, g.GradNorm = step, norm
	if tc.Disc {
		dstep, _, err := dadam.Minimize(root, dvs, p.discLoss, g.LR, tc.ClipNorm)
		if err != nil {
			return nil, err
		}
		g.DiscStep = dstep
	}
	return g.finish(root, s, dvs)
}

// newTrainFeeds creates the model's and the discriminator's stores
// (newStores) and the graph's feeds on s.
func newTrainFeeds(s *op.Scope, cfg Config, tc TrainConfig, seed int64) (*TrainGraph, *tfmodel.Store, error) {
	m, vs, dvs, err := newStores(s, cfg, tc, seed)
	if err != nil {
		return nil, nil, err
	}
	g := &TrainGraph{Model: m, Vars: vs}
	r := cfg.Resolution
	g.Images = op.Placeholder(s.SubScope("images"), tf.Float, op.PlaceholderShape(tf.MakeShape(-1, r, r, 3)))
	g.LR = op.Placeholder(s.SubScope("lr"), tf.Float, op.PlaceholderShape(tf.ScalarShape()))
	g.DiscWeight = op.PlaceholderWithDefault(s.SubScope("disc_weight"), op.Const(s.SubScope("disc_weight_default"), float32(0)), tf.ScalarShape())
	return g, dvs, s.Err()
}

// newStores creates the model's store (seeded by seed) with the codebook in
// it, and the discriminator's store (seed+1; nil without a discriminator).
func newStores(s *op.Scope, cfg Config, tc TrainConfig, seed int64) (*Model, *tfmodel.Store, *tfmodel.Store, error) {
	vs := tfmodel.NewStore(seed, tf.Float)
	m, err := New(s, vs, cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	var dvs *tfmodel.Store
	if tc.Disc {
		dvs = tfmodel.NewStore(seed+1, tf.Float)
	}
	return m, vs, dvs, nil
}

// newOptimizers returns the tokenizer's AdamW and the discriminator's Adam.
func newOptimizers(tc TrainConfig) (adam, dadam *tfmodel.Adam, err error) {
	adam, err = tfmodel.NewAdamW(tfmodel.AdamConfig{Beta1: tc.Beta1, Beta2: tc.Beta2, Eps: 1e-8, WeightDecay: tc.WeightDecay,
		DecayFilter: tfmodel.NoDecay("bias", "gamma", "beta", "codebook")})
	if err != nil {
		return nil, nil, err
	}
	dadam, err = tfmodel.NewAdam(tfmodel.AdamConfig{Beta1: 0.5, Beta2: 0.9, Eps: 1e-8, Name: "disc_optimizer"})
	return adam, dadam, err
}

// pass is the tokenizer's training pass on a batch of images: the losses
// (means over the batch's pixels, encodings or discriminator patches, or
// over its images for PSNR), the reconstruction and the quantizer's
// outputs. BuildTrain builds one on the whole batch, each replica of
// BuildReplicatedTrain one on its share.
type pass struct {
	loss, l1, l2, genLoss, discLoss tf.Output
	perceptual                      tf.Output
	psnr, recon                     tf.Output
	q                               Quantized
}

// buildPass chains Encoder → Quantize → Decoder on images and builds the
// losses on s, the discriminator's in dvs (nil: no discriminator).
func buildPass(s *op.Scope, m *Model, dvs *tfmodel.Store, tc TrainConfig, images, discWeight tf.Output) pass {
	var p pass
	z := m.Encoder(s, images)
	p.q = m.Quantizer.Quantize(s, z)
	xr := m.Decoder(s, p.q.ST)

	ls := s.SubScope("loss")
	axes := op.Const(ls.SubScope("axes"), []int32{0, 1, 2, 3})
	diff := op.Sub(ls.SubScope("diff"), xr, images)
	p.l1 = op.Mean(ls.SubScope("l1"), op.Abs(ls.SubScope("abs"), diff), axes)
	p.l2 = op.Mean(ls.SubScope("l2"), op.Square(ls.SubScope("sq"), diff), axes)
	terms := []tf.Output{
		op.Mul(ls.SubScope("wl1"), p.l1, op.Const(ls.SubScope("l1w"), float32(tc.L1))),
		op.Mul(ls.SubScope("wl2"), p.l2, op.Const(ls.SubScope("l2w"), float32(tc.L2))),
	}
	if !tc.DecoderOnly {
		terms = append(terms, p.q.CodebookLoss, p.q.CommitLoss)
	}
	p.perceptual = op.Const(ls.SubScope("no_perceptual"), float32(0))
	if tc.Perceptual > 0 {
		p.perceptual = inception.BuildPerceptual(s.SubScope("perceptual"), xr, images, tc.PerceptualNet, tc.PerceptualSize)
		terms = append(terms, op.Mul(ls.SubScope("wperceptual"), p.perceptual, op.Const(ls.SubScope("perceptual_w"), float32(tc.Perceptual))))
	}
	p.loss = op.AddN(ls.SubScope("total"), terms)
	p.genLoss = op.Const(ls.SubScope("no_gen_loss"), float32(0))
	p.discLoss = op.Const(ls.SubScope("no_disc_loss"), float32(0))
	if dvs != nil {
		ds := s.SubScope("disc")
		// One discriminator over real and fake images: concatenated on the
		// batch axis, so its variables are created once.
		both := op.ConcatV2(ds.SubScope("both"), []tf.Output{images, xr}, op.Const(ds.SubScope("axis"), int32(0)))
		logits := Discriminator(s, dvs, both, tc.DiscChannels)
		n := op.Shape(ds.SubScope("n"), images, op.ShapeOutType(tf.Int32))
		nb := op.Slice(ds.SubScope("nb"), n, op.Const(ds.SubScope("b0"), []int32{0}), op.Const(ds.SubScope("b1"), []int32{1}))
		parts := op.SplitV(ds.SubScope("split"), logits, op.ConcatV2(ds.SubScope("sizes"), []tf.Output{nb, nb}, op.Const(ds.SubScope("axis0"), int32(0))), op.Const(ds.SubScope("splitaxis"), int32(0)), 2)
		real, fake := parts[0], parts[1]
		one := op.Const(ds.SubScope("one"), float32(1))
		dax := op.Const(ds.SubScope("dax"), []int32{0, 1, 2, 3})
		// Hinge: D minimises relu(1 − D(x)) + relu(1 + D(x̂)); the tokenizer
		// minimises −D(x̂). Each optimizer only updates its own store.
		p.discLoss = op.Add(ds.SubScope("dloss"),
			op.Mean(ds.SubScope("dreal"), op.Relu(ds.SubScope("rreal"), op.Sub(ds.SubScope("sreal"), one, real)), dax),
			op.Mean(ds.SubScope("dfake"), op.Relu(ds.SubScope("rfake"), op.Add(ds.SubScope("afake"), one, op.StopGradient(ds.SubScope("sgfake"), fake))), dax))
		p.genLoss = op.Neg(ds.SubScope("gloss"), op.Mean(ds.SubScope("gmean"), fake, dax))
		p.loss = op.Add(ls.SubScope("with_gen"), p.loss, op.Mul(ls.SubScope("wgen"), p.genLoss, discWeight))
	}

	ms := s.SubScope("metrics")
	p.recon = op.ClipByValue(ms.SubScope("recon"), xr, op.Const(ms.SubScope("lo"), float32(-1)), op.Const(ms.SubScope("hi"), float32(1)))
	// PSNR on the [0, 1] scale, per image, then averaged: images in [-1, 1]
	// have 4x the squared error.
	mse := op.Mean(ms.SubScope("mse"), op.Square(ms.SubScope("sq"), op.Sub(ms.SubScope("d"), p.recon, images)), op.Const(ms.SubScope("ax"), []int32{1, 2, 3}))
	mse01 := op.Maximum(ms.SubScope("floor"), op.Div(ms.SubScope("q"), mse, op.Const(ms.SubScope("four"), float32(4))), op.Const(ms.SubScope("eps"), float32(1e-10)))
	psnr := op.Mul(ms.SubScope("db"), op.Log(ms.SubScope("log"), mse01), op.Const(ms.SubScope("k"), float32(-10/2.302585092994046)))
	p.psnr = op.Mean(ms.SubScope("psnr"), psnr, op.Const(ms.SubScope("ax0"), []int32{0}))
	return p
}

// setPass sets the graph's fetches to those of the pass on the whole batch.
func (g *TrainGraph) setPass(p pass) {
	g.Loss, g.L1, g.L2, g.GenLoss, g.DiscLoss, g.Perceptual = p.loss, p.l1, p.l2, p.genLoss, p.discLoss, p.perceptual
	g.CodebookLoss, g.CommitLoss = p.q.CodebookLoss, p.q.CommitLoss
	g.PSNR, g.Recon = p.psnr, p.recon
	g.Perplexity, g.Used, g.Flat, g.IDs = p.q.Perplexity, p.q.Used, p.q.Flat, p.q.IDs
	g.ValL2, g.ValPSNR, g.ValIDs, g.ValRecon = g.L2, g.PSNR, g.IDs, g.Recon
}

// finish adds the dead-code re-initialisation op (on s), the init op and
// the saver of the model, the optimizers' state and the discriminator
// (dvs, may be nil), and finalizes the graph.
func (g *TrainGraph) finish(root, s *op.Scope, dvs *tfmodel.Store) (*TrainGraph, error) {
	g.Reinit = g.Model.Quantizer.ReinitOp(s)
	all := g.Vars.All()
	initOps := []*tf.Operation{g.Vars.InitOp(root.SubScope("init_model"))}
	if dvs != nil {
		all = append(all, dvs.All()...)
		initOps = append(initOps, dvs.InitOp(root.SubScope("init_disc")))
	}
	g.Init = op.NoOp(root.SubScope("init").WithControlDependencies(initOps...))
	g.Saver = tfmodel.NewSaver(root, all)
	graph, err := root.Finalize()
	if err != nil {
		return nil, fmt.Errorf("tokenizer training graph: %w", err)
	}
	g.Graph = graph
	return g, nil
}

// Discriminator is a PatchGAN-style critic under "discriminator/": three
// 4x4 convolutions with LeakyReLU(0.2), the middle one stride 2 with
// GroupNorm, and a 1-channel 3x3 output of per-patch logits.
func Discriminator(s *op.Scope, vs *tfmodel.Store, x tf.Output, ch int64) tf.Output {
	s = s.SubScope("discriminator")
	lrelu := func(name string, h tf.Output) tf.Output {
		return op.LeakyRelu(s.SubScope(name), h, op.LeakyReluAlpha(0.2))
	}
	h := lrelu("act0", ops.Conv2D(s, vs, "conv0", x, ch, 4, 2, "SAME"))
	h = ops.Conv2D(s, vs, "conv1", h, 2*ch, 4, 2, "SAME", ops.NoBias())
	h = lrelu("act1", ops.GroupNorm(s, vs, "norm1", h, 8, 1e-5))
	h = ops.Conv2D(s, vs, "conv2", h, 4*ch, 4, 1, "SAME", ops.NoBias())
	h = lrelu("act2", ops.GroupNorm(s, vs, "norm2", h, 8, 1e-5))
	return ops.Conv2D(s, vs, "out", h, 1, 3, 1, "SAME")
}
