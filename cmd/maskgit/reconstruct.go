package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/fid/imageio"
	"github.com/maskgit-go/maskgit/pipeline"
	"github.com/maskgit-go/maskgit/tfmodel"
)

func reconstructCommand() command {
	return command{
		name:    "reconstruct",
		summary: "pass images through the tokenizer alone (encode, decode): the quality ceiling it sets",
		flags: func(fs *pflag.FlagSet) func(context.Context, *cliEnv, []string) error {
			model := fs.String("model", "", "tokenizer run directory, or a model directory with tokenizer/ (required)")
			images := fs.String("images", "", "image folder (PNG/JPEG, recursive; decoded as PIL does) (required)")
			out := fs.String("out", "", "output folder (required)")
			batch := fs.Int("batch", 64, "images per model call")
			threads := fs.Int("threads", 0, "TensorFlow threads (0: all cores)")
			device := fs.String("device", "cpu", "cpu or gpu:N")
			return func(ctx context.Context, env *cliEnv, args []string) (err error) {
				if len(args) > 0 {
					return badInput("unexpected arguments %q", args)
				}
				if *model == "" || *images == "" || *out == "" {
					return badInput("--model, --images and --out are required")
				}
				dev, err := tfmodel.ParseDevice(*device)
				if err != nil {
					return usageError{err}
				}
				dir := pipeline.PartDir(*model, "tokenizer")
				files, err := imageio.ListFolder(*images)
				if err != nil {
					return usageError{err}
				}
				tok, err := pipeline.LoadTokenizer(dir, pipeline.Options{Device: dev, Threads: *threads})
				if err != nil {
					return usageError{err}
				}
				defer closeFIDResource(&err, tok)
				dec, err := imageio.NewDecoder()
				if err != nil {
					return err
				}
				defer closeFIDResource(&err, dec)
				res := int(tok.Cfg.Resolution)
				per := 3 * res * res
				start := time.Now()
				for s := 0; s < len(files); s += max(*batch, 1) {
					e := min(s+max(*batch, 1), len(files))
					px := make([]float32, (e-s)*per)
					for i := s; i < e; i++ {
						img, err := dec.ReadFile(files[i])
						if err != nil {
							return classifyFIDError(err)
						}
						if img.Width != res || img.Height != res {
							return badInput("%s is %dx%d; the tokenizer takes %dx%d images", files[i], img.Width, img.Height, res, res)
						}
						dataset.ToFloat(px[(i-s)*per:(i-s+1)*per], img.Pix, res, false)
					}
					ids, err := tok.Encode(px, e-s)
					if err != nil {
						return err
					}
					rec, err := tok.Decode(ids, e-s)
					if err != nil {
						return err
					}
					for i := s; i < e; i++ {
						rgba, err := dataset.ToRGBA(rec[(i-s)*per:(i-s+1)*per], res, res)
						if err != nil {
							return err
						}
						rel, err := filepath.Rel(*images, files[i])
						if err != nil {
							rel = filepath.Base(files[i])
						}
						name := strings.TrimSuffix(rel, filepath.Ext(rel)) + ".png"
						if err := writePNG(filepath.Join(*out, name), rgba); err != nil {
							return err
						}
					}
				}
				fmt.Fprintf(env.stdout, "reconstructed %d images into %s (%.3f s per image)\n", len(files), *out, time.Since(start).Seconds()/float64(len(files)))
				return nil
			}
		},
	}
}
