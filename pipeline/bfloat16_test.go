package pipeline

import (
	"context"
	"image"
	"image/draw"
	"image/png"
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/cpu"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/examples"
)

func TestSetBFloat16(t *testing.T) {
	for _, c := range []struct {
		in      string
		tok, tr bool
		name    string
	}{
		{"all", true, true, "all"},
		{" TRUE ", true, true, "all"},
		{"transformer", false, true, "transformer"},
		{"Tokenizer", true, false, "tokenizer"},
		{"off", false, false, "off"},
		{"false", false, false, "off"},
	} {
		o := Options{BFloat16Tokenizer: !c.tok, BFloat16Transformer: !c.tr} // every value overwrites both
		if err := o.SetBFloat16(c.in); err != nil {
			t.Errorf("SetBFloat16(%q): %v", c.in, err)
			continue
		}
		if o.BFloat16Tokenizer != c.tok || o.BFloat16Transformer != c.tr || o.BFloat16() != c.name {
			t.Errorf("SetBFloat16(%q): tokenizer %v transformer %v (%q), want %v %v (%q)",
				c.in, o.BFloat16Tokenizer, o.BFloat16Transformer, o.BFloat16(), c.tok, c.tr, c.name)
		}
	}
	for _, bad := range []string{"", "bf16", "both", "1"} {
		o := Options{}
		if err := o.SetBFloat16(bad); err == nil || !strings.Contains(err.Error(), "transformer, tokenizer") {
			t.Errorf("SetBFloat16(%q): %v, want an error listing the values", bad, err)
		}
	}
	if got := (Options{}).BFloat16(); got != "off" {
		t.Errorf("the zero Options run %q in bfloat16, want off", got)
	}
}

// exampleImages returns the shipped example images as the tokenizer's
// input (float32 NHWC in [-1, 1]) and their number.
func exampleImages(t *testing.T, res int) ([]float32, int) {
	t.Helper()
	names, err := exampleNames()
	if err != nil || len(names) == 0 {
		t.Fatalf("no example images: %v", err)
	}
	per := 3 * res * res
	pixels := make([]float32, len(names)*per)
	for i, name := range names {
		f, err := examples.FS.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() != res || b.Dy() != res {
			t.Fatalf("%s is %dx%d, want %dx%d", name, b.Dx(), b.Dy(), res, res)
		}
		rgba := image.NewRGBA(image.Rect(0, 0, res, res))
		draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
		dataset.ToFloat(pixels[i*per:(i+1)*per], dataset.RGBBytes(rgba), res, false)
	}
	return pixels, len(names)
}

// exampleNames lists the example images (sample_NNN.png, not the masks).
func exampleNames() ([]string, error) {
	var out []string
	entries, err := examples.FS.ReadDir(".")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if ok, _ := filepath.Match("sample_[0-9][0-9][0-9].png", e.Name()); ok {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// modelOutputs are what a loaded model computes for fixed inputs.
type modelOutputs struct {
	ids     []int32   // encoding of the example images
	decoded []float32 // decoding of fixed token grids
	logits  []float32 // transformer logits of half-masked grids
	argmax  []int32   // Transformer.Choose's argmax at the masked positions (0 elsewhere)
}

// runModel loads the shipped model with opt and computes its outputs for
// the example images; tokens are the (float32) encoding the decoder and
// the transformer are fed, so that every model sees the same grids.
func runModel(t *testing.T, opt Options, pixels []float32, n int, tokens []int32) modelOutputs {
	t.Helper()
	m, err := Load(filepath.Join("..", "models", "catfaces64"), opt)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var out modelOutputs
	if out.ids, err = m.Tokenizer.Encode(pixels, n); err != nil {
		t.Fatal(err)
	}
	if tokens == nil {
		tokens = out.ids
	}
	if out.decoded, err = m.Tokenizer.Decode(tokens, n); err != nil {
		t.Fatal(err)
	}
	grids := halfMaskedGrids(tokens, int(m.Transformer.Cfg.Positions), m.Transformer.Cfg.MaskID())
	if out.logits, err = m.Transformer.Predict(context.Background(), grids, n); err != nil {
		t.Fatal(err)
	}
	if out.argmax, _, err = m.Transformer.Choose(context.Background(), grids, n, nil); err != nil {
		t.Fatal(err)
	}
	return out
}

// halfMaskedGrids masks the second half of every grid.
func halfMaskedGrids(tokens []int32, positions int, maskID int32) []int32 {
	g := append([]int32(nil), tokens...)
	for i := range g {
		if i%positions >= positions/2 {
			g[i] = maskID
		}
	}
	return g
}

// maxDiff returns max |a − b| and max |a|.
func maxDiff(a, b []float32) (diff, scale float64) {
	for i := range a {
		diff = max(diff, math.Abs(float64(a[i]-b[i])))
		scale = max(scale, math.Abs(float64(a[i])))
	}
	return diff, scale
}

// agreement returns the share of equal entries of a and b among those
// where keep is true (all if keep is nil).
func agreement(a, b []int32, keep func(i int) bool) float64 {
	same, n := 0, 0
	for i := range a {
		if keep != nil && !keep(i) {
			continue
		}
		n++
		if a[i] == b[i] {
			same++
		}
	}
	return float64(same) / float64(max(n, 1))
}

// TestBFloat16ShippedModel runs the shipped model with the default options
// (float32) and with bfloat16 for one part at a time. The part in bfloat16
// must change (the option was applied: TensorFlow rewrote the graph) but
// only by a bfloat16-sized amount; the other part, and a second float32
// model, must give exactly the float32 outputs (the default is untouched).
func TestBFloat16ShippedModel(t *testing.T) {
	if runtime.GOARCH != "amd64" || !cpu.X86.HasAVX512F {
		t.Skip("TensorFlow's oneDNN bfloat16 rewrite needs an x86 CPU with AVX512F")
	}
	if testing.Short() {
		t.Skip("-short: loads the shipped model four times")
	}
	pixels, n := exampleImages(t, 64)
	f32 := runModel(t, Options{Threads: 2}, pixels, n, nil)
	again := runModel(t, Options{Threads: 2}, pixels, n, f32.ids)
	tr := runModel(t, Options{Threads: 2, BFloat16Transformer: true}, pixels, n, f32.ids)
	tok := runModel(t, Options{Threads: 2, BFloat16Tokenizer: true}, pixels, n, f32.ids)

	const positions = 256
	masked := func(i int) bool { return i%positions >= positions/2 }
	same := func(what string, got modelOutputs) {
		t.Helper()
		if d, _ := maxDiff(f32.decoded, got.decoded); d != 0 || agreement(f32.ids, got.ids, nil) != 1 {
			t.Errorf("%s: tokenizer in float32 differs from the default's (decoded max |Δ| %g, ids agree %.4f)", what, d, agreement(f32.ids, got.ids, nil))
		}
		if d, _ := maxDiff(f32.logits, got.logits); d != 0 {
			t.Errorf("%s: transformer in float32 differs from the default's (logits max |Δ| %g)", what, d)
		}
	}
	same("a second default model", again)

	// Transformer in bfloat16 (measured: logits max |Δ| 0.16 of max |logit|
	// 8.3, argmax 98% unchanged), tokenizer in float32.
	d, scale := maxDiff(f32.logits, tr.logits)
	agree := agreement(f32.argmax, tr.argmax, masked)
	t.Logf("transformer in bfloat16: logits max |Δ| %.4g (max |logit| %.3g, relative %.4f); argmax agreement %.4f at masked positions", d, scale, d/scale, agree)
	if d < 1e-3 {
		t.Errorf("BFloat16Transformer: logits max |Δ| %g from float32: the session was not rewritten to bfloat16", d)
	}
	if d/scale > 5e-2 || agree < 0.9 {
		t.Errorf("BFloat16Transformer: logits max |Δ| %.4g (relative %.4f, want < 0.05), argmax agreement %.4f (want ≥ 0.9)", d, d/scale, agree)
	}
	if dd, _ := maxDiff(f32.decoded, tr.decoded); dd != 0 || agreement(f32.ids, tr.ids, nil) != 1 {
		t.Errorf("BFloat16Transformer alone changed the tokenizer (decoded max |Δ| %g)", dd)
	}

	// Tokenizer in bfloat16 (measured: decoded pixels max |Δ| 0.02 in
	// [-1, 1], codes 96% unchanged on test images), transformer in float32.
	d, _ = maxDiff(f32.decoded, tok.decoded)
	agree = agreement(f32.ids, tok.ids, nil)
	t.Logf("tokenizer in bfloat16: decoded max |Δ| %.4g; encoded ids agreement %.4f", d, agree)
	if d < 1e-4 {
		t.Errorf("BFloat16Tokenizer: decoded max |Δ| %g from float32: the session was not rewritten to bfloat16", d)
	}
	if d > 0.1 || agree < 0.85 {
		t.Errorf("BFloat16Tokenizer: decoded max |Δ| %.4g (want < 0.1), ids agreement %.4f (want ≥ 0.85)", d, agree)
	}
	if dl, _ := maxDiff(f32.logits, tok.logits); dl != 0 {
		t.Errorf("BFloat16Tokenizer alone changed the transformer (logits max |Δ| %g)", dl)
	}
}
