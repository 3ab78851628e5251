package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/maskgit-go/maskgit/pipeline"
	"github.com/maskgit-go/maskgit/savedmodel"
)

func exportCommand() command {
	return command{
		name:    "export",
		summary: "write a model as a TensorFlow SavedModel (signatures encode, decode, logits)",
		flags: func(fs *pflag.FlagSet) func(context.Context, *cliEnv, []string) error {
			model := fs.String("model", "", "model directory (a transformer run, or a folder with tokenizer/ and transformer/) or an exported SavedModel (required)")
			out := fs.String("out", "", "SavedModel directory to write (required)")
			overwrite := fs.Bool("overwrite", false, "replace an existing --out directory")
			tags := fs.StringSlice("tags", []string{savedmodel.TagServe}, "tags of the exported graph")
			threads := fs.Int("threads", 0, "TensorFlow threads (0: all cores)")
			return func(ctx context.Context, env *cliEnv, args []string) (err error) {
				if len(args) > 0 {
					return badInput("unexpected arguments %q", args)
				}
				if *model == "" || *out == "" {
					return badInput("--model and --out are required")
				}
				if *threads < 0 {
					return badInput("--threads %d: want >= 0", *threads)
				}
				if _, err := os.Lstat(*out); err == nil && !*overwrite {
					return badInput("--out %s already exists (pass --overwrite to replace it)", *out)
				}
				m, err := savedmodel.LoadPipeline(*model, pipeline.Options{Threads: *threads})
				if err != nil {
					return usageError{err}
				}
				defer func() {
					if cerr := m.Close(); cerr != nil && err == nil {
						err = cerr
					}
				}()
				opt := savedmodel.ExportOptions{Tags: *tags, Overwrite: *overwrite, Threads: *threads}
				if err := savedmodel.ExportModel(m, *out, opt); err != nil {
					if errors.Is(err, os.ErrExist) {
						return usageError{err}
					}
					return err
				}
				// Load the export back (with the unsafe-op check) as a self-test.
				sm, err := savedmodel.Load(*out, savedmodel.Options{Tags: *tags, Threads: *threads})
				if err != nil {
					return fmt.Errorf("checking the export: %w", err)
				}
				names := sm.SignatureNames()
				if err := sm.Close(); err != nil {
					return err
				}
				fmt.Fprintf(env.stdout, "exported %s to %s (tags %s; signatures %s)\n", *model, *out, strings.Join(*tags, ","), strings.Join(names, ", "))
				return nil
			}
		},
	}
}
