package serve

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBatchingGroupsBySettings sends two settings groups of MaxBatch
// requests at once: each group is one model call, and every answer carries
// its own seed and settings.
func TestBatchingGroupsBySettings(t *testing.T) {
	fm := &fakeModel{}
	_, ts := newTestServer(t, fm, Config{MaxBatch: 4, MaxWait: time.Minute})
	type answer struct {
		status, seed, iters int
		batch               string
	}
	answers := make([]answer, 8)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			iters := 3 + 2*(i%2)
			body, ct := inpaintBody(t, 16, "seed", fmt.Sprint(100+i), "total_iter", fmt.Sprint(iters))
			status, h, b := post(t, ts.URL+"/v1/inpaint", ct, body)
			a := answer{status: status, batch: h.Get("X-Batch-Size")}
			if status == 200 {
				c := decodePNG(t, b).RGBAAt(5, 5)
				a.seed, a.iters = int(c.R), int(c.G)
			}
			answers[i] = a
		}()
	}
	wg.Wait()
	for i, a := range answers {
		if want := (answer{200, 100 + i, 3 + 2*(i%2), "4"}); a != want {
			t.Errorf("request %d: got %+v, want %+v", i, a, want)
		}
	}
	if got := fm.sizes(); !slices.Equal(got, []int{4, 4}) {
		t.Errorf("model calls of %v requests, want [4 4]", got)
	}
}

// TestBatchingMaxWait: a lone request is sent after MaxWait.
func TestBatchingMaxWait(t *testing.T) {
	fm := &fakeModel{}
	_, ts := newTestServer(t, fm, Config{MaxBatch: 8, MaxWait: 30 * time.Millisecond})
	body, ct := inpaintBody(t, 16)
	t0 := time.Now()
	status, h, _ := post(t, ts.URL+"/v1/inpaint", ct, body)
	if took := time.Since(t0); status != 200 || h.Get("X-Batch-Size") != "1" || took < 30*time.Millisecond {
		t.Errorf("status %d, batch %s, after %v (want 200, 1, ≥ MaxWait 30ms)", status, h.Get("X-Batch-Size"), took)
	}
}

// TestQueueFull: with the model busy and the queue full, a request is
// answered 503 queue_full with Retry-After at once; the others complete.
func TestQueueFull(t *testing.T) {
	fm := &fakeModel{gate: make(chan struct{}), entered: make(chan struct{}, 4)}
	s, ts := newTestServer(t, fm, Config{MaxBatch: 1, QueueSize: 1, MaxWait: time.Millisecond})
	body, ct := inpaintBody(t, 16)
	statuses := make(chan int, 2)
	send := func() { status, _, _ := post(t, ts.URL+"/v1/inpaint", ct, body); statuses <- status }
	go send()
	<-fm.entered // the worker holds the first request
	go send()
	for deadline := time.Now().Add(10 * time.Second); s.batcher.inFlight() < 2; {
		if time.Now().After(deadline) {
			t.Fatal("second request never queued")
		}
		time.Sleep(time.Millisecond)
	}
	status, h, b := post(t, ts.URL+"/v1/inpaint", ct, body)
	if status != 503 || h.Get("Retry-After") == "" || !strings.Contains(string(b), "queue_full") {
		t.Errorf("third request: %d %v %s", status, h, b)
	}
	fm.gate <- struct{}{}
	<-fm.entered
	fm.gate <- struct{}{}
	for i := 0; i < 2; i++ {
		if st := <-statuses; st != 200 {
			t.Errorf("queued request answered %d", st)
		}
	}
}

// TestTimeout: a request whose model call outlives Config.Timeout is
// answered 503 timeout, and the model call's context is cancelled.
func TestTimeout(t *testing.T) {
	fm := &fakeModel{gate: make(chan struct{})} // never opened
	_, ts := newTestServer(t, fm, Config{Timeout: 50 * time.Millisecond})
	body, ct := inpaintBody(t, 16)
	status, _, b := post(t, ts.URL+"/v1/inpaint", ct, body)
	var e errorBody
	if status != 503 || json.Unmarshal(b, &e) != nil || e.Code != "timeout" {
		t.Errorf("got %d %s, want 503 timeout", status, b)
	}
}

// TestModelPanic: a panicking model is a 500 JSON answer, and the server
// keeps serving.
func TestModelPanic(t *testing.T) {
	fm := &fakeModel{panics: true}
	var log lockedLog
	_, ts := newTestServer(t, fm, Config{Log: &log})
	body, ct := inpaintBody(t, 16)
	for i := 0; i < 2; i++ {
		status, _, b := post(t, ts.URL+"/v1/inpaint", ct, body)
		if status != 500 || !strings.Contains(string(b), `"internal"`) || strings.Contains(string(b), "panic") {
			t.Errorf("call %d: %d %s (want 500 internal, details only in the log)", i, status, b)
		}
	}
	if got := strings.Count(log.String(), "model panicked: fake model panics"); got != 2 {
		t.Errorf("log has %d panic lines, want 2:\n%s", got, log.String())
	}
}

// lockedLog is a log writer safe for concurrent use.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestCloseAnswersShuttingDown: Close while a model call runs (the grace
// period of a shutdown ran out) answers that call's requests and every
// queued one 503 shutting_down — never 500 — and starts no other model
// call.
func TestCloseAnswersShuttingDown(t *testing.T) {
	fm := &fakeModel{gate: make(chan struct{}), entered: make(chan struct{}, 16)} // the gate never opens
	var log lockedLog
	s, ts := newTestServer(t, fm, Config{MaxBatch: 2, MaxWait: time.Millisecond, Log: &log})
	type answer struct {
		status int
		body   string
	}
	answers := make(chan answer, 7)
	for i := 0; i < 7; i++ {
		iters := []string{"4", "4", "4", "5", "5", "6", "4"}[i]
		body, ct := inpaintBody(t, 16, "total_iter", iters, "seed", fmt.Sprint(i))
		go func() {
			status, _, b := post(t, ts.URL+"/v1/inpaint", ct, body)
			answers <- answer{status, string(b)}
		}()
		if i == 0 {
			<-fm.entered // the first model call is running
		}
	}
	for deadline := time.Now().Add(10 * time.Second); s.InFlight() < 7; {
		if time.Now().After(deadline) {
			t.Fatalf("only %d requests in flight", s.InFlight())
		}
		time.Sleep(time.Millisecond)
	}
	s.Close()
	for i := 0; i < 7; i++ {
		a := <-answers
		var e errorBody
		if a.status != 503 || json.Unmarshal([]byte(a.body), &e) != nil || e.Code != "shutting_down" {
			t.Errorf("request cut by Close: %d %s, want 503 shutting_down", a.status, a.body)
		}
	}
	if n := len(fm.entered); n != 0 {
		t.Errorf("%d model calls started after Close", n)
	}
	if log.String() != "" {
		t.Errorf("internal errors logged: %s", log.String())
	}
}
