package fid

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/mat"
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

// maxAbs returns the largest |v|.
func maxAbs(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	return m
}

// statsFromGolden builds Stats from the golden mu/sigma arrays of set k (1 or 2).
func statsFromGolden(t *testing.T, g goldenCase, k int) Stats {
	t.Helper()
	mu := g.arrays[fmt.Sprintf("mu%d", k)]
	sg := g.arrays[fmt.Sprintf("sigma%d", k)]
	d := len(mu.data)
	sigma := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			sigma.SetSym(i, j, sg.data[i*d+j])
		}
	}
	return Stats{Mu: mu.data, Sigma: sigma}
}

func TestGoldenStats(t *testing.T) {
	for _, name := range goldenNames {
		t.Run(name, func(t *testing.T) {
			g := loadGolden(t, name)
			for k, feats := range [][][]float32{g.feats1, g.feats2} {
				set := k + 1
				// All at once, and streamed in uneven batches.
				whole, err := FromFeatures32(feats)
				if err != nil {
					t.Fatal(err)
				}
				acc, err := NewAccumulator(len(feats[0]))
				if err != nil {
					t.Fatal(err)
				}
				for lo, size := 0, 1; lo < len(feats); lo, size = lo+size, size*2+1 {
					if err := acc.Add32(feats[lo:min(lo+size, len(feats))]); err != nil {
						t.Fatal(err)
					}
				}
				streamed, err := acc.Stats()
				if err != nil {
					t.Fatal(err)
				}
				for _, got := range []struct {
					how string
					s   Stats
				}{{"whole", whole}, {"streamed", streamed}} {
					checkStats(t, fmt.Sprintf("set %d %s", set, got.how), got.s, g, set, len(feats))
				}
			}
		})
	}
}

// checkStats compares s to the golden np.mean / np.cov of set k.
func checkStats(t *testing.T, what string, s Stats, g goldenCase, k, n int) {
	t.Helper()
	if s.N != n {
		t.Errorf("%s: N = %d, want %d", what, s.N, n)
	}
	mu := g.arrays[fmt.Sprintf("mu%d", k)].data
	tol := 1e-13 * maxAbs(mu)
	for i := range mu {
		if math.Abs(s.Mu[i]-mu[i]) > tol {
			t.Fatalf("%s: mu[%d] = %.17g, NumPy %.17g", what, i, s.Mu[i], mu[i])
		}
	}
	diag := g.arrays[fmt.Sprintf("sigma%d_diag", k)].data
	tol = 1e-12 * maxAbs(diag)
	var sum float64
	d := len(diag)
	for i := 0; i < d; i++ {
		if math.Abs(s.Sigma.At(i, i)-diag[i]) > tol {
			t.Fatalf("%s: sigma[%d][%d] = %.17g, NumPy %.17g", what, i, i, s.Sigma.At(i, i), diag[i])
		}
		for j := 0; j < d; j++ {
			sum += s.Sigma.At(i, j)
		}
	}
	if want := g.arrays[fmt.Sprintf("sigma%d_sum", k)].data[0]; math.Abs(sum-want) > 1e-12*float64(d*d)*maxAbs(diag) {
		t.Errorf("%s: sum(sigma) = %.17g, NumPy %.17g", what, sum, want)
	}
	if full, ok := g.arrays[fmt.Sprintf("sigma%d", k)]; ok {
		for i := 0; i < d; i++ {
			for j := 0; j < d; j++ {
				if math.Abs(s.Sigma.At(i, j)-full.data[i*d+j]) > tol {
					t.Fatalf("%s: sigma[%d][%d] = %.17g, NumPy %.17g", what, i, j, s.Sigma.At(i, j), full.data[i*d+j])
				}
			}
		}
	}
}

func TestGoldenFrechetDistance(t *testing.T) {
	const rel = 1e-6 // the contract with pytorch-fid
	for _, name := range goldenNames {
		t.Run(name, func(t *testing.T) {
			g := loadGolden(t, name)
			a, err := FromFeatures32(g.feats1)
			if err != nil {
				t.Fatal(err)
			}
			b, err := FromFeatures32(g.feats2)
			if err != nil {
				t.Fatal(err)
			}
			// The two pytorch-fid paths must be distinguishable at this tolerance,
			// or the offset check below proves nothing.
			if relErr(g.fidOffset, g.fid) < 10*rel {
				t.Fatalf("golden fid %v and fid_offset %v too close to tell apart", g.fid, g.fidOffset)
			}
			want := g.fid
			if g.arrays["took_retry"].data[0] != 0 {
				// scipy's sqrtm was non-finite, so pytorch-fid returned the offset path.
				want = g.fidOffset
			}
			got, err := FrechetDistance(a, b)
			if err != nil {
				t.Fatal(err)
			}
			if e := relErr(got, want); e > rel {
				t.Errorf("FrechetDistance = %.15g, pytorch-fid %.15g (rel %.2e)", got, want, e)
			}
			rev, err := FrechetDistance(b, a)
			if err != nil {
				t.Fatal(err)
			}
			if e := relErr(rev, want); e > rel {
				t.Errorf("FrechetDistance(b, a) = %.15g, pytorch-fid %.15g (rel %.2e)", rev, want, e)
			}
			if !g.hasFullCovs {
				return // D=2048: the offset path is full rank, seconds of eigensolver; D=64 covers it
			}
			off, err := FrechetDistanceOffset(a, b, g.eps)
			if err != nil {
				t.Fatal(err)
			}
			if e := relErr(off, g.fidOffset); e > rel {
				t.Errorf("FrechetDistanceOffset = %.15g, pytorch-fid retry path %.15g (rel %.2e)", off, g.fidOffset, e)
			}
			// The distance from NumPy's own mu/sigma, independent of Accumulator.
			fromNumPy, err := FrechetDistance(statsFromGolden(t, g, 1), statsFromGolden(t, g, 2))
			if err != nil {
				t.Fatal(err)
			}
			if e := relErr(fromNumPy, want); e > rel {
				t.Errorf("FrechetDistance(NumPy stats) = %.15g, pytorch-fid %.15g (rel %.2e)", fromNumPy, want, e)
			}
		})
	}
}
