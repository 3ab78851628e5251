// Command go-inpaint is the smallest Go program that inpaints with a maskgit
// SavedModel: copy it into your service. It loads the SavedModel, fills the
// hole of one image (the mask's dark pixels) with the model's own settings
// and writes a PNG.
//
//	bin/maskgit export --model models/catfaces64 --out catfaces64.savedmodel
//	go run ./examples/go-inpaint --model catfaces64.savedmodel \
//	    --image examples/sample_000.png --mask examples/sample_000_mask.png --out inpainted.png
package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	_ "image/jpeg"
	"image/png"
	"io"
	"os"
	"os/signal"

	"github.com/maskgit-go/maskgit"
)

func main() {
	model := flag.String("model", "catfaces64.savedmodel", "SavedModel directory from `maskgit export` (or a model directory)")
	in := flag.String("image", "examples/sample_000.png", "image to inpaint (the model's resolution, 64x64 for cat faces)")
	maskPath := flag.String("mask", "examples/sample_000_mask.png", "mask of the same size: black = hole, white = keep")
	out := flag.String("out", "inpainted.png", "PNG to write")
	flag.Parse()
	if err := run(*model, *in, *maskPath, *out); err != nil {
		fmt.Fprintln(os.Stderr, "go-inpaint:", err)
		os.Exit(1)
	}
}

func run(modelDir, imagePath, maskPath, outPath string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	m, err := maskgit.Load(modelDir, maskgit.Options{})
	if err != nil {
		return err
	}
	defer m.Close()

	img, err := readImage(imagePath, m.Resolution())
	if err != nil {
		return err
	}
	mask, err := readImage(maskPath, m.Resolution())
	if err != nil {
		return err
	}
	res, err := m.Inpaint(ctx, img, mask, maskgit.InpaintOptions{})
	if err != nil {
		return err
	}

	f, err := os.Create(outPath)
	if err != nil {
		return err
	}
	if err := png.Encode(f, res); err != nil {
		f.Close()
		os.Remove(outPath)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Printf("wrote %s (%dx%d)\n", outPath, res.Bounds().Dx(), res.Bounds().Dy())
	return m.Close()
}

// readImage decodes the PNG or JPEG image at path after checking, from its
// header alone, that it is res×res pixels: a small file declaring a huge
// image is refused before any pixel is decoded.
func readImage(path string, res int) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if cfg.Width != res || cfg.Height != res {
		return nil, fmt.Errorf("%s is %dx%d; the model takes %dx%d images", path, cfg.Width, cfg.Height, res, res)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}
