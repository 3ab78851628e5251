package serve

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"path/filepath"
	"sync"
	"testing"

	"github.com/maskgit-go/maskgit/graphs/transformer"
	"github.com/maskgit-go/maskgit/graphs/vqvae"
	"github.com/maskgit-go/maskgit/pipeline"
)

// fakeModel fills every hole pixel with a colour made from the job's Index
// (the request seed) and the call's total_iter, and records batch sizes.
type fakeModel struct {
	mu      sync.Mutex
	batches []int
	// gate, when set, is received from before every call, after a send on
	// entered (when set).
	gate, entered chan struct{}
	// panics makes every call panic.
	panics bool
}

func (f *fakeModel) Inpaint(ctx context.Context, jobs []pipeline.Job, opt pipeline.InpaintOptions) ([]pipeline.Output, error) {
	if f.panics {
		panic("fake model panics")
	}
	if f.entered != nil {
		f.entered <- struct{}{}
	}
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	f.batches = append(f.batches, len(jobs))
	f.mu.Unlock()
	outs := make([]pipeline.Output, len(jobs))
	for i, j := range jobs {
		b := j.Image.Bounds()
		img := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				c := color.RGBAModel.Convert(j.Image.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
				if j.Mask.Hole[y*j.Mask.W+x] {
					c = color.RGBA{uint8(j.Index), uint8(opt.Decode.Steps), 7, 255}
				}
				img.SetRGBA(x, y, c)
			}
		}
		outs[i] = pipeline.Output{Image: img, Unknown0: j.Mask.Holes()}
		if opt.Decode.SaveSteps {
			outs[i].StepStrip = image.NewRGBA(image.Rect(0, 0, b.Dx()*opt.Decode.Steps, b.Dy()))
			outs[i].MaskStrip = image.NewRGBA(image.Rect(0, 0, b.Dx()*opt.Decode.Steps, b.Dy()))
		}
	}
	return outs, nil
}

func (f *fakeModel) sizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.batches...)
}

// testImage is a res×res gradient.
func testImage(res int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, res, res))
	for y := 0; y < res; y++ {
		for x := 0; x < res; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(255 * x / res), uint8(255 * y / res), 100, 255})
		}
	}
	return img
}

// testMask is a res×res mask with a hole over [x0, x1)×[y0, y1).
func testMask(res, x0, y0, x1, y1 int) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, res, res))
	for y := 0; y < res; y++ {
		for x := 0; x < res; x++ {
			v := uint8(255)
			if x >= x0 && x < x1 && y >= y0 && y < y1 {
				v = 0
			}
			m.SetGray(x, y, color.Gray{v})
		}
	}
	return m
}

func pngBytes(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// part is one multipart part; file parts have a filename.
type part struct {
	name string
	data []byte
	file bool
}

// multipartBody encodes parts and returns the body and its Content-Type.
func multipartBody(t testing.TB, parts ...part) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		var err error
		if p.file {
			w, e := mw.CreateFormFile(p.name, p.name+".png")
			if e == nil {
				_, e = w.Write(p.data)
			}
			err = e
		} else {
			err = mw.WriteField(p.name, string(p.data))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

// inpaintBody is a valid request body: image, mask and settings fields.
func inpaintBody(t testing.TB, res int, fields ...string) ([]byte, string) {
	t.Helper()
	parts := []part{
		{name: "image", data: pngBytes(t, testImage(res)), file: true},
		{name: "mask", data: pngBytes(t, testMask(res, res/4, res/4, res/2, res/2)), file: true},
	}
	for i := 0; i+1 < len(fields); i += 2 {
		parts = append(parts, part{name: fields[i], data: []byte(fields[i+1])})
	}
	return multipartBody(t, parts...)
}

// tinyModel writes and loads an untrained model of res×res images on a
// res/4 token grid, running on one TensorFlow thread.
func tinyModel(t testing.TB, res int64) *pipeline.Model {
	return tinyModelThreads(t, res, 1)
}

// tinyModelThreads is tinyModel with a TensorFlow thread count (0: all
// cores).
func tinyModelThreads(t testing.TB, res int64, threads int) *pipeline.Model {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "model")
	grid := res / 4
	tok := vqvae.Config{Resolution: res, Grid: grid, Channels: []int64{8, 8, 8}, ResBlocks: 1, Groups: 4, Latent: 4, Codes: 16, Beta: 0.25, Normalize: true}
	tr := transformer.Config{Codes: 16, Positions: tok.Grid * tok.Grid, Dim: 16, Layers: 1, Heads: 2, MLPDim: 32}
	if err := pipeline.WriteUntrained(dir, tok, tr, 3); err != nil {
		t.Fatal(fmt.Errorf("writing the untrained model: %w", err))
	}
	m, err := pipeline.Load(dir, pipeline.Options{Threads: threads})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}
