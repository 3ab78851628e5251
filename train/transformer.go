package train

import (
	"context"
	"fmt"
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
	res.BestStep = -1
	if err := cfg.Model.Validate(); err != nil {
		return res, inputErr(err)
	}
	if cfg.Batch <= 0 || cfg.Steps <= 0 {
		return res, inputErr(fmt.Errorf("batch (%d) and steps (%d) must be positive", cfg.Batch, cfg.Steps))
	}
	gamma, err := inpaint.ScheduleByName(cfg.MaskSchedule)
	if err != nil {
		return res, inputErr(err)
	}
	if !(cfg.StrokeMasks >= 0 && cfg.StrokeMasks <= 1) {
		return res, inputErr(fmt.Errorf("--stroke-masks must be in [0, 1], got %v", cfg.StrokeMasks))
	}
	sched, err := cfg.LR.Build(cfg.Steps)
	if err != nil {
		return res, inputErr(err)
	}
	if err := checkDevice(opt); err != nil {
		return res, inputErr(err)
	}
	if err := opt.Replicas.checkBatch(cfg.Batch); err != nil {
		return res, inputErr(err)
	}
	// The warm-start checkpoint and the tokenizer must resolve before the
	// run directory is created, so a bad path leaves nothing behind.
	var initCkpt string
	if cfg.InitFrom != "" && !opt.Resume {
		if initCkpt, err = warmStartCheckpoint(cfg.InitFrom, cfg.Model, pipeline.Options{Device: opt.Device, Threads: opt.Threads}); err != nil {
			return res, inputErr(fmt.Errorf("--init-from: %w", err))
		}
	}
	tok, err := pipeline.LoadTokenizer(cfg.TokenizerDir, pipeline.Options{Device: opt.Device, Threads: opt.Threads})
	if err != nil {
		return res, inputErr(err)
	}
	// Nothing is created until the inputs are checked: the run directory
	// is checked, the tokens read or encoded in memory, and only then the
	// run directory set up and the encoded tokens written into it.
	run := RunDir(opt.Out)
	if err := run.Check(cfg, opt.Resume); err != nil {
		tok.Close()
		return res, inputErr(err)
	}
	trainMasks := TrainMasks{Gamma: gamma, MaskID: cfg.Model.MaskID(), Strokes: cfg.StrokeMasks,
		Res: int(tok.Cfg.Resolution), Grid: int(tok.Cfg.Grid)}
	trainTok, valTok, writeTokens, err := transformerTokens(ctx, cfg, run, tok, opt)
	if cerr := tok.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return res, err
	}
	n := int(cfg.Model.Positions)
	for name, c := range map[string]*dataset.TokenCache{"training": trainTok, "validation": valTok} {
		if c.H*c.W != n || int64(c.Codebook) != cfg.Model.Codes {
			return res, inputErr(fmt.Errorf("%s tokens are %dx%d grids of %d codes; the transformer wants %d positions of %d codes",
				name, c.H, c.W, c.Codebook, n, cfg.Model.Codes))
		}
	}
	if err := run.Init(cfg, opt.Resume); err != nil {
		return res, inputErr(err)
	}
	if err := writeTokens(); err != nil {
		return res, err
	}
	var g *transformer.TrainGraph
	if opt.Replicas != nil {
		g, err = transformer.BuildReplicatedTrain(cfg.Model, cfg.Train, int64(cfg.Seed), opt.Replicas.Devices)
	} else {
		g, err = transformer.BuildTrain(cfg.Model, cfg.Train, int64(cfg.Seed), opt.Device)
	}
	if err != nil {
		return res, err
	}
	rs, err := openRunSession(run, g.Graph, g.Init, g.Saver, cfg.Seed, opt)
	if err != nil {
		return res, err
	}
	defer func() {
		if cerr := rs.close(); err == nil {
			err = cerr
		}
	}()
	sess, st := rs.sess, &rs.st
	if cfg.InitFrom != "" && !rs.resumed && initCkpt == "" {
		// --resume of a warm-started run killed before its first
		// checkpoint starts as the fresh run did.
		if initCkpt, err = warmStartCheckpoint(cfg.InitFrom, cfg.Model, pipeline.Options{Device: opt.Device, Threads: opt.Threads}); err != nil {
			return res, inputErr(fmt.Errorf("--init-from: %w", err))
		}
	}
	if initCkpt != "" {
		if err := g.ModelSaver.Restore(sess, initCkpt); err != nil {
			return res, inputErr(fmt.Errorf("--init-from: %w", err))
		}
		fmt.Fprintf(opt.Log, "initialised the weights from %s\n", initCkpt)
	}
	it, err := trainTok.Iterator(dataset.IterOptions{BatchSize: cfg.Batch, Seed: cfg.Seed, Shuffle: true})
	if err != nil {
		return res, err
	}
	if err := it.SetState(st.Data); err != nil {
		return res, err
	}
	// Validation masks are drawn once, from their own seed, so every
	// validation pass scores the same task.
	val := newTransformerValidation(valTok, cfg, gamma, opt.ValImages)

	prog := NewProgress(opt.Log, st.Step, cfg.Steps)
	prog.Start("transformer", opt.LogEvery)
	var imagesSinceLog int64
	save := func() error { return rs.save(it.State()) }
	validate := func() error {
		loss, acc, err := val.run(sess, g, cfg.Batch)
		if err != nil {
			return err
		}
		res.ValLoss, res.ValAccuracy = loss, acc
		fmt.Fprintf(opt.Log, "validation at step %d: loss %.4f masked-token accuracy %.4f\n", st.Step, loss, acc)
		if err := rs.scalars("val/", map[string]float64{"loss": loss, "accuracy": acc}); err != nil {
			return err
		}
		_, err = rs.offerBest(loss, it.State())
		return err
	}
	rate, _ := tf.NewTensor(float32(cfg.Model.Dropout))
	for st.Step < cfg.Steps {
		if stop, err := rs.stopBefore(ctx, opt, save); stop {
			res.Step, res.BestStep, res.BestLoss = st.Step, st.BestStep, st.BestVal
			return res, err
		}
		b := it.Next()
		input, weight, err := trainMasks.Draw(b.Tokens, b.N, rs.rng)
		if err != nil {
			return res, err
		}
		feeds, err := mvtmFeeds(g, b.Tokens, input, weight, b.N, n)
		if err != nil {
			return res, err
		}
		lr, _ := tf.NewTensor(float32(sched.LR(int(st.Step))))
		seed, _ := tf.NewTensor([]int64{int64(cfg.Seed), st.Step})
		feeds[g.LR], feeds[g.Rate], feeds[g.Seed] = lr, rate, seed
		out, err := sess.Run(feeds, []tf.Output{g.Loss, g.Accuracy, g.GradNorm}, []*tf.Operation{g.Step})
		if err != nil {
			return res, fmt.Errorf("step %d: %w", st.Step, opt.Replicas.explain(err))
		}
		loss := f32(out[0])
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return res, fmt.Errorf("step %d: loss is %v: lower the learning rate", st.Step, loss)
		}
		st.Step++
		if opt.StepHook != nil {
			opt.StepHook(st.Step, loss)
		}
		imagesSinceLog += int64(b.N)
		if opt.LogEvery > 0 && (st.Step%opt.LogEvery == 0 || st.Step == cfg.Steps) {
			m := map[string]float64{"loss": loss, "accuracy": f32(out[1]), "grad_norm": f32(out[2]), "lr": sched.LR(int(st.Step - 1))}
			m["images_per_sec"] = prog.Report(st.Step, imagesSinceLog, m)
			imagesSinceLog = 0
			if err := rs.scalars("train/", m); err != nil {
				return res, err
			}
		}
		if err := rs.afterStep(opt, validate, save); err != nil {
			return res, err
		}
	}
	if err := rs.finish(opt, validate, save); err != nil {
		return res, err
	}
	res.Step, res.BestStep, res.BestLoss = st.Step, st.BestStep, st.BestVal
	return res, nil
}

// warmStartCheckpoint checks that dir (a transformer run, or a model
// directory with transformer/ in it) holds a checkpoint of the same
// architecture as want (dropout aside) by loading it, and returns the
// checkpoint prefix. It loads with the run's options: TensorFlow sizes its
// process-wide thread pools from the first session, so a 1-thread check
// here would leave the whole run on one core.
func warmStartCheckpoint(dir string, want transformer.Config, opt pipeline.Options) (string, error) {
	if _, err := os.Stat(filepath.Join(dir, "transformer", "config.json")); err == nil {
		dir = filepath.Join(dir, "transformer")
	}
	tr, err := pipeline.LoadTransformer(dir, opt)
	if err != nil {
		return "", err
	}
	defer tr.Close()
	have := tr.Cfg
	have.Dropout = want.Dropout
	if have != want {
		return "", fmt.Errorf("%s is a transformer of %+v; this run builds %+v", dir, have, want)
	}
	return tr.Checkpoint, nil
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
