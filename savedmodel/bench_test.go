package savedmodel

import (
	"path/filepath"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// BenchmarkRunSignatures measures the exported tiny model's signatures
// through Load and Run (batch 8).
func BenchmarkRunSignatures(b *testing.B) {
	dir := b.TempDir()
	modelDir := filepath.Join(dir, "model")
	if err := writeTiny(modelDir); err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(dir, "export")
	if err := Export(modelDir, out, ExportOptions{}); err != nil {
		b.Fatal(err)
	}
	m, err := Load(out, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	const batch = 8
	cases := []struct {
		sig, key string
		data     interface{}
		shape    []int64
	}{
		{SigEncode, InImages, make([]float32, batch*16*16*3), []int64{batch, 16, 16, 3}},
		{SigDecode, InTokens, make([]int32, batch*16), []int64{batch, 4, 4}},
		{SigLogits, InTokens, make([]int32, batch*16), []int64{batch, 16}},
	}
	for _, c := range cases {
		b.Run(c.sig, func(b *testing.B) {
			x, err := tfmodel.NewTensorShaped(c.data, c.shape...)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < b.N; i++ {
				if _, err := m.Run(c.sig, map[string]*tf.Tensor{c.key: x}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
