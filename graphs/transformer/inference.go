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
	// Argmax int32 [B, N] is the most likely code of every masked position
	// (the lowest id on ties) and ArgmaxLogP float64 [B, N] its
	// log-probability; both hold 0 at the positions not masked, which are
	// not computed.
	Argmax, ArgmaxLogP tf.Output
	// Uniform float64 [B, N] in [0, 1), fed from Go (each image's own
	// random stream), drives Sample int32 [B, N]: the first code whose
	// cumulative probability exceeds Uniform (inverse CDF, codes in id
	// order) at masked positions, 0 elsewhere. SampleLogP float64 [B, N] is
	// its log-probability. A sample
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
	m := newModel(s, vs, cfg)
	none, last := tf.Output{}, cfg.Layers-1
	below := m.blockRange(m.embed(g.Tokens, none, none), 0, last, none, none, false) // every block but the last
	g.Logits = m.fullLogits(m.blockRange(below, last, cfg.Layers, none, none, false))
	g.Uniform = op.Placeholder(s.SubScope("uniform"), tf.Double, op.PlaceholderShape(tf.MakeShape(-1, cfg.Positions)))
	if s.Err() == nil {
		// The choices come from their own path, which runs the last block
		// and the head on the masked positions only (maskedRowLogits).
		logits, rows := m.maskedRowLogits(below, g.Tokens, cfg.MaskID())
		c := rowsChoices(s.SubScope("choose"), g.Tokens, rows, logits, g.Uniform, cfg.Codes)
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

// AddChoices adds to g's graph, through s (a scope on that graph, e.g.
// op.NewScopeWithGraph), the Uniform placeholder and the Argmax,
// ArgmaxLogP, Sample and SampleLogP outputs of g.Tokens and g.Logits, as
// BuildInference builds them. It lets a graph loaded from elsewhere (a
// SavedModel with only a logits signature) serve the inpainting loop.
func AddChoices(s *op.Scope, g *InferenceGraph) error {
	if g == nil || g.Tokens.Op == nil || g.Logits.Op == nil {
		return fmt.Errorf("transformer: AddChoices needs the tokens and logits of a graph")
	}
	if err := g.Cfg.Validate(); err != nil {
		return err
	}
	uniform := op.Placeholder(s.SubScope("uniform"), tf.Double, op.PlaceholderShape(tf.MakeShape(-1, g.Cfg.Positions)))
	if s.Err() != nil {
		return s.Err()
	}
	c := buildChoices(s.SubScope("choose"), g.Tokens, g.Logits, uniform, g.Cfg.MaskID(), g.Cfg.Codes)
	if err := s.Err(); err != nil {
		return fmt.Errorf("transformer: AddChoices: %w", err)
	}
	g.Uniform = uniform
	g.Argmax, g.ArgmaxLogP, g.Sample, g.SampleLogP = c.argmax, c.argmaxLogP, c.sample, c.sampleLogP
	return nil
}

type choices struct {
	argmax, argmaxLogP, sample, sampleLogP tf.Output
}

// buildChoices computes, for the masked positions of tokens [B, N] (id
// maskID), the argmax and the inverse-CDF sample of their rows of logits
// [B, N, K] (float32) with uniform [B, N] (float64), and returns them as
// [B, N] tensors holding 0 at the other positions. It mirrors inpaint's Go
// choose: float64 arithmetic on the float32 logits, the first maximum on
// ties, and for a sample the first class k whose running sum
// Σ_{j≤k} exp(l_j − m) exceeds u·S (at most the last class with a non-zero
// term). Only masked rows are computed: fewer at every step.
func buildChoices(s *op.Scope, tokens, logits, uniform tf.Output, maskID int32, k int64) choices {
	flatTok := op.Reshape(s.SubScope("flat_tokens"), tokens, op.Const(s.SubScope("minus1"), []int64{-1}))
	rows := op.Where(s.SubScope("masked"), op.Equal(s.SubScope("is_mask"), flatTok, op.Const(s.SubScope("mask_id"), maskID))) // [M, 1] int64
	rowLogits := op.GatherNd(s.SubScope("rows"), op.Reshape(s.SubScope("flat_logits"), logits, op.Const(s.SubScope("flat_shape"), []int64{-1, k})), rows)
	return rowsChoices(s, tokens, rows, rowLogits, uniform, k)
}

// rowsChoices is buildChoices from the logits of the rows [M, 1] (flat
// int64 indices into tokens [B, N]) already selected: rowLogits [M′, K]
// holds them in its first M rows, and M′ ≥ M rows in all (the rows past M,
// padding, are dropped).
//
// The float64 arithmetic runs on the rows padded to a multiple of rowBlock
// (zero logits), so that no row of Exp's or Log's input ever falls in
// Eigen's scalar tail, which rounds differently from its vector code
// (1-ulp differences): a row gives the same bits whatever the batch.
func rowsChoices(s *op.Scope, tokens, rows, rowLogits, uniform tf.Output, k int64) choices {
	shape := op.Shape(s.SubScope("shape"), tokens, op.ShapeOutType(tf.Int64)) // [B, N]
	rowU := op.GatherNd(s.SubScope("rows_u"), op.Reshape(s.SubScope("flat_u"), uniform, op.Const(s.SubScope("minus1_u"), []int64{-1})), rows)
	ps := s.SubScope("pad")
	m := op.Size(ps.SubScope("m"), rows, op.SizeOutType(tf.Int32)) // M (rows is [M, 1]); the argmax needs no uniforms fed
	padded := roundUp(ps.SubScope("round"), m)                     // M rounded up
	zero := op.Const(ps.SubScope("zero"), int32(0))
	padTo := func(name string, x tf.Output, rank int) tf.Output { // x [R, …], R ≤ padded, to [padded, …]
		xs := ps.SubScope(name)
		have := op.Squeeze(xs.SubScope("have"), op.Slice(xs.SubScope("rows"), op.Shape(xs.SubScope("shape"), x, op.ShapeOutType(tf.Int32)),
			op.Const(xs.SubScope("b"), []int32{0}), op.Const(xs.SubScope("n"), []int32{1})))
		pads := []tf.Output{op.Pack(xs.SubScope("first"), []tf.Output{zero, op.Sub(xs.SubScope("extra"), padded, have)})}
		for len(pads) < rank {
			pads = append(pads, op.Const(xs.SubScope(fmt.Sprintf("axis%d", len(pads))), []int32{0, 0}))
		}
		return op.Pad(xs, x, op.Pack(xs.SubScope("matrix"), pads))
	}
	c := rowChoices(s, padTo("logits", rowLogits, 2), padTo("uniform", rowU, 1), k)
	keep := func(name string, v tf.Output) tf.Output { // the first M rows
		ks := ps.SubScope("keep_" + name)
		return op.Slice(ks, v, op.Const(ks.SubScope("begin"), []int32{0}), op.ExpandDims(ks.SubScope("size"), m, zero))
	}
	c = choices{argmax: keep("argmax", c.argmax), argmaxLogP: keep("argmax_logp", c.argmaxLogP),
		sample: keep("sample", c.sample), sampleLogP: keep("sample_logp", c.sampleLogP)}
	nflat := op.Prod(s.SubScope("cells"), shape, op.Const(s.SubScope("axis0"), int32(0)), op.ProdKeepDims(true))
	scatter := func(name string, v tf.Output) tf.Output {
		ss := s.SubScope(name)
		return op.Reshape(ss, op.ScatterNd(ss.SubScope("scatter"), rows, v, nflat), shape)
	}
	return choices{
		argmax: scatter("argmax_out", c.argmax), argmaxLogP: scatter("argmax_logp_out", c.argmaxLogP),
		sample: scatter("sample_out", c.sample), sampleLogP: scatter("sample_logp_out", c.sampleLogP),
	}
}

// rowChoices is buildChoices on rows of logits [M, K] and uniforms [M].
func rowChoices(s *op.Scope, logits, uniform tf.Output, k int64) choices {
	axis := op.Const(s.SubScope("axis"), int32(1))
	m32 := op.Max(s.SubScope("max"), logits, axis, op.MaxKeepDims(true)) // [M, 1]
	// First maximum: min over k of k + K·[l_k ≠ m].
	iota := op.Range(s.SubScope("iota"), op.Const(s.SubScope("zero"), int32(0)), op.Const(s.SubScope("k"), int32(k)), op.Const(s.SubScope("one"), int32(1)))
	notMax := op.Cast(s.SubScope("not_max"), op.NotEqual(s.SubScope("ne"), logits, m32), tf.Int32)
	keyed := op.Add(s.SubScope("keyed"), op.Mul(s.SubScope("penalty"), notMax, op.Const(s.SubScope("kk"), int32(k))), iota)
	argmax := op.Min(s.SubScope("argmax"), keyed, axis)

	l64 := op.Cast(s.SubScope("l64"), logits, tf.Double)
	m64 := op.Cast(s.SubScope("m64"), m32, tf.Double)
	e := op.Exp(s.SubScope("exp"), op.Sub(s.SubScope("shift"), l64, m64)) // [M, K]
	mSq := op.Squeeze(s.SubScope("m_sq"), m64, op.SqueezeAxis([]int64{1}))
	logZ := func(ss *op.Scope, sum tf.Output) tf.Output {
		return op.Add(ss.SubScope("log_z"), mSq, op.Log(ss.SubScope("log_s"), sum))
	}

	as := s.SubScope("argmax_logp")
	argmaxLogP := op.Sub(as, mSq, logZ(as, op.Sum(as.SubScope("sum"), e, axis)))

	ss := s.SubScope("sample")
	cdf := op.Cumsum(ss.SubScope("cdf"), e, axis)                          // [M, K]
	total := op.Max(ss.SubScope("total"), cdf, axis, op.MaxKeepDims(true)) // [M, 1]
	target := op.Mul(ss.SubScope("target"), op.ExpandDims(ss.SubScope("u"), uniform, axis), total)
	count := func(name string, b tf.Output) tf.Output {
		return op.Sum(ss.SubScope(name), op.Cast(ss.SubScope(name+"_i"), b, tf.Int32), axis)
	}
	first := count("first", op.LessEqual(ss.SubScope("le"), cdf, target)) // first k with cdf > u·S
	last := count("last", op.Less(ss.SubScope("lt"), cdf, total))         // last k with a non-zero term
	sample := op.Minimum(ss.SubScope("pick"), first, last)                // [M]
	// log p of the sample: l64[row, sample].
	rows := op.Range(ss.SubScope("row_iota"), op.Const(ss.SubScope("r0"), int32(0)), op.Size(ss.SubScope("m"), sample, op.SizeOutType(tf.Int32)), op.Const(ss.SubScope("r1"), int32(1)))
	idx := op.Pack(ss.SubScope("idx"), []tf.Output{rows, sample}, op.PackAxis(1))
	picked := op.GatherNd(ss.SubScope("picked"), l64, idx)
	totalSq := op.Squeeze(ss.SubScope("total_sq"), total, op.SqueezeAxis([]int64{1}))
	sampleLogP := op.Sub(ss.SubScope("logp"), picked, logZ(ss, totalSq))
	return choices{argmax: argmax, argmaxLogP: argmaxLogP, sample: sample, sampleLogP: sampleLogP}
}
