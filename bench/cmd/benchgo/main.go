// Command benchgo is the Go half of the side-by-side benchmark
// (bench/compare.sh): each call runs one measurement and prints it as one
// JSON line (bench.Result) on standard output.
//
//	benchgo train   [--preset cpu] [--dim D --layers L --heads H --mlp-dim M] [--batch 32] [--bf16] ...
//	benchgo losses  [--preset cpu] [--dim D ...] [--batch 32] [--steps 200] [--lr-warmup N] [--window 10] [--tokens FILE]
//	                (the same training in float32 and bfloat16: both loss curves and max |Δ| per window)
//	benchgo inpaint [--model models/catfaces64] [--data DIR] [--batch 32] [--steps 8] [--bf16[=transformer|tokenizer]] ...
//	benchgo matmul  [--n 2048] ...
//	benchgo preset  [--preset cpu]   (the preset's transformer and loss/optimizer config, no timing)
//	benchgo dump    --out DIR [--model ...] [--data ...] [--n 32] [--logits 9]   (outputs for bench/check.py)
//	benchgo graph   --out BASE [--inference] [--preset cpu] [--dim D ...] [--batch 32]
//	                (the training graph as BASE.pb and its op names as BASE.json, for bench/profile_step.py)
//
// Exit status: 0 on success, 2 for bad usage, 1 for other failures.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/maskgit-go/maskgit/bench"
	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/graphs/transformer"
	"github.com/maskgit-go/maskgit/pipeline"
	"github.com/maskgit-go/maskgit/train"
)

func main() {
	if _, set := os.LookupEnv("TF_CPP_MIN_LOG_LEVEL"); !set {
		os.Setenv("TF_CPP_MIN_LOG_LEVEL", "1")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type usageError struct{ error }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: benchgo train|losses|inpaint|matmul|dump|preset|graph [flags]")
		return 2
	}
	fs := pflag.NewFlagSet("benchgo "+args[0], pflag.ContinueOnError)
	fs.SetOutput(stderr)
	threads := fs.Int("threads", 2, "TensorFlow intra- and inter-op threads")
	warmup := fs.Int("warmup", 2, "untimed runs first")
	iters := fs.Int("iters", 5, "timed runs")
	var do func() (interface{}, error)
	switch args[0] {
	case "train":
		mf := registerModelFlags(fs)
		batch := fs.Int("batch", 32, "samples per step")
		lr := fs.Float64("lr", 6e-4, "learning rate (constant)")
		bf16 := fs.Bool("bf16", false, "bfloat16 mixed precision (oneDNN auto mixed precision); the result is named train-bf16")
		do = func() (interface{}, error) {
			p, c, err := mf.config()
			if err != nil {
				return nil, err
			}
			return bench.Train(bench.TrainOptions{Model: c, Train: p.Train, Batch: *batch, Warmup: *warmup, Iters: *iters,
				Threads: *threads, LR: *lr, Seed: 1, BFloat16: *bf16})
		}
	case "losses":
		mf := registerModelFlags(fs)
		batch := fs.Int("batch", 32, "samples per step")
		lr := fs.Float64("lr", 6e-4, "learning rate (constant)")
		lrWarmup := fs.Int("lr-warmup", 0, "steps of linear learning-rate warm-up (constant --lr after)")
		steps := fs.Int("steps", 200, "training steps of each run")
		window := fs.Int("window", 10, "steps per row of the max |Δ| table")
		seed := fs.Uint64("seed", 1, "seed of the weights, batches, masks and dropout (the same in both runs)")
		tokens := fs.String("tokens", "", "token cache (maskgit encode) to draw the batches from; default: uniformly random tokens")
		do = func() (interface{}, error) {
			p, c, err := mf.config()
			if err != nil {
				return nil, err
			}
			opt := bench.LossOptions{Model: c, Train: p.Train, Batch: *batch, Steps: *steps, Window: *window,
				Threads: *threads, LR: *lr, LRWarmup: *lrWarmup, Seed: *seed}
			if *tokens != "" {
				if opt.Tokens, err = dataset.ReadTokenCache(*tokens); err != nil {
					return nil, usageError{fmt.Errorf("--tokens: %w", err)}
				}
			}
			res, err := bench.Losses(opt)
			if err != nil {
				return nil, err
			}
			return res, res.WriteTable(stderr)
		}
	case "inpaint":
		model := fs.String("model", "models/catfaces64", "model directory")
		data := fs.String("data", "/work/shared/data/catfaces64", "data set with test_index.csv, test/ and mask64/")
		batch := fs.Int("batch", 32, "images per call")
		steps := fs.Int("steps", 8, "decoding steps T (all run)")
		temp := fs.Float64("temperature", 4.5, "Gumbel temperature of the confidence order")
		bf16 := fs.String("bf16", "off", "bfloat16 mixed precision (oneDNN) for: all (--bf16 alone), transformer, tokenizer or off; results differ slightly from float32")
		fs.Lookup("bf16").NoOptDefVal = "all"
		do = func() (interface{}, error) {
			opt := pipeline.Options{Threads: *threads}
			if err := opt.SetBFloat16(*bf16); err != nil {
				return nil, usageError{fmt.Errorf("--bf16: %w", err)}
			}
			m, in, err := load(*model, *data, *batch, opt)
			if err != nil {
				return nil, err
			}
			defer m.Close()
			r, err := bench.Inpaint(ctx, m, in, bench.InpaintOptions{Steps: *steps, Temperature: *temp, Warmup: *warmup, Iters: *iters, Seed: 1})
			if b := opt.BFloat16(); b != "off" {
				r.Name += "-bf16" // inpaint-bf16, or inpaint-bf16-transformer for one part
				if b != "all" {
					r.Name += "-" + b
				}
			}
			return r, err
		}
	case "preset":
		preset := fs.String("preset", "cpu", "transformer preset")
		do = func() (interface{}, error) {
			p, err := train.TransformerPreset(*preset)
			if err != nil {
				return nil, usageError{err}
			}
			return map[string]interface{}{"model": p.Model, "train": p.Train}, nil
		}
	case "graph":
		mf := registerModelFlags(fs)
		batch := fs.Int("batch", 32, "samples per step (recorded for the reader)")
		out := fs.String("out", "", "write OUT.pb (GraphDef) and OUT.json (op names) (required)")
		inference := fs.Bool("inference", false, "write the inference graph (bench/profile_inference.py) instead of the training graph (bench/profile_step.py)")
		do = func() (interface{}, error) {
			if *out == "" {
				return nil, usageError{errors.New("--out is required")}
			}
			p, c, err := mf.config()
			if err != nil {
				return nil, err
			}
			if *inference {
				return bench.WriteInferenceGraph(*out, c, *batch)
			}
			return bench.WriteTrainGraph(*out, c, p.Train, 1, *batch)
		}
	case "matmul":
		n := fs.Int("n", 2048, "matrix side")
		do = func() (interface{}, error) { return bench.Matmul(*n, *warmup, *iters, *threads) }
	case "dump":
		model := fs.String("model", "models/catfaces64", "model directory")
		data := fs.String("data", "/work/shared/data/catfaces64", "data set with test_index.csv, test/ and mask64/")
		n := fs.Int("n", 32, "images")
		logits := fs.Int("logits", 9, "rows of logits to write (the last is an all-[MASK] grid)")
		out := fs.String("out", "", "output directory (required)")
		do = func() (interface{}, error) {
			if *out == "" {
				return nil, usageError{errors.New("--out is required")}
			}
			m, in, err := load(*model, *data, *n, pipeline.Options{Threads: *threads})
			if err != nil {
				return nil, err
			}
			defer m.Close()
			if err := bench.Dump(ctx, m, *model, in, *logits, *out); err != nil {
				return nil, err
			}
			return map[string]string{"dump": *out}, nil
		}
	default:
		fmt.Fprintf(stderr, "benchgo: unknown measurement %q (train, losses, inpaint, matmul, dump, preset, graph)\n", args[0])
		return 2
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "benchgo %s: %v\n", args[0], err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "benchgo %s: unexpected arguments %v\n", args[0], fs.Args())
		return 2
	}
	res, err := do()
	if err != nil {
		fmt.Fprintf(stderr, "benchgo %s: %v\n", args[0], err)
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	if err := json.NewEncoder(stdout).Encode(res); err != nil {
		fmt.Fprintf(stderr, "benchgo: %v\n", err)
		return 1
	}
	return 0
}

// modelFlags pick a transformer preset and override its size.
type modelFlags struct {
	preset          *string
	dim, heads, mlp *int64
	layers          *int
}

func registerModelFlags(fs *pflag.FlagSet) modelFlags {
	return modelFlags{
		preset: fs.String("preset", "cpu", "transformer preset (model, loss and optimizer)"),
		dim:    fs.Int64("dim", 0, "override the preset's model dimension"),
		layers: fs.Int("layers", 0, "override the preset's layer count"),
		heads:  fs.Int64("heads", 0, "override the preset's head count"),
		mlp:    fs.Int64("mlp-dim", 0, "override the preset's MLP width"),
	}
}

// config returns the preset and its model config with the overrides.
func (f modelFlags) config() (train.TransformerConfig, transformer.Config, error) {
	p, err := train.TransformerPreset(*f.preset)
	if err != nil {
		return p, p.Model, usageError{err}
	}
	c := p.Model
	if *f.dim > 0 {
		c.Dim = *f.dim
	}
	if *f.layers > 0 {
		c.Layers = *f.layers
	}
	if *f.heads > 0 {
		c.Heads = *f.heads
	}
	if *f.mlp > 0 {
		c.MLPDim = *f.mlp
	}
	if err := c.Validate(); err != nil {
		return p, c, usageError{err}
	}
	return p, c, nil
}

func load(model, data string, n int, opt pipeline.Options) (*pipeline.Model, *bench.Inputs, error) {
	m, err := pipeline.Load(model, opt)
	if err != nil {
		return nil, nil, err
	}
	in, err := bench.LoadInputs(data, n, int(m.Tokenizer.Cfg.Resolution))
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	return m, in, nil
}
