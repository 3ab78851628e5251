package serve

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/inpaint"
	"github.com/maskgit-go/maskgit/pipeline"
)

// Config configures a Server; zero fields take the defaults of
// DefaultConfig.
type Config struct {
	// Resolution is the model's image side (required).
	Resolution int
	// MaxBatch is the most requests in one model call; 1 disables batching.
	MaxBatch int
	// MaxWait is how long the first request of a batch waits for company.
	MaxWait time.Duration
	// QueueSize bounds the requests waiting for the model besides the
	// MaxBatch of the running call; beyond it requests are answered 503
	// queue_full at once.
	QueueSize int
	// Timeout bounds a request from its arrival to its answer.
	Timeout time.Duration
	// MaxBodyBytes and MaxPixels: see Limits.
	MaxBodyBytes int64
	MaxPixels    int
	// MaxTotalIter caps total_iter.
	MaxTotalIter int
	// Log, when set, receives a line per internal error (a 500 answer).
	Log io.Writer
	// Defaults are the settings of a request that sets none (zero:
	// DefaultParams()); ModelConfig sets the model's own.
	Defaults Params
	// Decoder decodes request images (nil: Go's image.Decode); maskgit
	// serve passes fid/imageio's, the decoder training and the other
	// commands use. It must be safe for concurrent use.
	Decoder dataset.ImageDecoder
}

// DefaultConfig returns the defaults for a model of the given resolution.
func DefaultConfig(resolution int) Config {
	return Config{Resolution: resolution, MaxBatch: 16, MaxWait: 5 * time.Millisecond, QueueSize: 256,
		Timeout: 60 * time.Second, MaxBodyBytes: 4 << 20, MaxPixels: 4096 * 4096, MaxTotalIter: 64}
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	d := DefaultConfig(c.Resolution)
	if c.MaxBatch == 0 {
		c.MaxBatch = d.MaxBatch
	}
	if c.MaxWait == 0 {
		c.MaxWait = d.MaxWait
	}
	if c.QueueSize == 0 {
		c.QueueSize = d.QueueSize
	}
	if c.Timeout == 0 {
		c.Timeout = d.Timeout
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = d.MaxBodyBytes
	}
	if c.MaxPixels == 0 {
		c.MaxPixels = d.MaxPixels
	}
	if c.MaxTotalIter == 0 {
		c.MaxTotalIter = d.MaxTotalIter
	}
	if c.Defaults == (Params{}) {
		c.Defaults = DefaultParams()
	}
	return c
}

// Server is the inpainting service. Close it to stop its batcher.
type Server struct {
	cfg     Config
	lim     Limits
	batcher *batcher
	mux     *http.ServeMux
}

// New returns a server running model with cfg (zero fields defaulted).
func New(model Inpainter, cfg Config) (*Server, error) {
	if model == nil {
		return nil, fmt.Errorf("serve: no model")
	}
	if cfg.Resolution <= 0 {
		return nil, fmt.Errorf("serve: Resolution must be positive, got %d", cfg.Resolution)
	}
	cfg = cfg.withDefaults()
	if cfg.MaxBatch < 0 || cfg.QueueSize < 0 || cfg.MaxWait < 0 || cfg.Timeout < 0 || cfg.MaxBodyBytes < 0 || cfg.MaxPixels < 0 || cfg.MaxTotalIter < 0 {
		return nil, fmt.Errorf("serve: negative limit in %+v", cfg)
	}
	if cfg.MaxPixels < cfg.Resolution*cfg.Resolution {
		return nil, fmt.Errorf("serve: MaxPixels %d is below one %dx%d image", cfg.MaxPixels, cfg.Resolution, cfg.Resolution)
	}
	s := &Server{cfg: cfg, lim: Limits{Resolution: cfg.Resolution, MaxBodyBytes: cfg.MaxBodyBytes, MaxPixels: cfg.MaxPixels, Defaults: cfg.Defaults, Decoder: cfg.Decoder},
		batcher: newBatcher(model, cfg.MaxBatch, cfg.QueueSize, cfg.MaxWait), mux: http.NewServeMux()}
	s.mux.HandleFunc("/v1/inpaint", s.handleInpaint)
	s.mux.HandleFunc("/healthz", s.handleHealth)
	s.mux.HandleFunc("/examples/", s.handleExamples)
	s.mux.HandleFunc("/", s.handlePage)
	return s, nil
}

// ModelConfig returns the Config defaults for a loaded model: its
// resolution, and its own inpainting settings as the request defaults.
func ModelConfig(m *pipeline.Model) Config {
	c := DefaultConfig(int(m.Tokenizer.Cfg.Resolution))
	c.Defaults = ParamsFromSettings(m.Settings)
	return c
}

// Handler returns the HTTP handler; a panic in it is answered 500 JSON.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.fail(w, r, fmt.Errorf("panic: %v", p))
			}
		}()
		s.mux.ServeHTTP(w, r)
	})
}

// Close stops the batcher: a running model call is cancelled, and its
// requests and those waiting are answered 503 "shutting_down" (never 500).
// It returns once the model is no longer in use. Call it after
// http.Server.Shutdown has let in-flight requests finish, or when its grace
// period has run out. Safe to call twice.
func (s *Server) Close() error {
	s.batcher.close()
	return nil
}

// InFlight returns the number of requests accepted by the batcher and not
// yet answered (queued or in a running model call).
func (s *Server) InFlight() int { return s.batcher.inFlight() }

// Stats counts the requests answered by the model and the model calls.
type Stats struct {
	Requests, Batches int64
}

// Stats returns the counts so far.
func (s *Server) Stats() Stats {
	return Stats{Requests: s.batcher.requests.Load(), Batches: s.batcher.batches.Load()}
}

// StepsResponse is the JSON answer of a request with steps=1. Images are
// base64 PNGs; the strips show, left to right, the token mask after each
// step (white = still masked) and the image decoded from each step.
type StepsResponse struct {
	Image         string `json:"image"`
	MaskStrip     string `json:"mask_strip,omitempty"`
	StepStrip     string `json:"step_strip,omitempty"`
	UnknownTokens int    `json:"unknown_tokens"`
	BatchSize     int    `json:"batch_size"`
}

// health is the /healthz answer.
type health struct {
	Status       string   `json:"status"`
	Resolution   int      `json:"resolution"`
	Schedules    []string `json:"schedules"`
	Defaults     Params   `json:"defaults"`
	MaxBatch     int      `json:"max_batch"`
	MaxTotalIter int      `json:"max_total_iter"`
	InFlight     int      `json:"in_flight"`
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, methodNotAllowed(w, "GET"))
		return
	}
	select {
	case <-s.batcher.quit:
		writeError(w, errClosed())
		return
	default:
	}
	writeJSON(w, http.StatusOK, health{Status: "ok", Resolution: s.cfg.Resolution, Schedules: inpaint.ScheduleNames(),
		Defaults: s.cfg.Defaults, MaxBatch: s.cfg.MaxBatch, MaxTotalIter: s.cfg.MaxTotalIter, InFlight: s.batcher.inFlight()})
}

func methodNotAllowed(w http.ResponseWriter, allow string) error {
	w.Header().Set("Allow", allow)
	return errorf(http.StatusMethodNotAllowed, "method_not_allowed", "use %s", allow)
}

func (s *Server) handleInpaint(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, methodNotAllowed(w, "POST"))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.Timeout)
	defer cancel()
	req, err := ReadRequest(w, r, s.lim)
	if err != nil {
		writeError(w, err)
		return
	}
	opt, err := req.Params.Options(s.cfg.MaxTotalIter, s.cfg.MaxBatch)
	if err != nil {
		writeError(w, err)
		return
	}
	res := s.batcher.submit(ctx, req.Params.key(), opt, pipeline.Job{Image: req.Image, Mask: req.Mask, Index: req.Params.Seed})
	if res.err != nil {
		s.fail(w, r, res.err)
		return
	}
	w.Header().Set("X-Batch-Size", strconv.Itoa(res.batch))
	img, err := encodePNG(res.out.Image)
	if err != nil {
		writeError(w, err)
		return
	}
	if !req.Params.Steps {
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Content-Length", strconv.Itoa(len(img)))
		w.WriteHeader(http.StatusOK)
		w.Write(img)
		return
	}
	out := StepsResponse{Image: base64.StdEncoding.EncodeToString(img), UnknownTokens: res.out.Unknown0, BatchSize: res.batch}
	for _, st := range []struct {
		img *image.RGBA
		dst *string
	}{{res.out.MaskStrip, &out.MaskStrip}, {res.out.StepStrip, &out.StepStrip}} {
		if st.img == nil {
			continue
		}
		b, err := encodePNG(st.img)
		if err != nil {
			writeError(w, err)
			return
		}
		*st.dst = base64.StdEncoding.EncodeToString(b)
	}
	writeJSON(w, http.StatusOK, out)
}

// fail answers err, logging it first when it is internal.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var e *Error
	if s.cfg.Log != nil && (!errors.As(err, &e) || e.Status == http.StatusInternalServerError) {
		fmt.Fprintf(s.cfg.Log, "%s %s %s: internal error: %v\n", time.Now().UTC().Format(time.RFC3339), r.Method, r.URL.Path, err)
	}
	writeError(w, err)
}

func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
