package train

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/maskgit-go/maskgit/inpaint"
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
