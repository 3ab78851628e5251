package tfmodel

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	cfg "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"google.golang.org/protobuf/proto"
)

// SessionOptions configures NewSession. The zero value uses TensorFlow's
// defaults.
type SessionOptions struct {
	// Threads sets both the intra-op and inter-op thread pool sizes; 0 lets
	// TensorFlow choose (one thread per core). TensorFlow sizes these pools
	// once per process, from its first session: NewSession gives every
	// later session the first one's size whatever it asks (see SetThreads).
	Threads int
	// AllowSoftPlacement lets TensorFlow run an op on the CPU when the device
	// it was placed on has no kernel for it.
	AllowSoftPlacement bool
	// GPUAllowGrowth makes TensorFlow allocate GPU memory as needed instead of
	// reserving nearly all of it at start.
	GPUAllowGrowth bool
	// BFloat16 turns on Grappler's oneDNN auto mixed precision
	// (RewriterConfig.auto_mixed_precision_onednn_bfloat16): matmuls and
	// friends run in bfloat16 on CPUs with AVX512_BF16/AMX, variables stay
	// float32. For the transformer's training step it gained a few per cent
	// at most on this project's CPU, within the noise of a loaded machine
	// (docs/benchmarks.md), so training does not turn it on; inference
	// does when asked (pipeline.Options, the commands' --bf16).
	BFloat16 bool
	// XLA turns on XLA auto-clustering (global_jit_level ON_1, CPU included).
	XLA bool
	// CPUDevices, if above 1, makes the session create that many CPU
	// devices (/device:CPU:0 …), for replicas on one machine.
	CPUDevices int
	// Target is the TensorFlow runtime to connect to: "" for this process,
	// "grpc://host:port" for a server of a cluster.
	Target string
	// OperationTimeout, if positive, bounds every Run: a step that waits
	// longer (e.g. for a cluster task that died) fails with DeadlineExceeded.
	OperationTimeout time.Duration
}

// ConfigProto returns the serialized tensorflow.ConfigProto for o, with
// Grappler's deadline off (see below).
func (o SessionOptions) ConfigProto() ([]byte, error) {
	if o.Threads < 0 {
		return nil, fmt.Errorf("session options: Threads = %d, want >= 0", o.Threads)
	}
	c := &cfg.ConfigProto{
		IntraOpParallelismThreads: int32(o.Threads),
		InterOpParallelismThreads: int32(o.Threads),
		AllowSoftPlacement:        o.AllowSoftPlacement,
	}
	if o.GPUAllowGrowth {
		c.GpuOptions = &cfg.GPUOptions{AllowGrowth: true}
	}
	// Grappler gets no deadline. Its default is 5 minutes of wall time per
	// graph, after which TensorFlow silently runs the graph unoptimized:
	// slower, and with other float rounding (no fusions, no rewritten
	// arithmetic), so on a loaded machine a run's numbers would depend on
	// the load.
	rw := &cfg.RewriterConfig{MetaOptimizerTimeoutMs: -1}
	if o.BFloat16 {
		rw.AutoMixedPrecisionOnednnBfloat16 = cfg.RewriterConfig_ON
	}
	c.GraphOptions = &cfg.GraphOptions{RewriteOptions: rw}
	if o.XLA {
		c.GraphOptions.OptimizerOptions = &cfg.OptimizerOptions{GlobalJitLevel: cfg.OptimizerOptions_ON_1, CpuGlobalJit: true}
	}
	if o.CPUDevices > 1 {
		c.DeviceCount = map[string]int32{"CPU": int32(o.CPUDevices)}
	}
	if o.OperationTimeout > 0 {
		c.OperationTimeoutInMs = o.OperationTimeout.Milliseconds()
	}
	b, err := proto.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("session options: %w", err)
	}
	return b, nil
}

// threadPools mirrors the one piece of process-wide state TensorFlow has
// that sessions depend on: its intra-op and inter-op thread pools are
// created with the first session of the process and shared by all later
// ones. It is the package's only global, because TensorFlow's is one.
var threadPools struct {
	mu      sync.Mutex
	sized   bool
	threads int
}

// SetThreads fixes the size of TensorFlow's thread pools for this process
// (n threads each; 0 means one per core) before any session exists; every
// session NewSession creates afterwards gets that size. Call it once at
// program start. It returns an error if n is negative or the pools were
// already sized differently (by an earlier SetThreads or session).
func SetThreads(n int) error {
	if n < 0 {
		return fmt.Errorf("tfmodel: SetThreads(%d): want >= 0", n)
	}
	threadPools.mu.Lock()
	defer threadPools.mu.Unlock()
	if threadPools.sized && threadPools.threads != n {
		return fmt.Errorf("tfmodel: TensorFlow's thread pools are already sized for %s; cannot resize them to %s",
			threadsName(threadPools.threads), threadsName(n))
	}
	threadPools.sized, threadPools.threads = true, n
	return nil
}

// Threads reports the size of TensorFlow's thread pools in this process (0:
// one per core) and whether it is fixed yet (by SetThreads or a session).
func Threads() (n int, fixed bool) {
	threadPools.mu.Lock()
	defer threadPools.mu.Unlock()
	return threadPools.threads, threadPools.sized
}

func threadsName(n int) string {
	if n == 0 {
		return "one thread per core"
	}
	return fmt.Sprintf("%d threads", n)
}

// ProcessConfigProto is ConfigProto with Threads replaced by the process's
// pool size, which it fixes to o.Threads if no session has yet: what
// NewSession uses. Sessions made outside NewSession (tf.LoadSavedModel)
// must be configured with it.
func (o SessionOptions) ProcessConfigProto() ([]byte, error) {
	if o.Threads < 0 {
		return nil, fmt.Errorf("session options: Threads = %d, want >= 0", o.Threads)
	}
	threadPools.mu.Lock()
	if !threadPools.sized {
		threadPools.sized, threadPools.threads = true, o.Threads
	}
	o.Threads = threadPools.threads
	threadPools.mu.Unlock()
	return o.ConfigProto()
}

// Session runs one graph. Its methods return errors instead of panicking,
// Run may be called from several goroutines at once, and Close is safe to
// call more than once and concurrently; Run after Close returns an error.
type Session struct {
	g *tf.Graph

	// mu guards sess: Run holds it for reading, Close for writing, so Close
	// waits for the Runs in flight and later Runs see a nil session.
	mu   sync.RWMutex
	sess *tf.Session
}

// ErrSessionClosed is returned by Run and ListDevices after Close.
var ErrSessionClosed = errors.New("tfmodel: session is closed")

// NewSession creates a session for g. Its thread pools are the process's
// (see SessionOptions.Threads and SetThreads).
func NewSession(g *tf.Graph, opts SessionOptions) (*Session, error) {
	if g == nil {
		return nil, errors.New("tfmodel: NewSession: nil graph")
	}
	conf, err := opts.ProcessConfigProto()
	if err != nil {
		return nil, err
	}
	sess, err := tf.NewSession(g, &tf.SessionOptions{Target: opts.Target, Config: conf})
	if err != nil {
		return nil, fmt.Errorf("tfmodel: creating session: %w", err)
	}
	return &Session{g: g, sess: sess}, nil
}

// Graph returns the session's graph.
func (s *Session) Graph() *tf.Graph { return s.g }

// Run feeds feeds, computes fetches and runs targets, like tf.Session.Run.
func (s *Session) Run(feeds map[tf.Output]*tf.Tensor, fetches []tf.Output, targets []*tf.Operation) ([]*tf.Tensor, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.sess == nil {
		return nil, ErrSessionClosed
	}
	return s.sess.Run(feeds, fetches, targets)
}

// Close releases the session. It waits for Runs in flight; calling it again
// does nothing and returns nil.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sess == nil {
		return nil
	}
	err := s.sess.Close()
	s.sess = nil
	if err != nil {
		return fmt.Errorf("tfmodel: closing session: %w", err)
	}
	return nil
}

// ListDevices returns the devices the session can place ops on.
func (s *Session) ListDevices() ([]tf.Device, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.sess == nil {
		return nil, ErrSessionClosed
	}
	return s.sess.ListDevices()
}

// CheckDevice returns an error listing the available devices when device (as
// returned by ParseDevice, e.g. "/device:GPU:1") is not one of the session's.
// The empty device (no placement) is always available.
func (s *Session) CheckDevice(device string) error {
	if device == "" {
		return nil
	}
	devs, err := s.ListDevices()
	if err != nil {
		return err
	}
	want := strings.ToUpper(device)
	names := make([]string, 0, len(devs))
	for _, d := range devs {
		// Names look like "/job:localhost/replica:0/task:0/device:GPU:0".
		if strings.HasSuffix(strings.ToUpper(d.Name), want) {
			return nil
		}
		names = append(names, d.Name)
	}
	return fmt.Errorf("tfmodel: device %s is not available; this session has %s", device, strings.Join(names, ", "))
}

// ParseDevice turns a user device spec into a TensorFlow device name for
// op.Scope.WithDevice: "cpu" or "cpu:0" → "/device:CPU:0", "gpu" →
// "/device:GPU:0", "gpu:N" → "/device:GPU:N". Case is ignored. Whether the
// device exists is checked by Session.CheckDevice.
func ParseDevice(spec string) (string, error) {
	kind, idx, hasIdx := strings.Cut(strings.ToLower(strings.TrimSpace(spec)), ":")
	n := 0
	if hasIdx {
		v, err := strconv.Atoi(idx)
		if err != nil || v < 0 || strconv.Itoa(v) != idx {
			return "", fmt.Errorf("device %q: index %q is not a non-negative integer", spec, idx)
		}
		n = v
	}
	switch kind {
	case "cpu":
		if n != 0 {
			return "", fmt.Errorf("device %q: only cpu:0 exists", spec)
		}
		return "/device:CPU:0", nil
	case "gpu":
		return fmt.Sprintf("/device:GPU:%d", n), nil
	}
	return "", fmt.Errorf("device %q: want cpu, gpu or gpu:N", spec)
}
