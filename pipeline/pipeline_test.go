package pipeline

import (
	"context"
	"image"
	"image/color"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/maskgit-go/maskgit/graphs/transformer"
	"github.com/maskgit-go/maskgit/graphs/vqvae"
	"github.com/maskgit-go/maskgit/inpaint"
)

func tinyModel(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "model")
	tok := vqvae.Config{Resolution: 16, Grid: 4, Channels: []int64{8, 8, 8}, ResBlocks: 1, Groups: 4, Latent: 4, Codes: 16, Beta: 0.25, Normalize: true}
	tr := transformer.Config{Codes: 16, Positions: 16, Dim: 16, Layers: 1, Heads: 2, MLPDim: 32}
	if err := WriteUntrained(dir, tok, tr, 7); err != nil {
		t.Fatal(err)
	}
	return dir
}

func testJobs(n int) []Job {
	rng := rand.New(rand.NewPCG(4, 4))
	jobs := make([]Job, n)
	for i := range jobs {
		img := image.NewRGBA(image.Rect(0, 0, 16, 16))
		for p := 0; p < 16*16; p++ {
			img.Set(p%16, p/16, color.RGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255})
		}
		m := inpaint.NewMask(16, 16)
		for y := 3 + i; y < 9+i; y++ {
			for x := 2; x < 11; x++ {
				m.Hole[y*16+x] = true
			}
		}
		jobs[i] = Job{Image: img, Mask: m, Index: uint64(i)}
	}
	return jobs
}

func TestInpaintKeepsKnownPixelsAndIsDeterministic(t *testing.T) {
	m, err := Load(tinyModel(t), Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	jobs := testJobs(3)
	opt := InpaintOptions{Decode: inpaint.Config{Steps: 4, Temperature: 4.5, Sample: true, Batch: 2, SaveSteps: true}, Seed: 9}
	a, err := m.Inpaint(context.Background(), jobs, opt)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Inpaint(context.Background(), jobs[1:2], opt) // image 1 alone
	if err != nil {
		t.Fatal(err)
	}
	changed := 0
	for i, o := range a {
		in := jobs[i].Image.(*image.RGBA)
		for p := 0; p < 16*16; p++ {
			x, y := p%16, p/16
			if !jobs[i].Mask.Hole[p] && o.Image.RGBAAt(x, y) != in.RGBAAt(x, y) {
				t.Fatalf("image %d: known pixel (%d,%d) changed", i, x, y)
			}
			if jobs[i].Mask.Hole[p] && o.Image.RGBAAt(x, y) != in.RGBAAt(x, y) {
				changed++
			}
		}
		if o.Unknown0 == 0 || o.StepStrip.Bounds().Dx() != 4*16 || o.MaskStrip.Bounds().Dy() != 16 {
			t.Errorf("image %d: unknown0 %d, strips %v %v", i, o.Unknown0, o.StepStrip.Bounds(), o.MaskStrip.Bounds())
		}
	}
	if changed == 0 {
		t.Error("no hole pixel was filled")
	}
	for p := range b[0].Image.Pix {
		if b[0].Image.Pix[p] != a[1].Image.Pix[p] {
			t.Fatal("image 1 decoded alone differs from image 1 in a batch (same seed)")
		}
	}
	opt.Composite = inpaint.CompositeNone
	c, err := m.Inpaint(context.Background(), jobs[:1], opt)
	if err != nil {
		t.Fatal(err)
	}
	same := true
	for p := range c[0].Image.Pix {
		if c[0].Image.Pix[p] != jobs[0].Image.(*image.RGBA).Pix[p] {
			same = false
		}
	}
	if same {
		t.Error("without compositing the output equals the input: the decoder was not used")
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "none"), Options{}); err == nil {
		t.Error("missing model directory loaded")
	}
}

// TestInpaintIgnoresHolePixels: whatever the input holds in its holes, the
// result is the same, with either prefill; and the prefill reaches the
// encoder (grey and harmonic holes give different decodes of the model).
func TestInpaintIgnoresHolePixels(t *testing.T) {
	m, err := Load(tinyModel(t), Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	jobs := testJobs(2)
	scribbled := testJobs(2)
	for i, j := range scribbled {
		img := j.Image.(*image.RGBA)
		for p, hole := range j.Mask.Hole {
			if hole {
				img.Pix[4*p], img.Pix[4*p+1], img.Pix[4*p+2] = uint8(i*40+p), 0, 255
			}
		}
	}
	outs := map[inpaint.PrefillMode][]byte{}
	for _, mode := range []inpaint.PrefillMode{inpaint.PrefillHarmonic, inpaint.PrefillGrey} {
		opt := InpaintOptions{Decode: inpaint.Config{Steps: 2, Temperature: 4.5}, Seed: 3, Prefill: mode,
			Composite: inpaint.CompositeNone}
		a, err := m.Inpaint(context.Background(), jobs, opt)
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.Inpaint(context.Background(), scribbled, opt)
		if err != nil {
			t.Fatal(err)
		}
		for i := range a {
			if string(a[i].Image.Pix) != string(b[i].Image.Pix) {
				t.Errorf("%v: image %d depends on its hole pixels", mode, i)
			}
		}
		outs[mode] = append(a[0].Image.Pix, a[1].Image.Pix...)
	}
	if string(outs[inpaint.PrefillHarmonic]) == string(outs[inpaint.PrefillGrey]) {
		t.Error("harmonic and grey prefill decode the same: the prefill does not reach the encoder")
	}
}
