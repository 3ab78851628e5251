package main

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/fid/imageio"
	"github.com/maskgit-go/maskgit/train"
)

// TestOneImageDecoder: training and encode (train.OpenImages), inpaint and
// demo (loadJob), and fid and reconstruct (imageio.Decoder) read a JPEG to
// the same pixels, those of PIL; Go's own JPEG decoder reads it differently
// (so the test fails if a path falls back to it).
func TestOneImageDecoder(t *testing.T) {
	const res = 64
	dir := t.TempDir()
	imgDir := filepath.Join(dir, "images")
	if err := os.Mkdir(imgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := image.NewRGBA(image.Rect(0, 0, res, res))
	for y := 0; y < res; y++ {
		for x := 0; x < res; x++ {
			src.Set(x, y, color.RGBA{uint8(4 * x), uint8(255 - 3*y), uint8((x * y) % 256), 255})
		}
	}
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, src, &jpeg.Options{Quality: 80}); err != nil { // 4:2:0 chroma
		t.Fatal(err)
	}
	imgPath := filepath.Join(imgDir, "cat.jpg")
	maskPath := filepath.Join(dir, "cat_mask.png")
	if err := os.WriteFile(imgPath, jb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	mask := image.NewGray(image.Rect(0, 0, res, res))
	for i := range mask.Pix {
		mask.Pix[i] = 255
	}
	mask.Pix[0] = 0
	var mb bytes.Buffer
	png.Encode(&mb, mask)
	if err := os.WriteFile(maskPath, mb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	dec, err := imageio.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	ref, err := dec.ReadFile(imgPath) // fid, reconstruct
	if err != nil {
		t.Fatal(err)
	}
	folder, err := train.OpenImages(imgDir, res, false) // train-tokenizer, train, encode
	if err != nil {
		t.Fatal(err)
	}
	trained, err := folder.Image(0)
	if err != nil {
		t.Fatal(err)
	}
	job, err := loadJob(benchPair{name: "cat.png", image: imgPath, mask: maskPath}, res, 0, io.Discard, dec) // inpaint, demo
	if err != nil {
		t.Fatal(err)
	}
	inpainted := dataset.RGBBytes(dataset.Square(job.Image, res))
	goImg, _, err := image.Decode(bytes.NewReader(jb.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	goPix := dataset.RGBBytes(dataset.Square(goImg, res))

	if !bytes.Equal(trained, ref.Pix) {
		t.Errorf("training/encode decode the JPEG differently from fid (%d bytes differ)", differ(trained, ref.Pix))
	}
	if !bytes.Equal(inpainted, ref.Pix) {
		t.Errorf("inpaint decodes the JPEG differently from fid (%d bytes differ)", differ(inpainted, ref.Pix))
	}
	if bytes.Equal(goPix, ref.Pix) {
		t.Errorf("Go's JPEG decoder gives the same bytes as PIL's on this image: the test cannot tell the decoders apart")
	}
}

func differ(a, b []byte) int {
	if len(a) != len(b) {
		return max(len(a), len(b))
	}
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}
