package fid

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestWriteReadStatsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := Stats{
		Mu:    []float64{1.5, -2, math.SmallestNonzeroFloat64},
		Sigma: sym([]float64{2, 0.1, 1e-300}, []float64{0.1, 3, -0.5}, []float64{1e-300, -0.5, 4}),
		N:     12345,
	}
	path := filepath.Join(dir, "stats.npz")
	if err := WriteStats(path, s); err != nil {
		t.Fatal(err)
	}
	got, err := ReadStats(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Mu, s.Mu) || got.N != s.N || !mat.Equal(got.Sigma, s.Sigma) {
		t.Errorf("round trip: got %+v / %v, want %+v / %v", got.Mu, mat.Formatted(got.Sigma), s.Mu, mat.Formatted(s.Sigma))
	}
	// Overwriting replaces the file and leaves no temporary behind.
	s.N = 0
	if err := WriteStats(path, s); err != nil {
		t.Fatal(err)
	}
	if got, err = ReadStats(path); err != nil || got.N != 0 {
		t.Errorf("after overwrite: N %d, err %v", got.N, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries after writes, want 1 (no temporaries)", len(entries))
	}
	// A missing directory is an error naming the file.
	bad := filepath.Join(dir, "missing", "stats.npz")
	if err := WriteStats(bad, s); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("WriteStats into a missing directory: %v", err)
	}
	if err := WriteStats(filepath.Join(dir, "x.npz"), Stats{}); err == nil {
		t.Error("WriteStats accepted empty statistics")
	}
}

// TestReadNumPyStats reads pytorch-fid-style files written by NumPy
// (scripts/fid_golden.py): np.savez_compressed float64 and np.savez float32.
func TestReadNumPyStats(t *testing.T) {
	g := loadGolden(t, "d64_n200")
	want := statsFromGolden(t, g, 1)
	tests := []struct {
		file string
		tol  float64 // float32 storage keeps ~7 digits
	}{
		{"stats_d64_n200.npz", 0},
		{"stats_d64_n200_f32.npz", 1e-7},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got, err := ReadStats(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if got.N != 0 {
				t.Errorf("N = %d, want 0 (pytorch-fid files do not store it)", got.N)
			}
			if len(got.Mu) != len(want.Mu) {
				t.Fatalf("D = %d, want %d", len(got.Mu), len(want.Mu))
			}
			scale := maxAbs(want.Mu)
			for i := range want.Mu {
				if math.Abs(got.Mu[i]-want.Mu[i]) > tc.tol*scale {
					t.Fatalf("mu[%d] = %v, want %v", i, got.Mu[i], want.Mu[i])
				}
				for j := range want.Mu {
					if math.Abs(got.Sigma.At(i, j)-want.Sigma.At(i, j)) > tc.tol*math.Abs(want.Sigma.At(i, i)) {
						t.Fatalf("sigma[%d][%d] = %v, want %v", i, j, got.Sigma.At(i, j), want.Sigma.At(i, j))
					}
				}
			}
		})
	}
}

func TestReadStatsErrors(t *testing.T) {
	dir := t.TempDir()
	f8 := func(name string, shape []int, data ...float64) namedArray {
		return namedArray{name: name, descr: "<f8", shape: shape, data: data}
	}
	sq := f8("sigma", []int{2, 2}, 1, 0, 0, 1)
	tests := []struct {
		name   string
		arrays []namedArray
		want   string
	}{
		{"no-mu", []namedArray{sq}, "no 'mu'"},
		{"no-sigma", []namedArray{f8("mu", []int{2}, 0, 0)}, "no 'sigma'"},
		{"mu-2d", []namedArray{f8("mu", []int{1, 2}, 0, 0), sq}, "'mu' has shape [1 2]"},
		{"sigma-mismatch", []namedArray{f8("mu", []int{3}, 0, 0, 0), sq}, "want (3, 3)"},
		{"asymmetric", []namedArray{f8("mu", []int{2}, 0, 0), f8("sigma", []int{2, 2}, 1, 0.5, 0, 1)}, "not symmetric"},
		{"nan", []namedArray{f8("mu", []int{2}, math.NaN(), 0), sq}, "mean[0] is NaN"},
		{"bad-n", []namedArray{f8("mu", []int{2}, 0, 0), sq, f8("n", []int{2}, 1, 2)}, "'n' must be"},
		{"one-sample", []namedArray{f8("mu", []int{2}, 0, 0), sq, f8("n", []int{}, 1)}, "at least 2 samples"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".npz")
			if err := writeNPZ(path, tc.arrays); err != nil {
				t.Fatal(err)
			}
			_, err := ReadStats(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("error %v, want one naming %s and containing %q", err, path, tc.want)
			}
		})
	}
	// Not a zip at all, and a truncated archive.
	good := filepath.Join(dir, "no-mu.npz")
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"text.npz": []byte("mu,sigma\n"), "truncated.npz": raw[:len(raw)/2]} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadStats(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one naming the file", name, err)
		}
	}
	if _, err := ReadStats(filepath.Join(dir, "absent.npz")); err == nil {
		t.Error("reading a missing file succeeded")
	}
}

// npyBytes assembles a .npy file by hand (header padded like NumPy's).
func npyBytes(major byte, header string, payload []byte) []byte {
	var b bytes.Buffer
	b.WriteString(npyMagic)
	b.Write([]byte{major, 0})
	if major == 1 {
		binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	} else {
		binary.Write(&b, binary.LittleEndian, uint32(len(header)))
	}
	b.WriteString(header)
	b.Write(payload)
	return b.Bytes()
}

func TestReadNPY(t *testing.T) {
	le := func(vals ...any) []byte {
		var b bytes.Buffer
		for _, v := range vals {
			binary.Write(&b, binary.LittleEndian, v)
		}
		return b.Bytes()
	}
	tests := []struct {
		name      string
		file      []byte
		wantShape []int
		wantData  []float64
		wantErr   string
	}{
		{"f8-1d", npyBytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }\n", le(1.5, -2.0)), []int{2}, []float64{1.5, -2}, ""},
		{"f4-2d-v2", npyBytes(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }\n", le(float32(0.25), float32(3))), []int{1, 2}, []float64{0.25, 3}, ""},
		{"fortran", npyBytes(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }\n", le(1.0, 4.0, 2.0, 5.0, 3.0, 6.0)), []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}, ""},
		{"u1", npyBytes(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }\n", []byte{0, 7, 255}), []int{3}, []float64{0, 7, 255}, ""},
		{"i8-scalar", npyBytes(3, "{'descr': '<i8', 'fortran_order': False, 'shape': (), }\n", le(int64(-42))), []int{}, []float64{-42}, ""},
		{"bad-magic", append([]byte("NUMPY!"), make([]byte, 20)...), nil, nil, "bad magic"},
		{"bad-version", npyBytes(9, "{}", nil), nil, nil, "version 9.0"},
		{"big-endian", npyBytes(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }\n", le(1.0)), nil, nil, `unsupported npy dtype ">f8"`},
		{"object", npyBytes(1, "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n", le(1.0)), nil, nil, "unsupported npy dtype"},
		{"truncated", npyBytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }\n", le(1.0)), nil, nil, "reading npy data"},
		{"no-shape", npyBytes(1, "{'descr': '<f8', 'fortran_order': False}\n", nil), nil, nil, "no shape"},
		{"bad-dim", npyBytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (x,), }\n", nil), nil, nil, `bad dimension "x"`},
		{"huge", npyBytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }\n", nil), nil, nil, "too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := readNPY(bytes.NewReader(tc.file))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a.shape, tc.wantShape) || !reflect.DeepEqual(a.data, tc.wantData) {
				t.Errorf("got shape %v data %v, want %v %v", a.shape, a.data, tc.wantShape, tc.wantData)
			}
		})
	}
}

func TestWriteNPYHeader(t *testing.T) {
	for _, shape := range [][]int{{}, {3}, {2, 2}} {
		n := 1
		for _, s := range shape {
			n *= s
		}
		var b bytes.Buffer
		if err := writeNPY(&b, "<f8", shape, make([]float64, n)); err != nil {
			t.Fatal(err)
		}
		hlen := int(binary.LittleEndian.Uint16(b.Bytes()[8:10]))
		if (10+hlen)%64 != 0 || b.Bytes()[10+hlen-1] != '\n' || b.Len() != 10+hlen+8*n {
			t.Errorf("shape %v: header length %d not 64-aligned, newline-terminated, or wrong size %d", shape, hlen, b.Len())
		}
		a, err := readNPY(&b)
		if err != nil || !reflect.DeepEqual(a.shape, shape) {
			t.Errorf("shape %v: read back %v, %v", shape, a.shape, err)
		}
	}
	var b bytes.Buffer
	if err := writeNPY(&b, "<f8", []int{3}, []float64{1}); err == nil {
		t.Error("writeNPY accepted 1 value for shape (3,)")
	}
	if err := writeNPY(&b, "<i8", []int{1}, []float64{0.5}); err == nil {
		t.Error("writeNPY accepted 0.5 as <i8")
	}
}

// TestStatsNumPyInterop checks both directions with the reference venv's
// NumPy: NumPy loads our file, and we load what NumPy saves. It runs when
// MASKGIT_VENV names the venv (./build.sh test sets it).
func TestStatsNumPyInterop(t *testing.T) {
	venv := os.Getenv("MASKGIT_VENV")
	if venv == "" {
		t.Skip("MASKGIT_VENV not set: skipping the NumPy interoperability check (./build.sh test sets it)")
	}
	py := filepath.Join(venv, "bin", "python")
	dir := t.TempDir()
	ours := filepath.Join(dir, "ours.npz")
	s := Stats{Mu: []float64{0.1, -7.25}, Sigma: sym([]float64{2, 0.3}, []float64{0.3, 1.0 / 3}), N: 17}
	if err := WriteStats(ours, s); err != nil {
		t.Fatal(err)
	}
	theirs := filepath.Join(dir, "theirs.npz")
	script := `
import sys, numpy as np
f = np.load(sys.argv[1])
assert f["mu"].dtype == np.float64 and f["mu"].shape == (2,), f["mu"]
assert f["sigma"].dtype == np.float64 and f["sigma"].shape == (2, 2), f["sigma"]
print(repr(f["mu"].tolist()), repr(f["sigma"].tolist()), int(f["n"]))
np.savez_compressed(sys.argv[2], mu=np.array([1.0, 2.0]), sigma=np.array([[1.0, 0.5], [0.5, 2.0]]) / 3)
`
	out, err := exec.Command(py, "-c", script, ours, theirs).CombinedOutput()
	if err != nil {
		t.Fatalf("NumPy could not read %s: %v\n%s", ours, err, out)
	}
	want := fmt.Sprintf("[%s, %s] [[%s, %s], [%s, %s]] 17", pyFloat(0.1), pyFloat(-7.25),
		pyFloat(2), pyFloat(0.3), pyFloat(0.3), pyFloat(1.0/3))
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("NumPy read %q, want %q", got, want)
	}
	back, err := ReadStats(theirs)
	if err != nil {
		t.Fatal(err)
	}
	if back.Mu[0] != 1 || back.Mu[1] != 2 || back.Sigma.At(0, 1) != 0.5/3 || back.Sigma.At(1, 1) != 2.0/3 {
		t.Errorf("read NumPy's file as mu %v sigma %v", back.Mu, mat.Formatted(back.Sigma))
	}
}

// pyFloat formats like Python's repr of a float.
func pyFloat(v float64) string {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}
