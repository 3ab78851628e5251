package bench

import (
	"encoding/csv"
	"fmt"
	"image"
	"os"
	"path/filepath"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/inpaint"
)

// Inputs are test images with their fixed benchmark masks.
type Inputs struct {
	Res    int
	Names  []string
	Images []*image.RGBA
	Masks  []*inpaint.Mask
	// Pixels are the images as float32 NHWC in [-1, 1], the tokenizer's input.
	Pixels []float32
}

// LoadInputs reads the first n rows of dataDir/test_index.csv: the image
// test/<test_file> and its mask mask64/<mask>, at res×res.
func LoadInputs(dataDir string, n, res int) (*Inputs, error) {
	index := filepath.Join(dataDir, "test_index.csv")
	f, err := os.Open(index)
	if err != nil {
		return nil, fmt.Errorf("bench inputs: %w", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("bench inputs: %s: %w", index, err)
	}
	if len(rows) < 2 {
		return nil, fmt.Errorf("bench inputs: %s has no rows", index)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	fi, ok1 := col["test_file"]
	mi, ok2 := col["mask"]
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("bench inputs: %s lacks the test_file or mask column", index)
	}
	rows = rows[1:]
	if n < 1 || n > len(rows) {
		return nil, fmt.Errorf("bench inputs: want %d images, %s lists %d", n, index, len(rows))
	}
	in := &Inputs{Res: res, Pixels: make([]float32, n*3*res*res)}
	per := 3 * res * res
	for i, row := range rows[:n] {
		rgb, err := dataset.LoadImage(filepath.Join(dataDir, "test", row[fi]), res)
		if err != nil {
			return nil, err
		}
		img := newRGBA(rgb, res)
		m, _, err := inpaint.ReadMask(filepath.Join(dataDir, "mask64", row[mi]), res, res)
		if err != nil {
			return nil, err
		}
		dataset.ToFloat(in.Pixels[i*per:(i+1)*per], rgb, res, false)
		in.Names = append(in.Names, row[fi])
		in.Images = append(in.Images, img)
		in.Masks = append(in.Masks, m)
	}
	return in, nil
}

// newRGBA makes an opaque image of RGB bytes (HWC, res×res).
func newRGBA(rgb []uint8, res int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, res, res))
	for p := 0; p < res*res; p++ {
		copy(img.Pix[4*p:4*p+3], rgb[3*p:3*p+3])
		img.Pix[4*p+3] = 255
	}
	return img
}
