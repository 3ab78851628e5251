package vqvae

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// Quantizer is a vector quantizer with a learned codebook of Codes vectors
// of size Dim (variable "<name>/codebook", shape [Codes, Dim]).
type Quantizer struct {
	Codes, Dim int64
	Beta       float64
	// Normalize compares and returns unit vectors: encodings and codes are
	// l2-normalised before the nearest-code search (cosine similarity, as in
	// ViT-VQGAN), which keeps every code reachable and the losses bounded.
	Normalize bool
	Codebook  *tfmodel.Variable
	dtype     tf.DataType
}

// Quantized is what Quantize returns.
type Quantized struct {
	// ST is the straight-through output z + stop_gradient(q − z): its value is
	// q, its gradient flows to z unchanged. Shape of z.
	ST tf.Output
	// IDs are the nearest codes, int32 [B, H, W].
	IDs tf.Output
	// CodebookLoss = mean((stop_gradient(z) − q)²) moves codes towards encodings;
	// CommitLoss = β·mean((z − stop_gradient(q))²) keeps encodings near their codes.
	CodebookLoss, CommitLoss tf.Output
	// Perplexity is exp(entropy) of the batch's code histogram; Used counts the
	// distinct codes the batch selected.
	Perplexity, Used tf.Output
	// Flat are the encodings (normalised with Normalize) as [B·H·W, Dim],
	// for re-initialising dead codes.
	Flat tf.Output
}

// NewQuantizer creates the codebook under s.SubScope(name).
// Codes start uniform in ±1/Codes, as in the VQ-VAE paper's code.
func NewQuantizer(s *op.Scope, vs *tfmodel.Store, name string, codes, dim int64, beta float64, normalize bool) *Quantizer {
	q := &Quantizer{Codes: codes, Dim: dim, Beta: beta, Normalize: normalize, dtype: vs.DType()}
	if codes < 2 || dim < 1 {
		s.UpdateErr("Quantizer", fmt.Errorf("quantizer %q: need ≥2 codes and dim ≥1, got %d, %d", name, codes, dim))
		return q
	}
	sub := s.SubScope(name)
	init := tfmodel.Uniform(-1/float64(codes), 1/float64(codes))
	if normalize {
		init = tfmodel.Normal(1) // directions uniform on the sphere
	}
	q.Codebook = vs.Variable(sub, "codebook", []int64{codes, dim}, init)
	return q
}

// codes returns the codebook as used for search and lookup.
func (q *Quantizer) codes(s *op.Scope) tf.Output {
	if !q.Normalize {
		return q.Codebook.Value
	}
	return l2Normalize(s.SubScope("codes_unit"), q.Codebook.Value)
}

// l2Normalize scales the last axis of x to unit length.
func l2Normalize(s *op.Scope, x tf.Output) tf.Output {
	ss := op.Sum(s.SubScope("ss"), op.Square(s.SubScope("sq"), x), op.Const(s.SubScope("axis"), []int32{-1}), op.SumKeepDims(true))
	eps := op.Cast(s.SubScope("eps"), op.Const(s.SubScope("eps_c"), 1e-12), x.DataType())
	return op.Mul(s.SubScope("scale"), x, op.Rsqrt(s.SubScope("rsqrt"), op.Maximum(s.SubScope("max"), ss, eps)))
}

func (q *Quantizer) scalar(s *op.Scope, v float64) tf.Output {
	return op.Cast(s, op.Const(s, v), q.dtype)
}

// Quantize maps z [B, H, W, Dim] to its nearest codes by squared distance.
func (q *Quantizer) Quantize(s *op.Scope, z tf.Output) Quantized {
	var out Quantized
	if s.Err() != nil {
		return out
	}
	shape := z.Shape()
	if n := shape.NumDimensions(); n != 4 {
		s.UpdateErr("Quantize", fmt.Errorf("quantizer input must be [B,H,W,C], got rank %d", n))
		return out
	}
	if c := shape.Size(3); c != q.Dim {
		s.UpdateErr("Quantize", fmt.Errorf("quantizer input has %d channels, codebook dim is %d", c, q.Dim))
		return out
	}
	s = s.SubScope("quantize")
	e := q.codes(s)
	if q.Normalize {
		z = l2Normalize(s.SubScope("z_unit"), z)
	}
	zShape := op.Shape(s.SubScope("zshape"), z, op.ShapeOutType(tf.Int32))
	flat := op.Reshape(s.SubScope("flat"), z, op.Const(s.SubScope("flat_shape"), []int32{-1, int32(q.Dim)}))
	one := op.Const(s.SubScope("axis1"), []int32{1})
	zz := op.Sum(s.SubScope("zz"), op.Square(s.SubScope("zsq"), flat), one, op.SumKeepDims(true)) // [N,1]
	ee := op.Sum(s.SubScope("ee"), op.Square(s.SubScope("esq"), e), one)                          // [K]
	ze := op.MatMul(s.SubScope("ze"), flat, e, op.MatMulTransposeB(true))                         // [N,K]
	dist := op.Add(s.SubScope("dist"), op.Sub(s.SubScope("d0"), zz, op.Mul(s.SubScope("d1"), q.scalar(s.SubScope("two"), 2), ze)), ee)
	ids := op.ArgMin(s.SubScope("argmin"), dist, op.Const(s.SubScope("axis"), int32(1)), op.ArgMinOutputType(tf.Int32))
	qflat := op.GatherV2(s.SubScope("gather"), e, ids, op.Const(s.SubScope("gaxis"), int32(0)))
	qz := op.Reshape(s.SubScope("q"), qflat, zShape)

	sgZ := op.StopGradient(s.SubScope("sg_z"), z)
	sgQ := op.StopGradient(s.SubScope("sg_q"), qz)
	all := op.Const(s.SubScope("all_axes"), []int32{0, 1, 2, 3})
	out.CodebookLoss = op.Mean(s.SubScope("codebook_loss"), op.Square(s.SubScope("cb_sq"), op.Sub(s.SubScope("cb_diff"), sgZ, qz)), all)
	commit := op.Mean(s.SubScope("commit_mean"), op.Square(s.SubScope("cm_sq"), op.Sub(s.SubScope("cm_diff"), z, sgQ)), all)
	out.CommitLoss = op.Mul(s.SubScope("commit_loss"), commit, q.scalar(s.SubScope("beta"), q.Beta))
	out.ST = op.Add(s.SubScope("st"), z, op.StopGradient(s.SubScope("sg_delta"), op.Sub(s.SubScope("delta"), qz, z)))
	out.IDs = op.Reshape(s.SubScope("ids"), ids, op.Slice(s.SubScope("ids_shape"), zShape, op.Const(s.SubScope("b0"), []int32{0}), op.Const(s.SubScope("b3"), []int32{3})))
	out.Flat = flat

	out.Perplexity, out.Used = codeStats(s, ids, q.Codes)
	return out
}

// codeStats returns the perplexity (exp(entropy) of the code histogram) of
// ids (int32, any shape, values in [0, codes)) and the number of distinct
// codes among them.
func codeStats(s *op.Scope, ids tf.Output, codes int64) (perplexity, used tf.Output) {
	counts := op.UnsortedSegmentSum(s.SubScope("hist"), op.OnesLike(s.SubScope("ones"), op.Cast(s.SubScope("idsf"), ids, tf.Float)), ids, op.Const(s.SubScope("k"), int32(codes)))
	total := op.Sum(s.SubScope("total"), counts, op.Const(s.SubScope("axis0"), []int32{0}))
	p := op.Div(s.SubScope("p"), counts, total)
	tiny := op.Const(s.SubScope("tiny"), float32(1e-10))
	ent := op.Neg(s.SubScope("neg"), op.Sum(s.SubScope("ent"), op.Mul(s.SubScope("plogp"), p, op.Log(s.SubScope("logp"), op.Add(s.SubScope("pt"), p, tiny))), op.Const(s.SubScope("axis0b"), []int32{0})))
	perplexity = op.Exp(s.SubScope("perplexity"), ent)
	mask := op.Greater(s.SubScope("used_mask"), counts, op.Const(s.SubScope("zero"), float32(0)))
	used = op.Sum(s.SubScope("used"), op.Cast(s.SubScope("usedf"), mask, tf.Float), op.Const(s.SubScope("axis0c"), []int32{0}))
	return perplexity, used
}

// Lookup maps token ids int32 [B, H, W] to code vectors [B, H, W, Dim].
func (q *Quantizer) Lookup(s *op.Scope, ids tf.Output) tf.Output {
	if s.Err() != nil {
		return tf.Output{}
	}
	s = s.SubScope("lookup")
	return op.GatherV2(s, q.codes(s), ids, op.Const(s.SubScope("axis"), int32(0)))
}

// Reinit is an op that overwrites chosen codes, fed from Go: Indices int32
// [M] and Values [M, Dim]. Training re-initialises dead codes with encodings
// drawn (with a seeded *rand.Rand) from recent batches.
type Reinit struct {
	Indices, Values tf.Output
	Op              *tf.Operation
}

// ReinitOp adds the code re-initialisation op.
func (q *Quantizer) ReinitOp(s *op.Scope) Reinit {
	if s.Err() != nil {
		return Reinit{}
	}
	s = s.SubScope("reinit")
	r := Reinit{
		Indices: op.Placeholder(s.SubScope("indices"), tf.Int32, op.PlaceholderShape(tf.MakeShape(-1))),
		Values:  op.Placeholder(s.SubScope("values"), q.dtype, op.PlaceholderShape(tf.MakeShape(-1, q.Dim))),
	}
	r.Op = op.ResourceScatterUpdate(s, q.Codebook.Handle, r.Indices, r.Values)
	return r
}
