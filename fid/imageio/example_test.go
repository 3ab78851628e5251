package imageio_test

import (
	"context"
	"fmt"
	"image/color"
	"log"
	"path/filepath"

	"github.com/maskgit-go/maskgit/fid/imageio"
)

// Decode a PNG as PIL's Image.open(path).convert('RGB') would: alpha is
// dropped, not composited.
func ExampleDecoder() {
	dec, err := imageio.NewDecoder()
	if err != nil {
		log.Fatal(err)
	}
	defer dec.Close()
	img, err := dec.ReadFile("testdata/dec_png_rgba.png")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%dx%d, %d bytes, first pixel %v\n", img.Width, img.Height, len(img.Pix), img.Pix[:3])
	// Output: 40x48, 5760 bytes, first pixel [2 124 247]
}

func ExampleParseHeader() {
	h, err := imageio.ReadHeader("testdata/dec_jpeg_cmyk.jpg")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(h.Format, h.Width, h.Height, h.ColorModel == color.CMYKModel)
	// Output: JPEG 40 48 true
}

// channelMeans is a toy feature extractor: the mean of each colour channel.
type channelMeans struct{}

func (channelMeans) Features(images []uint8, n, height, width int) ([][]float32, error) {
	rows := make([][]float32, n)
	per := height * width * 3
	for i := range rows {
		rows[i] = make([]float32, 3)
		for j, v := range images[i*per : (i+1)*per] {
			rows[i][j%3] += float32(v) / float32(height*width)
		}
	}
	return rows, nil
}

// Statistics of a folder. `maskgit fid` does the same with the Inception
// extractor of package fid/inception and compares two folders with
// fid.FrechetDistance.
func ExampleFileStats() {
	files, err := imageio.ListFolder("testdata")
	if err != nil {
		log.Fatal(err)
	}
	dec, err := imageio.NewDecoder()
	if err != nil {
		log.Fatal(err)
	}
	defer dec.Close()
	s, err := imageio.FileStats(context.Background(), dec, channelMeans{}, files, imageio.StatsOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d images from %s..., %d-d features, mean red %.2f\n", s.N, filepath.Base(files[0]), s.Dim(), s.Mu[0])
	// Output: 16 images from dec_jpeg420.jpg..., 3-d features, mean red 133.84
}
