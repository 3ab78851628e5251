package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/pflag"

	"github.com/maskgit-go/maskgit/fid/imageio"
	"github.com/maskgit-go/maskgit/serve"
)

func serveCommand() command {
	return command{
		name:    "serve",
		summary: "serve inpainting over HTTP (POST /v1/inpaint, GET /healthz, a web page at /)",
		flags: func(fs *pflag.FlagSet) func(context.Context, *cliEnv, []string) error {
			var mf modelFlags
			mf.register(fs)
			addr := fs.String("addr", "127.0.0.1:8080", "listen address (port 0: any free port)")
			d := serve.DefaultConfig(0)
			maxBatch := fs.Int("max-batch", d.MaxBatch, "most requests in one model call (1: no batching)")
			maxWait := fs.Duration("max-wait", d.MaxWait, "how long a request waits for others to share its model call")
			queue := fs.Int("queue", d.QueueSize, "requests waiting for the model beyond which new ones get 503")
			timeout := fs.Duration("timeout", d.Timeout, "per-request time limit")
			maxBody := fs.Int64("max-body", d.MaxBodyBytes, "request body limit in bytes")
			maxPixels := fs.Int("max-pixels", d.MaxPixels, "limit on width×height read from an image header before decoding")
			maxIter := fs.Int("max-total-iter", d.MaxTotalIter, "largest total_iter a request may ask for")
			grace := fs.Duration("shutdown-timeout", 30*time.Second, "on SIGTERM or SIGINT, how long in-flight requests may take to finish; those still running then are answered 503 shutting_down")
			return func(ctx context.Context, env *cliEnv, args []string) error {
				if len(args) > 0 {
					return badInput("unexpected arguments %q", args)
				}
				for name, v := range map[string]int64{"--max-batch": int64(*maxBatch), "--queue": int64(*queue), "--max-body": *maxBody,
					"--max-pixels": int64(*maxPixels), "--max-total-iter": int64(*maxIter)} {
					if v < 1 {
						return badInput("%s must be ≥ 1, got %d", name, v)
					}
				}
				if *maxWait < 0 || *timeout <= 0 || *grace < 0 {
					return badInput("--max-wait and --shutdown-timeout must be ≥ 0 and --timeout > 0 (got %v, %v, %v)", *maxWait, *grace, *timeout)
				}
				model, err := mf.load(env.stderr)
				if err != nil {
					return err
				}
				defer model.Close()
				cfg := serve.ModelConfig(model)
				cfg.MaxBatch, cfg.MaxWait, cfg.QueueSize, cfg.Timeout = *maxBatch, *maxWait, *queue, *timeout
				cfg.MaxBodyBytes, cfg.MaxPixels, cfg.MaxTotalIter = *maxBody, *maxPixels, *maxIter
				cfg.Log = env.stderr
				dec, err := imageio.NewDecoder() // the decoder training and the other commands use
				if err != nil {
					return err
				}
				defer dec.Close() // after the server stops (deferred later, run earlier)
				cfg.Decoder = dec
				srv, err := serve.New(model, cfg)
				if err != nil {
					return usageError{err}
				}
				defer srv.Close()
				ln, err := net.Listen("tcp", *addr)
				if err != nil {
					return badInput("--addr %s: %v", *addr, err)
				}
				return serveUntilDone(ctx, env, ln, srv, *timeout+10*time.Second, *grace)
			}
		},
	}
}

// finalWrite is how long, after the grace period, the requests cut short
// get to write their 503 answers before their connections are closed.
const finalWrite = 5 * time.Second

// serveUntilDone serves on ln until ctx ends (SIGTERM or SIGINT), then shuts
// down gracefully: no new connections, in-flight requests get up to grace
// to finish, then the batcher stops. Requests still running or queued when
// grace runs out are answered 503 "shutting_down" (their model call is
// cancelled). A shutdown so driven returns nil (exit status 0).
func serveUntilDone(ctx context.Context, env *cliEnv, ln net.Listener, srv *serve.Server, writeTimeout, grace time.Duration) error {
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	fmt.Fprintf(env.stdout, "serving on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintln(env.stdout, "shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := hs.Shutdown(sctx)
	// Serve returns as soon as the listener is closed.
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = cutShort(env, hs, srv, grace)
	}
	if cerr := srv.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	fmt.Fprintln(env.stdout, "stopped")
	return nil
}

// cutShort ends the requests still in flight when the grace period is over:
// the batcher stops (cancelling its model call), its requests are answered
// 503 "shutting_down", and their handlers get finalWrite to send that
// before the remaining connections are closed.
func cutShort(env *cliEnv, hs *http.Server, srv *serve.Server, grace time.Duration) error {
	n := srv.InFlight()
	if err := srv.Close(); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "grace period of %v over: %d requests waiting for the model answered 503 shutting_down\n", grace, n)
	fctx, cancel := context.WithTimeout(context.Background(), finalWrite)
	defer cancel()
	if err := hs.Shutdown(fctx); err != nil {
		// Handlers not done after finalWrite (a client still sending its
		// body, or not reading its answer): drop their connections.
		hs.Close()
		fmt.Fprintf(env.stderr, "warning: connections still busy %v after the grace period were closed\n", finalWrite)
	}
	return nil
}
