// Package inpaint fills holes in an image's token grid by MaskGIT iterative
// decoding (Chang et al., "MaskGIT: Masked Generative Image Transformer",
// CVPR 2022), and composites the decoded pixels back into the input. It is
// pure Go: the model is behind the small Predictor interface (tokens in,
// logits out, many images per call), so the loop is tested with fake models
// and the TensorFlow transformer plugs in elsewhere. A model that is also a
// Chooser makes the per-position choice itself (argmax, or an inverse-CDF
// sample from a uniform drawn in Go from the image's stream) and returns
// batch×N ids and log-probabilities instead of batch×N×V logits; the
// Go-side work of a step runs in parallel across images.
//
// # Pipeline
//
//  1. Pixel mask → token mask. A lab mask (ReadMask) is a greyscale PNG,
//     0 = hole, 255 = known; other values are thresholded at 128 and counted
//     so the caller can warn. Mask.TokenMask marks a token masked when ANY
//     pixel of its P×P patch (P = image/grid, 4 for 64 px → 16 tokens) is a
//     hole — a token half over the hole would otherwise copy the hole's
//     content back in — optionally dilated by one token (3×3). MaskTokens
//     writes Config.MaskID at those positions.
//  2. Decoder.Decode runs T = Config.Steps steps (below).
//  3. The caller decodes tokens to pixels; Composite keeps every known pixel
//     of the input exactly and takes only the holes from the decoded image.
//
// # One step
//
// At step t (0-based) of T, with unknown₀ the number of masked tokens the
// image started with and unknown_t the number masked now:
//
//   - Every masked position gets a prediction from the first K logits of its
//     row — the argmax, or a sample from the softmax when Config.Sample.
//     [MASK] is not a class: columns past K (a model may carry a [MASK] or
//     other special logit) are ignored, so [MASK] is never emitted.
//   - Its confidence is log p(chosen) + Temperature·(1 − (t+1)/T)·g, g a
//     standard Gumbel draw −log(−log u). The noise goes on the
//     log-probability, not on p, and it anneals to 0 at the end. Tokens known
//     from the start or fixed at an earlier step are never candidates (their
//     confidence is +Inf in MaskGIT's terms): nothing is ever re-masked.
//   - The number left masked is KeepMasked:
//     clamp(floor(γ((t+1)/T)·unknown₀), 1, unknown_t − 1). The clamp fixes at
//     least one token per step and keeps at least one for the next step; the
//     final step (t = T−1) and a step with unknown_t ≤ 1 fill everything.
//   - The most confident predictions are fixed (ties: lower position first);
//     the rest go back to [MASK] for the next step.
//
// With Config.SweetSpot = s < T the loop stops after s steps, the last of
// them filling everything still masked with that step's predictions (the
// schedule is still computed with T). With OrderHalton tokens are fixed in
// a precomputed 2-D Halton order (bases 2 and 3 over the grid, see
// HaltonOrder) instead of by confidence, with the same counts.
//
// # Pitfalls this package avoids
//
//   - unknown₀ is per image: an image with a small hole gets a short
//     schedule of its own, not one computed from the grid size or the batch.
//     The "log" and "exp" schedules also take unknown₀ as MaskGIT does.
//   - γ is evaluated at (t+1)/T, not t/T: step 0 already fixes tokens, and
//     r = 1 (γ = 0) is reached exactly at the last step.
//   - Known tokens must not be re-masked; a bare top-k over all positions
//     would let low-confidence known tokens be "un-fixed".
//   - Images with nothing masked are returned untouched and never sent to
//     the model; images that finish early drop out of later calls.
//   - Randomness per image: each Input carries its own *rand.Rand (see
//     NewImageRand, keyed by the image's index in the data set), so an
//     image's result does not depend on which images share its batch. For
//     each step, the draws are: for every masked position in position order,
//     one uniform if sampling, then one Gumbel draw if the noise scale is
//     non-zero (confidence order, not the step that fills everything).
//
// # Schedules
//
// Cosine, Linear, Square, Cubic, Sqrt, Log and Exp follow
// google-research/maskgit libml/mask_schedule.py ("cosine", "uniform",
// "pow2", "pow3", "pow0.5", "log", "exp"), clipped to [0, 1]; see
// ScheduleByName and ScheduleNames.
//
// Config.SaveSteps records, for every step, which tokens are still masked and
// the grid with the current predictions filled in, for strips like the
// reference report's.
package inpaint
