package dataset_test

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"

	"github.com/maskgit-go/maskgit/dataset"
)

// Example reads a folder of images in seeded, shuffled, flipped batches,
// saves the position and resumes from it.
func Example() {
	dir, err := os.MkdirTemp("", "dataset-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	// Five 80x60 images (centre-cropped to 60x60, then resized to 32x32).
	for i := range 5 {
		img := image.NewRGBA(image.Rect(0, 0, 80, 60))
		for p := 0; p < 80*60; p++ {
			copy(img.Pix[4*p:], []uint8{uint8(50 * i), 0, 0, 255})
		}
		f, _ := os.Create(filepath.Join(dir, fmt.Sprintf("cat%d.png", i)))
		png.Encode(f, img)
		f.Close()
	}

	folder, err := dataset.OpenFolder(dir, dataset.FolderOptions{Resolution: 32, InMemory: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	opt := dataset.IterOptions{BatchSize: 4, Seed: 1, Shuffle: true, Flip: true}
	it, _ := folder.Iterator(opt)
	b, _ := it.Next()
	fmt.Println("shape", b.Shape(), "images", b.Indices)
	saved := it.State()
	fmt.Println("saved", saved)
	next, _ := it.Next()

	// A new run restores the position and sees the same next batch.
	it2, _ := folder.Iterator(opt)
	if err := it2.SetState(saved); err != nil {
		fmt.Println(err)
		return
	}
	again, _ := it2.Next()
	fmt.Println("resumed", again.Indices, "same as before:", fmt.Sprint(again.Indices) == fmt.Sprint(next.Indices))
	rgba, _ := again.Image(0)
	fmt.Println("first pixel", rgba.RGBAAt(0, 0) == color.RGBA{uint8(50 * again.Indices[0]), 0, 0, 255})
	// Output:
	// shape [4 32 32 3] images [1 0 3 4]
	// saved epoch=0 index=4
	// resumed [2 1 0 2] same as before: true
	// first pixel true
}

// ExampleWriteTokenCache writes the tokens of two images and reads them back
// in batches.
func ExampleWriteTokenCache() {
	dir, err := os.MkdirTemp("", "dataset-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "train.mgtok")
	c := &dataset.TokenCache{
		N: 2, H: 2, W: 2, Codebook: 1024,
		Tokens: []uint16{1, 2, 3, 4, 1000, 1001, 1002, 1003},
		Meta:   dataset.TokenMeta{Checkpoint: "tokenizer/ckpt-5000", Source: "train", Files: []string{"1.jpg", "2.jpg"}},
	}
	if err := dataset.WriteTokenCache(path, c); err != nil {
		fmt.Println(err)
		return
	}
	got, err := dataset.ReadTokenCache(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got.N, "images of", got.H, "x", got.W, "tokens from", got.Meta.Checkpoint)
	it, _ := got.Iterator(dataset.IterOptions{BatchSize: 3})
	b := it.Next()
	fmt.Println(b.Shape(), b.Indices, b.Tokens)
	fmt.Println(it.State())
	// Output:
	// 2 images of 2 x 2 tokens from tokenizer/ckpt-5000
	// [3 2 2] [0 1 0] [1 2 3 4 1000 1001 1002 1003 1 2 3 4]
	// epoch=1 index=1
}
