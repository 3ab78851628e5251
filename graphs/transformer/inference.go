package transformer

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/tfmodel"
)

// InferenceGraph computes logits for token grids, without dropout, with the
// variables of a training checkpoint (restored by Saver), and the
// per-position choices MaskGIT decoding needs, so a decoding step copies
// [B, N] values out of TensorFlow instead of [B, N, K] logits.
//
// The choices are made over the first K logits of every position (the
// codebook; [MASK] is never chosen), in float64 from the float32 logits, as
// inpaint's Go loop does: with m the largest logit and
// S = Σₖ exp(lₖ − m), log p(k) = lₖ − (m + log S).
type InferenceGraph struct {
	Graph *tf.Graph
	Cfg   Config
	// Tokens int32 [B, N] (MaskID where unknown) → Logits float32 [B, N, K].
	Tokens, Logits tf.Output
	// Argmax int32 [B, N] is the most likely code of every position (the
	// lowest id on ties) and ArgmaxLogP float64 [B, N] its log-probability.
	Argmax, ArgmaxLogP tf.Output
	// Uniform float64 [B, N] in [0, 1), fed from Go (each image's own
	// random stream), drives Sample int32 [B, N]: the first code whose
	// cumulative probability exceeds Uniform (inverse CDF, codes in id
	// order). SampleLogP float64 [B, N] is its log-probability. A sample
	// depends only on its own position's logits and uniform, never on the
	// rest of the batch.
	Uniform, Sample, SampleLogP tf.Output
	Saver                       *tfmodel.Saver
	Init                        *tf.Operation
}

// BuildInference builds the logits graph.
func BuildInference(cfg Config, device string) (*InferenceGraph, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	root := op.NewScope()
	s := root.WithDevice(device)
	vs := tfmodel.NewStore(0, tf.Float)
	g := &InferenceGraph{Cfg: cfg}
	g.Tokens = op.Placeholder(s.SubScope("tokens"), tf.Int32, op.PlaceholderShape(tf.MakeShape(-1, cfg.Positions)))
	g.Logits = Logits(s, vs, cfg, g.Tokens, tf.Output{}, tf.Output{})
	g.Uniform = op.Placeholder(s.SubScope("uniform"), tf.Double, op.PlaceholderShape(tf.MakeShape(-1, cfg.Positions)))
	if s.Err() == nil {
		c := buildChoices(s.SubScope("choose"), g.Logits, g.Uniform, cfg.Codes)
		g.Argmax, g.ArgmaxLogP, g.Sample, g.SampleLogP = c.argmax, c.argmaxLogP, c.sample, c.sampleLogP
	}
	g.Init = vs.InitOp(root.SubScope("init"))
	g.Saver = tfmodel.NewSaver(root, vs.All())
	graph, err := root.Finalize()
	if err != nil {
		return nil, fmt.Errorf("transformer inference graph: %w", err)
	}
	g.Graph = graph
	return g, nil
}

type choices struct {
	argmax, argmaxLogP, sample, sampleLogP tf.Output
}

// buildChoices computes the argmax and the inverse-CDF sample of every row
// of logits [B, N, K] (float32) with uniform [B, N] (float64), mirroring
// inpaint's Go choose: float64 arithmetic on the float32 logits, the first
// maximum on ties, and for a sample the first class k whose running sum
// Σ_{j≤k} exp(l_j − m) exceeds u·S (at most the last class with a non-zero
// term).
func buildChoices(s *op.Scope, logits, uniform tf.Output, k int64) choices {
	axis := op.Const(s.SubScope("axis"), int32(2))
	m32 := op.Max(s.SubScope("max"), logits, axis, op.MaxKeepDims(true)) // [B, N, 1]
	// First maximum: min over k of k + K·[l_k ≠ m].
	iota := op.Range(s.SubScope("iota"), op.Const(s.SubScope("zero"), int32(0)), op.Const(s.SubScope("k"), int32(k)), op.Const(s.SubScope("one"), int32(1)))
	notMax := op.Cast(s.SubScope("not_max"), op.NotEqual(s.SubScope("ne"), logits, m32), tf.Int32)
	keyed := op.Add(s.SubScope("keyed"), op.Mul(s.SubScope("penalty"), notMax, op.Const(s.SubScope("kk"), int32(k))), iota)
	argmax := op.Min(s.SubScope("argmax"), keyed, axis)

	l64 := op.Cast(s.SubScope("l64"), logits, tf.Double)
	m64 := op.Cast(s.SubScope("m64"), m32, tf.Double)
	e := op.Exp(s.SubScope("exp"), op.Sub(s.SubScope("shift"), l64, m64)) // [B, N, K]
	mSq := op.Squeeze(s.SubScope("m_sq"), m64, op.SqueezeAxis([]int64{2}))
	logZ := func(ss *op.Scope, sum tf.Output) tf.Output {
		return op.Add(ss.SubScope("log_z"), mSq, op.Log(ss.SubScope("log_s"), sum))
	}

	as := s.SubScope("argmax_logp")
	argmaxLogP := op.Sub(as, mSq, logZ(as, op.Sum(as.SubScope("sum"), e, axis)))

	ss := s.SubScope("sample")
	cdf := op.Cumsum(ss.SubScope("cdf"), e, axis)                          // [B, N, K]
	total := op.Max(ss.SubScope("total"), cdf, axis, op.MaxKeepDims(true)) // [B, N, 1]
	target := op.Mul(ss.SubScope("target"), op.ExpandDims(ss.SubScope("u"), uniform, axis), total)
	count := func(name string, b tf.Output) tf.Output {
		return op.Sum(ss.SubScope(name), op.Cast(ss.SubScope(name+"_i"), b, tf.Int32), axis)
	}
	first := count("first", op.LessEqual(ss.SubScope("le"), cdf, target)) // first k with cdf > u·S
	last := count("last", op.Less(ss.SubScope("lt"), cdf, total))         // last k with a non-zero term
	sample := op.Minimum(ss.SubScope("pick"), first, last)                // [B, N]
	// log p of the sample: gather l64 at row·K + sample.
	flat := op.Reshape(ss.SubScope("flat"), l64, op.Const(ss.SubScope("flat_shape"), []int64{-1}))
	rows := op.Shape(ss.SubScope("rows_shape"), sample, op.ShapeOutType(tf.Int32))
	nrows := op.Prod(ss.SubScope("nrows"), rows, op.Const(ss.SubScope("axis0"), int32(0)))
	row := op.Reshape(ss.SubScope("row"), op.Range(ss.SubScope("row_iota"), op.Const(ss.SubScope("r0"), int32(0)), nrows, op.Const(ss.SubScope("r1"), int32(1))), rows)
	idx := op.Add(ss.SubScope("idx"), op.Mul(ss.SubScope("row_k"), row, op.Const(ss.SubScope("kk"), int32(k))), sample)
	picked := op.GatherV2(ss.SubScope("picked"), flat, idx, op.Const(ss.SubScope("gaxis"), int32(0)))
	totalSq := op.Squeeze(ss.SubScope("total_sq"), total, op.SqueezeAxis([]int64{2}))
	sampleLogP := op.Sub(ss.SubScope("logp"), picked, logZ(ss, totalSq))
	return choices{argmax: argmax, argmaxLogP: argmaxLogP, sample: sample, sampleLogP: sampleLogP}
}
