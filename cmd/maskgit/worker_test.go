package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// TestWorkerProcess is not a test: it is the body of the worker processes
// that startWorker runs (the test binary re-executed with
// MASKGIT_TEST_WORKER set to the command line).
func TestWorkerProcess(t *testing.T) {
	args := os.Getenv("MASKGIT_TEST_WORKER")
	if args == "" {
		t.Skip("helper process of startWorker")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, strings.Split(args, " "), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// syncBuf is a bytes.Buffer safe for the writes of exec and the reads of a test.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

type workerProc struct {
	cmd    *exec.Cmd
	out    *syncBuf
	exited chan error
}

// startWorker runs `maskgit <args>` in a child process; the test's cleanup
// kills it if the test has not stopped it.
func startWorker(t *testing.T, args ...string) *workerProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestWorkerProcess$")
	cmd.Env = append(os.Environ(), "MASKGIT_TEST_WORKER="+strings.Join(args, " "))
	p := &workerProc{cmd: cmd, out: &syncBuf{}, exited: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// waitFor waits until the process printed s; it fails if it exits first.
func (p *workerProc) waitFor(t *testing.T, s string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !strings.Contains(p.out.String(), s) {
		select {
		case err := <-p.exited:
			p.exited <- err
			t.Fatalf("process exited (%v) before printing %q:\n%s", err, s, p.out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q after %v:\n%s", s, d, p.out.String())
		}
	}
}

// stop sends SIGTERM and returns the exit error.
func (p *workerProc) stop(t *testing.T) error {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		p.exited <- err
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("no exit 30 s after SIGTERM:\n%s", p.out.String())
		return nil
	}
}

// freePorts returns n loopback addresses whose ports were free a moment ago.
func freePorts(t *testing.T, n int) []string {
	t.Helper()
	var addrs []string
	var ls []net.Listener
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		addrs = append(addrs, l.Addr().String())
	}
	for _, l := range ls {
		l.Close()
	}
	return addrs
}

func TestWorkerBadSpec(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	gone := freePorts(t, 2) // nothing listens there
	out := t.TempDir() + "/run"
	for _, c := range []struct {
		args     []string
		contains string
	}{
		{[]string{"train", "--tokenizer", "x", "--out", out, "--cluster", gone[0] + "," + gone[1], "--task", "0"},
			"task 1 (" + gone[1] + ") is unreachable"},
		{[]string{"train", "--tokenizer", "x", "--out", out, "--cluster", gone[0] + "," + gone[1], "--task", "1"}, "training runs on the chief, task 0"},
		{[]string{"train", "--tokenizer", "x", "--out", out, "--task", "0"}, "--task needs --cluster"},
		{[]string{"train", "--tokenizer", "x", "--out", out, "--device", "cpu:0,cpu:0"}, "listed twice"},
		{[]string{"train-tokenizer", "--out", out, "--train-dir", t.TempDir(), "--val-dir", t.TempDir(), "--cluster", gone[0] + "," + gone[1], "--task", "0"},
			"task 1 (" + gone[1] + ") is unreachable"},
		{[]string{"train-tokenizer", "--out", out, "--train-dir", t.TempDir(), "--val-dir", t.TempDir(), "--cluster", gone[0] + ",127.0.0.1", "--task", "0"}, "not host:port"},
		{[]string{"train-tokenizer", "--out", out, "--train-dir", t.TempDir(), "--val-dir", t.TempDir(), "--cluster", gone[0] + "," + gone[1], "--task", "1"}, "training runs on the chief, task 0"},
		{[]string{"train-tokenizer", "--out", out, "--train-dir", t.TempDir(), "--val-dir", t.TempDir(), "--device", "cpu:0,cpu:0"}, "listed twice"},
		{[]string{"train-tokenizer", "--out", out, "--train-dir", t.TempDir(), "--val-dir", t.TempDir(), "--preset", "tiny", "--batch", "1", "--device", "cpu:0,cpu:1"}, "fewer images than there are replicas"},
		{[]string{"worker"}, "--cluster and --task are required"},
		{[]string{"worker", "--cluster", "127.0.0.1:1"}, "--cluster and --task are required"},
		{[]string{"worker", "--cluster", "127.0.0.1", "--task", "0"}, "not host:port"},
		{[]string{"worker", "--cluster", "127.0.0.1:1,127.0.0.1:1", "--task", "0"}, "tasks 0 and 1"},
		{[]string{"worker", "--cluster", "127.0.0.1:1", "--task", "1"}, "task 1 is not in the cluster"},
		{[]string{"worker", "--cluster", busy.Addr().String(), "--task", "0"}, "task 0: cannot listen on " + busy.Addr().String()},
		{[]string{"worker", "--cluster", "192.0.2.1:2222", "--task", "0"}, "task 0: cannot listen on 192.0.2.1:2222"},
	} {
		code, stdout, errOut := runCLI(t, c.args...)
		if code != 2 || !strings.Contains(errOut, c.contains) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q (stdout %q)", c.args, code, errOut, c.contains, stdout)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused start left %s behind", out)
	}
}

// TestWorkerServes starts two workers, runs a graph on task 1 through task
// 0's server, and stops both with SIGTERM.
func TestWorkerServes(t *testing.T) {
	addrs := freePorts(t, 2)
	spec := strings.Join(addrs, ",")
	w := []*workerProc{
		startWorker(t, "worker", "--cluster", spec, "--task", "0", "--threads", "1"),
		startWorker(t, "worker", "--cluster", spec, "--task", "1", "--threads", "1"),
	}
	for i, p := range w {
		p.waitFor(t, fmt.Sprintf("worker: task %d of 2 serving %s", i, addrs[i]), time.Minute)
	}
	s := op.NewScope()
	x := op.Const(s.SubScope("x"), []float32{1, 2})
	y := op.Mul(s.WithDevice("/job:worker/task:1/device:CPU:0"), x, x)
	g, err := s.Finalize()
	if err != nil {
		t.Fatal(err)
	}
	sess, err := tf.NewSession(g, &tf.SessionOptions{Target: "grpc://" + addrs[0]})
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.Run(nil, []tf.Output{y}, nil)
	sess.Close()
	if err != nil {
		t.Fatal(err)
	}
	if got := out[0].Value().([]float32); got[0] != 1 || got[1] != 4 {
		t.Errorf("x*x on task 1 = %v, want [1 4]", got)
	}
	for i, p := range w {
		if err := p.stop(t); err != nil {
			t.Errorf("task %d: exit %v after SIGTERM:\n%s", i, err, p.out.String())
		}
		if !strings.Contains(p.out.String(), fmt.Sprintf("worker: task %d stopped", i)) {
			t.Errorf("task %d did not say it stopped:\n%s", i, p.out.String())
		}
	}
	// The ports are free again.
	for _, a := range addrs {
		l, err := net.Listen("tcp", a)
		if err != nil {
			t.Errorf("port of %s still bound after the worker stopped: %v", a, err)
			continue
		}
		l.Close()
	}
}
