package serve

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// soakSettings are the soak test's knobs, from the environment.
type soakSettings struct {
	bin, model       string
	duration, warmup time.Duration
	clients          int
}

func soakEnv(t *testing.T) soakSettings {
	t.Helper()
	s := soakSettings{bin: os.Getenv("MASKGIT_SOAK_BIN"), model: os.Getenv("MASKGIT_SOAK_MODEL"), duration: 10 * time.Minute, clients: 64}
	if s.model == "" {
		s.model = filepath.Join("..", "models", "catfaces64")
	}
	for name, dst := range map[string]*time.Duration{"MASKGIT_SOAK_DURATION": &s.duration, "MASKGIT_SOAK_WARMUP": &s.warmup} {
		if v := os.Getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				t.Fatalf("%s=%q: want a positive duration such as 10m", name, v)
			}
			*dst = d
		}
	}
	if s.warmup == 0 {
		s.warmup = min(time.Minute, s.duration/5)
	}
	if s.warmup >= s.duration {
		t.Fatalf("the warm-up (%v) must be shorter than the run (%v)", s.warmup, s.duration)
	}
	return s
}

// TestSoak runs `maskgit serve` (the real command, in its own process, on
// 127.0.0.1 only) with the shipped model and 64 clients posting requests
// back to back for $MASKGIT_SOAK_DURATION (default 10m), sampling the
// server's RSS every second, then stops it with SIGTERM. It passes with 0
// errors (every request answered 200 with a PNG), RSS growth after the
// warm-up below 10%, and a clean shutdown (exit status 0). The warm-up
// lasts $MASKGIT_SOAK_WARMUP (default a fifth of the run, at most 1m) and
// until every client has had an answer; RSS growth is the highest sample
// after it over the highest during it. Only with MASKGIT_SOAK=1:
//
//	MASKGIT_SOAK=1 go test -count=1 -run TestSoak -v -timeout 20m ./serve/
//
// $MASKGIT_SOAK_BIN is the maskgit binary to run (default: built from
// ../cmd/maskgit into a temporary folder); $MASKGIT_SOAK_MODEL the model
// (default ../models/catfaces64). Results go in docs/benchmarks.md.
func TestSoak(t *testing.T) {
	if os.Getenv("MASKGIT_SOAK") != "1" {
		t.Skip("set MASKGIT_SOAK=1 to run the soak test (MASKGIT_SOAK_DURATION, default 10m)")
	}
	cfg := soakEnv(t)
	if cfg.bin == "" {
		cfg.bin = filepath.Join(t.TempDir(), "maskgit")
		build := exec.Command("go", "build", "-o", cfg.bin, "./cmd/maskgit")
		build.Dir = ".."
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("building maskgit: %v\n%s", err, out)
		}
	}
	srv := startServe(t, cfg.bin, "--model", cfg.model, "--addr", "127.0.0.1:0", "--max-wait", "5ms")
	t.Logf("maskgit serve (pid %d) on %s, model %s, %d clients for %v (warm-up %v)", srv.cmd.Process.Pid, srv.base, cfg.model, cfg.clients, cfg.duration, cfg.warmup)

	start := time.Now()
	stop := start.Add(cfg.duration)
	var answered atomic.Int64
	samples := make(chan []rssSample, 1)
	go func() { samples <- sampleRSS(srv.cmd.Process.Pid, start, stop, &answered) }()
	r := soakClients(t, srv.base, cfg.clients, stop, &answered)
	rss := <-samples

	code, err := srv.stop(time.Minute)
	if err != nil || code != 0 || !strings.Contains(srv.stdout.String(), "stopped") {
		t.Errorf("after SIGTERM: exit %d (%v), stdout %q", code, err, srv.stdout.String())
	}
	if internal := srv.stderrLines("internal error"); len(internal) > 0 {
		t.Errorf("the server logged %d internal errors, first: %s", len(internal), internal[0])
	}

	g := rssGrowth(rss, cfg.warmup, int64(cfg.clients))
	t.Logf("soak: %d requests in %.0f s = %.1f req/s; p50 %v, p99 %v; errors %d; RSS peak %.0f MiB in the warm-up (ended at %v), %.0f MiB after it (%+.1f%%), %.0f MiB at the end (%+.1f%%); %d samples",
		r.requests, r.seconds, float64(r.requests)/r.seconds, r.p50.Round(time.Millisecond), r.p99.Round(time.Millisecond), r.errors,
		g.base, g.warmEnd.Round(time.Second), g.peak, g.peakPct, g.last, g.lastPct, len(rss))
	if r.errors != 0 {
		t.Errorf("%d errors (first: %s)", r.errors, r.firstErr)
	}
	if r.requests == 0 || g.base == 0 || g.peak == 0 {
		t.Fatalf("no measurement: %d requests, %d RSS samples, warm-up ended at %v (too short a run for this machine's speed?)", r.requests, len(rss), g.warmEnd)
	}
	if g.peakPct >= 10 {
		t.Errorf("RSS grew %.1f%% after the warm-up (%.0f → %.0f MiB), want < 10%%", g.peakPct, g.base, g.peak)
	}
}

// serveProc is a running `maskgit serve`.
type serveProc struct {
	cmd            *exec.Cmd
	base           string
	stdout, stderr *lockedLog
	exited         chan error
}

// startServe starts bin serve args and waits for its address; the process
// is killed at the end of the test if still running.
func startServe(t *testing.T, bin string, args ...string) *serveProc {
	t.Helper()
	p := &serveProc{cmd: exec.Command(bin, append([]string{"serve"}, args...)...), stdout: &lockedLog{}, stderr: &lockedLog{}, exited: make(chan error, 1)}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	for deadline := time.Now().Add(2 * time.Minute); p.base == ""; time.Sleep(50 * time.Millisecond) {
		if _, rest, ok := strings.Cut(p.stdout.String(), "serving on "); ok {
			p.base = strings.TrimSpace(strings.SplitN(rest, "\n", 2)[0])
			break
		}
		select {
		case err := <-p.exited:
			t.Fatalf("maskgit serve exited (%v): %s", err, p.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("maskgit serve did not start: %q", p.stderr.String())
		}
	}
	if u, err := url.Parse(p.base); err != nil || u.Hostname() != "127.0.0.1" {
		t.Fatalf("serving on %q, want loopback 127.0.0.1", p.base)
	}
	return p
}

// stop sends SIGTERM and waits up to wait for the exit status.
func (p *serveProc) stop(wait time.Duration) (int, error) {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return -1, err
	}
	select {
	case <-p.exited:
		return p.cmd.ProcessState.ExitCode(), nil
	case <-time.After(wait):
		return -1, fmt.Errorf("no exit %v after SIGTERM", wait)
	}
}

// stderrLines returns the server's stderr lines containing s.
func (p *serveProc) stderrLines(s string) []string {
	var out []string
	for _, l := range strings.Split(p.stderr.String(), "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return out
}

// soakResult is what the clients saw.
type soakResult struct {
	requests, errors int
	firstErr         string
	seconds          float64
	p50, p99         time.Duration
}

// soakClients runs clients request loops against base until stop; each loop
// also ends after a bounded number of requests.
func soakClients(t *testing.T, base string, clients int, stop time.Time, answered *atomic.Int64) soakResult {
	const maxPerClient = 1 << 20
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: 2 * time.Minute}
	defer client.CloseIdleConnections()
	img, mask := pngBytes(t, testImage(64)), pngBytes(t, testMask(64, 16, 16, 32, 32))
	var mu sync.Mutex
	var lat []time.Duration
	var r soakResult
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < maxPerClient && time.Now().Before(stop); i++ {
				body, ct := multipartBody(t, part{"image", img, true}, part{"mask", mask, true},
					part{"seed", []byte(strconv.Itoa(c*maxPerClient + i)), false}, part{"total_iter", []byte("8"), false})
				t0 := time.Now()
				err := postOK(client, base+"/v1/inpaint", ct, body)
				d := time.Since(t0)
				answered.Add(1)
				mu.Lock()
				if err != nil {
					if r.errors++; r.firstErr == "" {
						r.firstErr = err.Error()
					}
				} else {
					lat = append(lat, d)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	r.seconds = time.Since(start).Seconds()
	r.requests = len(lat)
	slices.Sort(lat)
	if len(lat) > 0 {
		r.p50, r.p99 = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
	}
	return r
}

// rssSample is a process's resident set size at a time since the start,
// with the number of requests answered by then.
type rssSample struct {
	at       time.Duration
	mib      float64
	answered int64
}

// sampleRSS reads pid's VmRSS every second until stop.
func sampleRSS(pid int, start, stop time.Time, answered *atomic.Int64) []rssSample {
	var out []rssSample
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for now := range tick.C {
		if now.After(stop) {
			return out
		}
		if mib, err := vmRSSMiB(pid); err == nil {
			out = append(out, rssSample{now.Sub(start), mib, answered.Load()})
		}
	}
	return out
}

// vmRSSMiB reads VmRSS from /proc/<pid>/status.
func vmRSSMiB(pid int) (float64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return vmField(f, "VmRSS:")
}

// vmField reads a "Name:   123 kB" line of a /proc status file in MiB.
func vmField(r io.Reader, name string) (float64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no %s line", name)
}

// growth is RSS after the warm-up relative to the warm-up: base is the
// largest sample of the warm-up, peak the largest after it, last the final
// one. The warm-up ends with the first sample at or after warmup with at
// least minAnswered requests answered.
type growth struct {
	base, peak, last, peakPct, lastPct float64
	warmEnd                            time.Duration
}

func rssGrowth(s []rssSample, warmup time.Duration, minAnswered int64) growth {
	var g growth
	warm := true
	for _, x := range s {
		if warm {
			g.base = max(g.base, x.mib)
			if x.at >= warmup && x.answered >= minAnswered {
				warm, g.warmEnd = false, x.at
			}
			continue
		}
		g.peak = max(g.peak, x.mib)
		g.last = x.mib
	}
	if g.base > 0 && g.peak > 0 {
		g.peakPct = 100 * (g.peak/g.base - 1)
		g.lastPct = 100 * (g.last/g.base - 1)
	}
	return g
}

// TestRSSGrowth checks the soak test's arithmetic (it runs by default).
func TestRSSGrowth(t *testing.T) {
	s := []rssSample{{1 * time.Second, 300, 0}, {2 * time.Second, 390, 1}, {3 * time.Second, 400, 2}, {4 * time.Second, 450, 3}, {5 * time.Second, 410, 4}}
	g := rssGrowth(s, 2*time.Second, 2) // the warm-up ends at 3 s: 2 answers
	if g.base != 400 || g.warmEnd != 3*time.Second || g.peak != 450 || g.last != 410 || math.Abs(g.peakPct-12.5) > 1e-9 || math.Abs(g.lastPct-2.5) > 1e-9 {
		t.Errorf("rssGrowth: %+v", g)
	}
	mib, err := vmField(strings.NewReader("Name:\tx\nVmHWM:\t  9999 kB\nVmRSS:\t  204800 kB\n"), "VmRSS:")
	if err != nil || mib != 200 {
		t.Errorf("vmField: %v %v", mib, err)
	}
}
