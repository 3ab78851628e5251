package maskgit_test

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"

	"github.com/maskgit-go/maskgit"
	"github.com/maskgit-go/maskgit/graphs/transformer"
	"github.com/maskgit-go/maskgit/graphs/vqvae"
	"github.com/maskgit-go/maskgit/pipeline"
	"github.com/maskgit-go/maskgit/savedmodel"
)

// Load an exported SavedModel (here from a tiny untrained model; in a
// service, the output of `maskgit export`), inpaint one image with the
// model's own settings, and close it.
func Example() {
	dir, err := os.MkdirTemp("", "maskgit-example-")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	model, saved := filepath.Join(dir, "model"), filepath.Join(dir, "saved")
	tok := vqvae.Config{Resolution: 16, Grid: 4, Channels: []int64{8, 8, 8}, ResBlocks: 1, Groups: 4, Latent: 4, Codes: 16, Beta: 0.25, Normalize: true}
	tr := transformer.Config{Codes: 16, Positions: 16, Dim: 16, Layers: 1, Heads: 2, MLPDim: 32}
	if err := pipeline.WriteUntrained(model, tok, tr, 1); err != nil {
		fmt.Println(err)
		return
	}
	if err := savedmodel.Export(model, saved, savedmodel.ExportOptions{Threads: 1}); err != nil {
		fmt.Println(err)
		return
	}

	m, err := maskgit.Load(saved, maskgit.Options{Threads: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()
	r := m.Resolution()
	img := image.NewRGBA(image.Rect(0, 0, r, r))
	mask := image.NewGray(image.Rect(0, 0, r, r)) // black = hole
	for y := 0; y < r; y++ {
		for x := 0; x < r; x++ {
			img.Set(x, y, color.RGBA{uint8(16 * x), uint8(16 * y), 100, 255})
			if x < 4 || x >= 12 || y < 4 || y >= 12 {
				mask.Set(x, y, color.Gray{255}) // keep
			}
		}
	}
	out, err := m.Inpaint(context.Background(), img, mask, maskgit.InpaintOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	kept := 0
	for y := 0; y < r; y++ {
		for x := 0; x < r; x++ {
			if mask.GrayAt(x, y).Y == 255 && out.RGBAAt(x, y) == img.RGBAAt(x, y) {
				kept++
			}
		}
	}
	s := m.Settings()
	fmt.Printf("%dx%d result, %d of 192 known pixels kept\n", out.Bounds().Dx(), out.Bounds().Dy(), kept)
	fmt.Printf("settings: %s schedule, %d steps, composite %s\n", s.Schedule, s.TotalIter, s.Composite)
	// Output:
	// 16x16 result, 192 of 192 known pixels kept
	// settings: cosine schedule, 12 steps, composite residual
}
