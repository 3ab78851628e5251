package imageio

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/fid"
	"github.com/maskgit-go/maskgit/fid/inception"
	"github.com/maskgit-go/maskgit/internal/testutil"
)

// testExtractor returns an Inception extractor and the SHA-256 of its
// weights (testutil.InceptionWeights: skipped without them, except on CI).
func testExtractor(tb testing.TB) (*inception.Extractor, string) {
	tb.Helper()
	w := testutil.InceptionWeights(tb)
	ext, err := inception.NewExtractorFromWeights(w, inception.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ext.Close() })
	return ext, w.SourceSHA256
}

// e2eGolden is testdata/fid_e2e.json, written by scripts/fid_cli_e2e.py.
type e2eGolden struct {
	SourceSHA256 string  `json:"source_sha256"`
	FID          float64 `json:"fid"`
	Pred, Ref    e2eSet
}

type e2eSet struct {
	Dir        string   `json:"dir"`
	Files      []string `json:"files"`
	MuNorm     float64  `json:"mu_norm"`
	SigmaTrace float64  `json:"sigma_trace"`
}

func relClose(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*math.Abs(want)
}

// TestFIDMatchesPytorchFID runs the path `maskgit fid` takes (Decoder,
// Inception extractor, FileStats, fid.FrechetDistance) on the first 40
// catfaces64 test and val JPEGs and compares the FID with pytorch-fid's
// procedure run in PyTorch on the same files (scripts/fid_cli_e2e.py),
// to 1e-3 relative.
func TestFIDMatchesPytorchFID(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Inception on 80 images (~10 s)")
	}
	b, err := os.ReadFile("testdata/fid_e2e.json")
	if err != nil {
		t.Fatal(err)
	}
	var g e2eGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	shared, err := dataset.SharedDir()
	if err != nil {
		t.Skipf("shared data absent: %v", err)
	}
	ext, sha := testExtractor(t)
	if sha != g.SourceSHA256 {
		t.Fatalf("weights converted from %s, the golden used %s", sha, g.SourceSHA256)
	}
	dec := newTestDecoder(t)
	var stats [2]fid.Stats
	for i, set := range []e2eSet{g.Pred, g.Ref} {
		if len(set.Files) < 2 {
			t.Fatalf("%s: golden lists %d files", set.Dir, len(set.Files))
		}
		files := make([]string, len(set.Files))
		for j, f := range set.Files {
			files[j] = filepath.Join(shared, filepath.FromSlash(set.Dir), f)
		}
		s, err := FileStats(context.Background(), dec, ext, files, StatsOptions{Batch: 16})
		if err != nil {
			t.Fatal(err)
		}
		var norm2, trace float64
		for j, v := range s.Mu {
			norm2 += v * v
			trace += s.Sigma.At(j, j)
		}
		if !relClose(math.Sqrt(norm2), set.MuNorm, 1e-4) || !relClose(trace, set.SigmaTrace, 1e-3) {
			t.Errorf("%s: |mu| %.6f tr(sigma) %.6f, PyTorch %.6f %.6f", set.Dir, math.Sqrt(norm2), trace, set.MuNorm, set.SigmaTrace)
		}
		stats[i] = s
	}
	d, err := fid.FrechetDistance(stats[0], stats[1])
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("FID %.6f, pytorch-fid procedure %.6f (relative difference %.2g)", d, g.FID, math.Abs(d-g.FID)/g.FID)
	if !relClose(d, g.FID, 1e-3) {
		t.Errorf("FID %.6f, pytorch-fid procedure %.6f: relative difference above 1e-3", d, g.FID)
	}
}
