package savedmodel_test

import (
	"fmt"
	"os"
	"path/filepath"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/graphs/transformer"
	"github.com/maskgit-go/maskgit/graphs/vqvae"
	"github.com/maskgit-go/maskgit/pipeline"
	"github.com/maskgit-go/maskgit/savedmodel"
)

// Load a SavedModel written by TensorFlow Python and call a signature by
// name.
func ExampleLoad() {
	m, err := savedmodel.Load(filepath.Join("testdata", "tf_affine"), savedmodel.Options{Threads: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	fmt.Println(m.SignatureNames())
	x, _ := tf.NewTensor([][]float32{{1, 2, 3}})
	out, err := m.Run("affine", map[string]*tf.Tensor{"x": x})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out["y"].Value())
	// Output:
	// [affine count]
	// [[1.25 1.5]]
}

// Export a model directory (here an untrained tiny one) and load it back.
func ExampleExport() {
	dir, err := os.MkdirTemp("", "export-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	tok := vqvae.Config{Resolution: 16, Grid: 4, Channels: []int64{8, 8, 8}, ResBlocks: 1, Groups: 4, Latent: 4, Codes: 16, Beta: 0.25, Normalize: true}
	tr := transformer.Config{Codes: 16, Positions: 16, Dim: 16, Layers: 1, Heads: 2, MLPDim: 32}
	model, out := filepath.Join(dir, "model"), filepath.Join(dir, "export")
	if err := pipeline.WriteUntrained(model, tok, tr, 1); err != nil {
		fmt.Println(err)
		return
	}
	if err := savedmodel.Export(model, out, savedmodel.ExportOptions{Threads: 1}); err != nil {
		fmt.Println(err)
		return
	}
	m, err := savedmodel.Load(out, savedmodel.Options{Threads: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	for _, name := range m.SignatureNames() {
		sig := m.Signatures()[name]
		for k, in := range sig.Inputs {
			for o, out := range sig.Outputs {
				fmt.Printf("%s: %s %s %v -> %s %s %v\n", name, k, dtypeName[in.DType], in.Shape, o, dtypeName[out.DType], out.Shape)
			}
		}
	}
	// Output:
	// decode: tokens int32 [?, 4, 4] -> images float32 [?, 16, 16, 3]
	// encode: images float32 [?, 16, 16, 3] -> tokens int32 [?, 4, 4]
	// logits: tokens int32 [?, 16] -> logits float32 [?, 16, 16]
}

var dtypeName = map[tf.DataType]string{tf.Float: "float32", tf.Int32: "int32"}
