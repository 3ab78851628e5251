package fid

import (
	"math"
	"path/filepath"
	"testing"
)

// Golden data: scripts/fid_golden.py (NumPy/SciPy, pytorch-fid's
// calculate_frechet_distance) writes testdata/fid_<case>.npz.

type goldenCase struct {
	name           string
	arrays         map[string]ndarray
	feats1, feats2 [][]float32
	fid, fidOffset float64
	eps            float64
	hasFullCovs    bool
}

func loadGolden(t testing.TB, name string) goldenCase {
	t.Helper()
	path := filepath.Join("testdata", "fid_"+name+".npz")
	arrays, err := readNPZ(path)
	if err != nil {
		t.Fatalf("%v (regenerate with scripts/fid_golden.py)", err)
	}
	get := func(key string) ndarray {
		a, ok := arrays[key]
		if !ok {
			t.Fatalf("%s: no array %q", path, key)
		}
		return a
	}
	scale := get("scale").data[0]
	rows := func(key string) [][]float32 {
		a := get(key)
		if len(a.shape) != 2 {
			t.Fatalf("%s: %s has shape %v", path, key, a.shape)
		}
		n, d := a.shape[0], a.shape[1]
		out := make([][]float32, n)
		for i := range out {
			out[i] = make([]float32, d)
			for j := range out[i] {
				out[i][j] = float32(a.data[i*d+j]) / float32(scale)
			}
		}
		return out
	}
	_, full := arrays["sigma1"]
	return goldenCase{
		name: name, arrays: arrays,
		feats1: rows("feats1"), feats2: rows("feats2"),
		fid: get("fid").data[0], fidOffset: get("fid_offset").data[0], eps: get("eps").data[0],
		hasFullCovs: full,
	}
}

func relErr(got, want float64) float64 {
	return math.Abs(got-want) / math.Max(math.Abs(want), 1e-300)
}

var goldenNames = []string{"d64_n200", "d64_n50", "d64_const", "d2048_n300"}
