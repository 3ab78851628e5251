package imageio

import (
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
