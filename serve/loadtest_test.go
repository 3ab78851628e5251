package serve

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/maskgit-go/maskgit/pipeline"
)

// loadResult is one load run's measurements.
type loadResult struct {
	requests, errors int
	seconds          float64
	p50, p99         time.Duration
	meanBatch        float64
	peakRSSMiB       float64
}

// TestLoad runs 64 concurrent clients against the server on loopback for
// $MASKGIT_LOADTEST_DURATION (default 60s), batched (MaxBatch 16) and
// unbatched (MaxBatch 1), with the 64×64 model in $MASKGIT_LOADTEST_MODEL
// (e.g. the shipped models/catfaces64) or else an untrained tiny 64×64 model
// (16×16 tokens), and reports throughput, latency percentiles, errors (must be 0), the
// mean batch and the process's peak RSS. Only with MASKGIT_LOADTEST=1: it
// takes minutes. Numbers are recorded in docs/benchmarks.md.
func TestLoad(t *testing.T) {
	if os.Getenv("MASKGIT_LOADTEST") != "1" {
		t.Skip("set MASKGIT_LOADTEST=1 to run the load test (two runs of MASKGIT_LOADTEST_DURATION, default 60s)")
	}
	dur := 60 * time.Second
	if s := os.Getenv("MASKGIT_LOADTEST_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("MASKGIT_LOADTEST_DURATION: %v", err)
		}
		dur = d
	}
	const res, clients = 64, 64
	var model *pipeline.Model
	if dir := os.Getenv("MASKGIT_LOADTEST_MODEL"); dir != "" {
		m, err := pipeline.Load(dir, pipeline.Options{})
		if err != nil {
			t.Fatalf("MASKGIT_LOADTEST_MODEL: %v", err)
		}
		defer m.Close()
		model = m
		t.Logf("model %s", dir)
	} else {
		model = tinyModelThreads(t, res, 0)
		t.Log("model: untrained tiny (set MASKGIT_LOADTEST_MODEL for a trained one)")
	}
	for _, run := range []struct {
		name     string
		maxBatch int
	}{{"batched", 16}, {"unbatched", 1}} {
		s, err := New(model, Config{Resolution: res, MaxBatch: run.maxBatch, MaxWait: 5 * time.Millisecond, QueueSize: 256})
		if err != nil {
			t.Fatal(err)
		}
		r := loadRun(t, s, res, clients, dur)
		s.Close()
		t.Logf("%s (max batch %d): %d requests in %.1f s = %.1f req/s; p50 %v, p99 %v; errors %d; mean batch %.2f; peak RSS %.0f MiB",
			run.name, run.maxBatch, r.requests, r.seconds, float64(r.requests)/r.seconds, r.p50.Round(time.Millisecond), r.p99.Round(time.Millisecond),
			r.errors, r.meanBatch, r.peakRSSMiB)
		if r.errors != 0 {
			t.Errorf("%s: %d errors", run.name, r.errors)
		}
	}
}

// loadRun serves s on loopback and runs clients request loops for dur.
func loadRun(t *testing.T, s *Server, res, clients int, dur time.Duration) loadResult {
	resetPeakRSS()
	ts := httptest.NewServer(s.Handler()) // 127.0.0.1
	defer ts.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: time.Minute}
	defer client.CloseIdleConnections()
	img, mask := pngBytes(t, testImage(res)), pngBytes(t, testMask(res, res/4, res/4, res/2, res/2))
	var mu sync.Mutex
	var lat []time.Duration
	var errs []string
	start := time.Now()
	stop := start.Add(dur)
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(stop); i++ {
				body, ct := multipartBody(t, part{"image", img, true}, part{"mask", mask, true},
					part{"seed", []byte(strconv.Itoa(c*100000 + i)), false}, part{"total_iter", []byte("8"), false})
				t0 := time.Now()
				err := postOK(client, ts.URL+"/v1/inpaint", ct, body)
				d := time.Since(t0)
				mu.Lock()
				if err != nil {
					errs = append(errs, err.Error())
				} else {
					lat = append(lat, d)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	slices.Sort(lat)
	r := loadResult{requests: len(lat), errors: len(errs), seconds: secs, peakRSSMiB: peakRSSMiB()}
	if len(lat) > 0 {
		r.p50, r.p99 = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
	}
	if st := s.Stats(); st.Batches > 0 {
		r.meanBatch = float64(st.Requests) / float64(st.Batches)
	}
	if len(errs) > 0 {
		t.Logf("first error: %s", errs[0])
	}
	return r
}

// postOK posts one request and fails unless it is answered 200 with a PNG.
func postOK(client *http.Client, url, ct string, body []byte) error {
	resp, err := client.Post(url, ct, bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		return fmt.Errorf("status %d: %.200s", resp.StatusCode, b)
	}
	return nil
}

// resetPeakRSS resets the kernel's peak-RSS mark of this process (Linux;
// ignored elsewhere).
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSSMiB reads VmHWM from /proc/self/status (0 when unavailable).
func peakRSSMiB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
