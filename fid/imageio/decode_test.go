package imageio

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/dataset"
)

// pilDecode is one entry of testdata/decode_pil.json, written by
// scripts/fid_cli_decode.py: what PIL.Image.open(path).convert('RGB')
// returns for the file.
type pilDecode struct {
	File   string    `json:"file"`
	H      int       `json:"height"`
	W      int       `json:"width"`
	SHA256 string    `json:"sha256"`
	Mean   []float64 `json:"mean"`
}

type pilGolden struct {
	Synthetic []pilDecode `json:"synthetic"`
	SharedDir string      `json:"shared_dir"`
	Shared    []pilDecode `json:"shared"`
}

func readPILGolden(t *testing.T) pilGolden {
	t.Helper()
	b, err := os.ReadFile("testdata/decode_pil.json")
	if err != nil {
		t.Fatal(err)
	}
	var g pilGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Synthetic) == 0 {
		t.Fatal("decode_pil.json lists no synthetic images")
	}
	return g
}

func newTestDecoder(t testing.TB) *Decoder {
	t.Helper()
	d, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// checkAgainstPIL decodes path and compares it with PIL's decode: same
// size, same bytes (SHA-256), and the means as a readable diagnostic.
func checkAgainstPIL(t *testing.T, d *Decoder, path string, want pilDecode) {
	t.Helper()
	img, err := d.ReadFile(path)
	if err != nil {
		t.Errorf("%s: %v", want.File, err)
		return
	}
	if img.Height != want.H || img.Width != want.W || len(img.Pix) != 3*want.H*want.W {
		t.Errorf("%s: %dx%d (%d bytes), PIL %dx%d", want.File, img.Width, img.Height, len(img.Pix), want.W, want.H)
		return
	}
	var mean [3]float64
	for i, v := range img.Pix {
		mean[i%3] += float64(v)
	}
	for c := range mean {
		mean[c] /= float64(want.H * want.W)
	}
	sum := sha256.Sum256(img.Pix)
	if got := hex.EncodeToString(sum[:]); got != want.SHA256 {
		t.Errorf("%s: pixels differ from PIL's: means %.4f, PIL %.4f", want.File, mean, want.Mean)
		return
	}
	for c := range mean {
		if math.Abs(mean[c]-want.Mean[c]) > 1e-9 {
			t.Errorf("%s: channel %d mean %.6f, PIL %.6f", want.File, c, mean[c], want.Mean[c])
		}
	}
}

// TestDecodeMatchesPIL checks that decoded pixels are byte-identical to
// pytorch-fid's PIL.Image.open(path).convert('RGB'), for synthetic files of
// every supported layout and for the first catfaces64 test JPEGs (golden
// sums from scripts/fid_cli_decode.py).
func TestDecodeMatchesPIL(t *testing.T) {
	g := readPILGolden(t)
	d := newTestDecoder(t)
	t.Run("synthetic", func(t *testing.T) {
		for _, want := range g.Synthetic {
			checkAgainstPIL(t, d, filepath.Join("testdata", want.File), want)
		}
	})
	t.Run("catfaces64", func(t *testing.T) {
		shared, err := dataset.SharedDir()
		if err != nil {
			t.Skipf("shared data absent: %v", err)
		}
		if len(g.Shared) == 0 {
			t.Fatal("decode_pil.json lists no shared images: rerun scripts/fid_cli_decode.py with the shared data present")
		}
		for _, want := range g.Shared {
			checkAgainstPIL(t, d, filepath.Join(shared, g.SharedDir, want.File), want)
		}
	})
}

func TestDecodeErrors(t *testing.T) {
	jpeg, err := os.ReadFile("testdata/dec_jpeg420.jpg")
	if err != nil {
		t.Fatal(err)
	}
	png, err := os.ReadFile("testdata/dec_png_rgb.png")
	if err != nil {
		t.Fatal(err)
	}
	huge := append([]byte(nil), png...)
	copy(huge[16:24], []byte{0, 0, 0x40, 0, 0, 0, 0x40, 0})                // 16384 x 16384
	binary.BigEndian.PutUint32(huge[29:], crc32.ChecksumIEEE(huge[12:29])) // IHDR's CRC
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not a PNG or JPEG"},
		{"text", []byte("hello, world"), "not a PNG or JPEG"},
		{"png signature only", png[:8], "PNG header"},
		{"png truncated body", png[:len(png)/2], "corrupt PNG"},
		{"png too large", huge, "too large"},
		{"jpeg signature only", jpeg[:2], "JPEG header"},
		{"jpeg truncated header", jpeg[:20], "JPEG header"},
		{"jpeg truncated body", jpeg[:len(jpeg)-200], "corrupt JPEG"},
	}
	d := newTestDecoder(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := d.Decode(c.data)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	t.Run("file error names the file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "broken.jpg")
		if err := os.WriteFile(path, jpeg[:len(jpeg)-200], 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := d.ReadFile(path)
		var fe *FileError
		if !errors.As(err, &fe) || fe.Path != path || !strings.Contains(err.Error(), path) {
			t.Errorf("error %v, want a *FileError naming %s", err, path)
		}
	})
	t.Run("closed", func(t *testing.T) {
		d2, err := NewDecoder()
		if err != nil {
			t.Fatal(err)
		}
		if err := d2.Close(); err != nil {
			t.Fatal(err)
		}
		if err := d2.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
		if _, err := d2.Decode(png); err == nil {
			t.Error("Decode on a closed Decoder succeeded")
		}
	})
}
