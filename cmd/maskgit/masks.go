package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/maskgit-go/maskgit/masks"
)

func masksCommand() command {
	return command{
		name:    "masks",
		summary: "draw seeded inpainting masks in the lab format (mask_%03d.png, 0 = hole)",
		flags: func(fs *pflag.FlagSet) func(context.Context, *cliEnv, []string) error {
			n := fs.Int("n", 8, "number of masks")
			seed := fs.Uint64("seed", 1, "seed (mask i depends only on the seed and i)")
			style := fs.String("style", "strokes", "strokes (random-walk brush strokes like the benchmark's), box or blob")
			out := fs.String("out", "", "output folder (required)")
			size := fs.Int("size", 64, "mask width and height in pixels")
			minHole := fs.Float64("min-hole", 0, "smallest hole fraction (0: the style's default, 0.12 for strokes and blobs, 0.10 for boxes)")
			images := fs.String("images", "", "also make a benchmark folder in the lab layout: masks in OUT/mask64/, the images of this folder (in numeric order) with the holes grey in OUT/masked_image/, OUT/test_index.csv and OUT/test (a link to this folder, the ground truth)")
			maxHole := fs.Float64("max-hole", 0, "largest hole fraction (0: the style's default, 0.39 for strokes and blobs, 0.35 for boxes)")
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
				st, err := masks.ParseStyle(*style)
				if err != nil {
					return usageError{err}
				}
				opt := masks.DefaultOptions(st)
				opt.W, opt.H = *size, *size
				if *minHole != 0 {
					opt.MinHole = *minHole
				}
				if *maxHole != 0 {
					opt.MaxHole = *maxHole
				}
				ms, err := masks.Series(st, opt, *seed, *n)
				if err != nil {
					return usageError{err}
				}
				maskDir := *out
				if *images != "" {
					maskDir = filepath.Join(*out, "mask64")
				}
				if _, err := masks.WriteDir(maskDir, ms); err != nil {
					return err
				}
				if *images != "" {
					if _, err := writeBenchSet(*out, *images, ms); err != nil {
						return err
					}
				}
				lo, hi, sum := 1.0, 0.0, 0.0
				for _, m := range ms {
					f := masks.Fraction(m)
					lo, hi, sum = min(lo, f), max(hi, f), sum+f
				}
				fmt.Fprintf(env.stdout, "wrote %d %s masks (%dx%d, holes %.1f%%–%.1f%%, mean %.1f%%) to %s\n",
					len(ms), st, opt.W, opt.H, 100*lo, 100*hi, 100*sum/float64(len(ms)), maskDir)
				if *images != "" {
					fmt.Fprintf(env.stdout, "benchmark folder %s: masked_image/, test_index.csv, test -> %s\n", *out, *images)
				}
				return nil
			}
		},
	}
}
