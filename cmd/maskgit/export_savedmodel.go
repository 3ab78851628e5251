package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/spf13/pflag"

	"github.com/maskgit-go/maskgit/savedmodel"
)

func savedModelCommand() command {
	return command{
		name:    "savedmodel",
		summary: "check and describe a SavedModel: load it (refusing ops that touch files or the system), list its signatures",
		flags: func(fs *pflag.FlagSet) func(context.Context, *cliEnv, []string) error {
			dir := fs.String("dir", "", "SavedModel directory (required)")
			tags := fs.StringSlice("tags", []string{savedmodel.TagServe}, "tags of the graph to load")
			allowUnsafe := fs.Bool("allow-unsafe-ops", false, "load graphs with ops that read or write files or run host code (only for trusted models)")
			listOps := fs.Bool("ops", false, "also list every op of the graph and its functions")
			threads := fs.Int("threads", 0, "TensorFlow threads (0: all cores)")
			return func(ctx context.Context, env *cliEnv, args []string) error {
				if len(args) > 0 {
					return badInput("unexpected arguments %q", args)
				}
				if *dir == "" {
					return badInput("--dir is required")
				}
				mg, err := savedmodel.ReadMetaGraph(*dir, *tags)
				if err != nil {
					return usageError{err}
				}
				if *listOps {
					for _, r := range savedmodel.ListOps(mg) {
						fmt.Fprintln(env.stdout, "op", r)
					}
				}
				m, err := savedmodel.Load(*dir, savedmodel.Options{AllowUnsafeOps: *allowUnsafe, Tags: *tags, Threads: *threads})
				if err != nil {
					var ue *savedmodel.UnsafeOpsError
					if errors.As(err, &ue) {
						return usageError{fmt.Errorf("%w; pass --allow-unsafe-ops to load it anyway", err)}
					}
					return err
				}
				defer m.Close()
				sigs := m.Signatures()
				for _, name := range m.SignatureNames() {
					s := sigs[name]
					fmt.Fprintf(env.stdout, "signature %s (%s)\n", name, s.MethodName)
					printTensorInfos(env.stdout, "in ", s.Inputs)
					printTensorInfos(env.stdout, "out", s.Outputs)
				}
				return m.Close()
			}
		},
	}
}

func printTensorInfos(w io.Writer, kind string, infos map[string]tf.TensorInfo) {
	keys := make([]string, 0, len(infos))
	for k := range infos {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ti := infos[k]
		fmt.Fprintf(w, "  %s %s: %s %v (%s)\n", kind, k, dtypeString(ti.DType), ti.Shape, ti.Name)
	}
}

// dtypeString names the dtypes signatures commonly use.
func dtypeString(dt tf.DataType) string {
	switch dt {
	case tf.Float:
		return "float32"
	case tf.Double:
		return "float64"
	case tf.Int32:
		return "int32"
	case tf.Int64:
		return "int64"
	case tf.String:
		return "string"
	case tf.Bool:
		return "bool"
	case tf.Uint8:
		return "uint8"
	}
	return fmt.Sprintf("dtype(%d)", dt)
}
