package transformer

import (
	"fmt"
	"math"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/maskgit-go/maskgit/ops"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// Config sizes the transformer.
type Config struct {
	// Codes is the codebook size K; id K is [MASK].
	Codes int64 `json:"codes"`
	// Positions is the number of tokens per image (16x16 = 256).
	Positions int64 `json:"positions"`
	Dim       int64 `json:"dim"`
	Layers    int   `json:"layers"`
	Heads     int64 `json:"heads"`
	MLPDim    int64 `json:"mlp_dim"`
	// Dropout is the training dropout rate (attention, residuals, embeddings).
	Dropout float64 `json:"dropout"`
}

// MaskID is the [MASK] token id.
func (c Config) MaskID() int32 { return int32(c.Codes) }

// Validate reports a config that cannot be built.
func (c Config) Validate() error {
	switch {
	case c.Codes < 2:
		return fmt.Errorf("transformer: codes = %d, want ≥ 2", c.Codes)
	case c.Positions < 1:
		return fmt.Errorf("transformer: positions = %d, want ≥ 1", c.Positions)
	case c.Dim < 1 || c.Layers < 1 || c.Heads < 1 || c.MLPDim < 1:
		return fmt.Errorf("transformer: dim %d, layers %d, heads %d, mlp %d must be positive", c.Dim, c.Layers, c.Heads, c.MLPDim)
	case c.Dim%c.Heads != 0:
		return fmt.Errorf("transformer: dim %d is not a multiple of heads %d", c.Dim, c.Heads)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("transformer: dropout %v must be in [0, 1)", c.Dropout)
	}
	return nil
}

const lnEps = 1e-12

// Logits builds the network on ids int32 [B, Positions] and returns logits
// [B, Positions, Codes]. rate (a float scalar, 0 for inference) and seed
// (int64[2]) drive dropout; pass tf.Output{} for both to build without it.
// It creates the variables (under "transformer/"): call it once per graph.
func Logits(s *op.Scope, vs *tfmodel.Store, cfg Config, ids, rate, seed tf.Output) tf.Output {
	if err := cfg.Validate(); err != nil {
		s.UpdateErr("transformer.Logits", err)
		return tf.Output{}
	}
	m := newModel(s, vs, cfg)
	return m.fullLogits(m.trunk(ids, rate, seed, false))
}

// The variables keep the names the ops package gives them (ops.Embedding,
// ops.LayerNorm, ops.Dense, ops.TransformerBlock): they are the checkpoint
// contract. The forward pass is written out here instead, on 2-D [B·N, D]
// activations, with the attention's Q, K and V from one matmul.

type denseVars struct{ kernel, bias *tfmodel.Variable }

type normVars struct{ gamma, beta *tfmodel.Variable }

type blockVars struct {
	s                      *op.Scope // "transformer/block<i>"
	query, key, value, out denseVars
	ln1, ln2               normVars
	fc1, fc2               denseVars
}

// model is the transformer's variables, created once; trunk and the heads
// can then be built several times on them (training with dropout,
// validation without).
type model struct {
	cfg            Config
	s, hs          *op.Scope // "transformer", "transformer/head"
	tokEmb, posEmb *tfmodel.Variable
	lnEmb          normVars
	blocks         []blockVars
	headDense      denseVars
	headLN         normVars
	headBias       *tfmodel.Variable
	// codes is the first K rows of the token embedding (the tied
	// projection: [MASK] is never predicted); built once.
	codes tf.Output
	// batchMatMul builds the attention's products with BatchMatMulV2
	// instead of Einsum (benchmark baseline).
	batchMatMul bool
	// opsDropout drops attention probabilities with ops.Dropout (its scale
	// on the [B, H, N, N] tensor; benchmark baseline).
	opsDropout bool
}

// newModel creates the variables under s.SubScope("transformer").
func newModel(root *op.Scope, vs *tfmodel.Store, cfg Config) *model {
	s := root.SubScope("transformer")
	m := &model{cfg: cfg, s: s}
	d := cfg.Dim
	dense := func(ps *op.Scope, name string, in, out int64) denseVars {
		ls := ps.SubScope(name)
		return denseVars{
			kernel: vs.Variable(ls, "kernel", []int64{in, out}, tfmodel.GlorotUniform()),
			bias:   vs.Variable(ls, "bias", []int64{out}, tfmodel.Zeros()),
		}
	}
	norm := func(ps *op.Scope, name string) normVars {
		ls := ps.SubScope(name)
		return normVars{
			gamma: vs.Variable(ls, "gamma", []int64{d}, tfmodel.Ones()),
			beta:  vs.Variable(ls, "beta", []int64{d}, tfmodel.Zeros()),
		}
	}
	m.tokEmb = vs.Variable(s.SubScope("tok_emb"), "embeddings", []int64{cfg.Codes + 1, d}, tfmodel.TruncatedNormal(0.02))
	m.posEmb = vs.Variable(s.SubScope("pos_emb"), "embeddings", []int64{cfg.Positions, d}, tfmodel.TruncatedNormal(0.02))
	m.lnEmb = norm(s, "ln_emb")
	for i := 0; i < cfg.Layers; i++ {
		bs := s.SubScope(fmt.Sprintf("block%d", i))
		as := bs.SubScope("attn")
		b := blockVars{s: bs}
		b.query, b.key, b.value, b.out = dense(as, "query", d, d), dense(as, "key", d, d), dense(as, "value", d, d), dense(as, "out", d, d)
		b.ln1, b.ln2 = norm(bs, "ln1"), norm(bs, "ln2")
		ms := bs.SubScope("mlp")
		b.fc1, b.fc2 = dense(ms, "fc1", d, cfg.MLPDim), dense(ms, "fc2", cfg.MLPDim, d)
		m.blocks = append(m.blocks, b)
	}
	m.hs = s.SubScope("head")
	m.headDense = dense(m.hs, "dense", d, d)
	m.headLN = norm(m.hs, "ln")
	m.headBias = vs.Variable(m.hs, "bias", []int64{cfg.Positions, cfg.Codes}, tfmodel.Zeros())
	if s.Err() != nil {
		return m
	}
	// (int32 bounds: the C++ Slice gradient subtracts them from an int32 shape.)
	cs := m.hs.SubScope("codes")
	m.codes = op.Slice(cs, m.tokEmb.Value, op.Const(cs.SubScope("begin"), []int32{0, 0}), op.Const(cs.SubScope("size"), []int32{int32(cfg.Codes), int32(d)}))
	return m
}

func fscalar(s *op.Scope, v float64) tf.Output { return op.Const(s, float32(v)) }

func (m *model) dense(s *op.Scope, x tf.Output, w denseVars) tf.Output {
	return op.BiasAdd(s, op.MatMul(s, x, w.kernel.Value), w.bias.Value)
}

// layerNorm is ops.LayerNorm's arithmetic on 2-D x: (x − mean)/√(var + eps)·γ + β.
func (m *model) layerNorm(s *op.Scope, x tf.Output, w normVars) tf.Output {
	ax := op.Const(s.SubScope("axes"), []int32{1})
	mean := op.Mean(s.SubScope("mean"), x, ax, op.MeanKeepDims(true))
	d := op.Sub(s, x, mean)
	variance := op.Mean(s.SubScope("variance"), op.Square(s, d), ax, op.MeanKeepDims(true))
	inv := op.Rsqrt(s, op.Add(s, variance, fscalar(s.SubScope("eps"), lnEps)))
	n := op.Mul(s, d, inv)
	return op.Add(s.SubScope("affine"), op.Mul(s.SubScope("scale"), n, w.gamma.Value), w.beta.Value)
}

// trunk returns the last block's output, [B·N, D]. A nil rate builds it
// without dropout. grads marks the pass that will be differentiated (see
// attention).
func (m *model) trunk(ids, rate, seed tf.Output, grads bool) tf.Output {
	return m.blockRange(m.embed(ids, rate, seed), 0, len(m.blocks), rate, seed, grads)
}

// dropper returns dropout at rate with seed, or the identity when rate is
// nil.
func dropper(rate, seed tf.Output) func(*op.Scope, tf.Output) tf.Output {
	return func(ds *op.Scope, x tf.Output) tf.Output {
		if rate.Op == nil || ds.Err() != nil {
			return x
		}
		return ops.Dropout(ds, x, rate, seed)
	}
}

// embed is the token and position embedding of ids [B, N] with its
// LayerNorm (and dropout): [B·N, D].
func (m *model) embed(ids, rate, seed tf.Output) tf.Output {
	s := m.s
	if s.Err() != nil {
		return tf.Output{}
	}
	es := s.SubScope("embed")
	h := op.GatherV2(es.SubScope("tok"), m.tokEmb.Value, ids, op.Const(es.SubScope("axis"), int32(0)))
	h = op.Add(es.SubScope("add_pos"), h, m.posEmb.Value)
	h = op.Reshape(es.SubScope("flat"), h, op.Const(es.SubScope("flat_shape"), []int64{-1, m.cfg.Dim}))
	h = m.layerNorm(es.SubScope("ln_emb"), h, m.lnEmb)
	return dropper(rate, seed)(es, h)
}

// blockRange runs blocks from, from+1, …, to−1 on h [B·N, D].
func (m *model) blockRange(h tf.Output, from, to int, rate, seed tf.Output, grads bool) tf.Output {
	if m.s.Err() != nil {
		return tf.Output{}
	}
	drop := dropper(rate, seed)
	for i := from; i < to; i++ {
		b := &m.blocks[i]
		fs := b.s.SubScope("fwd")
		a := drop(fs.SubScope("attn_drop"), m.attention(fs.SubScope("attn"), h, b, rate, seed, grads))
		h = m.blockTail(fs, h, a, b, drop)
	}
	return h
}

// blockTail is a block after its attention: h + a, LayerNorm, the MLP with
// its residual, LayerNorm, on rows [R, D]. drop applies dropout (identity
// without it).
func (m *model) blockTail(fs *op.Scope, h, a tf.Output, b *blockVars, drop func(*op.Scope, tf.Output) tf.Output) tf.Output {
	h = m.layerNorm(fs.SubScope("ln1"), op.Add(fs.SubScope("residual1"), h, a), b.ln1)
	ms := fs.SubScope("mlp")
	x := ops.GELU(ms, m.dense(ms.SubScope("fc1"), h, b.fc1))
	x = drop(fs.SubScope("mlp_drop"), m.dense(ms.SubScope("fc2"), x, b.fc2))
	return m.layerNorm(fs.SubScope("ln2"), op.Add(fs.SubScope("residual2"), h, x), b.ln2)
}

// attention is ops.MultiHeadSelfAttention on x [B·N, D]: one matmul with
// the query, key and value kernels concatenated (the query's scaled by
// 1/√Dh, so the [B, H, N, N] scores need no scaling), one transpose to
// [3, B, H, N, Dh], softmax(Q·Kᵀ)·V, one transpose back, the output
// projection.
func (m *model) attention(s *op.Scope, x tf.Output, b *blockVars, rate, seed tf.Output, grads bool) tf.Output {
	cfg := m.cfg
	d, n, heads := cfg.Dim, cfg.Positions, cfg.Heads
	dh := d / heads
	qkv := m.fusedDense(s, "qkv", x, true, b.query, b.key, b.value) // [B·N, 3D]
	ps := s.SubScope("heads")
	qkv = op.Reshape(ps, qkv, op.Const(ps.SubScope("shape"), []int64{-1, n, 3, heads, dh}))
	qkv = op.Transpose(ps, qkv, op.Const(ps.SubScope("perm"), []int32{2, 0, 3, 1, 4})) // [3, B, H, N, Dh]
	parts := op.Unpack(ps, qkv, 3)
	q, k, v := parts[0], parts[1], parts[2]

	ss := s.SubScope("scores")
	// In the pass that is differentiated, Einsum, not BatchMatMulV2:
	// TensorFlow's C++ gradient of BatchMatMul is BatchMatMulV3, which
	// oneDNN does not take (Eigen's kernel ran the attention's backward at
	// 2.7x the per-op time of oneDNN's forward); Einsum's gradient is Einsum,
	// and oneDNN runs both (_MklEinsum). Forward-only passes (inference,
	// validation) keep BatchMatMulV2, oneDNN's fastest forward.
	einsum := grads && !m.batchMatMul
	var logits tf.Output
	if !einsum {
		logits = op.BatchMatMulV2(ss, q, k, op.BatchMatMulV2AdjY(true))
	} else {
		logits = op.Einsum(ss, []tf.Output{q, k}, "bhnd,bhmd->bhnm") // [B, H, N, N]
	}
	// The C++ Softmax gradient assumes 2-D logits.
	sm := s.SubScope("softmax")
	probs := op.Reshape(sm.SubScope("flatten"), logits, op.Const(sm.SubScope("flat_shape"), []int64{-1, n}))
	probs = op.Softmax(sm, probs)
	probs = op.Reshape(sm.SubScope("unflatten"), probs, op.Const(sm.SubScope("shape"), []int64{-1, heads, n, n}))
	if rate.Op != nil && m.opsDropout {
		probs = ops.Dropout(s, probs, rate, seed)
	} else if rate.Op != nil {
		// Dropout on the probabilities with its 1/(1 − rate) scale moved
		// onto V ([B, H, N, Dh], N/Dh times smaller): one pass over the
		// [B, H, N, N] tensor forward and one backward fewer than
		// ops.Dropout, same result up to rounding.
		var scale tf.Output
		probs, scale = m.dropMask(s.SubScope("dropout"), probs, rate, seed)
		v = op.Mul(s.SubScope("dropout_scale"), v, scale)
	}
	cs := s.SubScope("context")
	var ctx tf.Output
	if !einsum {
		ctx = op.BatchMatMulV2(cs, probs, v)
	} else {
		ctx = op.Einsum(cs, []tf.Output{probs, v}, "bhnm,bhmd->bhnd") // [B, H, N, Dh]
	}
	ctx = op.Transpose(cs, ctx, op.Const(cs.SubScope("perm"), []int32{0, 2, 1, 3}))
	ctx = op.Reshape(cs, ctx, op.Const(cs.SubScope("shape"), []int64{-1, d}))
	return m.dense(s.SubScope("out"), ctx, b.out)
}

// fusedDense is x·[W₁ W₂ …] + [b₁ b₂ …]: the dense layers ws on x as one
// matmul of their kernels concatenated along the output axis. With query
// set, ws[0] is the block's query: its kernel and bias are scaled by 1/√Dh
// first, so the attention scores need no scaling. The concatenations live in the scopes
// NAME_kernel and NAME_bias, the product in NAME. The variables (and so the
// checkpoint names) stay one per projection.
func (m *model) fusedDense(s *op.Scope, name string, x tf.Output, query bool, ws ...denseVars) tf.Output {
	kernels := make([]tf.Output, len(ws))
	biases := make([]tf.Output, len(ws))
	for i, w := range ws {
		kernels[i], biases[i] = w.kernel.Value, w.bias.Value
	}
	ks, bs := s.SubScope(name+"_kernel"), s.SubScope(name+"_bias")
	if query {
		scale := fscalar(s.SubScope("scale"), 1/math.Sqrt(float64(m.cfg.Dim/m.cfg.Heads)))
		kernels[0] = op.Mul(ks.SubScope("q"), kernels[0], scale)
		biases[0] = op.Mul(bs.SubScope("q"), biases[0], scale)
	}
	kernel, bias := kernels[0], biases[0]
	if len(ws) > 1 {
		kernel = op.ConcatV2(ks, kernels, op.Const(ks.SubScope("axis"), int32(1)))
		bias = op.ConcatV2(bs, biases, op.Const(bs.SubScope("axis"), int32(0)))
	}
	ps := s.SubScope(name)
	return op.BiasAdd(ps, op.MatMul(ps, x, kernel), bias)
}

// dropMask returns x with each element zeroed with probability rate (a
// float32 scalar) and the scale 1/(1 − rate) (0 if rate is 1) the kept ones
// need, left to the caller. The mask is ops.DropMask's: seed (int64[2]) XOR
// a constant from this layer's op names, like ops.Dropout: independent
// streams per layer, the same mask for the same seed.
func (m *model) dropMask(s *op.Scope, x, rate, seed tf.Output) (dropped, scale tf.Output) {
	keep := ops.DropMask(s, x, rate, seed)
	one := fscalar(s.SubScope("one"), 1)
	return op.Mul(s.SubScope("mask"), x, keep), op.DivNoNan(s, one, op.Sub(s, one, rate))
}

// headHidden is the MLM head before the projection: dense, GELU, LayerNorm
// on rows [R, D].
func (m *model) headHidden(s *op.Scope, h tf.Output) tf.Output {
	h = m.dense(s.SubScope("dense"), h, m.headDense)
	h = ops.GELU(s, h)
	return m.layerNorm(s.SubScope("ln"), h, m.headLN)
}

// fullLogits maps the trunk's [B·N, D] to logits [B, N, K] (the inference
// path); the last op is named "transformer/head/add_bias/Add" when it is
// the first head built in the graph.
func (m *model) fullLogits(h tf.Output) tf.Output {
	hs, cfg := m.hs, m.cfg
	if hs.Err() != nil {
		return tf.Output{}
	}
	fs := hs.SubScope("fwd")
	h = m.headHidden(fs, h)
	logits := op.MatMul(fs.SubScope("logits"), h, m.codes, op.MatMulTransposeB(true))
	logits = op.Reshape(fs.SubScope("unflat"), logits, op.Const(fs.SubScope("unflat_shape"), []int64{-1, cfg.Positions, cfg.Codes}))
	return op.Add(hs.SubScope("add_bias"), logits, m.headBias.Value)
}

// rowLogits maps rows [M, D] of the trunk's output at flat positions pos
// (int64 [M], in [0, N)) to logits [M, K].
func (m *model) rowLogits(s *op.Scope, h, pos tf.Output) tf.Output {
	h = m.headHidden(s, h)
	logits := op.MatMul(s.SubScope("logits"), h, m.codes, op.MatMulTransposeB(true))
	bias := op.GatherV2(s.SubScope("bias_rows"), m.headBias.Value, pos, op.Const(s.SubScope("axis"), int32(0)))
	return op.Add(s.SubScope("add_bias"), logits, bias)
}
