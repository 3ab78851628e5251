// Package transformer builds MaskGIT's bidirectional transformer as
// TensorFlow graphs from Go: token ids (K codes plus [MASK] = K) and a
// learned position embedding go through N post-LN transformer blocks; an
// MLM head maps each position to logits over the K codes, computed with the
// transposed token-embedding matrix (its first K rows: [MASK] is never a
// class) plus a per-position bias [N, K], as the reference lab does.
//
// BuildTrain adds masked visual token modelling: the caller (Go) masks a
// γ(r) share of each image's tokens, feeds id K there, and the loss is the
// softmax cross-entropy on the masked positions only: their rows of the
// trunk's output are gathered before the head, so the head and the
// K-way softmax run on those rows alone. The training graph holds a second,
// dropout-free pass on the same variables for validation (ValLoss). The
// optimizer is tfmodel's fused AdamW. BuildInference is the logits graph
// inpainting runs.
//
// The variables carry the names the ops package's layers give them (the
// checkpoint contract), but the forward pass is written out in model.go
// for speed: 2-D activations, one matmul for Q, K and V, Einsum for the
// attention products of the pass that is differentiated. referenceLogits
// keeps the ops-layer network; the equivalence tests and
// BenchmarkTrainStep (docs/benchmarks.md) compare against it, and
// testdata/prefused holds a checkpoint written before these changes.
package transformer
