package inception

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
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

func TestUnpicklePlainData(t *testing.T) {
	// Protocol-2 pickles of plain values, as CPython's pickle.dumps(v, 2)
	// writes them (bytes checked with pickletools).
	tests := []struct {
		name string
		data string
		want string
	}{
		{"negative BININT", "\x80\x02J\xfe\xff\xff\xff.", "-2"},
		{"LONG1 2^40", "\x80\x02\x8a\x06\x00\x00\x00\x00\x00\x01.", "1099511627776"},
		{"LONG1 -1", "\x80\x02\x8a\x01\xff.", "-1"},
		{"BINFLOAT", "\x80\x02G?\xf8\x00\x00\x00\x00\x00\x00.", "1.5"},
		{"TUPLE2", "\x80\x02K\x01K\x02\x86q\x00.", "[1 2]"},
		{"list", "\x80\x02]q\x00(K\x01K\x02e.", "&{[1 2]}"},
		{"dict SETITEM", "\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x07s.", "&{[a] map[a:7]}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := unpickle(strings.NewReader(tc.data), &torchResolver{})
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(v); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	if _, err := unpickle(strings.NewReader("\x80\x02\xff."), &torchResolver{}); err == nil || !strings.Contains(err.Error(), "unsupported pickle opcode 0xff") {
		t.Errorf("bad opcode: err = %v", err)
	}
	if _, err := unpickle(strings.NewReader("\x80\x02h\x05."), &torchResolver{}); err == nil || !strings.Contains(err.Error(), "memo key 5") {
		t.Errorf("bad memo: err = %v", err)
	}
}
