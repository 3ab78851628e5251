package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/maskgit-go/maskgit/inpaint"
	"github.com/maskgit-go/maskgit/internal/atomicfile"
)

// SettingsFile is the name of the file in a model directory (or transformer
// run directory) that holds the model's own inpainting settings.
const SettingsFile = "inpaint.json"

// Settings are a model's decoding and compositing settings: the ones it
// ships with (SettingsFile, usually the best of a sweep), used by every
// command, the server and the web page when the caller sets none.
type Settings struct {
	Schedule    string  `json:"schedule"`    // mask schedule γ (inpaint.ScheduleNames)
	TotalIter   int     `json:"total_iter"`  // T
	SweetSpot   int     `json:"sweet_spot"`  // stop after this many steps (0: T)
	Temperature float64 `json:"temperature"` // Gumbel noise scale on log p
	Order       string  `json:"order"`       // confidence or halton
	Sample      bool    `json:"sample"`      // sample tokens instead of the argmax
	Dilate      bool    `json:"dilate"`      // grow the token mask by one token
	Composite   string  `json:"composite"`   // residual, hard or none
	Prefill     string  `json:"prefill"`     // hole pixels when encoding: harmonic or grey
	Seed        uint64  `json:"seed"`        // seed of the per-image random streams
	// Note says where the settings come from (a sweep, its FID).
	Note string `json:"note,omitempty"`
}

// DefaultSettings are the settings of a model directory without a
// SettingsFile.
func DefaultSettings() Settings {
	return Settings{Schedule: "cosine", TotalIter: 12, Temperature: 4.5, Order: "confidence",
		Composite: inpaint.CompositeResidual.String(), Prefill: inpaint.PrefillHarmonic.String(), Seed: 1}
}

// Options validates s and returns the pipeline options it describes, with
// batch images per model call (0: all at once).
func (s Settings) Options(batch int) (InpaintOptions, error) {
	sched, err := inpaint.ScheduleByName(s.Schedule)
	if err != nil {
		return InpaintOptions{}, fmt.Errorf("schedule: %w", err)
	}
	order, err := inpaint.OrderByName(s.Order)
	if err != nil {
		return InpaintOptions{}, fmt.Errorf("order: %w", err)
	}
	comp, err := inpaint.CompositeByName(s.Composite)
	if err != nil {
		return InpaintOptions{}, fmt.Errorf("composite: %w", err)
	}
	prefill, err := inpaint.PrefillByName(s.Prefill)
	if err != nil {
		return InpaintOptions{}, fmt.Errorf("prefill: %w", err)
	}
	cfg := inpaint.Config{Steps: s.TotalIter, SweetSpot: s.SweetSpot, Schedule: sched, Temperature: s.Temperature,
		Sample: s.Sample, Order: order, Batch: batch, K: 1, MaskID: 1, GridW: 1, GridH: 1}
	if err := cfg.Validate(); err != nil {
		return InpaintOptions{}, err
	}
	return InpaintOptions{Decode: cfg, Seed: s.Seed, Dilate: s.Dilate, Composite: comp, Prefill: prefill}, nil
}

// ReadSettings reads dir/SettingsFile; a directory without one has
// DefaultSettings (found = false). Fields the file leaves out keep their
// defaults; a file with unknown fields or invalid settings is an error.
func ReadSettings(dir string) (s Settings, found bool, err error) {
	s = DefaultSettings()
	path := filepath.Join(dir, SettingsFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, false, nil
	}
	if err != nil {
		return s, false, err
	}
	defer f.Close()
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return DefaultSettings(), false, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := s.Options(0); err != nil {
		return DefaultSettings(), false, fmt.Errorf("%s: %w", path, err)
	}
	return s, true, nil
}

// WriteSettings writes s to dir/SettingsFile atomically.
func WriteSettings(dir string, s Settings) error {
	if _, err := s.Options(0); err != nil {
		return err
	}
	return atomicfile.WriteJSON(filepath.Join(dir, SettingsFile), s)
}
