package inception

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/nlpodyssey/gopickle/pytorch"
)

// tinyExpected is testdata/tiny_expected.json, written together with
// testdata/tiny.pt by scripts/inception_tiny_pt.py (PyTorch's own state_dict()).
type tinyExpected struct {
	Torch   string `json:"torch"`
	Tensors map[string]struct {
		DType  string    `json:"dtype"`
		Shape  []int64   `json:"shape"`
		Values []float64 `json:"values"`
	} `json:"tensors"`
}

func readTinyExpected(t *testing.T) tinyExpected {
	t.Helper()
	b, err := os.ReadFile("testdata/tiny_expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var exp tinyExpected
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	return exp
}

func TestReadTorchScriptTiny(t *testing.T) {
	exp := readTinyExpected(t)
	w, err := ReadTorchScript("testdata/tiny.pt")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for name := range exp.Tensors {
		want = append(want, name)
	}
	sort.Strings(want)
	if got := w.Names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("names\n got %v\nwant %v", got, want)
	}
	for _, name := range want {
		e := exp.Tensors[name]
		t.Run(name, func(t *testing.T) {
			got := w.Tensors[name]
			if got.DType.String() != e.DType {
				t.Fatalf("dtype %s, want %s", got.DType, e.DType)
			}
			if len(got.Shape) != len(e.Shape) {
				t.Fatalf("shape %v, want %v", got.Shape, e.Shape)
			}
			for i := range e.Shape {
				if got.Shape[i] != e.Shape[i] {
					t.Fatalf("shape %v, want %v", got.Shape, e.Shape)
				}
			}
			if got.length() != len(e.Values) {
				t.Fatalf("%d values, want %d", got.length(), len(e.Values))
			}
			for i, v := range e.Values {
				var g float64
				switch got.DType {
				case Float32:
					g, v = float64(got.F32[i]), float64(float32(v))
				case Float64:
					g = got.F64[i]
				case Int64:
					// JSON numbers above 2^53 lose precision; the test values stay exact below that.
					g = float64(got.I64[i])
				}
				if g != v {
					t.Errorf("value %d = %v, want %v", i, g, v)
				}
			}
		})
	}
	if w.SourceSHA256 == "" || len(w.SourceSHA256) != 64 {
		t.Errorf("SourceSHA256 = %q", w.SourceSHA256)
	}
}

// rezip rewrites tiny.pt with edit applied to each entry's content (nil = drop the entry).
func rezip(t *testing.T, edit func(name string, b []byte) []byte) string {
	t.Helper()
	zr, err := zip.OpenReader("testdata/tiny.pt")
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		b, err := readZipFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if b = edit(f.Name, b); b == nil {
			continue
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "edited.pt")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadTorchScriptErrors(t *testing.T) {
	notZip := filepath.Join(t.TempDir(), "plain.pt")
	os.WriteFile(notZip, []byte("not a zip"), 0o644)
	tests := []struct {
		name, path, wantErr string
	}{
		{"missing file", filepath.Join(t.TempDir(), "absent.pt"), "no such file"},
		{"not a zip", notZip, "not a TorchScript archive"},
		{"no data.pkl", rezip(t, func(n string, b []byte) []byte {
			if strings.HasSuffix(n, "data.pkl") {
				return nil
			}
			return b
		}), "no <archive>/data.pkl"},
		{"missing storage", rezip(t, func(n string, b []byte) []byte {
			if strings.HasSuffix(n, "/data/0") {
				return nil
			}
			return b
		}), "storage tiny/data/0 is missing"},
		{"short storage", rezip(t, func(n string, b []byte) []byte {
			if strings.HasSuffix(n, "/data/0") {
				return b[:4]
			}
			return b
		}), "has 4 bytes"},
		{"big endian", rezip(t, func(n string, b []byte) []byte {
			if strings.HasSuffix(n, "/byteorder") {
				return []byte("big")
			}
			return b
		}), "only little-endian"},
		{"truncated pickle", rezip(t, func(n string, b []byte) []byte {
			if strings.HasSuffix(n, "data.pkl") {
				return b[:len(b)/2]
			}
			return b
		}), "truncated"},
		{"unknown callable", rezip(t, func(n string, b []byte) []byte {
			if strings.HasSuffix(n, "data.pkl") {
				return bytes.Replace(b, []byte("collections\nOrderedDict\n"), []byte("collections\nOrderedDicX\n"), 1)
			}
			return b
		}), "unsupported callable collections.OrderedDicX"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadTorchScript(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), filepath.Base(tc.path)) {
				t.Errorf("err = %v does not name the file", err)
			}
		})
	}
}

func TestUnpickleMalformed(t *testing.T) {
	// gopickle reads the pickle; these check that the hooks refuse what a
	// TorchScript data.pkl never holds and that malformed input becomes an
	// error (gopickle v0.3.0 panics on opcode 0xff, the empty LONG1 and the odd DICT).
	tests := []struct {
		name, data, wantErr string
	}{
		{"unknown opcode", "\x80\x02\xfe.", "unknown opcode: 0xfe"},
		{"opcode 0xff", "\x80\x02\xff.", "malformed pickle"},
		{"truncated", "\x80\x02K", "truncated"},
		{"empty LONG1", "\x80\x02\x8a\x00.", "malformed pickle"},
		{"odd DICT", "\x80\x02(K\x01d.", "malformed pickle"},
		{"unknown global", "\x80\x02cos\nsystem\n.", "unsupported callable os.system"},
		{"unknown storage", "\x80\x02ctorch\nHalfStorage\n.", "unsupported storage type torch.HalfStorage"},
		{"bad persistent id", "\x80\x02K\x01Q.", "persistent id 1: want ('storage'"},
		{"storage not in archive", "\x80\x02(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x007X\x03\x00\x00\x00cpuK\x02tQ.",
			"storage a/data/7 is missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := &torchResolver{prefix: "a", storages: map[string]pytorch.StorageInterface{}}
			_, err := res.unpickle(strings.NewReader(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}
