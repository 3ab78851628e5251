package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/maskgit-go/maskgit/inpaint"
	"github.com/maskgit-go/maskgit/pipeline"
	"github.com/maskgit-go/maskgit/tfmodel"
	"github.com/maskgit-go/maskgit/train"
)

func trainCommand() command {
	return command{
		name:    "train",
		summary: "train the transformer (stage 2) by masked visual token modelling (data-parallel with --device cpu:0,cpu:1 or --cluster)",
		flags: func(fs *pflag.FlagSet) func(context.Context, *cliEnv, []string) error {
			var rf runFlags
			var sf scheduleFlags
			rf.register(fs)
			sf.register(fs)
			tokDir := fs.String("tokenizer", "", "tokenizer run directory (from train-tokenizer) (required)")
			trainTokens := fs.String("train-tokens", "", "training token cache (from encode); default: encode --train-dir into the run")
			valTokens := fs.String("val-tokens", "", "validation token cache; default: encode --val-dir into the run")
			trainDir := fs.String("train-dir", defaultDataDir("train"), "training images, encoded once when --train-tokens is not given")
			valDir := fs.String("val-dir", defaultDataDir("val"), "validation images, encoded once when --val-tokens is not given")
			initFrom := fs.String("init-from", "", "start from the weights of this transformer run or model directory (fresh optimizer, schedule and step count)")
			maskSched := fs.String("mask-schedule", "", fmt.Sprintf("γ for training masks %v (default: the preset's, cosine)", inpaint.ScheduleNames()))
			strokes := fs.Float64("stroke-masks", -1, "share of training images masked with brush strokes like inpainting's instead of random tokens, 0…1 (default: the preset's)")
			bf16 := fs.Bool("bf16", cpuHasBF16(), "train in oneDNN bfloat16 mixed precision (variables, optimizer state and checkpoints stay float32): "+
				"1.2-1.6x faster on CPUs with AVX512_BF16 or AMX-BF16, the loss curve checked against float32 over 4,000 steps (docs/results.md); "+
				"on by default when this CPU has either; --bf16=false for float32; recorded in config.json (--resume keeps it)")
			return func(ctx context.Context, env *cliEnv, args []string) error {
				if len(args) > 0 {
					return badInput("unexpected arguments %q", args)
				}
				if *tokDir == "" {
					return badInput("--tokenizer is required")
				}
				cfg, err := train.TransformerPreset(sf.preset)
				if err != nil {
					return usageError{err}
				}
				cfg.TokenizerDir = *tokDir
				cfg.TrainTokens, cfg.ValTokens = *trainTokens, *valTokens
				if cfg.TrainTokens == "" {
					cfg.TrainDir = *trainDir
					if cfg.TrainDir == "" {
						return badInput("--train-dir or --train-tokens is required (%s)", noSharedData)
					}
				}
				if cfg.ValTokens == "" {
					cfg.ValDir = *valDir
					if cfg.ValDir == "" {
						return badInput("--val-dir or --val-tokens is required (%s)", noSharedData)
					}
				}
				cfg.InitFrom = *initFrom
				if *maskSched != "" {
					cfg.MaskSchedule = *maskSched
				}
				if fs.Changed("stroke-masks") {
					if !(*strokes >= 0 && *strokes <= 1) {
						return badInput("--stroke-masks must be in [0, 1], got %v", *strokes)
					}
					cfg.StrokeMasks = *strokes
				}
				if err := sf.apply(&cfg.Steps, &cfg.Batch, &cfg.LR, &cfg.Seed); err != nil {
					return err
				}
				opt, err := rf.options(env)
				if err != nil {
					return err
				}
				cfg.BFloat16 = *bf16
				if rf.resume && !fs.Changed("bf16") {
					cfg.BFloat16 = resumedBFloat16(opt.Out)
				}
				if cfg.BFloat16 && bf16Emulated() {
					fmt.Fprintln(env.stderr, "warning: --bf16: this CPU has neither AVX512_BF16 nor AMX-BF16: bfloat16 is emulated (slower than float32) or, without AVX512F, not applied")
				}
				res, err := train.TrainTransformer(ctx, cfg, opt)
				if err != nil {
					if errors.Is(err, context.Canceled) {
						return fmt.Errorf("interrupted at step %d (checkpoint saved; continue with --resume)", res.Step)
					}
					return classifyTrainError(err)
				}
				fmt.Fprintln(env.stdout, transformerSummary(res, opt.Out))
				return nil
			}
		},
	}
}

// resumedBFloat16 reports whether the transformer run in dir trains in
// bfloat16 (its config.json's "bfloat16"), so that --resume keeps the
// setting without --bf16; false when the config cannot be read (the
// trainer then reports the problem).
func resumedBFloat16(dir string) bool {
	var cfg train.TransformerConfig
	if err := train.RunDir(dir).ReadConfig(&cfg); err != nil {
		return false
	}
	return cfg.BFloat16
}

func encodeCommand() command {
	return command{
		name:    "encode",
		summary: "encode an image folder into a token cache with a trained tokenizer",
		flags: func(fs *pflag.FlagSet) func(context.Context, *cliEnv, []string) error {
			tokDir := fs.String("tokenizer", "", "tokenizer run directory, or a model directory with tokenizer/ (required)")
			images := fs.String("images", "", "image folder (PNG/JPEG, recursive) (required)")
			out := fs.String("out", "", "token cache file to write (required)")
			batch := fs.Int("batch", 64, "images per model call")
			flip := fs.Bool("flip", false, "also encode every image mirrored left-right")
			skipBad := fs.Bool("skip-bad", false, "skip unreadable images instead of failing")
			threads := fs.Int("threads", 0, "TensorFlow threads (0: all cores)")
			device := fs.String("device", "cpu", "cpu or gpu:N")
			return func(ctx context.Context, env *cliEnv, args []string) error {
				if len(args) > 0 {
					return badInput("unexpected arguments %q", args)
				}
				if *tokDir == "" || *images == "" || *out == "" {
					return badInput("--tokenizer, --images and --out are required")
				}
				dev, err := tfmodel.ParseDevice(*device)
				if err != nil {
					return usageError{err}
				}
				tok, err := pipeline.LoadTokenizer(pipeline.PartDir(*tokDir, "tokenizer"), pipeline.Options{Device: dev, Threads: *threads})
				if err != nil {
					return usageError{err}
				}
				defer tok.Close()
				_, err = train.EncodeFolder(ctx, tok, *images, *out, train.EncodeOptions{Batch: *batch, Flip: *flip, SkipBad: *skipBad, Log: env.stdout})
				return classifyTrainError(err)
			}
		},
	}
}
