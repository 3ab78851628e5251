package main

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/maskgit-go/maskgit/pipeline"
)

func bundleCommand() command {
	return command{
		name:    "bundle",
		summary: "write a model directory (weights only, no optimizer state) from training runs",
		flags: func(fs *pflag.FlagSet) func(context.Context, *cliEnv, []string) error {
			tok := fs.String("tokenizer", "", "tokenizer run directory (required)")
			tr := fs.String("transformer", "", "transformer run directory (optional)")
			out := fs.String("out", "", "model directory to create, e.g. models/catfaces64 (required; must not exist)")
			return func(ctx context.Context, env *cliEnv, args []string) error {
				if len(args) > 0 {
					return badInput("unexpected arguments %q", args)
				}
				if *tok == "" || *out == "" {
					return badInput("--tokenizer and --out are required")
				}
				if err := pipeline.Bundle(*tok, *tr, *out); err != nil {
					return usageError{err}
				}
				fmt.Fprintf(env.stdout, "model written to %s\n", *out)
				return nil
			}
		},
	}
}
