package imageio

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/maskgit-go/maskgit/dataset"
)

// BenchmarkDecodeJPEG decodes a 64x64 catfaces64 JPEG (or, without the
// shared data, a synthetic 40x48 one) through the TensorFlow graph.
func BenchmarkDecodeJPEG(b *testing.B) {
	path := "testdata/dec_jpeg420.jpg"
	if shared, err := dataset.SharedDir(); err == nil {
		if names, err := dataset.ListImages(filepath.Join(shared, "data", "catfaces64", "test")); err == nil {
			path = filepath.Join(shared, "data", "catfaces64", "test", names[0])
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	d := newTestDecoder(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.Decode(data); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
}

// BenchmarkFileStatsDecode runs FileStats over the catfaces64 test images
// with the fast mean extractor, so the decoding pipeline is what is timed:
// workers=1 against workers=2 (GOMAXPROCS on this machine), uint8 and
// float (conversion in the decoding graph) paths. Skipped without the
// shared data.
func BenchmarkFileStatsDecode(b *testing.B) {
	shared, err := dataset.SharedDir()
	if err != nil {
		b.Skip(err)
	}
	dir := filepath.Join(shared, "data", "catfaces64", "test")
	names, err := dataset.ListImages(dir)
	if err != nil {
		b.Skip(err)
	}
	files := make([]string, len(names))
	for i, n := range names {
		files[i] = filepath.Join(dir, n)
	}
	d := newTestDecoder(b)
	for _, float := range []bool{false, true} {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("float=%v/workers=%d", float, workers), func(b *testing.B) {
				var ext FeatureExtractor = &meanExtractor{}
				if float {
					ext = &floatMeanExtractor{}
				}
				for i := 0; i < b.N; i++ {
					if _, err := FileStats(context.Background(), d, ext, files, StatsOptions{Workers: workers}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*len(files))/b.Elapsed().Seconds(), "images/s")
			})
		}
	}
}
