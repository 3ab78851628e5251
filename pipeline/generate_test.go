package pipeline

import (
	"bytes"
	"context"
	"testing"

	"github.com/maskgit-go/maskgit/inpaint"
)

func TestGenerateUnconditional(t *testing.T) {
	m, err := Load(tinyModel(t), Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	opt := GenerateOptions{Decode: inpaint.Config{Steps: 3, Temperature: 4.5, Sample: true, Batch: 2, SaveSteps: true}, Seed: 4}
	a, err := m.Generate(context.Background(), 3, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 3 {
		t.Fatalf("%d outputs, want 3", len(a))
	}
	for i, o := range a {
		if o.Unknown0 != 16 {
			t.Errorf("image %d: %d tokens masked at the start, want all 16", i, o.Unknown0)
		}
		if o.Image.Bounds().Dx() != 16 || o.Image.Bounds().Dy() != 16 {
			t.Errorf("image %d is %v", i, o.Image.Bounds())
		}
		if o.StepStrip == nil || o.StepStrip.Bounds().Dx() != 3*16 || o.MaskStrip.Bounds().Dx() != 3*16 {
			t.Errorf("image %d: step strips missing or not 3 steps wide", i)
		}
	}
	// Image 2 drawn alone with FirstIndex 2 is the same image: each image
	// has its own random stream.
	opt2 := opt
	opt2.FirstIndex = 2
	b, err := m.Generate(context.Background(), 1, opt2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a[2].Image.Pix, b[0].Image.Pix) {
		t.Error("image 2 differs when drawn alone")
	}
	// Another seed gives other tokens somewhere (16 positions sampled
	// from 16 codes by an untrained model: equal outputs are unlikely).
	opt3 := opt
	opt3.Seed = 5
	c, err := m.Generate(context.Background(), 3, opt3)
	if err != nil {
		t.Fatal(err)
	}
	same := 0
	for i := range c {
		if bytes.Equal(a[i].Image.Pix, c[i].Image.Pix) {
			same++
		}
	}
	if same == 3 {
		t.Error("seeds 4 and 5 gave the same three images")
	}
	if _, err := m.Generate(context.Background(), -1, opt); err == nil {
		t.Error("negative count: no error")
	}
	if out, err := m.Generate(context.Background(), 0, opt); err != nil || len(out) != 0 {
		t.Errorf("zero images: %v, %v", out, err)
	}
}
