package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/maskgit-go/maskgit/masks"
	"github.com/maskgit-go/maskgit/pipeline"
)

// sampleName is the file stem of unconditional sample i.
func sampleName(i int) string { return fmt.Sprintf("sample_%03d", i) }

func generateCommand() command {
	return command{
		name:    "generate",
		summary: "draw unconditional samples: every token masked at the start, filled by iterative decoding",
		flags: func(fs *pflag.FlagSet) func(context.Context, *cliEnv, []string) error {
			var mf modelFlags
			var df decodeFlags
			mf.register(fs)
			n := fs.Int("n", 8, "number of images")
			out := fs.String("out", "", "output folder: sample_%03d.png (required)")
			df.register(fs)
			// Argmax from an all-[MASK] grid predicts the same tokens for
			// every image: unconditional samples are drawn from the softmax
			// unless --sample=false is given.
			fs.Lookup("sample").Usage = "sample tokens from the softmax instead of taking the argmax (default true here: the argmax of an all-[MASK] grid is the same image every time)"
			// The model's sweet spot is tuned for inpainting, where a quarter
			// of the tokens is unknown; from an all-[MASK] grid a single step
			// draws every token independently (noise), so all T steps run
			// unless --sweet-spot is given.
			fs.Lookup("sweet-spot").Usage = "stop after this many steps and fill the rest (default 0 here, all T steps: the model's sweet spot is tuned for inpainting, and one step from an all-[MASK] grid draws every token independently)"
			saveSteps := fs.Bool("save-steps", false, "also write per image the latent mask and the decoded image at each step (out/steps/)")
			withMasks := fs.String("with-masks", "", "also write sample_%03d_mask.png of this mask style (strokes, box, blob; same seed): the layout of examples/")
			return func(ctx context.Context, env *cliEnv, args []string) error {
				if len(args) > 0 {
					return badInput("unexpected arguments %q", args)
				}
				if *out == "" {
					return badInput("--out is required")
				}
				if *n < 1 {
					return badInput("--n must be at least 1, got %d", *n)
				}
				var style masks.Style
				if *withMasks != "" {
					s, err := masks.ParseStyle(*withMasks)
					if err != nil {
						return usageError{err}
					}
					style = s
				}
				if err := df.check(); err != nil {
					return err
				}
				model, err := mf.load(env.stderr)
				if err != nil {
					return err
				}
				defer model.Close()
				base := model.Settings
				if !fs.Changed("sample") {
					base.Sample = true
				}
				if !fs.Changed("sweet-spot") {
					base.SweetSpot = 0
				}
				set, iopt, err := df.options(base)
				if err != nil {
					return err
				}
				iopt.Decode.SaveSteps = *saveSteps
				opt := pipeline.GenerateOptions{Decode: iopt.Decode, Seed: iopt.Seed}
				t0 := time.Now()
				outs, err := model.Generate(ctx, *n, opt)
				if err != nil {
					return err
				}
				spent := time.Since(t0)
				for i, o := range outs {
					stem := sampleName(i)
					if err := writePNG(filepath.Join(*out, stem+".png"), o.Image); err != nil {
						return err
					}
					if *saveSteps && o.StepStrip != nil {
						if err := writePNG(filepath.Join(*out, "steps", stem+"_mask.png"), o.MaskStrip); err != nil {
							return err
						}
						if err := writePNG(filepath.Join(*out, "steps", stem+"_steps.png"), o.StepStrip); err != nil {
							return err
						}
					}
				}
				if style != "" {
					res := int(model.Tokenizer.Cfg.Resolution)
					mopt := masks.DefaultOptions(style)
					mopt.W, mopt.H = res, res
					ms, err := masks.Series(style, mopt, set.Seed, *n)
					if err != nil {
						return err
					}
					for i, m := range ms {
						if err := masks.Write(filepath.Join(*out, sampleName(i)+"_mask.png"), m); err != nil {
							return err
						}
					}
				}
				fmt.Fprintf(env.stdout, "generated %d images into %s (%s, T=%d, seed %d): %.3f s per image\n",
					len(outs), *out, set.Schedule, set.TotalIter, set.Seed, spent.Seconds()/float64(len(outs)))
				return nil
			}
		},
	}
}
