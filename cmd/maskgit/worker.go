package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/maskgit-go/maskgit/tfmodel"
	"github.com/maskgit-go/maskgit/tfmodel/cluster"
)

func workerCommand() command {
	return command{
		name:    "worker",
		summary: "serve one task of a training cluster (TensorFlow gRPC server) until SIGINT/SIGTERM",
		flags: func(fs *pflag.FlagSet) func(context.Context, *cliEnv, []string) error {
			spec := fs.String("cluster", "", "host0:port0,host1:port1,… one address per task; task 0 is the chief (required)")
			task := fs.Int("task", -1, "this machine's task index in --cluster (required)")
			threads := fs.Int("threads", 0, "TensorFlow threads (0: all cores)")
			return func(ctx context.Context, env *cliEnv, args []string) error {
				if len(args) > 0 {
					return badInput("unexpected arguments %q", args)
				}
				if *spec == "" || *task < 0 {
					return badInput("--cluster and --task are required")
				}
				sp, err := cluster.ParseSpec(*spec)
				if err != nil {
					return badInput("--cluster: %v", err)
				}
				if err := sp.CheckTask(*task); err != nil {
					return badInput("--task: %v", err)
				}
				if err := sp.CheckLocal(*task); err != nil {
					return badInput("--cluster: %v", err)
				}
				conf, err := tfmodel.SessionOptions{Threads: *threads}.ConfigProto()
				if err != nil {
					return usageError{err}
				}
				srv, err := cluster.NewServer(sp, *task, conf)
				if err != nil {
					return err
				}
				defer srv.Close()
				if err := srv.Start(); err != nil {
					return err
				}
				fmt.Fprintf(env.stdout, "worker: task %d of %d serving %s (%s); stop with SIGINT or SIGTERM\n", *task, sp.Tasks(), sp.Hosts[*task], cluster.Device(*task))
				<-ctx.Done()
				// TensorFlow's gRPC server cannot stop in-process: the port
				// is released when the process exits, right after this.
				if err := srv.Stop(); err != nil && !errors.Is(err, cluster.ErrNoCleanShutdown) {
					return err
				}
				fmt.Fprintf(env.stdout, "worker: task %d stopped\n", *task)
				return nil
			}
		},
	}
}
