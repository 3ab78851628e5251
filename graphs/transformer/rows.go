package transformer

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// maskedRowLogits is the inference path of the decoding loop: from h
// [B·N, D], the output of every block but the last, the logits of the M
// positions of ids [B, N] that hold maskID only, and their flat indices
// rows [M, 1] int64 into [B·N], in row-major order (the order of Where on
// the flat ids). The logits [M′, K] hold those rows first, then padding
// rows up to M′, M rounded up to a multiple of rowBlock.
//
// A decoding step needs nothing else, so the last block and the head run
// on as few rows as they can: the last block computes keys and values for
// all positions; queries and attention for [B, P] slots, P the most masked
// positions of any image in the batch rounded up (an image's masked
// positions first, ascending, then padding slots); the output projection,
// the MLP and the head for the M masked rows only. Every kept row has the
// full path's arithmetic (up to float rounding: the query has its own
// matmul); the work saved is the last block's and the head's share times
// the unmasked fraction.
func (m *model) maskedRowLogits(h, ids tf.Output, maskID int32) (logits, rows tf.Output) {
	s, cfg := m.s.SubScope("masked_rows"), m.cfg
	if s.Err() != nil {
		return tf.Output{}, tf.Output{}
	}
	n, d := cfg.Positions, cfg.Dim
	last := &m.blocks[len(m.blocks)-1]

	is := s.SubScope("select")
	isMask := op.Cast(is.SubScope("is_mask"), op.Equal(is, ids, op.Const(is.SubScope("mask_id"), maskID)), tf.Int32) // [B, N]
	count := op.Sum(is.SubScope("count"), isMask, op.Const(is.SubScope("axis1"), int32(1)))                          // [B]
	most := op.Max(is.SubScope("most"), count, op.Const(is.SubScope("axis0"), int32(0)))
	p := op.Minimum(is.SubScope("slots"), roundUp(is.SubScope("round"), most), op.Const(is.SubScope("n"), int32(n))) // P
	// TopK is stable (the lower index first among equals): masked
	// positions ascending, then unmasked ones as padding.
	_, slotPos := op.TopKV2(is.SubScope("order"), isMask, p) // [B, P] int32

	h3 := op.Reshape(s.SubScope("grid"), h, op.Const(s.SubScope("grid_shape"), []int64{-1, n, d}))
	hq := op.GatherV2(s.SubScope("queries"), h3, slotPos, op.Const(s.SubScope("axis1"), int32(1)), op.GatherV2BatchDims(1)) // [B, P, D]
	hq = op.Reshape(s.SubScope("flat_queries"), hq, op.Const(s.SubScope("flat_shape"), []int64{-1, d}))

	fs := last.s.SubScope("fwd_rows")
	ctx := m.attentionRows(fs.SubScope("attn"), h, hq, p, last) // [B·P, D], before the output projection

	// Keep the slots that hold masked positions: slot j of image b is one
	// when j < count[b]. Where on the flattened [B·P] mask lists them in
	// row-major order as indices b·P + j into the context rows.
	ks := s.SubScope("keep")
	slot := op.Range(ks.SubScope("slot"), op.Const(ks.SubScope("zero"), int32(0)), p, op.Const(ks.SubScope("one"), int32(1))) // [P]
	valid := op.Less(ks.SubScope("valid"), op.ExpandDims(ks.SubScope("slot_row"), slot, op.Const(ks.SubScope("ax0"), int32(0))),
		op.ExpandDims(ks.SubScope("count_col"), count, op.Const(ks.SubScope("ax1"), int32(1)))) // [B, P]
	flatShape := op.Const(ks.SubScope("flat"), []int64{-1})
	slotRow := op.Reshape(ks.SubScope("slot_row_index"), op.Where(ks, op.Reshape(ks.SubScope("valid_flat"), valid, flatShape)), flatShape) // [M] int64 into [B·P]
	pos := op.Cast(ks.SubScope("pos64"), op.GatherV2(ks.SubScope("pos"), op.Reshape(ks.SubScope("slots_flat"), slotPos, flatShape), slotRow,
		op.Const(ks.SubScope("pos_axis"), int32(0))), tf.Int64) // [M]
	kb := op.FloorDiv(ks.SubScope("b"), slotRow, op.Cast(ks.SubScope("p64"), p, tf.Int64))                              // [M] image of each row
	flat := op.Add(ks.SubScope("flat_index"), op.Mul(ks.SubScope("b_times_n"), kb, op.Const(ks.SubScope("n"), n)), pos) // [M] into [B·N]

	// From here on only the M masked rows, rounded up to a multiple of
	// rowBlock (zero rows, dropped at the end): output projection, MLP,
	// head.
	ps := s.SubScope("pad")
	mRows := op.Size(ps.SubScope("m"), pos, op.SizeOutType(tf.Int32))
	zero := op.Const(ps.SubScope("zero"), int32(0))
	padRows := op.Pack(ps.SubScope("pad_rows"), []tf.Output{zero, op.Sub(ps.SubScope("extra"), roundUp(ps.SubScope("round"), mRows), mRows)})
	padMatrix := op.Pack(ps.SubScope("pad_matrix"), []tf.Output{padRows, op.Const(ps.SubScope("no_pad"), []int32{0, 0})})
	rowsOf := func(name string, x tf.Output) tf.Output { // [B·P, D] → [M′, D]
		rs := ps.SubScope(name)
		return op.Pad(rs, op.GatherV2(rs, x, slotRow, op.Const(rs.SubScope("axis"), int32(0))), padMatrix)
	}
	noDrop := func(_ *op.Scope, x tf.Output) tf.Output { return x }
	a := m.dense(fs.SubScope("attn").SubScope("out"), rowsOf("ctx", ctx), last.out)
	hOut := m.blockTail(fs, rowsOf("h", hq), a, last, noDrop)
	posPad := op.Pad(ps.SubScope("pos"), pos, op.ExpandDims(ps.SubScope("pad_vector"), padRows, zero))
	hs := m.hs.SubScope("rows")
	logits = m.rowLogits(hs, hOut, posPad) // [M′, K]: rowsChoices drops the padding
	rows = op.ExpandDims(ks.SubScope("rows_col"), flat, op.Const(ks.SubScope("ax_last"), int32(1)))
	return logits, rows
}

// rowBlock is the multiple the row counts of the masked-rows path are
// rounded up to. TensorFlow's CPU kernels (oneDNN's matmuls, Eigen's
// vectorised elementwise ops) give a row bits that depend on how many rows
// the tensor has and where the row falls in a vector; with row counts that
// are multiples of 16 (AVX-512 holds 16 float32s) every row is computed
// the same way whatever the batch, as in the full path (B·256 rows).
const rowBlock = 16

// roundUp rounds x (an int32 scalar ≥ 0) up to a multiple of rowBlock.
func roundUp(s *op.Scope, x tf.Output) tf.Output {
	b := op.Const(s.SubScope("block"), int32(rowBlock))
	up := op.Add(s, x, op.Const(s.SubScope("block_minus_1"), int32(rowBlock-1)))
	return op.Mul(s, op.FloorDiv(s, up, b), b)
}

// attentionRows is attention, up to the output projection, for the query
// rows hq [B·P, D] (p per image) against the keys and values of all rows h
// [B·N, D], with the kernels attention uses (the query's scaled by 1/√Dh),
// forward only: the context [B·P, D].
func (m *model) attentionRows(s *op.Scope, h, hq, p tf.Output, b *blockVars) tf.Output {
	cfg := m.cfg
	d, n, heads := cfg.Dim, cfg.Positions, cfg.Heads
	dh := d / heads
	q := m.fusedDense(s, "q", hq, true, b.query) // [B·P, D]
	qs := s.SubScope("q")
	c := func(name string, v int32) tf.Output { return op.Const(qs.SubScope(name), v) }
	qShape := op.Pack(qs.SubScope("shape"), []tf.Output{c("b", -1), p, c("h", int32(heads)), c("dh", int32(dh))})
	q = op.Transpose(qs, op.Reshape(qs, q, qShape), op.Const(qs.SubScope("perm"), []int32{0, 2, 1, 3})) // [B, H, P, Dh]

	vs := s.SubScope("kv")
	kv := m.fusedDense(s, "kv", h, false, b.key, b.value) // [B·N, 2D]
	kv = op.Reshape(vs, kv, op.Const(vs.SubScope("shape"), []int64{-1, n, 2, heads, dh}))
	kv = op.Transpose(vs, kv, op.Const(vs.SubScope("perm"), []int32{2, 0, 3, 1, 4})) // [2, B, H, N, Dh]
	parts := op.Unpack(vs, kv, 2)

	scores := op.BatchMatMulV2(s.SubScope("scores"), q, parts[0], op.BatchMatMulV2AdjY(true)) // [B, H, P, N]
	sm := s.SubScope("softmax")
	probs := op.Softmax(sm, op.Reshape(sm.SubScope("flatten"), scores, op.Const(sm.SubScope("flat_shape"), []int64{-1, n})))
	probs = op.Reshape(sm.SubScope("unflatten"), probs, op.Shape(sm.SubScope("shape"), scores))
	cs := s.SubScope("context")
	ctx := op.BatchMatMulV2(cs, probs, parts[1]) // [B, H, P, Dh]
	ctx = op.Transpose(cs, ctx, op.Const(cs.SubScope("perm"), []int32{0, 2, 1, 3}))
	return op.Reshape(cs, ctx, op.Const(cs.SubScope("shape"), []int64{-1, d}))
}
