package tfmodel

import (
	"encoding/json"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestEventWriterWritesFile(t *testing.T) {
	dir := t.TempDir()
	w, err := NewEventWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Scalar(3, "loss", 0.25); err != nil {
		t.Fatal(err)
	}
	im := image.NewRGBA(image.Rect(0, 0, 8, 4))
	for i := range im.Pix {
		im.Pix[i] = uint8(i)
	}
	if err := w.Images(3, "recon", []*image.RGBA{im, im}); err != nil {
		t.Fatal(err)
	}
	if err := w.Images(3, "bad", []*image.RGBA{im, image.NewRGBA(image.Rect(0, 0, 2, 2))}); err == nil {
		t.Error("images of different sizes accepted")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := w.Scalar(4, "loss", 1); err == nil {
		t.Error("Scalar after Close succeeded")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "events.out.tfevents.*"))
	if len(files) != 1 {
		t.Fatalf("event files: %v", files)
	}
	fi, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	// Header event + scalar + image: well over 100 bytes with a PNG inside.
	if fi.Size() < 200 {
		t.Errorf("event file only %d bytes", fi.Size())
	}
}

// TestEventWriterReadByTFPython reads the events back with TF Python
// (scripts/events_read.py) from the venv that ./build.sh test creates.
func TestEventWriterReadByTFPython(t *testing.T) {
	py := summaryVenvPython(t)
	dir := t.TempDir()
	w, err := NewEventWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Scalar(7, "train/loss", 1.5); err != nil {
		t.Fatal(err)
	}
	im := image.NewRGBA(image.Rect(0, 0, 6, 5))
	if err := w.Images(7, "recon", []*image.RGBA{im, im, im}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "events.out.tfevents.*"))
	if len(files) != 1 {
		t.Fatalf("event files: %v", files)
	}
	out, err := exec.Command(py, filepath.Join(summaryRepoRoot(t), "scripts", "events_read.py"), files[0]).Output()
	if err != nil {
		t.Fatalf("events_read.py: %v", err)
	}
	var recs []struct {
		Step   int64   `json:"step"`
		Tag    string  `json:"tag"`
		Kind   string  `json:"kind"`
		Value  float64 `json:"value"`
		Width  int     `json:"width"`
		Height int     `json:"height"`
		PNG    bool    `json:"png"`
	}
	if err := json.Unmarshal(out, &recs); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(recs) != 4 {
		t.Fatalf("got %d summaries, want a scalar and 3 images: %s", len(recs), out)
	}
	if r := recs[0]; r.Step != 7 || r.Tag != "train/loss" || r.Kind != "simple_value" || r.Value != 1.5 {
		t.Errorf("scalar: %+v", r)
	}
	for i, r := range recs[1:] {
		if r.Tag != fmt.Sprintf("recon/image/%d", i) || r.Kind != "image" || r.Width != 6 || r.Height != 5 || !r.PNG {
			t.Errorf("image %d: %+v", i, r)
		}
	}
}

// summaryVenvPython returns the reference venv's python ($MASKGIT_VENV, set by
// ./build.sh test). Without it the test skips, except under CI=true where
// the interop checks must run.
func summaryVenvPython(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("MASKGIT_VENV")
	if dir == "" {
		dir = filepath.Join(summaryRepoRoot(t), "third_party", "venv")
	}
	py := filepath.Join(dir, "bin", "python")
	if _, err := os.Stat(py); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but no reference venv at %s (run ./build.sh test)", dir)
		}
		t.Skipf("no reference venv at %s: run ./build.sh venv", dir)
	}
	return py
}

func summaryRepoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}
