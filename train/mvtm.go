package train

import (
	"math"
	"math/rand/v2"

	"github.com/maskgit-go/maskgit/inpaint"
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
