package inpaint

import "context"

// Chooser is a Predictor that also makes the per-position choice itself,
// so a decoding step receives batch×N ids and log-probabilities instead of
// batch×N×V logits. Decoder.Decode uses Choose when its Predictor is a
// Chooser, and Predict with the choice made in Go otherwise; both give the
// same result up to floating-point rounding.
//
// For each of the batch×N positions (tokens as for Predictor.Predict),
// Choose returns a class in 0…K−1 and its log-probability under the
// softmax over the first K logits of the position (columns past K are not
// classes): with uniforms nil, the most likely class (the lowest id on
// ties); otherwise the inverse-CDF sample for uniforms[i] ∈ [0, 1) — the
// first class k, in id order, whose running sum Σ_{j≤k} p(j) exceeds
// uniforms[i]. The log-probability is computed in float64 from the logits:
// log p(k) = l_k − (m + log Σ_j exp(l_j − m)), m the largest logit; NaN
// means the position's logits were not usable (NaN, +Inf, all −Inf). Only
// the masked positions (Config.MaskID) are read: a model may skip the
// others and return anything there (the transformer returns 0).
//
// The uniforms come from each image's own random stream (see Input.Rand),
// so a sample depends only on the image, never on the rest of its batch.
// The decoder does not keep tokens, uniforms or the returned slices.
type Chooser interface {
	Predictor
	Choose(ctx context.Context, tokens []int32, batch int, uniforms []float64) (ids []int32, logp []float64, err error)
}
