package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maskgit-go/maskgit/pipeline"
	"github.com/maskgit-go/maskgit/serve"
)

// lockedBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serveCmd is `maskgit serve` running in a goroutine of the test.
type serveCmd struct {
	base           string // the URL it serves on
	stdout, stderr lockedBuffer
	done           chan int // its exit status
	cancel         context.CancelFunc
}

// startServeCmd runs `maskgit serve` on model (a free loopback port, one
// thread, a 1ms batching wait) and waits up to wait for it to print its
// address. The test's cleanup stops it.
func startServeCmd(t *testing.T, model string, wait time.Duration) *serveCmd {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s := &serveCmd{done: make(chan int, 1), cancel: cancel}
	go func() {
		s.done <- run(ctx, []string{"serve", "--model", model, "--addr", "127.0.0.1:0", "--threads", "1", "--max-wait", "1ms"}, &s.stdout, &s.stderr)
	}()
	for deadline := time.Now().Add(wait); s.base == ""; {
		if _, rest, ok := strings.Cut(s.stdout.String(), "serving on "); ok {
			s.base = strings.TrimSpace(strings.SplitN(rest, "\n", 2)[0])
			break
		}
		select {
		case code := <-s.done:
			t.Fatalf("serve exited %d: %s", code, s.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %q %q", s.stdout.String(), s.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

// stop cancels serve's context, as SIGTERM would, and returns its exit
// status; it fails the test if serve has not stopped 30 seconds later.
func (s *serveCmd) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		return code
	case <-time.After(30 * time.Second):
	}
	t.Fatal("serve did not stop")
	return -1
}

// inpaintForm is the multipart body of an inpainting request with the
// files image and mask and the form fields given as name, value pairs; it
// returns the body and its content type.
func inpaintForm(t *testing.T, image, mask string, fields ...string) (*bytes.Buffer, string) {
	t.Helper()
	if len(fields)%2 != 0 {
		t.Fatalf("inpaintForm: fields %q are not name, value pairs", fields)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for name, path := range map[string]string{"image": image, "mask": mask} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := mw.CreateFormFile(name, filepath.Base(path))
		w.Write(data)
	}
	for i := 0; i < len(fields); i += 2 {
		mw.WriteField(fields[i], fields[i+1])
	}
	mw.Close()
	return &body, mw.FormDataContentType()
}

// serving is serveUntilDone on a free loopback port in a goroutine of the
// test.
type serving struct {
	srv            *serve.Server
	addr           string
	stdout, stderr lockedBuffer
	done           chan error         // what serveUntilDone returned
	cancel         context.CancelFunc // ends serving, as SIGTERM would
}

// startServing serves model with cfg through serveUntilDone, with a write
// timeout of a minute and a shutdown grace period of grace, until s.cancel
// or the end of the test.
func startServing(t *testing.T, model serve.Inpainter, cfg serve.Config, grace time.Duration) *serving {
	t.Helper()
	srv, err := serve.New(model, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s := &serving{srv: srv, addr: ln.Addr().String(), done: make(chan error, 1), cancel: cancel}
	go func() {
		s.done <- serveUntilDone(ctx, &cliEnv{stdout: &s.stdout, stderr: &s.stderr}, ln, srv, time.Minute, grace)
	}()
	return s
}

// TestServeCommand starts `maskgit serve` on a free port with an untrained
// 16x16 model, inpaints one lab image over HTTP, and stops it as SIGTERM
// would (cancelling the command's context).
func TestServeCommand(t *testing.T) {
	model, images, masks := labFixture(t)
	s := startServeCmd(t, model, 30*time.Second)

	resp, err := http.Get(s.base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("healthz: %d", resp.StatusCode)
	}

	body, ctype := inpaintForm(t, filepath.Join(images, "image_000.png"), filepath.Join(masks, "mask_000.png"), "total_iter", "3")
	resp, err = http.Post(s.base+"/v1/inpaint", ctype, body)
	if err != nil {
		t.Fatal(err)
	}
	png, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("inpaint: %d %q %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), png)
	}

	if code := s.stop(t); code != 0 || !strings.Contains(s.stdout.String(), "stopped") {
		t.Errorf("after shutdown: exit %d, stdout %q, stderr %q", code, s.stdout.String(), s.stderr.String())
	}
}

func TestServeCommandBadUsage(t *testing.T) {
	cases := []struct {
		args     []string
		contains string
	}{
		{[]string{"serve"}, "--model is required"},
		{[]string{"serve", "--model", "x", "--max-batch", "0"}, "--max-batch must be ≥ 1"},
		{[]string{"serve", "--model", "x", "--timeout", "0s"}, "--timeout"},
		{[]string{"serve", "--model", "/nonexistent/model"}, "/nonexistent/model"},
		{[]string{"serve", "extra"}, "unexpected arguments"},
	}
	for _, c := range cases {
		code, _, stderr := runCLI(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.contains) {
			t.Errorf("%q: exit %d, stderr %q (want 2 and %q)", c.args, code, stderr, c.contains)
		}
	}
}

// gatedModel answers with the input image once gate is closed.
type gatedModel struct{ entered, gate chan struct{} }

func (g gatedModel) Inpaint(ctx context.Context, jobs []pipeline.Job, _ pipeline.InpaintOptions) ([]pipeline.Output, error) {
	g.entered <- struct{}{}
	<-g.gate
	outs := make([]pipeline.Output, len(jobs))
	for i, j := range jobs {
		outs[i].Image = j.Image.(*image.RGBA)
	}
	return outs, nil
}

// TestServeGracefulShutdown: when the context ends (SIGTERM), a request in
// flight still gets its answer, new connections are refused, and serving
// returns only after the answer.
func TestServeGracefulShutdown(t *testing.T) {
	g := gatedModel{entered: make(chan struct{}, 1), gate: make(chan struct{})}
	s := startServing(t, g, serve.Config{Resolution: 8, MaxWait: time.Millisecond}, time.Minute)

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, name := range []string{"image", "mask"} {
		img := image.NewGray(image.Rect(0, 0, 8, 8))
		img.SetGray(1, 1, color.Gray{200})
		w, _ := mw.CreateFormFile(name, name+".png")
		png.Encode(w, img)
	}
	mw.Close()
	answer := make(chan int, 1)
	go func() {
		resp, err := http.Post("http://"+s.addr+"/v1/inpaint", mw.FormDataContentType(), &body)
		if err != nil {
			t.Errorf("in-flight request: %v", err)
			answer <- 0
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		answer <- resp.StatusCode
	}()
	<-g.entered
	s.cancel()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(s.stdout.String(), "shutting down"); {
		if time.Now().After(deadline) {
			t.Fatal("no shutdown")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-s.done:
		t.Fatalf("serving returned (%v) with a request in flight", err)
	default:
	}
	if c, err := net.DialTimeout("tcp", s.addr, time.Second); err == nil {
		c.Close()
		t.Error("a new connection was accepted while shutting down")
	}
	close(g.gate)
	if code := <-answer; code != 200 {
		t.Errorf("in-flight request answered %d, want 200", code)
	}
	if err := <-s.done; err != nil || !strings.Contains(s.stdout.String(), "stopped") {
		t.Errorf("serveUntilDone: %v, stdout %q", err, s.stdout.String())
	}
}

// blockedModel signals entered and then waits for its context to end.
type blockedModel struct{ entered chan struct{} }

func (m blockedModel) Inpaint(ctx context.Context, _ []pipeline.Job, _ pipeline.InpaintOptions) ([]pipeline.Output, error) {
	m.entered <- struct{}{}
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestServeGraceRunsOut: requests still running or queued when the
// shutdown grace period runs out are answered 503 shutting_down (not 500),
// and the shutdown counts as clean (nil: exit status 0).
func TestServeGraceRunsOut(t *testing.T) {
	m := blockedModel{entered: make(chan struct{}, 16)}
	s := startServing(t, m, serve.Config{Resolution: 8, MaxBatch: 2, MaxWait: time.Millisecond}, 200*time.Millisecond)

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, name := range []string{"image", "mask"} {
		w, _ := mw.CreateFormFile(name, name+".png")
		png.Encode(w, image.NewGray(image.Rect(0, 0, 8, 8)))
	}
	mw.Close()
	const n = 5
	type answer struct {
		status int
		body   string
	}
	answers := make(chan answer, n)
	for i := 0; i < n; i++ {
		go func() {
			resp, err := http.Post("http://"+s.addr+"/v1/inpaint", mw.FormDataContentType(), bytes.NewReader(body.Bytes()))
			if err != nil {
				answers <- answer{0, err.Error()}
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			answers <- answer{resp.StatusCode, string(b)}
		}()
	}
	<-m.entered
	for deadline := time.Now().Add(10 * time.Second); s.srv.InFlight() < n; {
		if time.Now().After(deadline) {
			t.Fatalf("only %d requests in flight", s.srv.InFlight())
		}
		time.Sleep(time.Millisecond)
	}
	s.cancel()
	for i := 0; i < n; i++ {
		if a := <-answers; a.status != 503 || !strings.Contains(a.body, `"shutting_down"`) {
			t.Errorf("request cut by the end of the grace period: %d %s, want 503 shutting_down", a.status, a.body)
		}
	}
	select {
	case err := <-s.done:
		if err != nil || !strings.Contains(s.stdout.String(), "grace period of 200ms over") || !strings.Contains(s.stdout.String(), "stopped") {
			t.Errorf("serveUntilDone: %v, stdout %q, stderr %q", err, s.stdout.String(), s.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serveUntilDone did not return")
	}
	if len(m.entered) != 0 {
		t.Errorf("%d model calls started after the grace period", len(m.entered))
	}
}
