package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/fid/inception"
	"github.com/maskgit-go/maskgit/train"
)

// runFlags are the flags every training command shares.
type runFlags struct {
	out                           string
	resume, skipBad               bool
	logEvery, valEvery, ckptEvery int64
	valImages, threads            int
	device                        string
	stopAt                        int64
	cluster                       string
	task                          int
	stepTimeout                   time.Duration
}

func (r *runFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&r.out, "out", "", "run directory (config, checkpoints, best model, TensorBoard events) (required)")
	fs.BoolVar(&r.resume, "resume", false, "continue the run in --out from its latest checkpoint")
	fs.Int64Var(&r.logEvery, "log-every", 50, "print a progress line every N steps")
	fs.Int64Var(&r.valEvery, "val-every", 1000, "validate every N steps (and at the end)")
	fs.Int64Var(&r.ckptEvery, "ckpt-every", 500, "save a checkpoint every N steps (and at the end)")
	fs.IntVar(&r.valImages, "val-images", 0, "validate on the first N images of the validation folder (0: all)")
	fs.IntVar(&r.threads, "threads", 0, "TensorFlow intra-op threads (0: all cores)")
	fs.StringVar(&r.device, "device", "cpu", "where to run: cpu or gpu:N; a list (cpu:0,cpu:1 or gpu:0,gpu:1) trains one data-parallel replica on each; with --cluster, cpu or gpu for every task")
	fs.StringVar(&r.cluster, "cluster", "", "data-parallel training on a TensorFlow cluster host0:port0,host1:port1,… (this machine is task 0; the others run `maskgit worker`; see docs/distributed.md)")
	fs.IntVar(&r.task, "task", -1, "this machine's task in --cluster: 0 (the chief)")
	fs.DurationVar(&r.stepTimeout, "step-timeout", 5*time.Minute, "with --cluster: a step (or checkpoint) that takes longer fails, e.g. when a worker died")
	fs.BoolVar(&r.skipBad, "skip-bad", false, "skip unreadable images (and report how many) instead of failing")
	fs.Int64Var(&r.stopAt, "stop-at", 0, "stop after this step with a checkpoint (continue later with --resume)")
}

func (r *runFlags) options(env *cliEnv) (train.RunOptions, error) {
	if r.out == "" {
		return train.RunOptions{}, badInput("--out is required")
	}
	rep, dev, err := replication(r.cluster, r.task, r.device, r.threads, r.stepTimeout, env.stdout)
	if err != nil {
		return train.RunOptions{}, err
	}
	return train.RunOptions{Replicas: rep,
		Out: r.out, Resume: r.resume, LogEvery: r.logEvery, ValEvery: r.valEvery, CkptEvery: r.ckptEvery,
		ValImages: r.valImages, Threads: r.threads, Device: dev, SkipBad: r.skipBad, StopAt: r.stopAt, Log: env.stdout,
	}, nil
}

// scheduleFlags override a preset's length, batch and learning rate.
type scheduleFlags struct {
	preset   string
	steps    int64
	batch    int
	lr       float64
	schedule string
	seed     uint64
}

func (f *scheduleFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.preset, "preset", "cpu", fmt.Sprintf("model and training preset %v", train.PresetNames()))
	fs.Int64Var(&f.steps, "steps", 0, "optimizer steps (0: the preset's)")
	fs.IntVar(&f.batch, "batch", 0, "batch size (0: the preset's)")
	fs.Float64Var(&f.lr, "lr", 0, "base learning rate (0: the preset's)")
	fs.StringVar(&f.schedule, "lr-schedule", "", "learning-rate schedule: step or cosine (default: the preset's)")
	fs.Uint64Var(&f.seed, "seed", 1, "seed of the initial weights, data order and every random draw")
}

// apply writes the given overrides into a preset's fields and checks the
// resulting learning-rate schedule.
func (f *scheduleFlags) apply(steps *int64, batch *int, lr *train.LRConfig, seed *uint64) error {
	if f.steps > 0 {
		*steps = f.steps
	}
	if f.batch > 0 {
		*batch = f.batch
	}
	if f.lr > 0 {
		lr.Base = f.lr
	}
	if f.schedule != "" {
		lr.Schedule = f.schedule
	}
	*seed = f.seed
	// The messages name the flags, not the schedule's Go fields.
	if lr.Schedule == "cosine" && (int64(lr.Warmup) >= *steps || lr.Warmup < 0) {
		return badInput("--steps %d must be more than the cosine schedule's %d warm-up steps (preset %s)", *steps, lr.Warmup, f.preset)
	}
	if lr.Schedule == "cosine" && lr.Min > lr.Base {
		return badInput("--lr %v is below the cosine schedule's floor %v (preset %s)", lr.Base, lr.Min, f.preset)
	}
	if _, err := lr.Build(*steps); err != nil {
		return badInput("--lr-schedule %s with --steps %d, --lr %v: %v", lr.Schedule, *steps, lr.Base, err)
	}
	return nil
}

// noSharedData ends the messages about a data flag left empty because the
// shared data was not found.
const noSharedData = "no data/catfaces64 found under the shared folder: set MASKGIT_SHARED to the folder holding data/catfaces64, or give the flag"

// defaultDataDir is catfaces64/<split> under the shared folder, or "" when absent.
func defaultDataDir(split string) string {
	dir, err := dataset.CatFacesDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, split)
}

func trainTokenizerCommand() command {
	return command{
		name:    "train-tokenizer",
		summary: "train the VQ tokenizer (stage 1) on an image folder (data-parallel with --device cpu:0,cpu:1 or --cluster)",
		flags: func(fs *pflag.FlagSet) func(context.Context, *cliEnv, []string) error {
			var rf runFlags
			var sf scheduleFlags
			rf.register(fs)
			sf.register(fs)
			trainDir := fs.String("train-dir", defaultDataDir("train"), "training images (PNG/JPEG, recursive)")
			valDir := fs.String("val-dir", defaultDataDir("val"), "validation images")
			disc := fs.Bool("disc", false, "add the patch discriminator (hinge loss; with --cluster or a --device list it is replicated like the tokenizer)")
			discStart := fs.Int64("disc-start", -1, "step at which the discriminator loss switches on (-1: the preset's)")
			initFrom := fs.String("init-from", "", "start from the weights of this tokenizer run or model directory (fresh optimizer, schedule and step count)")
			decoderOnly := fs.Bool("decoder-only", false, "train the decoder alone (needs --init-from): the encoder and codebook stay, so the tokens and a transformer trained on them stay valid; dead-code re-initialisation is off")
			perceptual := fs.Float64("perceptual", 0, "weight of a perceptual loss on the first stages of FID's Inception network (0: off; 1 is a good start for --decoder-only)")
			perceptualSize := fs.Int64("perceptual-size", 0, fmt.Sprintf("side the images are resized to for the perceptual loss (0: %d)", inception.DefaultPerceptualSize))
			weights := fs.String("inception-weights", "", "converted Inception weights for --perceptual (default: fetched once into the cache folder, see fid-weights)")
			return func(ctx context.Context, env *cliEnv, args []string) error {
				if len(args) > 0 {
					return badInput("unexpected arguments %q", args)
				}
				cfg, err := train.TokenizerPreset(sf.preset)
				if err != nil {
					return usageError{err}
				}
				if *trainDir == "" || *valDir == "" {
					return badInput("--train-dir and --val-dir are required (%s)", noSharedData)
				}
				cfg.TrainDir, cfg.ValDir = *trainDir, *valDir
				if *disc {
					cfg.Train.Disc = true
				}
				if *discStart >= 0 {
					cfg.DiscStart = *discStart
				}
				cfg.InitFrom = *initFrom
				if *decoderOnly {
					cfg.Train.DecoderOnly = true
					cfg.DeadCodeEvery = 0
				}
				if *perceptual < 0 || math.IsNaN(*perceptual) || math.IsInf(*perceptual, 0) {
					return badInput("--perceptual %v must be a finite weight of at least 0", *perceptual)
				}
				if *perceptualSize != 0 && *perceptualSize < inception.MinPerceptualSize {
					return badInput("--perceptual-size %d must be at least %d (0: %d)", *perceptualSize, inception.MinPerceptualSize, inception.DefaultPerceptualSize)
				}
				cfg.Train.Perceptual, cfg.Train.PerceptualSize = *perceptual, *perceptualSize
				if err := sf.apply(&cfg.Steps, &cfg.Batch, &cfg.LR, &cfg.Seed); err != nil {
					return err
				}
				if cfg.Train.Perceptual > 0 {
					w, _, err := loadInceptionWeights(ctx, env, "--inception-weights", *weights, "")
					if err != nil {
						return err
					}
					cfg.Train.PerceptualNet = w
				}
				opt, err := rf.options(env)
				if err != nil {
					return err
				}
				res, err := train.TrainTokenizer(ctx, cfg, opt)
				if err != nil {
					if errors.Is(err, context.Canceled) {
						return fmt.Errorf("interrupted at step %d (checkpoint saved; continue with --resume)", res.Step)
					}
					return classifyTrainError(err)
				}
				fmt.Fprintln(env.stdout, tokenizerSummary(res, opt.Out))
				return nil
			}
		},
	}
}

// classifyTrainError turns the trainer's input errors into exit status 2.
func classifyTrainError(err error) error {
	if err == nil {
		return nil
	}
	var ie *train.InputError
	if errors.As(err, &ie) {
		return usageError{err}
	}
	return err
}
