package main

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/pipeline"
)

func TestSweepCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Inception on every setting")
	}
	weights := fidTestWeights(t)
	model, images, masks := labFixture(t)
	// The lab layout: data/{masked_image,mask64,test}.
	data := filepath.Dir(images)
	if filepath.Dir(masks) != data {
		t.Fatal("fixture layout changed")
	}
	for i, name := range []string{"a.png", "b.png", "c.png"} {
		src := filepath.Join(images, []string{"image_000.png", "image_001.png", "image_000.png"}[i])
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(data, "test"), 0o755)
		if err := os.WriteFile(filepath.Join(data, "test", name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	index := "index,test_file,mask,masked_image,hole_fraction\n0,a.png,mask_000.png,image_000.png,0.1\n1,b.png,mask_001.png,image_001.png,0.1\n"
	if err := os.WriteFile(filepath.Join(data, "test_index.csv"), []byte(index), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "sweep")
	code, stdout, stderr := runCLI(t, "sweep", "--model", model, "--data", data, "--out", out,
		"--schedules", "cosine,linear", "--totals", "2", "--sweet-spots", "1,2,3", "--weights", weights,
		"--cache-dir", t.TempDir(), "--threads", "1")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	f, err := os.Open(filepath.Join(out, "sweep.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	// 2 schedules × sweet spots {1, 2} (3 > T = 2 is skipped), plus the header.
	if len(recs) != 5 || strings.Join(recs[0], ",") != "schedule,total_iter,sweet_spot,composite,fid,hole_psnr_db,seconds_per_image" {
		t.Fatalf("sweep.csv: %v", recs)
	}
	for _, r := range recs[1:] {
		if r[3] != "residual" {
			t.Errorf("composite %q, want the default residual", r[3])
		}
		if psnr, err := strconv.ParseFloat(r[5], 64); err != nil || psnr <= 0 || psnr > 100 {
			t.Errorf("hole PSNR %q", r[5])
		}
	}
	// The best setting is written as model settings.
	best, found, err := pipeline.ReadSettings(out)
	if err != nil || !found || best.TotalIter != 2 || !strings.Contains(best.Note, "FID") {
		t.Errorf("best settings %+v, %v, %v", best, found, err)
	}
	if recs[1][0] != "cosine" || recs[1][2] != "1" || recs[4][0] != "linear" || recs[4][2] != "2" {
		t.Errorf("rows %v", recs[1:])
	}
	// The single step is run once and reported for both schedules.
	if recs[3][0] != "linear" || recs[3][2] != "1" || recs[3][4] != recs[1][4] {
		t.Errorf("linear single step %v, want the cosine single step's FID %v", recs[3], recs[1])
	}
	if _, err := os.Stat(filepath.Join(out, "linear_T2_s1")); err == nil {
		t.Error("the single step was inpainted twice")
	}
	for _, p := range []string{"sweep.md", "gamma.png", "fid_vs_sweet_spot.png", "cosine_T2_s1/image_000.png", "linear_T2_s2/image_001.png"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("missing %s", p)
		}
	}
	if code, _, stderr := runCLI(t, "sweep", "--model", model, "--data", data, "--out", out, "--sweet-spots", "0"); code != 2 || !strings.Contains(stderr, "sweet-spots") {
		t.Errorf("bad sweet spots: %d %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "sweep", "--model", model, "--data", data, "--out", out, "--composites", "residual,feather"); code != 2 || !strings.Contains(stderr, "--composites") {
		t.Errorf("bad composites: %d %q", code, stderr)
	}
}

// TestSweepFlagsNoSingularTwins: sweep's list flags (--schedules, --totals,
// --sweet-spots, --composites) have no singular twins.
func TestSweepFlagsNoSingularTwins(t *testing.T) {
	c, _ := lookup("sweep")
	fs := newFlagSet(c)
	c.flags(fs)
	for _, name := range []string{"schedule", "total-iter", "sweet-spot", "composite"} {
		if fs.Lookup(name) != nil {
			t.Errorf("sweep has --%s beside --%ss", name, name)
		}
	}
	for _, name := range []string{"schedules", "totals", "sweet-spots", "composites", "temperature", "seed", "order", "batch"} {
		if fs.Lookup(name) == nil {
			t.Errorf("sweep lacks --%s", name)
		}
	}
	for _, cmd := range []string{"inpaint", "demo", "generate"} {
		c, _ := lookup(cmd)
		fs := newFlagSet(c)
		c.flags(fs)
		if fs.Lookup("schedule") == nil || fs.Lookup("composite") == nil {
			t.Errorf("%s lost --schedule or --composite", cmd)
		}
	}
}
