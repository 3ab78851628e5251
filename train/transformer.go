package train

import (
	"context"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/graphs/transformer"
	"github.com/maskgit-go/maskgit/inpaint"
	"github.com/maskgit-go/maskgit/pipeline"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// TransformerConfig is everything that determines a transformer (MVTM)
// training run; saved as config.json and checked on --resume.
type TransformerConfig struct {
	Model transformer.Config      `json:"model"`
	Train transformer.TrainConfig `json:"train"`
	LR    LRConfig                `json:"lr"`
	Batch int                     `json:"batch"`
	Steps int64                   `json:"steps"`
	Seed  uint64                  `json:"seed"`
	// MaskSchedule is γ for drawing training masks (an inpaint schedule name).
	MaskSchedule string `json:"mask_schedule"`
	// StrokeMasks is the share of training images masked with brush
	// strokes shaped like inpainting's masks instead of random tokens (see
	// TrainMasks); 0 for random tokens only.
	StrokeMasks float64 `json:"stroke_masks,omitempty"`
	// TokenizerDir is the tokenizer run directory the tokens come from.
	TokenizerDir string `json:"tokenizer_dir"`
	// TrainTokens and ValTokens are token caches (maskgit encode); when
	// empty, TrainDir and ValDir are encoded into the run's tokens/ folder.
	TrainTokens string `json:"train_tokens,omitempty"`
	ValTokens   string `json:"val_tokens,omitempty"`
	TrainDir    string `json:"train_dir,omitempty"`
	ValDir      string `json:"val_dir,omitempty"`
	// FlipTokens also encodes mirrored training images (when encoding here).
	FlipTokens bool `json:"flip_tokens"`
	// InitFrom is a transformer run or model directory whose weights start
	// a new run (warm start: the optimizer state, learning-rate schedule and
	// step count start afresh); empty for a seeded random start.
	InitFrom string `json:"init_from,omitempty"`
	// BFloat16 trains in oneDNN's bfloat16 auto mixed precision
	// (tfmodel.SessionOptions.BFloat16): TensorFlow's graph optimizer runs
	// the matrix products and their gradients in bfloat16 while the
	// variables, optimizer state and checkpoints stay float32. Experimental:
	// faster on CPUs with AVX512_BF16 or AMX, but losses differ from
	// float32 and the loss curve is not yet checked against it (benchgo
	// losses). Recorded in config.json, so --resume keeps it.
	BFloat16 bool `json:"bfloat16,omitempty"`
}

// TransformerResult summarises a run.
type TransformerResult struct {
	Step        int64
	ValLoss     float64
	ValAccuracy float64
	BestStep    int64
	BestLoss    float64
}

// TrainTransformer trains (or resumes) the transformer on token caches.
func TrainTransformer(ctx context.Context, cfg TransformerConfig, opt RunOptions) (res TransformerResult, err error) {
	t := &transformerRun{cfg: cfg, opt: opt, run: RunDir(opt.Out), res: TransformerResult{BestStep: -1}}
	if err := t.checkConfig(); err != nil {
		return t.res, err
	}
	// The tokenizer (loaded by readInputs) encodes the image folders and
	// then decodes the sample inpaintings of every validation.
	defer func() {
		if cerr := t.closeTokenizer(); err == nil {
			err = cerr
		}
	}()
	if err := t.readInputs(ctx); err != nil {
		return t.res, err
	}
	if err := t.run.Init(cfg, opt.Resume); err != nil {
		return t.res, inputErr(err)
	}
	if err := t.writeTokens(); err != nil {
		return t.res, err
	}
	if err := t.openSession(); err != nil {
		return t.res, err
	}
	defer func() {
		if cerr := t.rs.close(); err == nil {
			err = cerr
		}
	}()
	if err := t.start(); err != nil {
		return t.res, err
	}
	stopped, err := t.rs.loop(ctx, opt, "transformer", cfg.Steps, t, opt.StepHook)
	if stopped || err == nil {
		t.res.Step, t.res.BestStep, t.res.BestLoss = t.rs.st.Step, t.rs.st.BestStep, t.rs.st.BestVal
	}
	return t.res, err
}

// transformerRun is one transformer training run: its checked inputs, then
// its graph, session and data position.
type transformerRun struct {
	cfg TransformerConfig
	opt RunOptions
	run RunDir

	// Set by checkConfig and readInputs.
	gamma    inpaint.Schedule
	sched    tfmodel.Schedule
	initCkpt string // the --init-from checkpoint ("": none, or not yet resolved)
	masks    TrainMasks
	tok      *pipeline.Tokenizer // open for the whole run (closeTokenizer)
	// trainTok and valTok are the tokens; writeTokens saves the ones encoded
	// here into the run directory once it exists.
	trainTok, valTok *dataset.TokenCache
	writeTokens      func() error

	// Set by openSession and start.
	g       *transformer.TrainGraph
	rs      *runSession
	it      *dataset.TokenIterator
	val     *transformerValidation
	samples *inpaintSamples // nil: none logged
	dropout *tf.Tensor      // the dropout rate, fed to every step

	res TransformerResult
}

// checkConfig checks the run's settings and device before anything is read.
func (t *transformerRun) checkConfig() (err error) {
	cfg, opt := t.cfg, t.opt
	if err := cfg.Model.Validate(); err != nil {
		return inputErr(err)
	}
	if cfg.Batch <= 0 || cfg.Steps <= 0 {
		return inputErr(fmt.Errorf("batch (%d) and steps (%d) must be positive", cfg.Batch, cfg.Steps))
	}
	if t.gamma, err = inpaint.ScheduleByName(cfg.MaskSchedule); err != nil {
		return inputErr(err)
	}
	if !(cfg.StrokeMasks >= 0 && cfg.StrokeMasks <= 1) {
		return inputErr(fmt.Errorf("--stroke-masks must be in [0, 1], got %v", cfg.StrokeMasks))
	}
	if t.sched, err = cfg.LR.Build(cfg.Steps); err != nil {
		return inputErr(err)
	}
	if err := checkDevice(opt); err != nil {
		return inputErr(err)
	}
	if err := opt.Replicas.checkBatch(cfg.Batch); err != nil {
		return inputErr(err)
	}
	return nil
}

// readInputs resolves the warm-start checkpoint (a new run) and the
// tokenizer (kept open in t.tok), checks the run directory and reads or
// encodes the tokens in memory. Nothing is created: a bad path or input
// leaves nothing behind.
func (t *transformerRun) readInputs(ctx context.Context) (err error) {
	cfg, opt := t.cfg, t.opt
	if cfg.InitFrom != "" && !opt.Resume {
		if err := t.resolveInit(); err != nil {
			return err
		}
	}
	tok, err := pipeline.LoadTokenizer(cfg.TokenizerDir, t.pipelineOptions())
	if err != nil {
		return inputErr(err)
	}
	t.tok = tok
	if err := t.run.Check(cfg, opt.Resume); err != nil {
		return inputErr(err)
	}
	t.masks = TrainMasks{Gamma: t.gamma, MaskID: cfg.Model.MaskID(), Strokes: cfg.StrokeMasks,
		Res: int(tok.Cfg.Resolution), Grid: int(tok.Cfg.Grid)}
	if t.trainTok, t.valTok, t.writeTokens, err = transformerTokens(ctx, cfg, t.run, tok, opt); err != nil {
		return err
	}
	n := int(cfg.Model.Positions)
	for name, c := range map[string]*dataset.TokenCache{"training": t.trainTok, "validation": t.valTok} {
		if c.H*c.W != n || int64(c.Codebook) != cfg.Model.Codes {
			return inputErr(fmt.Errorf("%s tokens are %dx%d grids of %d codes; the transformer wants %d positions of %d codes",
				name, c.H, c.W, c.Codebook, n, cfg.Model.Codes))
		}
	}
	return nil
}

// closeTokenizer closes the tokenizer when readInputs loaded it.
func (t *transformerRun) closeTokenizer() error {
	if t.tok == nil {
		return nil
	}
	return t.tok.Close()
}

// pipelineOptions are the options the tokenizer is loaded with.
func (t *transformerRun) pipelineOptions() pipeline.Options {
	return pipeline.Options{Device: t.opt.Device, Threads: t.opt.Threads}
}

// resolveInit sets initCkpt to the checkpoint of --init-from.
func (t *transformerRun) resolveInit() (err error) {
	if t.initCkpt, err = warmStartCheckpoint(t.cfg.InitFrom, t.cfg.Model); err != nil {
		return inputErr(fmt.Errorf("--init-from: %w", err))
	}
	return nil
}

// openSession builds the training graph (replicated when opt.Replicas is
// set) and opens the run's session on it (see openRunSession).
func (t *transformerRun) openSession() (err error) {
	cfg, opt := t.cfg, t.opt
	if opt.Replicas != nil {
		t.g, err = transformer.BuildReplicatedTrain(cfg.Model, cfg.Train, int64(cfg.Seed), opt.Replicas.Devices)
	} else {
		t.g, err = transformer.BuildTrain(cfg.Model, cfg.Train, int64(cfg.Seed), opt.Device)
	}
	if err != nil {
		return err
	}
	if cfg.BFloat16 {
		fmt.Fprintln(opt.Log, "training in oneDNN bfloat16 mixed precision (experimental; variables and checkpoints stay float32)")
	}
	t.rs, err = openRunSession(t.run, t.g.Graph, t.g.Init, t.g.Saver, cfg.Seed, cfg.BFloat16, opt)
	return err
}

// start loads the warm-start weights into a run starting at step 0, puts
// the data iterator at the run's position, draws the validation masks and
// prepares the sample inpaintings.
func (t *transformerRun) start() error {
	if t.cfg.InitFrom != "" && !t.rs.resumed && t.initCkpt == "" {
		// --resume of a warm-started run killed before its first
		// checkpoint starts as the fresh run did.
		if err := t.resolveInit(); err != nil {
			return err
		}
	}
	if t.initCkpt != "" {
		if err := t.g.ModelSaver.Restore(t.rs.sess, t.initCkpt); err != nil {
			return inputErr(fmt.Errorf("--init-from: %w", err))
		}
		fmt.Fprintf(t.opt.Log, "initialised the weights from %s\n", t.initCkpt)
	}
	it, err := t.trainTok.Iterator(dataset.IterOptions{BatchSize: t.cfg.Batch, Seed: t.cfg.Seed, Shuffle: true})
	if err != nil {
		return err
	}
	if err := it.SetState(t.rs.st.Data); err != nil {
		return err
	}
	t.it = it
	// Validation masks are drawn once, from their own seed, so every
	// validation pass scores the same task.
	t.val = newTransformerValidation(t.valTok, t.cfg, t.gamma, t.opt.ValImages)
	t.dropout, _ = tf.NewTensor(float32(t.cfg.Model.Dropout))
	return t.startSamples()
}

// startSamples prepares the sample inpaintings every validation logs (see
// newInpaintSamples). They need the full logits, which the replicated
// graph does not build: data-parallel runs log none and say so.
func (t *transformerRun) startSamples() (err error) {
	if t.g.Logits.Op == nil {
		logf(t.opt.Log, "no sample inpaintings in data-parallel training\n")
		return nil
	}
	t.samples, err = newInpaintSamples(t.tok, t.valTok, t.val.n, t.cfg, t.opt.Log)
	return err
}

// step masks the next batch (drawing from the run's random stream) and
// takes one optimizer step on it.
func (t *transformerRun) step() (stepped, error) {
	g, step := t.g, t.rs.st.Step
	b := t.it.Next()
	input, weight, err := t.masks.Draw(b.Tokens, b.N, t.rs.rng)
	if err != nil {
		return stepped{}, err
	}
	feeds, err := mvtmFeeds(g, b.Tokens, input, weight, b.N, int(t.cfg.Model.Positions))
	if err != nil {
		return stepped{}, err
	}
	learningRate := t.sched.LR(int(step))
	lr, _ := tf.NewTensor(float32(learningRate))
	seed, _ := tf.NewTensor([]int64{int64(t.cfg.Seed), step})
	feeds[g.LR], feeds[g.Rate], feeds[g.Seed] = lr, t.dropout, seed
	out, err := t.rs.sess.Run(feeds, []tf.Output{g.Loss, g.Accuracy, g.GradNorm}, []*tf.Operation{g.Step})
	if err != nil {
		return stepped{}, fmt.Errorf("step %d: %w", step, t.opt.Replicas.explain(err))
	}
	loss := f32(out[0])
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return stepped{}, fmt.Errorf("step %d: loss is %v: lower the learning rate", step, loss)
	}
	metrics := func() map[string]float64 {
		return map[string]float64{"loss": loss, "accuracy": f32(out[1]), "grad_norm": f32(out[2]), "lr": learningRate}
	}
	return stepped{images: b.N, loss: loss, metrics: metrics}, nil
}

// validate scores the validation set, logs the scores and the sample
// inpaintings and keeps the best checkpoint.
func (t *transformerRun) validate() error {
	loss, acc, err := t.val.run(t.rs.sess, t.g, t.cfg.Batch)
	if err != nil {
		return err
	}
	t.res.ValLoss, t.res.ValAccuracy = loss, acc
	fmt.Fprintf(t.opt.Log, "validation at step %d: loss %.4f masked-token accuracy %.4f\n", t.rs.st.Step, loss, acc)
	if err := t.rs.scalars("val/", map[string]float64{"loss": loss, "accuracy": acc}); err != nil {
		return err
	}
	if err := t.logSamples(); err != nil {
		return err
	}
	_, err = t.rs.offerBest(loss, t.it.State())
	return err
}

// logSamples inpaints the samples with the model as it is now and logs
// the picture under SampleTag (nothing when the run has no samples).
func (t *transformerRun) logSamples() error {
	if t.samples == nil {
		return nil
	}
	grid, err := t.samples.render(t.rs.sess, t.g)
	if err != nil {
		return err
	}
	return t.rs.events.Images(t.rs.st.Step, SampleTag, []*image.RGBA{grid})
}

// save writes a step checkpoint.
func (t *transformerRun) save() error { return t.rs.save(t.it.State()) }

// warmStartCheckpoint checks that dir (a transformer run, or a model
// directory with transformer/ in it) names a checkpoint of the same
// architecture as want (dropout aside) from its config.json, and returns
// the checkpoint prefix; the run's saver restores it.
func warmStartCheckpoint(dir string, want transformer.Config) (string, error) {
	dir = pipeline.PartDir(dir, "transformer")
	have, ckpt, err := pipeline.TransformerCheckpoint(dir)
	if err != nil {
		return "", err
	}
	have.Dropout = want.Dropout
	if have != want {
		return "", fmt.Errorf("%s is a transformer of %+v; this run builds %+v", dir, have, want)
	}
	return ckpt, nil
}

func mvtmFeeds(g *transformer.TrainGraph, target, input []int32, weight []float32, b, n int) (map[tf.Output]*tf.Tensor, error) {
	ti, err := tfmodel.NewTensorShaped(input, int64(b), int64(n))
	if err != nil {
		return nil, err
	}
	tt, err := tfmodel.NewTensorShaped(append([]int32(nil), target...), int64(b), int64(n))
	if err != nil {
		return nil, err
	}
	tw, err := tfmodel.NewTensorShaped(weight, int64(b), int64(n))
	if err != nil {
		return nil, err
	}
	return map[tf.Output]*tf.Tensor{g.Input: ti, g.Target: tt, g.Weight: tw}, nil
}

// transformerTokens returns the training and validation token caches,
// encoding the image folders (in memory) when no cache is given and the run
// has none yet; write then saves those into the run's tokens/ folder, once
// the run directory exists.
func transformerTokens(ctx context.Context, cfg TransformerConfig, run RunDir, tok *pipeline.Tokenizer, opt RunOptions) (trainTok, valTok *dataset.TokenCache, write func() error, err error) {
	dir := filepath.Join(string(run), "tokens")
	paths := [2]string{cfg.TrainTokens, cfg.ValTokens}
	srcs := [2]string{cfg.TrainDir, cfg.ValDir}
	var caches [2]*dataset.TokenCache
	var encoded []int
	for i := range paths {
		if paths[i] == "" {
			paths[i] = filepath.Join(dir, [2]string{"train.tokens", "val.tokens"}[i])
			if _, serr := os.Stat(paths[i]); serr != nil {
				if srcs[i] == "" {
					return nil, nil, nil, inputErr(fmt.Errorf("no %s tokens: give a token cache or an image folder", [2]string{"training", "validation"}[i]))
				}
				c, err := EncodeImages(ctx, tok, srcs[i], EncodeOptions{SkipBad: opt.SkipBad, Flip: i == 0 && cfg.FlipTokens, Log: opt.Log})
				if err != nil {
					return nil, nil, nil, err
				}
				caches[i] = c
				encoded = append(encoded, i)
				continue
			}
		}
		c, err := dataset.ReadTokenCache(paths[i])
		if err != nil {
			return nil, nil, nil, inputErr(err)
		}
		caches[i] = c
	}
	write = func() error {
		for _, i := range encoded {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			if err := dataset.WriteTokenCache(paths[i], caches[i]); err != nil {
				return err
			}
			if opt.Log != nil {
				fmt.Fprintf(opt.Log, "encoded %s of %s into %s\n", CountImages(caches[i]), srcs[i], paths[i])
			}
		}
		return nil
	}
	return caches[0], caches[1], write, nil
}

// transformerValidation holds fixed validation masks.
type transformerValidation struct {
	target, input []int32
	weight        []float32
	n, positions  int
}

func newTransformerValidation(c *dataset.TokenCache, cfg TransformerConfig, gamma inpaint.Schedule, limit int) *transformerValidation {
	n := c.N
	if limit > 0 && limit < n {
		n = limit
	}
	pos := c.H * c.W
	target := make([]int32, n*pos)
	for i := range target {
		target[i] = int32(c.Tokens[i])
	}
	input, weight := MaskTokens(target, n, pos, cfg.Model.MaskID(), gamma, rand.New(rand.NewPCG(cfg.Seed, 0x76616c)))
	return &transformerValidation{target: target, input: input, weight: weight, n: n, positions: pos}
}

// run returns the masked-token loss and accuracy over the validation set,
// weighting each batch by its number of masked tokens.
func (v *transformerValidation) run(sess *tfmodel.Session, g *transformer.TrainGraph, batch int) (loss, acc float64, err error) {
	var total float64
	for start := 0; start < v.n; start += batch {
		end := min(start+batch, v.n)
		lo, hi := start*v.positions, end*v.positions
		feeds, err := mvtmFeeds(g, v.target[lo:hi], v.input[lo:hi], v.weight[lo:hi], end-start, v.positions)
		if err != nil {
			return 0, 0, err
		}
		// The validation pass: no dropout ops at all.
		out, err := sess.Run(feeds, []tf.Output{g.ValLoss, g.ValAccuracy}, nil)
		if err != nil {
			return 0, 0, fmt.Errorf("validation: %w", err)
		}
		var w float64
		for _, x := range v.weight[lo:hi] {
			w += float64(x)
		}
		loss += f32(out[0]) * w
		acc += f32(out[1]) * w
		total += w
	}
	return loss / total, acc / total, nil
}
