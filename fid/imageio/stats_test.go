package imageio

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/fid"
)

// meanExtractor is a fast stand-in for Inception: the features of an image
// are its per-channel means, the mean of the first row and the image's
// height. It records the batches it is given.
type meanExtractor struct {
	calls   int
	images  int
	maxN    int
	batches []string // "n@HxW"
}

func (m *meanExtractor) Features(images []uint8, n, height, width int) ([][]float32, error) {
	if len(images) != n*height*width*3 {
		return nil, fmt.Errorf("%d bytes for %d images of %dx%d", len(images), n, height, width)
	}
	m.calls++
	m.images += n
	m.maxN = max(m.maxN, n)
	m.batches = append(m.batches, fmt.Sprintf("%d@%dx%d", n, height, width))
	per := height * width * 3
	out := make([][]float32, n)
	for i := range out {
		img := images[i*per : (i+1)*per]
		out[i] = meanFeatures(img, height, width)
	}
	return out, nil
}

func meanFeatures(img []uint8, height, width int) []float32 {
	var f [5]float64
	for j, v := range img {
		f[j%3] += float64(v) / float64(height*width)
	}
	for j := 0; j < 3*width; j++ {
		f[3] += float64(img[j]) / float64(3*width)
	}
	f[4] = float64(height)
	return []float32{float32(f[0]), float32(f[1]), float32(f[2]), float32(f[3]), float32(f[4])}
}

// synthFiles returns the committed synthetic test images (several sizes).
func synthFiles(t *testing.T) []string {
	t.Helper()
	files, err := ListFolder("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestFileStatsBatching(t *testing.T) {
	files := synthFiles(t)
	d := newTestDecoder(t)
	// Expected: statistics of the features of each image on its own.
	rows := make([][]float32, len(files))
	for i, f := range files {
		img, err := d.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rows[i] = meanFeatures(img.Pix, img.Height, img.Width)
	}
	want, err := fid.FromFeatures32(rows)
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{0, 1, 2, 3, 100} {
		t.Run(fmt.Sprintf("batch=%d", batch), func(t *testing.T) {
			var ext meanExtractor
			var progress []int
			got, err := FileStats(context.Background(), d, &ext, files, StatsOptions{
				Batch: batch, Progress: func(done, total int) {
					if total != len(files) {
						t.Errorf("progress total %d, want %d", total, len(files))
					}
					progress = append(progress, done)
				}})
			if err != nil {
				t.Fatal(err)
			}
			if got.N != len(files) || ext.images != len(files) {
				t.Errorf("N %d, extractor saw %d images, want %d", got.N, ext.images, len(files))
			}
			limit := batch
			if limit == 0 {
				limit = DefaultBatch
			}
			if ext.maxN > limit {
				t.Errorf("largest batch %d exceeds %d", ext.maxN, limit)
			}
			if len(progress) != ext.calls || progress[len(progress)-1] != len(files) {
				t.Errorf("progress %v after %d batches", progress, ext.calls)
			}
			d, err := fid.FrechetDistance(got, want)
			if err != nil {
				t.Fatal(err)
			}
			for j := range want.Mu {
				if math.Abs(got.Mu[j]-want.Mu[j]) > 1e-9*math.Max(1, math.Abs(want.Mu[j])) {
					t.Errorf("mu[%d] = %v, want %v", j, got.Mu[j], want.Mu[j])
				}
			}
			if math.Abs(d) > 1e-6 {
				t.Errorf("distance to the per-image statistics %g, want ~0 (batches %v)", d, ext.batches)
			}
		})
	}
}

func TestFileStatsErrors(t *testing.T) {
	files := synthFiles(t)
	d := newTestDecoder(t)
	bad := filepath.Join(t.TempDir(), "bad.png")
	if err := os.WriteFile(bad, []byte("\x89PNG\r\n\x1a\nnot really"), 0o644); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	withBad := append(append(append([]string(nil), files[:3]...), bad), files[3:]...)
	cases := []struct {
		name  string
		ctx   context.Context
		files []string
		batch int
		want  string
	}{
		{"no files", context.Background(), nil, 0, "at least 2 images"},
		{"one file", context.Background(), files[:1], 0, "at least 2 images, got 1"},
		{"negative batch", context.Background(), files, -1, "batch size"},
		{"unreadable image", context.Background(), withBad, 2, bad},
		{"missing image", context.Background(), []string{files[0], bad + ".missing"}, 0, bad + ".missing"},
		{"cancelled", cancelled, files, 0, context.Canceled.Error()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := FileStats(c.ctx, d, &meanExtractor{}, c.files, StatsOptions{Batch: c.batch})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	t.Run("unreadable image is a FileError", func(t *testing.T) {
		_, err := FileStats(context.Background(), d, &meanExtractor{}, withBad, StatsOptions{})
		var fe *FileError
		if !errors.As(err, &fe) || fe.Path != bad {
			t.Errorf("error %v, want a *FileError for %s", err, bad)
		}
	})
}

// statsEqual reports whether a and b hold the same values, bit for bit.
func statsEqual(a, b fid.Stats) bool {
	if a.N != b.N || a.Dim() != b.Dim() {
		return false
	}
	for i := range a.Mu {
		if a.Mu[i] != b.Mu[i] {
			return false
		}
		for j := range a.Mu {
			if a.Sigma.At(i, j) != b.Sigma.At(i, j) {
				return false
			}
		}
	}
	return true
}

// copyFiles copies the synthetic images into a new folder, returning the copies.
func copyFiles(t *testing.T, files []string, dir string) []string {
	t.Helper()
	out := make([]string, len(files))
	for i, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = filepath.Join(dir, filepath.Base(f))
		if err := os.WriteFile(out[i], b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestCachedFileStats(t *testing.T) {
	files := copyFiles(t, synthFiles(t)[:6], t.TempDir())
	d := newTestDecoder(t)
	cache := fid.Cache{Dir: filepath.Join(t.TempDir(), "cache")}
	var ext meanExtractor
	run := func(id string, files []string) (fid.Stats, bool) {
		t.Helper()
		s, hit, err := CachedFileStats(context.Background(), cache, id, d, &ext, files, StatsOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return s, hit
	}
	first, hit := run("a", files)
	if hit || ext.images != 6 {
		t.Fatalf("first run: hit %v, %d images through the extractor", hit, ext.images)
	}
	second, hit := run("a", files)
	if !hit || ext.images != 6 {
		t.Errorf("second run: hit %v, %d images through the extractor, want a cache hit", hit, ext.images)
	}
	if !statsEqual(first, second) {
		t.Errorf("cached statistics differ from the computed ones")
	}
	if _, hit := run("b", files); hit {
		t.Error("another extractor id hit the cache")
	}
	// Editing a file changes the key.
	b, err := os.ReadFile(files[5])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files[5], append(b, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, hit := run("a", files); hit {
		t.Error("an edited file hit the cache")
	}
	// A corrupt cache entry is recomputed and replaced.
	entries, err := filepath.Glob(filepath.Join(cache.Dir, "*.npz"))
	if err != nil || len(entries) != 3 {
		t.Fatalf("cache holds %v (%v), want 3 entries", entries, err)
	}
	for _, e := range entries {
		if err := os.WriteFile(e, []byte("garbage"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	before := ext.images
	if _, hit := run("a", files); hit || ext.images != before+6 {
		t.Errorf("corrupt entry: hit %v, %d images recomputed", hit, ext.images-before)
	}
	if _, hit := run("a", files); !hit {
		t.Error("the replaced entry is not used")
	}
	if _, _, err := CachedFileStats(context.Background(), cache, "", d, &ext, files, StatsOptions{}); err == nil {
		t.Error("empty extractor id accepted")
	}
}

func TestListFolder(t *testing.T) {
	root := t.TempDir()
	mk := func(rel string, data []byte) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	png, err := os.ReadFile("testdata/dec_png_rgb.png")
	if err != nil {
		t.Fatal(err)
	}
	mk("one/a.png", png)
	mk("one/notes.txt", []byte("x"))
	mk("many/b.png", png)
	mk("many/sub/a.png", png)
	mk("many/a.png", png)
	mk("empty/readme.txt", []byte("x"))
	cases := []struct {
		dir   string
		files []string
		err   string
	}{
		{"many", []string{"a.png", "b.png", "sub/a.png"}, ""},
		{"one", nil, "has 1 image(s); FID needs at least 2"},
		{"empty", nil, "no PNG or JPEG images"},
		{"missing", nil, "does not exist"},
		{"one/a.png", nil, "is not a folder"},
	}
	for _, c := range cases {
		dir := filepath.Join(root, filepath.FromSlash(c.dir))
		got, err := ListFolder(dir)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), dir) {
				t.Errorf("%s: error %v, want one naming the folder and containing %q", c.dir, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.dir, err)
		}
		want := make([]string, len(c.files))
		for i, f := range c.files {
			want[i] = filepath.Join(dir, filepath.FromSlash(f))
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %v, want %v", c.dir, got, want)
		}
	}
}

func TestCheckFiles(t *testing.T) {
	files := synthFiles(t)
	if err := CheckFiles(files); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "x.jpg")
	if err := os.WriteFile(bad, []byte("\xff\xd8\xff\xe0\x00\x10JFIF"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := CheckFiles(append(files, bad))
	var fe *FileError
	if !errors.As(err, &fe) || fe.Path != bad || !strings.Contains(err.Error(), "JPEG header") {
		t.Errorf("error %v, want a *FileError for %s about its JPEG header", err, bad)
	}
}
