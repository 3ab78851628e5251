package ops

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// Embedding looks up rows of the variable "embeddings" [vocab, dim]
// (default tfmodel.TruncatedNormal(0.02), as in BERT and MaskGIT) under
// s.SubScope(name): int32 or int64 ids [...] → [..., dim] via GatherV2.
// It also returns the variable, so an output projection can be tied to the
// matrix's transpose (see EmbeddingLogits). Ids outside [0, vocab) fail when
// the graph runs.
func Embedding(s *op.Scope, vs *tfmodel.Store, name string, ids tf.Output, vocab, dim int64, opts ...Option) (tf.Output, *tfmodel.Variable) {
	o := newOptions(opts)
	ls := s.SubScope(name)
	y, v := embedding(ls, vs, ids, vocab, dim, o)
	o.checkUsed(ls, "Embedding")
	return y, v
}

func embedding(ls *op.Scope, vs *tfmodel.Store, ids tf.Output, vocab, dim int64, o *options) (tf.Output, *tfmodel.Variable) {
	if ls.Err() != nil {
		return tf.Output{}, nil
	}
	if ids.Op == nil {
		fail(ls, "Embedding", "ids are not set")
		return tf.Output{}, nil
	}
	if dt := ids.DataType(); dt != tf.Int32 && dt != tf.Int64 {
		fail(ls, "Embedding", "ids dtype %v, want int32 or int64", dtypeName(dt))
		return tf.Output{}, nil
	}
	if vocab <= 0 || dim <= 0 {
		fail(ls, "Embedding", "vocab = %d, dim = %d, want > 0", vocab, dim)
		return tf.Output{}, nil
	}
	if dt := vs.DType(); dt != tf.Float && dt != tf.Double {
		fail(ls, "Embedding", "store dtype %v, want float32 or float64", dtypeName(dt))
		return tf.Output{}, nil
	}
	emb := o.variable(ls, vs, "embeddings", []int64{vocab, dim}, tfmodel.TruncatedNormal(0.02))
	if ls.Err() != nil {
		return tf.Output{}, nil
	}
	return op.GatherV2(ls, emb.Value, ids, op.Const(ls.SubScope("axis"), int32(0))), emb
}

// EmbeddingLogits is an output projection tied to an embedding matrix:
// x [..., dim] → logits [..., vocab] = x·embᵀ + bias, with emb the
// [vocab, dim] variable returned by Embedding and "bias" [vocab] (zeros;
// see NoBias) its only own variable, under s.SubScope(name).
func EmbeddingLogits(s *op.Scope, vs *tfmodel.Store, name string, x tf.Output, emb *tfmodel.Variable, opts ...Option) tf.Output {
	o := newOptions(opts)
	ls := s.SubScope(name)
	y := embeddingLogits(ls, vs, x, emb, o)
	o.checkUsed(ls, "EmbeddingLogits")
	return y
}

func embeddingLogits(ls *op.Scope, vs *tfmodel.Store, x tf.Output, emb *tfmodel.Variable, o *options) tf.Output {
	if !checkFloat(ls, "EmbeddingLogits", vs, x) {
		return tf.Output{}
	}
	if emb == nil || emb.Value.Op == nil || len(emb.Shape) != 2 {
		fail(ls, "EmbeddingLogits", "embedding matrix must be a built [vocab, dim] variable")
		return tf.Output{}
	}
	if emb.DType != x.DataType() {
		fail(ls, "EmbeddingLogits", "embedding dtype %v differs from input dtype %v", dtypeName(emb.DType), dtypeName(x.DataType()))
		return tf.Output{}
	}
	dims, ok := checkRank(ls, "EmbeddingLogits", x, 2, true, -1)
	if !ok {
		return tf.Output{}
	}
	vocab, dim := emb.Shape[0], emb.Shape[1]
	if in := dims[len(dims)-1]; in != dim {
		fail(ls, "EmbeddingLogits", "input shape %v: last dimension %d, embedding dimension %d", dims, in, dim)
		return tf.Output{}
	}
	var bias *tfmodel.Variable
	if !o.noBias {
		bias = o.variable(ls, vs, "bias", []int64{vocab}, tfmodel.Zeros())
	}
	if ls.Err() != nil {
		return tf.Output{}
	}
	x2 := x
	if len(dims) != 2 {
		fs := ls.SubScope("flatten")
		x2 = op.Reshape(fs, x, op.Const(fs, []int64{-1, dim}))
	}
	y := op.MatMul(ls, x2, emb.Value, op.MatMulTransposeB(true))
	if bias != nil {
		y = op.BiasAdd(ls, y, bias.Value)
	}
	if len(dims) != 2 {
		y = reshapeLike(ls.SubScope("unflatten"), y, x, len(dims)-1, []int64{vocab})
	}
	return y
}
