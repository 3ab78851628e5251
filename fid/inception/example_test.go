package inception_test

import (
	"context"
	"fmt"
	"os"

	"github.com/maskgit-go/maskgit/fid/inception"
)

// Features of two 64x64 images. The first call downloads and converts the
// weights (about 81 MB, once), so this example is not run by go test.
func ExampleExtractor() {
	path, err := inception.EnsureWeights(context.Background(), "", os.Stderr)
	if err != nil {
		fmt.Println(err)
		return
	}
	e, err := inception.NewExtractor(path, inception.Options{BatchSize: 50})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer e.Close()
	images := make([]uint8, 2*64*64*3) // two black 64x64 RGB images, NHWC
	feats, err := e.Features(images, 2, 64, 64)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(feats), len(feats[0]))
}

// Reading the state dict of a TorchScript file without PyTorch.
func ExampleReadTorchScript() {
	w, err := inception.ReadTorchScript("testdata/tiny.pt")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, name := range []string{"block.0.weight", "block.0.padding", "window", "transposed"} {
		t := w.Tensors[name]
		fmt.Println(name, t.DType, t.Shape, t.F32[:min(len(t.F32), 4)], t.I64)
	}
	// Output:
	// block.0.weight float32 [2 3 2 2] [0 0.125 0.25 0.375] []
	// block.0.padding int64 [2] [] [0 3]
	// window float32 [4] [-0.25 0 0.25 0.5] []
	// transposed float32 [4 3] [-5.5 -1.5 2.5 -4.5] []
}
