package train

import (
	"context"
	"fmt"
	"image"
	"io"
	"math"
	"math/rand/v2"
	"reflect"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/graphs/vqvae"
	"github.com/maskgit-go/maskgit/pipeline"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// TokenizerConfig is everything that determines a tokenizer training run;
// it is saved as the run's config.json and must match on --resume.
type TokenizerConfig struct {
	Model vqvae.Config      `json:"model"`
	Train vqvae.TrainConfig `json:"train"`
	LR    LRConfig          `json:"lr"`
	Batch int               `json:"batch"`
	Steps int64             `json:"steps"`
	Seed  uint64            `json:"seed"`
	Flip  bool              `json:"flip"`
	// DiscStart is the step at which the discriminator loss is switched on
	// (with weight DiscWeight); only with Train.Disc.
	DiscStart  int64   `json:"disc_start"`
	DiscWeight float64 `json:"disc_weight"`
	// DeadCodeEvery re-initialises codes unused over that many steps with
	// encodings of the current batch (0: never).
	DeadCodeEvery int64  `json:"dead_code_every"`
	TrainDir      string `json:"train_dir"`
	ValDir        string `json:"val_dir"`
	// InitFrom is a tokenizer run or model directory whose weights start
	// the run (a fresh optimizer, schedule and step count); with
	// Train.DecoderOnly it is the tokenizer whose decoder is fine-tuned.
	InitFrom string `json:"init_from,omitempty"`
}

// RunOptions are the parts of a run that do not change its result.
type RunOptions struct {
	Out       string
	Resume    bool
	LogEvery  int64
	ValEvery  int64
	CkptEvery int64
	// ValImages caps the validation images (0: all).
	ValImages int
	Threads   int
	Device    string // "" or a TensorFlow device name
	SkipBad   bool
	// StopAt, if positive, ends the run after that step with a checkpoint,
	// as an interruption would; --resume continues it.
	StopAt int64
	Log    io.Writer
	// Replication (see Replication): nil trains on Device alone.
	Replicas *Replication
	// StepHook, if set, is called after every training step with the step
	// number (1-based) and the training loss of that step.
	StepHook func(step int64, loss float64)
}

// TokenizerResult summarises a finished (or interrupted) run.
type TokenizerResult struct {
	Step     int64
	ValL2    float64
	ValPSNR  float64
	BestStep int64
	BestPSNR float64
	Used     int // codes used on the last validation pass
}

// TrainTokenizer trains (or, with opt.Resume, continues) a tokenizer run.
// Cancelling ctx saves a checkpoint and returns ctx.Err().
func TrainTokenizer(ctx context.Context, cfg TokenizerConfig, opt RunOptions) (res TokenizerResult, err error) {
	t := &tokenizerRun{cfg: cfg, opt: opt, run: RunDir(opt.Out)}
	if err := t.checkConfig(); err != nil {
		return t.res, err
	}
	t.res.BestStep = -1
	if err := t.readImages(); err != nil {
		return t.res, err
	}
	if cfg.InitFrom != "" && !opt.Resume {
		// Checked before the run directory is created.
		if t.initCkpt, err = t.initCheckpoint(); err != nil {
			return t.res, err
		}
	}
	if err := t.run.Init(cfg, opt.Resume); err != nil {
		return t.res, inputErr(err)
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
	stopped, err := t.rs.loop(ctx, opt, "tokenizer", cfg.Steps, t, opt.StepHook)
	if stopped || err == nil {
		t.res.Step, t.res.BestStep = t.rs.st.Step, t.rs.st.BestStep
	}
	return t.res, err
}

// tokenizerRun is one tokenizer training run: its checked inputs, then its
// graph, session, data position and code usage.
type tokenizerRun struct {
	cfg TokenizerConfig
	opt RunOptions
	run RunDir

	// Set by checkConfig and readImages.
	sched            tfmodel.Schedule
	trainSet, valSet *dataset.Folder
	initCkpt         string // the --init-from checkpoint ("": none, or not yet resolved)

	// Set by openSession and start.
	g  *vqvae.TrainGraph
	rs *runSession
	it *dataset.ImageIterator
	// usage counts how often each code was picked since the last dead-code
	// re-initialisation; it is saved in the trainer state.
	usage []int64

	res TokenizerResult
}

// checkConfig checks the run's settings and device before anything is read.
func (t *tokenizerRun) checkConfig() (err error) {
	cfg, opt := t.cfg, t.opt
	if err := cfg.Model.Validate(); err != nil {
		return inputErr(err)
	}
	if cfg.Batch <= 0 || cfg.Steps <= 0 {
		return inputErr(fmt.Errorf("batch (%d) and steps (%d) must be positive", cfg.Batch, cfg.Steps))
	}
	if err := opt.Replicas.checkBatch(cfg.Batch); err != nil {
		return inputErr(err)
	}
	if t.sched, err = cfg.LR.Build(cfg.Steps); err != nil {
		return inputErr(err)
	}
	if err := checkDevice(opt); err != nil {
		return inputErr(err)
	}
	tc := cfg.Train
	switch {
	case tc.DecoderOnly && cfg.InitFrom == "":
		return inputErr(fmt.Errorf("a decoder-only fine-tune needs the tokenizer to start from (--init-from)"))
	case tc.DecoderOnly && cfg.DeadCodeEvery > 0:
		return inputErr(fmt.Errorf("a decoder-only fine-tune keeps the codebook: dead-code re-initialisation (every %d steps) must be off", cfg.DeadCodeEvery))
	case opt.Replicas != nil && (cfg.InitFrom != "" || tc.DecoderOnly || tc.Perceptual > 0):
		return inputErr(fmt.Errorf("--init-from, a decoder-only fine-tune and the perceptual loss train on one device, not replicated"))
	case tc.Perceptual > 0 && tc.PerceptualNet == nil:
		return inputErr(fmt.Errorf("the perceptual loss needs the Inception weights (see maskgit fid-weights)"))
	}
	return nil
}

// initCheckpoint returns the checkpoint of cfg.InitFrom (a tokenizer run
// directory, or a model directory with a tokenizer/ folder), whose model
// must be cfg.Model.
func (t *tokenizerRun) initCheckpoint() (string, error) {
	dir := pipeline.PartDir(t.cfg.InitFrom, "tokenizer")
	have, ckpt, err := pipeline.TokenizerCheckpoint(dir)
	if err != nil {
		return "", inputErr(fmt.Errorf("--init-from: %w", err))
	}
	if !reflect.DeepEqual(have, t.cfg.Model) {
		return "", inputErr(fmt.Errorf("--init-from: %s is a tokenizer of %+v; this run builds %+v", dir, have, t.cfg.Model))
	}
	return ckpt, nil
}

// readImages decodes the training and validation images into memory,
// before the run directory is created.
func (t *tokenizerRun) readImages() (err error) {
	cfg, log := t.cfg, t.opt.Log
	if log != nil {
		fmt.Fprintf(log, "tokenizer: reading the images of %s (--train-dir) and %s (--val-dir)\n", cfg.TrainDir, cfg.ValDir)
	}
	if t.trainSet, err = OpenImages(cfg.TrainDir, int(cfg.Model.Resolution), t.opt.SkipBad); err != nil {
		return inputErr(err)
	}
	reportSkipped(log, t.trainSet)
	if t.valSet, err = OpenImages(cfg.ValDir, int(cfg.Model.Resolution), t.opt.SkipBad); err != nil {
		return inputErr(err)
	}
	reportSkipped(log, t.valSet)
	if log != nil {
		mirrored := ""
		if cfg.Flip {
			mirrored = " (each also mirrored at random)"
		}
		fmt.Fprintf(log, "tokenizer: %s for training%s, %s for validation\n", plural(t.trainSet.Len()-len(t.trainSet.Skipped()), "image"), mirrored, plural(t.valSet.Len()-len(t.valSet.Skipped()), "image"))
	}
	return nil
}

// openSession builds the training graph (replicated when opt.Replicas is
// set, see buildTokenizerTrain) and opens the run's session on it (see
// openRunSession).
func (t *tokenizerRun) openSession() (err error) {
	if t.g, err = buildTokenizerTrain(t.cfg, t.opt); err != nil {
		return err
	}
	t.rs, err = openRunSession(t.run, t.g.Graph, t.g.Init, t.g.Saver, t.cfg.Seed, false, t.opt)
	return err
}

// start puts the data iterator at the run's position and takes up the code
// usage counts where the checkpoint left them.
func (t *tokenizerRun) start() error {
	if t.cfg.InitFrom != "" && !t.rs.resumed {
		// --resume of a run killed before its first checkpoint starts as
		// the fresh run did.
		if t.initCkpt == "" {
			var err error
			if t.initCkpt, err = t.initCheckpoint(); err != nil {
				return err
			}
		}
		if err := t.g.ModelSaver.Restore(t.rs.sess, t.initCkpt); err != nil {
			return inputErr(fmt.Errorf("--init-from: %w", err))
		}
		if t.opt.Log != nil {
			fmt.Fprintf(t.opt.Log, "initialised the weights from %s\n", t.initCkpt)
		}
	}
	it, err := t.trainSet.Iterator(dataset.IterOptions{BatchSize: t.cfg.Batch, Seed: t.cfg.Seed, Shuffle: true, Flip: t.cfg.Flip})
	if err != nil {
		return err
	}
	if err := it.SetState(t.rs.st.Data); err != nil {
		return err
	}
	t.it = it
	t.usage = make([]int64, t.cfg.Model.Codes)
	if len(t.rs.st.CodeUsage) == len(t.usage) {
		copy(t.usage, t.rs.st.CodeUsage)
	}
	return nil
}

// step takes one optimizer step on the next batch (and a discriminator
// step once the discriminator is on), then counts the codes it used and,
// every cfg.DeadCodeEvery steps, re-initialises the unused ones.
func (t *tokenizerRun) step() (stepped, error) {
	cfg, g, step := t.cfg, t.g, t.rs.st.Step
	b, err := t.it.Next()
	if err != nil {
		return stepped{}, err
	}
	learningRate := t.sched.LR(int(step))
	feeds, targets, err := t.feeds(b, learningRate)
	if err != nil {
		return stepped{}, err
	}
	reinit := cfg.DeadCodeEvery > 0 && (step+1)%cfg.DeadCodeEvery == 0
	fetches := []tf.Output{g.Loss, g.L1, g.L2, g.PSNR, g.Perplexity, g.GradNorm, g.IDs, g.GenLoss, g.DiscLoss}
	if cfg.Train.Perceptual > 0 {
		fetches = append(fetches, g.Perceptual)
	}
	if reinit {
		fetches = append(fetches, g.Flat)
	}
	out, err := t.rs.sess.Run(feeds, fetches, targets)
	if err != nil {
		return stepped{}, fmt.Errorf("step %d: %w", step, t.opt.Replicas.explain(err))
	}
	loss := f32(out[0])
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return stepped{}, fmt.Errorf("step %d: loss is %v: lower the learning rate", step, loss)
	}
	var flat *tf.Tensor
	if reinit {
		flat = out[len(out)-1]
	}
	if err := t.countCodes(out[6], flat); err != nil {
		return stepped{}, err
	}
	metrics := func() map[string]float64 {
		m := map[string]float64{
			"loss": loss, "l1": f32(out[1]), "l2": f32(out[2]), "psnr": f32(out[3]),
			"perplexity": f32(out[4]), "grad_norm": f32(out[5]), "lr": learningRate,
		}
		if cfg.Train.Disc {
			m["gen"], m["disc"] = f32(out[7]), f32(out[8])
		}
		if cfg.Train.Perceptual > 0 {
			m["perceptual"] = f32(out[9])
		}
		return m
	}
	return stepped{images: b.N, loss: loss, metrics: metrics}, nil
}

// feeds returns the feeds and target ops of a training step on batch b at
// learning rate lr: the discriminator trains too from cfg.DiscStart on.
func (t *tokenizerRun) feeds(b *dataset.Batch, lr float64) (map[tf.Output]*tf.Tensor, []*tf.Operation, error) {
	cfg, g := t.cfg, t.g
	x, err := tf.NewTensor(b.Data)
	if err != nil {
		return nil, nil, err
	}
	if err := x.Reshape(b.Shape()); err != nil {
		return nil, nil, err
	}
	lrt, _ := tf.NewTensor(float32(lr))
	feeds := map[tf.Output]*tf.Tensor{g.Images: x, g.LR: lrt}
	targets := []*tf.Operation{g.Step}
	if cfg.Train.Disc && t.rs.st.Step >= cfg.DiscStart {
		w, _ := tf.NewTensor(float32(cfg.DiscWeight))
		feeds[g.DiscWeight] = w
		targets = append(targets, g.DiscStep)
	}
	return feeds, targets, nil
}

// countCodes adds the codes a step picked (ids) to the usage counts; on a
// step that re-initialises dead codes (flat, the batch's encodings, not
// nil) it replaces the unused codes and starts counting afresh.
func (t *tokenizerRun) countCodes(ids, flat *tf.Tensor) error {
	picked, err := tfmodel.Int32s(ids)
	if err != nil {
		return err
	}
	for _, id := range picked {
		t.usage[id]++
	}
	if flat == nil {
		return nil
	}
	if err := reinitDeadCodes(t.rs.sess, t.g, t.usage, flat, t.rs.rng); err != nil {
		return err
	}
	clear(t.usage)
	return nil
}

// validate scores the validation images, logs the scores and a few
// reconstructions, and keeps the best checkpoint: by L2, or, with a
// perceptual loss, by the pixel and perceptual terms of the training loss
// (a perceptual fine-tune trades some L2 for texture).
func (t *tokenizerRun) validate() error {
	tc := t.cfg.Train
	v, err := tokenizerValidation(t.rs.sess, t.g, t.valSet, t.cfg.Batch, t.opt.ValImages, tc.Perceptual > 0)
	if err != nil {
		return err
	}
	t.res.ValL2, t.res.ValPSNR, t.res.Used = v.l2, v.psnr, v.used
	step := t.rs.st.Step
	scalars := map[string]float64{"l2": v.l2, "psnr": v.psnr, "codes_used": float64(v.used)}
	score, perceptual := v.l2, ""
	if tc.Perceptual > 0 {
		score = tc.L1*v.l1 + tc.L2*v.l2 + tc.Perceptual*v.perceptual
		scalars["l1"], scalars["perceptual"], scalars["score"] = v.l1, v.perceptual, score
		perceptual = fmt.Sprintf(" perceptual %.5f score %.5f", v.perceptual, score)
	}
	fmt.Fprintf(t.opt.Log, "validation at step %d: l2 %.5f psnr %.2f dB%s codes used %d/%d\n", step, v.l2, v.psnr, perceptual, v.used, t.cfg.Model.Codes)
	if err := t.rs.scalars("val/", scalars); err != nil {
		return err
	}
	if err := t.rs.events.Images(step, "val/reconstruction", v.pairs); err != nil {
		return err
	}
	best, err := t.rs.offerBest(score, t.it.State())
	if best {
		t.res.BestPSNR = v.psnr
	}
	return err
}

// save writes a step checkpoint, with the code usage counts in its state.
func (t *tokenizerRun) save() error {
	t.rs.st.CodeUsage = append(t.rs.st.CodeUsage[:0], t.usage...)
	return t.rs.save(t.it.State())
}

// tokenizerScores are a validation pass's means over the images: L1 and
// L2 on [-1, 1], PSNR per image on [0, 1], the perceptual distance (with
// a perceptual loss only); the codes used and up to 8
// input|reconstruction pairs for TensorBoard.
type tokenizerScores struct {
	l1, l2, psnr, perceptual float64
	used                     int
	pairs                    []*image.RGBA
}

// tokenizerValidation runs the validation images through the graph without
// updating it; the L1 and perceptual scores only when perceptual is set
// (the graph is then BuildTrain's, whose L1 and Perceptual are the same
// pass's).
func tokenizerValidation(sess *tfmodel.Session, g *vqvae.TrainGraph, val *dataset.Folder, batch, limit int, perceptual bool) (tokenizerScores, error) {
	var sc tokenizerScores
	l2, psnr, l1, perc := 0.0, 0.0, 0.0, 0.0
	fail := func(err error) (tokenizerScores, error) { return tokenizerScores{}, err }
	n := val.Len()
	if limit > 0 && limit < n {
		n = limit
	}
	seen := make(map[int32]bool)
	count := 0
	for start := 0; start < n; start += batch {
		idx := make([]int, 0, batch)
		for i := start; i < n && i < start+batch; i++ {
			idx = append(idx, i)
		}
		b, err := val.Batch(idx)
		if err != nil {
			return fail(err)
		}
		x, _ := tf.NewTensor(b.Data)
		if err := x.Reshape(b.Shape()); err != nil {
			return fail(err)
		}
		fetches := []tf.Output{g.ValL2, g.ValPSNR, g.ValIDs, g.ValRecon}
		if perceptual {
			fetches = append(fetches, g.L1, g.Perceptual)
		}
		out, err := sess.Run(map[tf.Output]*tf.Tensor{g.Images: x}, fetches, nil)
		if err != nil {
			return fail(fmt.Errorf("validation: %w", err))
		}
		l2 += f32(out[0]) * float64(b.N)
		psnr += f32(out[1]) * float64(b.N)
		if perceptual {
			l1 += f32(out[4]) * float64(b.N)
			perc += f32(out[5]) * float64(b.N)
		}
		count += b.N
		ids, err := tfmodel.Int32s(out[2])
		if err != nil {
			return fail(err)
		}
		for _, id := range ids {
			seen[id] = true
		}
		if start == 0 {
			res := b.Res
			rec, err := tfmodel.Float32s(out[3])
			if err != nil {
				return fail(err)
			}
			for i := 0; i < b.N && i < 8; i++ {
				in, err := dataset.ToRGBA(b.Data[i*3*res*res:(i+1)*3*res*res], res, res)
				if err != nil {
					return fail(err)
				}
				rc, err := dataset.ToRGBA(rec[i*3*res*res:(i+1)*3*res*res], res, res)
				if err != nil {
					return fail(err)
				}
				sc.pairs = append(sc.pairs, sideBySide(in, rc))
			}
		}
	}
	n64 := float64(count)
	sc.l1, sc.l2, sc.psnr, sc.perceptual, sc.used = l1/n64, l2/n64, psnr/n64, perc/n64, len(seen)
	return sc, nil
}

// reinitDeadCodes replaces every code unused since the last call with a
// random encoding of the current batch (drawn from rng, so resumed runs do
// the same).
func reinitDeadCodes(sess *tfmodel.Session, g *vqvae.TrainGraph, usage []int64, flat *tf.Tensor, rng *rand.Rand) error {
	var dead []int32
	for k, c := range usage {
		if c == 0 {
			dead = append(dead, int32(k))
		}
	}
	if len(dead) == 0 {
		return nil
	}
	dim := int(flat.Shape()[1])
	enc, err := tfmodel.Float32s(flat)
	if err != nil {
		return err
	}
	rows := len(enc) / dim
	vals := make([]float32, 0, len(dead)*dim)
	for range dead {
		r := rng.IntN(rows)
		vals = append(vals, enc[r*dim:(r+1)*dim]...)
	}
	it, _ := tf.NewTensor(dead)
	vt, err := tfmodel.NewTensorShaped(vals, int64(len(dead)), int64(dim))
	if err != nil {
		return err
	}
	_, err = sess.Run(map[tf.Output]*tf.Tensor{g.Reinit.Indices: it, g.Reinit.Values: vt}, nil, []*tf.Operation{g.Reinit.Op})
	return err
}

func reportSkipped(w io.Writer, f *dataset.Folder) {
	if sk := f.Skipped(); len(sk) > 0 {
		fmt.Fprintf(w, "skipped %d unreadable files in %s: %v\n", len(sk), f.Dir(), sk)
	}
}
