package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/maskgit-go/maskgit/inpaint"
	"github.com/maskgit-go/maskgit/masks"
)

func TestMaskTokensCountsAndDeterminism(t *testing.T) {
	const n, pos = 200, 256
	tokens := make([]int32, n*pos)
	for i := range tokens {
		tokens[i] = int32(i % 1024)
	}
	in, w := MaskTokens(tokens, n, pos, 1024, inpaint.Cosine, rand.New(rand.NewPCG(1, 2)))
	// Replay the draws to know each image's r.
	rng := rand.New(rand.NewPCG(1, 2))
	var meanFrac float64
	for b := 0; b < n; b++ {
		r := rng.Float64()
		rng.Perm(pos)
		want := max(1, int(math.Ceil(math.Cos(r*math.Pi/2)*pos)))
		got := 0
		for p := 0; p < pos; p++ {
			i := b*pos + p
			switch {
			case w[i] == 1 && in[i] != 1024:
				t.Fatalf("weighted position %d not masked", i)
			case w[i] == 0 && in[i] != tokens[i]:
				t.Fatalf("unweighted position %d changed", i)
			case w[i] == 1:
				got++
			}
		}
		if got != want {
			t.Fatalf("image %d: %d masked, want ceil(cos(%v·π/2)·256) = %d", b, got, r, want)
		}
		meanFrac += float64(got) / pos / n
	}
	// E[cos(rπ/2)] = 2/π ≈ 0.637 for r ~ U(0,1).
	if math.Abs(meanFrac-2/math.Pi) > 0.05 {
		t.Errorf("mean masked share %v, want ≈ 2/π", meanFrac)
	}
	in2, _ := MaskTokens(tokens, n, pos, 1024, inpaint.Cosine, rand.New(rand.NewPCG(1, 2)))
	for i := range in {
		if in[i] != in2[i] {
			t.Fatal("same seed, different masks")
		}
	}
}

func TestTrainMasksStrokes(t *testing.T) {
	const n, grid, res = 64, 16, 64
	tokens := make([]int32, n*grid*grid)
	for i := range tokens {
		tokens[i] = int32(i % 1000)
	}
	// Strokes = 0 is MaskTokens, draw for draw.
	tm := TrainMasks{Gamma: inpaint.Cosine, MaskID: 1024, Grid: grid, Res: res}
	a, wa, err := tm.Draw(tokens, n, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	b, wb := MaskTokens(tokens, n, grid*grid, 1024, inpaint.Cosine, rand.New(rand.NewPCG(3, 4)))
	for i := range a {
		if a[i] != b[i] || wa[i] != wb[i] {
			t.Fatal("Strokes = 0 differs from MaskTokens")
		}
	}
	// Strokes = 1: every image's mask is a stroke mask mapped to tokens.
	tm.Strokes = 1
	in, w, err := tm.Draw(tokens, n, rand.New(rand.NewPCG(5, 6)))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for img := 0; img < n; img++ {
		rng.Float64()
		m, err := masks.Generate(masks.Strokes, strokeOptions(res), rng)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := m.TokenMask(grid, grid, false)
		for p, masked := range want {
			i := img*grid*grid + p
			if masked != (w[i] == 1) || masked != (in[i] == 1024) || (!masked && in[i] != tokens[i]) {
				t.Fatalf("image %d position %d: input %d weight %v, want masked=%v", img, p, in[i], w[i], masked)
			}
		}
	}
	// Strokes = 0.5: about half the images get strokes. Stroke masks are
	// made of whole patches and never mask every token.
	tm.Strokes = 0.5
	if _, _, err := tm.Draw(tokens, n, rand.New(rand.NewPCG(7, 8))); err != nil {
		t.Fatal(err)
	}
	strokes := 0
	rng = rand.New(rand.NewPCG(7, 8))
	for img := 0; img < n; img++ {
		if rng.Float64() < 0.5 {
			strokes++
			if _, err := masks.Generate(masks.Strokes, strokeOptions(res), rng); err != nil {
				t.Fatal(err)
			}
		} else {
			MaskTokens(tokens[:grid*grid], 1, grid*grid, 1024, inpaint.Cosine, rng)
		}
	}
	if strokes < n/4 || strokes > 3*n/4 {
		t.Errorf("%d of %d images with strokes at share 0.5", strokes, n)
	}
	if _, _, err := tm.Draw(tokens[:10], n, rng); err == nil {
		t.Error("wrong token count accepted")
	}
}
