package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/maskgit-go/maskgit/inpaint"
	"github.com/maskgit-go/maskgit/masks"
)

// MaskTokens prepares one MVTM training batch: for each of the n images of
// tokens (positions each), it draws r ~ U(0, 1) from rng and masks exactly
// ceil(γ(r)·positions) positions (at least 1) chosen uniformly at random,
// with the same schedule function inpainting uses. It returns the model
// input (maskID at masked positions) and the loss weights (1 where masked).
func MaskTokens(tokens []int32, n, positions int, maskID int32, gamma inpaint.Schedule, rng *rand.Rand) (input []int32, weight []float32) {
	input = append([]int32(nil), tokens...)
	weight = make([]float32, len(tokens))
	for b := 0; b < n; b++ {
		r := rng.Float64()
		k := int(math.Ceil(gamma(r, positions) * float64(positions)))
		k = max(1, min(k, positions))
		perm := rng.Perm(positions)
		for _, p := range perm[:k] {
			input[b*positions+p] = maskID
			weight[b*positions+p] = 1
		}
	}
	return input, weight
}

// TrainMasks draws the masks of MVTM training batches: random token subsets
// (MaskTokens) and, for a share of the images, masks shaped like the ones
// inpainting sees — brush strokes drawn over the Res×Res pixel grid
// (masks.Strokes) and mapped to the Grid×Grid tokens as inpainting maps
// them (a token is masked when any pixel of its patch is a hole).
type TrainMasks struct {
	Gamma  inpaint.Schedule
	MaskID int32
	// Strokes is the share of images with stroke masks, in [0, 1]; 0 gives
	// exactly MaskTokens (same draws from rng).
	Strokes float64
	// Res and Grid are the image side in pixels and the token grid side.
	Res, Grid int
}

// strokeOptions are the stroke masks of training: wider than the
// benchmark's 12–39% holes on both sides.
func strokeOptions(res int) masks.Options {
	return masks.Options{W: res, H: res, MinHole: 0.05, MaxHole: 0.6}
}

// Draw returns the model input (MaskID at masked positions) and the loss
// weights (1 where masked) of n images of tokens (Grid² positions each).
// For every image it draws one uniform to choose the kind of mask, then
// either γ(r) random tokens (as MaskTokens) or a stroke mask.
func (t TrainMasks) Draw(tokens []int32, n int, rng *rand.Rand) (input []int32, weight []float32, err error) {
	positions := t.Grid * t.Grid
	if len(tokens) != n*positions {
		return nil, nil, fmt.Errorf("train masks: %d tokens for %d images of %d positions", len(tokens), n, positions)
	}
	if t.Strokes <= 0 {
		input, weight = MaskTokens(tokens, n, positions, t.MaskID, t.Gamma, rng)
		return input, weight, nil
	}
	input = append([]int32(nil), tokens...)
	weight = make([]float32, len(tokens))
	opt := strokeOptions(t.Res)
	for b := 0; b < n; b++ {
		in, w := input[b*positions:(b+1)*positions], weight[b*positions:(b+1)*positions]
		if rng.Float64() >= t.Strokes {
			i1, w1 := MaskTokens(tokens[b*positions:(b+1)*positions], 1, positions, t.MaskID, t.Gamma, rng)
			copy(in, i1)
			copy(w, w1)
			continue
		}
		m, err := masks.Generate(masks.Strokes, opt, rng)
		if err != nil {
			return nil, nil, err
		}
		tm, err := m.TokenMask(t.Grid, t.Grid, false)
		if err != nil {
			return nil, nil, err
		}
		for p, masked := range tm {
			if masked {
				in[p], w[p] = t.MaskID, 1
			}
		}
	}
	return input, weight, nil
}
