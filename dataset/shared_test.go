package dataset

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSharedCatFaces reads the real data in the shared folder: the train
// listing, the 747 benchmark pairs, and a few decoded JPEGs compared with
// TensorFlow (testdata/jpeg_means.json, from scripts/dataset_golden.py).
func TestSharedCatFaces(t *testing.T) {
	root := sharedCatFaces(t)
	t.Run("listing", func(t *testing.T) {
		for _, tc := range []struct {
			dir  string
			want int
		}{{"train", 7556}, {"val", 1000}, {"test", 747}} {
			files, err := ListImages(filepath.Join(root, tc.dir))
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != tc.want {
				t.Errorf("%s: %d images, want %d", tc.dir, len(files), tc.want)
			}
		}
	})
	t.Run("lab", func(t *testing.T) {
		l, err := OpenLab(root)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Pairs) != 747 || len(l.Warnings) != 0 {
			t.Fatalf("%d pairs, warnings %q; want 747 and none", len(l.Pairs), l.Warnings)
		}
		for k, p := range l.Pairs {
			if p.Index != k || p.TruthPath == "" {
				t.Fatalf("pair %d: %+v", k, p)
			}
			s, err := l.Load(k)
			if err != nil {
				t.Fatal(err)
			}
			if s.Warning != "" || s.W != 64 || s.H != 64 {
				t.Fatalf("pair %d: %dx%d, warning %q", k, s.W, s.H, s.Warning)
			}
			// test_index.csv rounds hole fractions to 4 decimals.
			if d := math.Abs(float64(s.Mask.Holes())/float64(len(s.Mask.Hole)) - p.HoleFraction); d > 0.5e-4+1e-9 {
				t.Fatalf("pair %d: hole fraction %.5f, index says %.4f", k, float64(s.Mask.Holes())/float64(len(s.Mask.Hole)), p.HoleFraction)
			}
			// Holes are filled with grey 128 in the masked image.
			for i, hole := range s.Mask.Hole {
				if hole && (s.RGB[3*i] != 128 || s.RGB[3*i+1] != 128 || s.RGB[3*i+2] != 128) {
					t.Fatalf("pair %d: hole pixel %d is %v, not grey", k, i, s.RGB[3*i:3*i+3])
				}
			}
		}
		if !strings.HasSuffix(l.Pairs[0].TruthPath, filepath.Join("test", "8.jpg")) {
			t.Errorf("pair 0 ground truth %s, want test/8.jpg", l.Pairs[0].TruthPath)
		}
	})
	t.Run("jpeg", func(t *testing.T) {
		data, err := os.ReadFile("testdata/jpeg_means.json")
		if err != nil {
			t.Fatal(err)
		}
		var golden struct {
			Images []struct {
				File      string
				MeanPlain []float64 `json:"mean_plain"`
			}
		}
		if err := json.Unmarshal(data, &golden); err != nil {
			t.Fatal(err)
		}
		files, err := ListImages(filepath.Join(root, "train"))
		if err != nil {
			t.Fatal(err)
		}
		for k, g := range golden.Images {
			if files[k] != g.File {
				t.Fatalf("train file %d is %s, golden has %s", k, files[k], g.File)
			}
			rgb, err := LoadImage(filepath.Join(root, "train", g.File), 64)
			if err != nil {
				t.Fatal(err)
			}
			var mean [3]float64
			for i, v := range rgb {
				mean[i%3] += float64(v) / (64 * 64)
			}
			// Go's decoder matches libjpeg without fancy upsampling to
			// within a level or two per pixel.
			for c := range mean {
				if d := math.Abs(mean[c] - g.MeanPlain[c]); d > 0.5 {
					t.Errorf("%s channel %d: mean %.3f, TensorFlow %.3f", g.File, c, mean[c], g.MeanPlain[c])
				}
			}
		}
	})
}

func BenchmarkDecodeTrain(b *testing.B) {
	root := sharedCatFaces(b)
	f, err := OpenFolder(filepath.Join(root, "train"), FolderOptions{})
	if err != nil {
		b.Fatal(err)
	}
	const batch = 256
	idx := make([]int, batch)
	n := 0
	for b.Loop() {
		for k := range idx {
			idx[k] = (n + k) % f.Len()
		}
		if _, err := f.Batch(idx); err != nil {
			b.Fatal(err)
		}
		n += batch
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "images/s")
}

func BenchmarkInMemoryBatches(b *testing.B) {
	f, err := OpenFolder(fixture(b, false), FolderOptions{InMemory: true})
	if err != nil {
		b.Fatal(err)
	}
	it, err := f.Iterator(IterOptions{BatchSize: 64, Seed: 1, Shuffle: true, Flip: true})
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		if _, err := it.Next(); err != nil {
			b.Fatal(err)
		}
		n += 64
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "images/s")
}
