package train

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maskgit-go/maskgit/dataset"
)

type cfg struct {
	Layers int     `json:"layers"`
	LR     float64 `json:"lr"`
}

func TestRunDirInitAndResume(t *testing.T) {
	d := RunDir(filepath.Join(t.TempDir(), "run"))
	if err := d.Init(cfg{2, 0.1}, true); err == nil || !strings.Contains(err.Error(), "nothing to resume") {
		t.Fatalf("resume of a missing run: %v", err)
	}
	if err := d.Init(cfg{2, 0.1}, false); err != nil {
		t.Fatal(err)
	}
	if err := d.Init(cfg{2, 0.1}, false); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("second fresh init: %v", err)
	}
	if err := d.Init(cfg{2, 0.1}, true); err != nil {
		t.Fatalf("resume with the same config: %v", err)
	}
	err := d.Init(cfg{3, 0.1}, true)
	if !errors.Is(err, ErrConfigMismatch) || !strings.Contains(err.Error(), "layers: run has 2, now 3") {
		t.Fatalf("resume with another config: %v", err)
	}
	var got cfg
	if err := d.ReadConfig(&got); err != nil || got != (cfg{2, 0.1}) {
		t.Fatalf("ReadConfig = %+v, %v", got, err)
	}
	for _, p := range []string{d.CkptDir(), filepath.Dir(d.BestPrefix())} {
		if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
			t.Errorf("%s not created", p)
		}
	}
}

func TestStateRoundTripContinuesRandomStream(t *testing.T) {
	p := NewRNG(42)
	r := rand.New(p)
	r.Uint64()
	st := State{Step: 12, Data: dataset.State{Epoch: 1, Index: 40}, BestVal: 0.5, BestStep: 10, Seconds: 3}
	if err := st.SetRNG(p); err != nil {
		t.Fatal(err)
	}
	want := []uint64{r.Uint64(), r.Uint64()}
	path := filepath.Join(t.TempDir(), "s.json")
	if err := WriteState(path, st); err != nil {
		t.Fatal(err)
	}
	got, err := ReadState(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Step != 12 || got.Data != st.Data || got.BestVal != 0.5 || got.BestStep != 10 {
		t.Fatalf("state %+v", got)
	}
	p2 := NewRNG(0)
	if err := got.RestoreRNG(p2); err != nil {
		t.Fatal(err)
	}
	r2 := rand.New(p2)
	if a, b := r2.Uint64(), r2.Uint64(); a != want[0] || b != want[1] {
		t.Fatal("restored random stream differs")
	}
	os.WriteFile(path, []byte("{"), 0o644)
	if _, err := ReadState(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("corrupt state: %v", err)
	}
}

func TestProgressLine(t *testing.T) {
	var b bytes.Buffer
	now := time.Unix(0, 0)
	p := newProgress(&b, 0, 100, func() time.Time { return now })
	now = now.Add(10 * time.Second)
	ips := p.Report(10, 320, map[string]float64{"loss": 0.123456, "lr": 1e-4})
	if ips != 32 {
		t.Errorf("images/s = %v", ips)
	}
	want := "step 10/100 loss 0.1235 lr 0.0001 | 32.0 images/s | ETA 1m30s\n"
	if b.String() != want {
		t.Errorf("line %q, want %q", b.String(), want)
	}
}
