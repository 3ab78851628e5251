package fid

import (
	"archive/zip"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/maskgit-go/maskgit/internal/atomicfile"
)

// Statistics files are NumPy .npz archives holding "mu" (D,) and "sigma"
// (D, D) as float64, the layout of pytorch-fid's --save-stats files, so
// either side reads the other's. WriteStats adds "n" (an int64 scalar, the
// sample count), which pytorch-fid ignores.

// namedArray is one member of an .npz archive.
type namedArray struct {
	name  string // without the .npy suffix
	descr string // "<f8" or "<i8"
	shape []int
	data  []float64
}

// WriteStats writes s to path as a pytorch-fid-compatible .npz file
// (deflate-compressed, like np.savez_compressed). The file is written to a
// temporary name in the same directory and renamed, so readers never see a
// partial file.
func WriteStats(path string, s Stats) error {
	if err := s.Validate(); err != nil {
		return fmt.Errorf("fid: write %s: %w", path, err)
	}
	d := s.Dim()
	sigma := make([]float64, d*d)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			sigma[i*d+j] = s.Sigma.At(i, j)
		}
	}
	return writeNPZ(path, []namedArray{
		{name: "mu", descr: "<f8", shape: []int{d}, data: s.Mu},
		{name: "sigma", descr: "<f8", shape: []int{d, d}, data: sigma},
		{name: "n", descr: "<i8", shape: []int{}, data: []float64{float64(s.N)}},
	})
}

// ReadStats reads statistics written by WriteStats or by pytorch-fid
// (np.savez / np.savez_compressed with mu and sigma; float32 arrays are
// widened). N is 0 when the file has no "n". A sigma that is not symmetric
// to 1e-9 relative is rejected; otherwise it is symmetrised.
func ReadStats(path string) (Stats, error) {
	arrays, err := readNPZ(path)
	if err != nil {
		return Stats{}, err
	}
	bad := func(format string, args ...any) (Stats, error) {
		return Stats{}, fmt.Errorf("fid: stats file %s: %s", path, fmt.Sprintf(format, args...))
	}
	mu, ok := arrays["mu"]
	if !ok {
		return bad("no 'mu' array")
	}
	sg, ok := arrays["sigma"]
	if !ok {
		return bad("no 'sigma' array")
	}
	if len(mu.shape) != 1 || mu.shape[0] == 0 {
		return bad("'mu' has shape %v, want (D,) with D > 0", mu.shape)
	}
	d := mu.shape[0]
	if len(sg.shape) != 2 || sg.shape[0] != d || sg.shape[1] != d {
		return bad("'sigma' has shape %v, want (%d, %d) to match 'mu'", sg.shape, d, d)
	}
	scale := 0.0
	for _, v := range sg.data {
		scale = math.Max(scale, math.Abs(v))
	}
	sigma := mat.NewSymDense(d, nil)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			a, b := sg.data[i*d+j], sg.data[j*d+i]
			if math.Abs(a-b) > 1e-9*scale {
				return bad("'sigma' is not symmetric: [%d][%d]=%g but [%d][%d]=%g", i, j, a, j, i, b)
			}
			sigma.SetSym(i, j, (a+b)/2)
		}
	}
	s := Stats{Mu: mu.data, Sigma: sigma}
	if n, ok := arrays["n"]; ok {
		if len(n.data) != 1 || n.data[0] < 0 || n.data[0] != math.Trunc(n.data[0]) {
			return bad("'n' must be one non-negative integer, got %v", n.data)
		}
		s.N = int(n.data[0])
	}
	if err := s.Validate(); err != nil {
		return bad("%v", err)
	}
	return s, nil
}

// readNPZ reads every .npy member of an .npz archive, keyed by name without
// the .npy suffix.
func readNPZ(path string) (map[string]ndarray, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("fid: open %s as .npz: %w", path, err)
	}
	defer zr.Close()
	out := make(map[string]ndarray, len(zr.File))
	for _, f := range zr.File {
		name, ok := strings.CutSuffix(f.Name, ".npy")
		if !ok {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("fid: %s: member %s: %w", path, f.Name, err)
		}
		a, err := readNPY(rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("fid: %s: member %s: %w", path, f.Name, err)
		}
		out[name] = a
	}
	return out, nil
}

// writeNPZ writes arrays as a deflate-compressed .npz archive via a
// temporary file and rename.
func writeNPZ(path string, arrays []namedArray) (err error) {
	err = atomicfile.Write(path, 0o644, func(f io.Writer) error {
		zw := zip.NewWriter(f)
		for _, a := range arrays {
			w, err := zw.CreateHeader(&zip.FileHeader{
				Name:     a.name + ".npy",
				Method:   zip.Deflate,
				Modified: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), // reproducible bytes
			})
			if err != nil {
				return err
			}
			if err := writeNPY(w, a.descr, a.shape, a.data); err != nil {
				return fmt.Errorf("array %s: %w", a.name, err)
			}
		}
		return zw.Close()
	})
	if err != nil {
		return fmt.Errorf("fid: write %s: %w", path, err)
	}
	return nil
}
