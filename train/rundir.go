package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/maskgit-go/maskgit/internal/atomicfile"
)

// RunDir is a training run's directory.
type RunDir string

// Config is the path of the run's config.json.
func (d RunDir) Config() string { return filepath.Join(string(d), "config.json") }

// CkptDir holds the step checkpoints.
func (d RunDir) CkptDir() string { return filepath.Join(string(d), "ckpt") }

// StepPrefix is the checkpoint prefix for step.
func (d RunDir) StepPrefix(step int64) string {
	return filepath.Join(d.CkptDir(), fmt.Sprintf("step-%08d", step))
}

// BestPrefix is the best checkpoint's prefix.
func (d RunDir) BestPrefix() string { return filepath.Join(string(d), "best", "model") }

// Events is the TensorBoard log directory.
func (d RunDir) Events() string { return filepath.Join(string(d), "events") }

// StatePath is the trainer state file that goes with a checkpoint prefix.
func StatePath(prefix string) string { return prefix + ".json" }

// ErrConfigMismatch is returned when a resumed run's config differs.
var ErrConfigMismatch = errors.New("config differs from the run's config.json")

// Check reports, without creating or changing anything, whether Init would
// accept the directory for a run with config cfg: a new run needs an empty
// or missing directory (so a finished run is never overwritten by
// accident); resume needs the directory with an equal config.json.
func (d RunDir) Check(cfg interface{}, resume bool) error {
	_, err := d.check(cfg, resume)
	return err
}

func (d RunDir) check(cfg interface{}, resume bool) ([]byte, error) {
	want, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return nil, err
	}
	want = append(want, '\n')
	if resume {
		have, err := os.ReadFile(d.Config())
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("--resume: %s has no config.json: nothing to resume", d)
		}
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(canonical(have), canonical(want)) {
			return nil, fmt.Errorf("--resume: %s: %w:\n%s", d.Config(), ErrConfigMismatch, diffJSON(have, want))
		}
		return want, nil
	}
	if ents, err := os.ReadDir(string(d)); err == nil {
		for _, e := range ents {
			// A temporary file of an interrupted Init does not count.
			if !atomicfile.IsTemp(e.Name()) {
				return nil, fmt.Errorf("run directory %s is not empty: pass --resume to continue it, or choose another --out", d)
			}
		}
	}
	return want, nil
}

// Init prepares the directory for a run with config cfg (see Check). A new
// run writes config.json first, then the subdirectories; a resumed run gets
// back any subdirectory that is missing.
func (d RunDir) Init(cfg interface{}, resume bool) error {
	want, err := d.check(cfg, resume)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(string(d), 0o755); err != nil {
		return err
	}
	// Before best/ is recreated: a best/ that an interrupted replace moved
	// aside comes back.
	if _, err := atomicfile.RemoveStale(string(d)); err != nil {
		return err
	}
	if !resume {
		if err := atomicfile.WriteFile(d.Config(), want, 0o644); err != nil {
			return err
		}
	}
	for _, sub := range []string{d.CkptDir(), filepath.Dir(d.BestPrefix())} {
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// ReadConfig decodes the run's config.json into cfg, rejecting unknown fields.
func (d RunDir) ReadConfig(cfg interface{}) error {
	b, err := os.ReadFile(d.Config())
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return fmt.Errorf("%s: %w", d.Config(), err)
	}
	return nil
}

func canonical(b []byte) []byte {
	var v interface{}
	if json.Unmarshal(b, &v) != nil {
		return b
	}
	out, _ := json.Marshal(v)
	return out
}

// diffJSON lists the top-level keys whose values differ.
func diffJSON(have, want []byte) string {
	var h, w map[string]interface{}
	json.Unmarshal(have, &h)
	json.Unmarshal(want, &w)
	var lines []string
	for k, wv := range w {
		hb, _ := json.Marshal(h[k])
		wb, _ := json.Marshal(wv)
		if !bytes.Equal(hb, wb) {
			lines = append(lines, fmt.Sprintf("  %s: run has %s, now %s", k, hb, wb))
		}
	}
	for k, hv := range h {
		if _, ok := w[k]; !ok {
			hb, _ := json.Marshal(hv)
			lines = append(lines, fmt.Sprintf("  %s: run has %s, now absent", k, hb))
		}
	}
	return strings.Join(lines, "\n")
}
