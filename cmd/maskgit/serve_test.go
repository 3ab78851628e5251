package main

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
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

// TestServeCommand starts `maskgit serve` on a free port with an untrained
// 16x16 model, inpaints one lab image over HTTP, and stops it as SIGTERM
// would (cancelling the command's context).
func TestServeCommand(t *testing.T) {
	model, images, masks := labFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--model", model, "--addr", "127.0.0.1:0", "--threads", "1", "--max-wait", "1ms"}, &stdout, &stderr)
	}()
	var base string
	for deadline := time.Now().Add(30 * time.Second); base == ""; {
		if _, rest, ok := strings.Cut(stdout.String(), "serving on "); ok {
			base = strings.TrimSpace(strings.SplitN(rest, "\n", 2)[0])
			break
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d: %s", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %q %q", stdout.String(), stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("healthz: %d", resp.StatusCode)
	}

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for name, path := range map[string]string{"image": filepath.Join(images, "image_000.png"), "mask": filepath.Join(masks, "mask_000.png")} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := mw.CreateFormFile(name, filepath.Base(path))
		w.Write(data)
	}
	mw.WriteField("total_iter", "3")
	mw.Close()
	resp, err = http.Post(base+"/v1/inpaint", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	png, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("inpaint: %d %q %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), png)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(stdout.String(), "stopped") {
			t.Errorf("after shutdown: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
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
