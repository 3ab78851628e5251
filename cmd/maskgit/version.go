package main

import (
	"context"
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/spf13/pflag"
)

func versionCommand() command {
	return command{
		name:    "version",
		summary: "print the TensorFlow library version this binary runs on",
		flags: func(fs *pflag.FlagSet) func(context.Context, *cliEnv, []string) error {
			return func(_ context.Context, env *cliEnv, args []string) error {
				if len(args) > 0 {
					return badInput("unexpected arguments %q", args)
				}
				fmt.Fprintf(env.stdout, "maskgit on TensorFlow %s\n", tf.Version())
				return nil
			}
		},
	}
}
