// Package transformer builds MaskGIT's bidirectional transformer as
// TensorFlow graphs from Go: token ids (K codes plus [MASK] = K) and a
// learned position embedding go through N post-LN transformer blocks; an
// MLM head maps each position to logits over the K codes, computed with the
// transposed token-embedding matrix (its first K rows: [MASK] is never a
// class) plus a per-position bias [N, K], as the reference lab does.
//
// BuildTrain adds masked visual token modelling: the caller (Go) masks a
// γ(r) share of each image's tokens, feeds id K there, and the loss is the
// softmax cross-entropy on the masked positions only. BuildInference is the
// logits graph inpainting runs.
package transformer
