package tfmodel

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	cfg "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"github.com/galeone/tensorflow/tensorflow/go/op"
	"google.golang.org/protobuf/proto"
)

// addGraph returns a graph computing x + 1 for a float scalar placeholder x.
func addGraph(t *testing.T) (*tf.Graph, tf.Output, tf.Output) {
	t.Helper()
	s := op.NewScope()
	x := op.Placeholder(s, tf.Float, op.PlaceholderShape(tf.ScalarShape()))
	y := op.Add(s, x, op.Const(s.SubScope("one"), float32(1)))
	g, err := s.Finalize()
	if err != nil {
		t.Fatal(err)
	}
	return g, x, y
}

func TestSessionRunAndClose(t *testing.T) {
	g, x, y := addGraph(t)
	sess, err := NewSession(g, SessionOptions{Threads: 1, AllowSoftPlacement: true})
	if err != nil {
		t.Fatal(err)
	}
	if sess.Graph() != g {
		t.Error("Graph() is not the session's graph")
	}
	in, err := tf.NewTensor(float32(41))
	if err != nil {
		t.Fatal(err)
	}
	feeds := map[tf.Output]*tf.Tensor{x: in}
	// Concurrent Runs are allowed.
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := sess.Run(feeds, []tf.Output{y}, nil)
			if err == nil && out[0].Value().(float32) != 42 {
				err = fmt.Errorf("x+1 = %v, want 42", out[0].Value())
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Close is safe to call twice and from several goroutines.
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := sess.Close(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := sess.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := sess.Run(feeds, []tf.Output{y}, nil); !errors.Is(err, ErrSessionClosed) {
		t.Fatalf("Run after Close: err = %v, want ErrSessionClosed", err)
	}
	if _, err := sess.ListDevices(); !errors.Is(err, ErrSessionClosed) {
		t.Fatalf("ListDevices after Close: err = %v, want ErrSessionClosed", err)
	}
}

func TestSessionOptionsConfigProto(t *testing.T) {
	cases := []struct {
		opts    SessionOptions
		threads int32
		wantErr bool
	}{
		{SessionOptions{}, 0, false},
		{SessionOptions{Threads: 2, AllowSoftPlacement: true, GPUAllowGrowth: true}, 2, false},
		{SessionOptions{Threads: -1}, 0, true},
	}
	for _, c := range cases {
		b, err := c.opts.ConfigProto()
		if (err != nil) != c.wantErr {
			t.Errorf("%+v: err = %v, want error %v", c.opts, err, c.wantErr)
			continue
		}
		if c.wantErr {
			if _, err := NewSession(tf.NewGraph(), c.opts); err == nil {
				t.Errorf("%+v: NewSession accepted bad options", c.opts)
			}
			continue
		}
		var got cfg.ConfigProto
		if err := proto.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got.IntraOpParallelismThreads != c.threads || got.InterOpParallelismThreads != c.threads {
			t.Errorf("%+v: threads intra %d inter %d, want %d", c.opts, got.IntraOpParallelismThreads, got.InterOpParallelismThreads, c.threads)
		}
		if got.AllowSoftPlacement != c.opts.AllowSoftPlacement || got.GetGpuOptions().GetAllowGrowth() != c.opts.GPUAllowGrowth {
			t.Errorf("%+v: got %v", c.opts, &got)
		}
		if ms := got.GetGraphOptions().GetRewriteOptions().GetMetaOptimizerTimeoutMs(); ms != -1 {
			t.Errorf("%+v: Grappler deadline %d ms, want -1 (none)", c.opts, ms)
		}
	}
}

func TestParseDevice(t *testing.T) {
	cases := []struct {
		spec, want string
		wantErr    bool
	}{
		{"cpu", "/device:CPU:0", false},
		{"CPU:0", "/device:CPU:0", false},
		{"gpu", "/device:GPU:0", false},
		{"gpu:3", "/device:GPU:3", false},
		{" GPU:12 ", "/device:GPU:12", false},
		{"cpu:1", "", true},
		{"gpu:-1", "", true},
		{"gpu:01", "", true},
		{"gpu:x", "", true},
		{"tpu", "", true},
		{"", "", true},
	}
	for _, c := range cases {
		got, err := ParseDevice(c.spec)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("ParseDevice(%q) = %q, %v; want %q, error %v", c.spec, got, err, c.want, c.wantErr)
		}
	}
}

func TestCheckDevice(t *testing.T) {
	g, _, _ := addGraph(t)
	sess, err := NewSession(g, SessionOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	devs, err := sess.ListDevices()
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) == 0 {
		t.Fatal("no devices")
	}
	for _, spec := range []string{"cpu", ""} {
		dev := ""
		if spec != "" {
			if dev, err = ParseDevice(spec); err != nil {
				t.Fatal(err)
			}
		}
		if err := sess.CheckDevice(dev); err != nil {
			t.Errorf("CheckDevice(%q): %v", dev, err)
		}
	}
	err = sess.CheckDevice("/device:GPU:97")
	if err == nil || !strings.Contains(err.Error(), "GPU:97") || !strings.Contains(err.Error(), "CPU:0") {
		t.Errorf("CheckDevice(GPU:97) = %v, want an error naming it and the available devices", err)
	}
}

// TestThreadPoolsSizedOnce: the first session fixes the process's pool
// size; later sessions are configured with it whatever they ask, and
// SetThreads refuses another size.
func TestThreadPoolsSizedOnce(t *testing.T) {
	g, _, _ := addGraph(t)
	sess, err := NewSession(g, SessionOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	n, fixed := Threads()
	if !fixed {
		t.Fatal("no pool size recorded after a session")
	}
	if err := SetThreads(n); err != nil {
		t.Errorf("SetThreads(%d) with the pools at %d: %v", n, n, err)
	}
	if err := SetThreads(n + 3); err == nil || !strings.Contains(err.Error(), "already sized") {
		t.Errorf("SetThreads(%d) with the pools at %d: %v, want an error", n+3, n, err)
	}
	if err := SetThreads(-1); err == nil {
		t.Error("SetThreads(-1) accepted")
	}
	b, err := SessionOptions{Threads: n + 3}.ProcessConfigProto()
	if err != nil {
		t.Fatal(err)
	}
	var c cfg.ConfigProto
	if err := proto.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if int(c.IntraOpParallelismThreads) != n || int(c.InterOpParallelismThreads) != n {
		t.Errorf("a later session asking for %d threads is configured with intra %d inter %d, want the process's %d",
			n+3, c.IntraOpParallelismThreads, c.InterOpParallelismThreads, n)
	}
}

func TestSessionOptionsBFloat16AndXLA(t *testing.T) {
	b, err := SessionOptions{BFloat16: true, XLA: true}.ConfigProto()
	if err != nil {
		t.Fatal(err)
	}
	var c cfg.ConfigProto
	if err := proto.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	oo := c.GetGraphOptions().GetOptimizerOptions()
	if oo.GetGlobalJitLevel() != cfg.OptimizerOptions_ON_1 || !oo.GetCpuGlobalJit() {
		t.Errorf("XLA: optimizer options %v", oo)
	}
	if got := c.GetGraphOptions().GetRewriteOptions().GetAutoMixedPrecisionOnednnBfloat16(); got != cfg.RewriterConfig_ON {
		t.Errorf("BFloat16: auto_mixed_precision_onednn_bfloat16 %v, want ON", got)
	}
}

// TestSessionOptionsDefaultIsFloat32: sessions made without BFloat16 (the
// pipeline's by default, the FID extractor's and image decoder's always)
// leave TensorFlow's bfloat16 rewrite off.
func TestSessionOptionsDefaultIsFloat32(t *testing.T) {
	for _, o := range []SessionOptions{{}, {Threads: 2, AllowSoftPlacement: true}, {XLA: true}} {
		b, err := o.ConfigProto()
		if err != nil {
			t.Fatal(err)
		}
		var c cfg.ConfigProto
		if err := proto.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		rw := c.GetGraphOptions().GetRewriteOptions()
		if got := rw.GetAutoMixedPrecisionOnednnBfloat16(); got == cfg.RewriterConfig_ON {
			t.Errorf("%+v: auto_mixed_precision_onednn_bfloat16 %v, want it left off", o, got)
		}
		if got := rw.GetAutoMixedPrecisionMkl(); got == cfg.RewriterConfig_ON {
			t.Errorf("%+v: auto_mixed_precision_mkl %v, want it left off", o, got)
		}
	}
}
