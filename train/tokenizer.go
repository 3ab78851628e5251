package train

import (
	"context"
	"fmt"
	"image"
	"io"
	"math"
	"math/rand/v2"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/graphs/vqvae"
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
	if err := cfg.Model.Validate(); err != nil {
		return res, inputErr(err)
	}
	if cfg.Batch <= 0 || cfg.Steps <= 0 {
		return res, inputErr(fmt.Errorf("batch (%d) and steps (%d) must be positive", cfg.Batch, cfg.Steps))
	}
	if err := opt.Replicas.checkBatch(cfg.Batch); err != nil {
		return res, inputErr(err)
	}
	sched, err := cfg.LR.Build(cfg.Steps)
	if err != nil {
		return res, inputErr(err)
	}
	if err := checkDevice(opt); err != nil {
		return res, inputErr(err)
	}
	res.BestStep = -1
	run := RunDir(opt.Out)
	if opt.Log != nil {
		fmt.Fprintf(opt.Log, "tokenizer: reading the images of %s (--train-dir) and %s (--val-dir)\n", cfg.TrainDir, cfg.ValDir)
	}
	trainSet, err := OpenImages(cfg.TrainDir, int(cfg.Model.Resolution), opt.SkipBad)
	if err != nil {
		return res, inputErr(err)
	}
	reportSkipped(opt.Log, trainSet)
	valSet, err := OpenImages(cfg.ValDir, int(cfg.Model.Resolution), opt.SkipBad)
	if err != nil {
		return res, inputErr(err)
	}
	reportSkipped(opt.Log, valSet)
	if opt.Log != nil {
		mirrored := ""
		if cfg.Flip {
			mirrored = " (each also mirrored at random)"
		}
		fmt.Fprintf(opt.Log, "tokenizer: %s for training%s, %s for validation\n", plural(trainSet.Len()-len(trainSet.Skipped()), "image"), mirrored, plural(valSet.Len()-len(valSet.Skipped()), "image"))
	}
	if err := run.Init(cfg, opt.Resume); err != nil {
		return res, inputErr(err)
	}
	g, err := buildTokenizerTrain(cfg, opt)
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
	it, err := trainSet.Iterator(dataset.IterOptions{BatchSize: cfg.Batch, Seed: cfg.Seed, Shuffle: true, Flip: cfg.Flip})
	if err != nil {
		return res, err
	}
	if err := it.SetState(st.Data); err != nil {
		return res, err
	}

	prog := NewProgress(opt.Log, st.Step, cfg.Steps)
	prog.Start("tokenizer", opt.LogEvery)
	usage := make([]int64, cfg.Model.Codes)
	if len(st.CodeUsage) == len(usage) {
		copy(usage, st.CodeUsage)
	}
	var imagesSinceLog int64
	save := func() error {
		st.CodeUsage = append(st.CodeUsage[:0], usage...)
		return rs.save(it.State())
	}
	validate := func() error {
		l2, psnr, used, recon, err := tokenizerValidation(sess, g, valSet, cfg.Batch, opt.ValImages)
		if err != nil {
			return err
		}
		res.ValL2, res.ValPSNR, res.Used = l2, psnr, used
		fmt.Fprintf(opt.Log, "validation at step %d: l2 %.5f psnr %.2f dB codes used %d/%d\n", st.Step, l2, psnr, used, cfg.Model.Codes)
		if err := rs.scalars("val/", map[string]float64{"l2": l2, "psnr": psnr, "codes_used": float64(used)}); err != nil {
			return err
		}
		if err := rs.events.Images(st.Step, "val/reconstruction", recon); err != nil {
			return err
		}
		best, err := rs.offerBest(l2, it.State())
		if best {
			res.BestPSNR = psnr
		}
		return err
	}

	for st.Step < cfg.Steps {
		if stop, err := rs.stopBefore(ctx, opt, save); stop {
			res.Step, res.BestStep = st.Step, st.BestStep
			return res, err
		}
		b, err := it.Next()
		if err != nil {
			return res, err
		}
		x, err := tf.NewTensor(b.Data)
		if err != nil {
			return res, err
		}
		if err := x.Reshape(b.Shape()); err != nil {
			return res, err
		}
		lr, _ := tf.NewTensor(float32(sched.LR(int(st.Step))))
		feeds := map[tf.Output]*tf.Tensor{g.Images: x, g.LR: lr}
		targets := []*tf.Operation{g.Step}
		if cfg.Train.Disc && st.Step >= cfg.DiscStart {
			w, _ := tf.NewTensor(float32(cfg.DiscWeight))
			feeds[g.DiscWeight] = w
			targets = append(targets, g.DiscStep)
		}
		reinit := cfg.DeadCodeEvery > 0 && (st.Step+1)%cfg.DeadCodeEvery == 0
		fetches := []tf.Output{g.Loss, g.L1, g.L2, g.PSNR, g.Perplexity, g.GradNorm, g.IDs, g.GenLoss, g.DiscLoss}
		if reinit {
			fetches = append(fetches, g.Flat)
		}
		out, err := sess.Run(feeds, fetches, targets)
		if err != nil {
			return res, fmt.Errorf("step %d: %w", st.Step, opt.Replicas.explain(err))
		}
		loss := float64(out[0].Value().(float32))
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return res, fmt.Errorf("step %d: loss is %v: lower the learning rate", st.Step, loss)
		}
		ids, err := tfmodel.Int32s(out[6])
		if err != nil {
			return res, err
		}
		for _, id := range ids {
			usage[id]++
		}
		if reinit {
			if err := reinitDeadCodes(sess, g, usage, out[len(out)-1], rs.rng); err != nil {
				return res, err
			}
			for i := range usage {
				usage[i] = 0
			}
		}
		st.Step++
		if opt.StepHook != nil {
			opt.StepHook(st.Step, loss)
		}
		imagesSinceLog += int64(b.N)
		if opt.LogEvery > 0 && (st.Step%opt.LogEvery == 0 || st.Step == cfg.Steps) {
			m := map[string]float64{
				"loss": loss, "l1": f32(out[1]), "l2": f32(out[2]), "psnr": f32(out[3]),
				"perplexity": f32(out[4]), "grad_norm": f32(out[5]), "lr": sched.LR(int(st.Step - 1)),
			}
			if cfg.Train.Disc {
				m["gen"], m["disc"] = f32(out[7]), f32(out[8])
			}
			ips := prog.Report(st.Step, imagesSinceLog, m)
			imagesSinceLog = 0
			m["images_per_sec"] = ips
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
	res.Step, res.BestStep = st.Step, st.BestStep
	return res, nil
}

// tokenizerValidation runs the validation images through the graph without
// updating it: mean L2 (on [-1, 1]) and PSNR (per image on [0, 1]), codes
// used, and up to 8 input|reconstruction pairs for TensorBoard.
func tokenizerValidation(sess *tfmodel.Session, g *vqvae.TrainGraph, val *dataset.Folder, batch, limit int) (l2, psnr float64, used int, pairs []*image.RGBA, err error) {
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
			return 0, 0, 0, nil, err
		}
		x, _ := tf.NewTensor(b.Data)
		if err := x.Reshape(b.Shape()); err != nil {
			return 0, 0, 0, nil, err
		}
		out, err := sess.Run(map[tf.Output]*tf.Tensor{g.Images: x}, []tf.Output{g.ValL2, g.ValPSNR, g.ValIDs, g.ValRecon}, nil)
		if err != nil {
			return 0, 0, 0, nil, fmt.Errorf("validation: %w", err)
		}
		l2 += f32(out[0]) * float64(b.N)
		psnr += f32(out[1]) * float64(b.N)
		count += b.N
		ids, err := tfmodel.Int32s(out[2])
		if err != nil {
			return 0, 0, 0, nil, err
		}
		for _, id := range ids {
			seen[id] = true
		}
		if start == 0 {
			res := b.Res
			rec, err := tfmodel.Float32s(out[3])
			if err != nil {
				return 0, 0, 0, nil, err
			}
			for i := 0; i < b.N && i < 8; i++ {
				in, err := dataset.ToRGBA(b.Data[i*3*res*res:(i+1)*3*res*res], res, res)
				if err != nil {
					return 0, 0, 0, nil, err
				}
				rc, err := dataset.ToRGBA(rec[i*3*res*res:(i+1)*3*res*res], res, res)
				if err != nil {
					return 0, 0, 0, nil, err
				}
				pairs = append(pairs, sideBySide(in, rc))
			}
		}
	}
	return l2 / float64(count), psnr / float64(count), len(seen), pairs, nil
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
