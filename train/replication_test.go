package train

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/internal/testutil"
	"github.com/maskgit-go/maskgit/tfmodel"
	"github.com/maskgit-go/maskgit/tfmodel/cluster"
	"github.com/maskgit-go/maskgit/tfmodel/replicate"
)

// TestClusterWorkerProcess is not a test: it is the body of the worker
// processes startTFWorker runs (the test binary re-executed with
// MASKGIT_TEST_TF_WORKER="spec task").
func TestClusterWorkerProcess(t *testing.T) {
	arg := os.Getenv("MASKGIT_TEST_TF_WORKER")
	if arg == "" {
		t.Skip("helper process of startTFWorker")
	}
	specS, taskS, _ := strings.Cut(arg, " ")
	sp, err := cluster.ParseSpec(specS)
	task, _ := strconv.Atoi(taskS)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	conf, _ := tfmodel.SessionOptions{Threads: 1}.ConfigProto()
	srv, err := cluster.NewServer(sp, task, conf)
	if err == nil {
		err = srv.Start()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("serving")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	<-ctx.Done()
	stop()
	os.Exit(0)
}

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

type tfWorker struct {
	cmd    *exec.Cmd
	out    *lockedBuf
	exited chan error
}

// startTFWorker runs task task of spec in a child process and waits until
// it serves; the test's cleanup kills it.
func startTFWorker(t *testing.T, spec string, task int) *tfWorker {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestClusterWorkerProcess$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("MASKGIT_TEST_TF_WORKER=%s %d", spec, task))
	w := &tfWorker{cmd: cmd, out: &lockedBuf{}, exited: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = w.out, w.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { w.exited <- cmd.Wait() }()
	t.Cleanup(func() { w.kill() })
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(w.out.String(), "serving") {
		select {
		case err := <-w.exited:
			w.exited <- err
			t.Fatalf("worker %d exited (%v):\n%s", task, err, w.out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker %d not serving after a minute:\n%s", task, w.out.String())
		}
	}
	return w
}

// kill ends the worker (SIGKILL: a crash) and waits for it.
func (w *tfWorker) kill() {
	select {
	case err := <-w.exited:
		w.exited <- err
	default:
		w.cmd.Process.Kill()
		w.exited <- <-w.exited
	}
}

func loopbackAddrs(t *testing.T, n int) []string {
	t.Helper()
	var addrs []string
	var ls []net.Listener
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls, addrs = append(ls, l), append(addrs, l.Addr().String())
	}
	for _, l := range ls {
		l.Close()
	}
	return addrs
}

// startCluster starts tasks 1..n-1 as worker processes and the chief's
// server (task 0) in this process, and returns the replication of a run.
// The chief's server lives until the test binary exits (TensorFlow cannot
// stop it in-process).
func startCluster(t *testing.T, n int, timeout time.Duration) (*Replication, []*tfWorker) {
	t.Helper()
	addrs := loopbackAddrs(t, n)
	spec := strings.Join(addrs, ",")
	var ws []*tfWorker
	for i := 1; i < n; i++ {
		ws = append(ws, startTFWorker(t, spec, i))
	}
	sp, err := cluster.ParseSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	conf, _ := tfmodel.SessionOptions{Threads: 1}.ConfigProto()
	srv, err := cluster.NewServer(sp, 0, conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	devs, err := replicate.ClusterDevices(sp, "cpu")
	if err != nil {
		t.Fatal(err)
	}
	return &Replication{Devices: devs, Target: srv.Target(), Cluster: &sp, Timeout: timeout}, ws
}

// finalVars returns the float variables of the latest checkpoint of run
// whose names start with one of prefixes (every one without prefixes).
func finalVars(t *testing.T, run string, prefixes ...string) map[string][]float32 {
	t.Helper()
	prefix, err := tfmodel.LatestCheckpoint(RunDir(run).CkptDir())
	if err != nil {
		t.Fatal(err)
	}
	return checkpointVars(t, prefix, prefixes...)
}

// checkpointVars returns the float variables of the checkpoint prefix
// whose names start with one of prefixes (every one without prefixes).
func checkpointVars(t *testing.T, prefix string, prefixes ...string) map[string][]float32 {
	t.Helper()
	r, err := tfmodel.OpenCheckpoint(prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ts, err := r.Tensors()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float32{}
	for _, ct := range ts {
		keep := len(prefixes) == 0
		for _, p := range prefixes {
			keep = keep || strings.HasPrefix(ct.Name, p)
		}
		if !keep {
			continue
		}
		x, err := r.Tensor(ct.Name)
		if err != nil {
			t.Fatal(err)
		}
		if x.DataType() != tf.Float {
			continue
		}
		if out[ct.Name], err = tfmodel.Float32s(x); err != nil {
			t.Fatalf("%s: %v", ct.Name, err)
		}
	}
	return out
}

// TestClusterMatchesSingle: the chief and two worker processes on loopback
// train the tiny transformer for 20 steps; the losses and the final
// variables equal a one-process run on the same global batch and seed.
// Dropout is off: with dropout each replica draws its own masks, so a
// replicated run matches a single one in distribution, not bit for bit.
func TestClusterMatchesSingle(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-task cluster and trains twice (about a minute)")
	}
	dir, cfg, log := tinyTransformerSetup(t)
	cfg.Model.Dropout, cfg.Steps, cfg.Batch = 0, 20, 6
	cfg.TrainTokens, cfg.ValTokens = "", ""
	type rec struct{ losses []float64 }
	train := func(name string, rep *Replication) (rec, TransformerResult) {
		var r rec
		opt := RunOptions{Out: filepath.Join(dir, name), LogEvery: 10, ValEvery: 20, CkptEvery: 10, Threads: 1, Log: log, Replicas: rep,
			StepHook: func(_ int64, l float64) { r.losses = append(r.losses, l) }}
		res, err := TrainTransformer(context.Background(), cfg, opt)
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, log.String())
		}
		return r, res
	}
	single, sres := train("single", nil)
	rep, _ := startCluster(t, 3, time.Minute)
	dist, dres := train("cluster", rep)
	if len(single.losses) != 20 || len(dist.losses) != 20 {
		t.Fatalf("%d and %d losses", len(single.losses), len(dist.losses))
	}
	for i := range single.losses {
		a, b := single.losses[i], dist.losses[i]
		if math.Abs(a-b) > 1e-5*math.Abs(a) {
			t.Errorf("step %d: loss %v single, %v on the cluster", i+1, a, b)
		}
	}
	if math.Abs(sres.ValLoss-dres.ValLoss) > 1e-5*math.Abs(sres.ValLoss) {
		t.Errorf("validation loss %v single, %v on the cluster", sres.ValLoss, dres.ValLoss)
	}
	va, vb := finalVars(t, filepath.Join(dir, "single"), "transformer/"), finalVars(t, filepath.Join(dir, "cluster"), "transformer/")
	if len(va) == 0 || len(va) != len(vb) {
		t.Fatalf("%d and %d variables", len(va), len(vb))
	}
	for name, a := range va {
		diff, scale := testutil.MaxDiff(a, vb[name])
		bound := 1e-5 * scale
		if strings.HasSuffix(name, "/attn/key/bias") {
			// Its gradient is 0 in exact arithmetic (softmax ignores a
			// bias on every key): Adam turns float noise into ≤ lr steps.
			bound = 2 * cfg.LR.Base * float64(cfg.Steps)
		}
		if diff > bound {
			t.Errorf("%s: differs by %g (bound %g)", name, diff, bound)
		}
	}
	t.Logf("losses single %v\ncluster %v", single.losses, dist.losses)
}

// TestClusterWorkerDies: a worker killed mid-run stops the chief within
// the step timeout with an error naming the task; the last checkpoint
// stays valid, and after the worker restarts --resume finishes the run.
func TestClusterWorkerDies(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 2-task cluster and kills a worker")
	}
	dir, cfg, log := tinyTransformerSetup(t)
	cfg.Steps = workerDiesSteps
	testWorkerDies(t, dir, log, func(opt RunOptions) (any, int64, error) {
		res, err := TrainTransformer(context.Background(), cfg, opt)
		return res, res.Step, err
	})
}

// TestClusterWorkerFreezes: a worker that stops answering but keeps its
// connection (SIGSTOP) fails the step after about the step timeout.
func TestClusterWorkerFreezes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 2-task cluster and freezes a worker")
	}
	dir, cfg, log := tinyTransformerSetup(t)
	cfg.Steps = 30
	const timeout = 10 * time.Second
	fr := startFaultRun(t, dir, log, timeout, 7, func(w *tfWorker) { w.cmd.Process.Signal(syscall.SIGSTOP) })
	_, err := TrainTransformer(context.Background(), cfg, fr.opt)
	took := time.Since(fr.at)
	fr.worker.cmd.Process.Signal(syscall.SIGCONT)
	t.Logf("error %v after %v", err, took)
	if err == nil {
		t.Fatal("the run finished although task 1 was frozen")
	}
	if !strings.Contains(err.Error(), "task 1 ("+fr.rep.Cluster.Hosts[1]+") does not answer") {
		t.Errorf("error does not name task 1: %v", err)
	}
	if took > timeout+closeTimeout+25*time.Second {
		t.Errorf("the chief stopped %v after the worker froze (step timeout %v)", took, timeout)
	}
	if prefix, err := tfmodel.LatestCheckpoint(RunDir(fr.opt.Out).CkptDir()); err != nil || !strings.HasSuffix(prefix, "step-00000005") {
		t.Errorf("latest checkpoint %q, %v; want step 5", prefix, err)
	}
}
