package inpaint

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Input is one image to decode.
type Input struct {
	// Tokens holds the N token ids of the image, Config.MaskID where unknown
	// (see MaskTokens). It is not modified.
	Tokens []int32
	// Rand is the image's own random stream (see NewImageRand). It may be nil
	// when decoding draws nothing (argmax with temperature 0, or Halton order
	// without sampling). Two inputs must not share a stream.
	Rand *rand.Rand
}

// StepRecord is the state after one decoding step, for visualisation.
type StepRecord struct {
	Step   int     // 0-based step index
	Masked []bool  // N flags: still masked after this step
	Tokens []int32 // N ids: fixed tokens, and this step's predictions where still masked
}

// Result is one decoded image.
type Result struct {
	Tokens   []int32      // N ids, all in 0…K−1
	Unknown0 int          // tokens masked in the input
	Steps    []StepRecord // one per step run, when Config.SaveSteps
}

// Decoder runs MaskGIT iterative decoding. It holds no model state and may be
// used from several goroutines.
type Decoder struct {
	cfg    Config
	halton []int // Halton rank of every position (OrderHalton)
}

// NewDecoder validates cfg and precomputes the Halton order if needed.
func NewDecoder(cfg Config) (*Decoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Schedule == nil {
		cfg.Schedule = Cosine
	}
	d := &Decoder{cfg: cfg}
	if cfg.Order == OrderHalton {
		order, err := HaltonOrder(cfg.GridW, cfg.GridH)
		if err != nil {
			return nil, err
		}
		d.halton = make([]int, len(order))
		for rank, p := range order {
			d.halton[p] = rank
		}
	}
	return d, nil
}

// Config returns the decoder's configuration (with defaults filled in).
func (d *Decoder) Config() Config { return d.cfg }

// imageState is the decoding state of one image.
type imageState struct {
	index    int // position in the caller's inputs
	cur      []int32
	unknown0 int
	unknown  int
	rng      *rand.Rand
	steps    []StepRecord
	// Per-step scratch, N entries, read at masked positions only: the
	// uniform of a sampled prediction, the Gumbel draw, and (logits path)
	// the chosen ids and their log-probabilities.
	u, g []float64
	ids  []int32
	logp []float64
}

// candidate is one masked position's prediction at the current step.
type candidate struct {
	pos  int
	tok  int32
	conf float64
}

// Decode fills every masked token of every input. Images with nothing masked
// are returned unchanged without calling p. Images are sent to p in groups of
// at most Config.Batch, ordered by their number of unknown tokens (fewest
// first, input order among equals), so a group holds images of similar
// holes: a model that computes only the masked positions (the transformer's
// inference graph) pads every image of a call to the most of them. Each
// image uses only its own random stream, so its result does not depend on
// which other images share its batch; results come back in input order.
func (d *Decoder) Decode(ctx context.Context, p Predictor, inputs []Input) ([]Result, error) {
	if p == nil {
		return nil, fmt.Errorf("inpaint: Decode needs a Predictor")
	}
	results := make([]Result, len(inputs))
	var work []*imageState
	streams := make(map[*rand.Rand]int)
	for i, in := range inputs {
		st, err := d.newState(i, in)
		if err != nil {
			return nil, err
		}
		if in.Rand != nil {
			if j, dup := streams[in.Rand]; dup {
				return nil, fmt.Errorf("inpaint: inputs %d and %d share one *rand.Rand; give each image its own stream", j, i)
			}
			streams[in.Rand] = i
		}
		if st.unknown0 == 0 {
			results[i] = Result{Tokens: st.cur}
			continue
		}
		if st.rng == nil && d.cfg.needsRand() {
			return nil, fmt.Errorf("inpaint: input %d has no Rand but the config samples or adds Gumbel noise", i)
		}
		work = append(work, st)
	}
	slices.SortStableFunc(work, func(a, b *imageState) int { return cmp.Compare(a.unknown0, b.unknown0) })
	chunk := d.cfg.Batch
	if chunk == 0 {
		chunk = max(len(work), 1)
	}
	for lo := 0; lo < len(work); lo += chunk {
		group := work[lo:min(lo+chunk, len(work))]
		if err := d.decodeGroup(ctx, p, group); err != nil {
			return nil, err
		}
		for _, st := range group {
			results[st.index] = Result{Tokens: st.cur, Unknown0: st.unknown0, Steps: st.steps}
		}
	}
	return results, nil
}

func (d *Decoder) newState(i int, in Input) (*imageState, error) {
	n := d.cfg.N()
	if len(in.Tokens) != n {
		return nil, fmt.Errorf("inpaint: input %d has %d tokens, want %d (%dx%d grid)", i, len(in.Tokens), n, d.cfg.GridW, d.cfg.GridH)
	}
	st := &imageState{index: i, cur: slices.Clone(in.Tokens), rng: in.Rand}
	for pos, tok := range in.Tokens {
		switch {
		case tok == d.cfg.MaskID:
			st.unknown0++
		case tok < 0 || int(tok) >= d.cfg.K:
			return nil, fmt.Errorf("inpaint: input %d position %d: token %d is neither a codebook id (0..%d) nor MaskID %d", i, pos, tok, d.cfg.K-1, d.cfg.MaskID)
		}
	}
	st.unknown = st.unknown0
	return st, nil
}

// decodeGroup runs all steps for one group of images, one model call per
// step over the images that still have masked tokens. The Go-side work of
// a step (random draws, choices from logits, ranking) runs in parallel
// across images; each image touches only its own state and random stream,
// so the result does not depend on the parallelism.
func (d *Decoder) decodeGroup(ctx context.Context, p Predictor, group []*imageState) error {
	n, stop := d.cfg.N(), d.cfg.stop()
	chooser, _ := p.(Chooser)
	tokens := make([]int32, 0, len(group)*n)
	var uniforms []float64
	active := make([]*imageState, 0, len(group))
	for _, st := range group {
		st.u, st.g = make([]float64, n), make([]float64, n)
		if chooser == nil {
			st.ids, st.logp = make([]int32, n), make([]float64, n)
		}
	}
	for t := 0; t < stop; t++ {
		active = active[:0]
		tokens = tokens[:0]
		for _, st := range group {
			if st.unknown > 0 {
				active = append(active, st)
				tokens = append(tokens, st.cur...)
			}
		}
		if len(active) == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("inpaint: step %d: %w", t, err)
		}
		forEach(len(active), func(b int) error { d.draw(active[b], t); return nil })
		cells := len(active) * n
		if chooser != nil {
			uniforms = uniforms[:0]
			if d.cfg.Sample {
				for _, st := range active {
					uniforms = append(uniforms, st.u...)
				}
			}
			var in []float64
			if d.cfg.Sample {
				in = uniforms
			}
			ids, logp, err := chooser.Choose(ctx, tokens, len(active), in)
			if err != nil {
				return fmt.Errorf("inpaint: step %d: predictor: %w", t, err)
			}
			if len(ids) != cells || len(logp) != cells {
				return fmt.Errorf("inpaint: step %d: predictor chose %d ids and %d log-probabilities for %d images × %d positions, want %d each",
					t, len(ids), len(logp), len(active), n, cells)
			}
			if err := forEach(len(active), func(b int) error {
				return d.step(active[b], t, ids[b*n:(b+1)*n], logp[b*n:(b+1)*n])
			}); err != nil {
				return err
			}
			continue
		}
		logits, err := p.Predict(ctx, tokens, len(active))
		if err != nil {
			return fmt.Errorf("inpaint: step %d: predictor: %w", t, err)
		}
		if len(logits) == 0 || len(logits)%cells != 0 || len(logits)/cells < d.cfg.K {
			return fmt.Errorf("inpaint: step %d: predictor returned %d logits for %d images × %d positions; want a multiple of %d with at least K = %d classes each",
				t, len(logits), len(active), n, cells, d.cfg.K)
		}
		v := len(logits) / cells
		if err := forEach(len(active), func(b int) error {
			st := active[b]
			if err := d.chooseAll(st, t, logits[b*n*v:(b+1)*n*v], v); err != nil {
				return err
			}
			return d.step(st, t, st.ids, st.logp)
		}); err != nil {
			return err
		}
	}
	return nil
}

// useNoise reports whether step t adds Gumbel noise, and its scale.
func (d *Decoder) useNoise(t int) (bool, float64) {
	cfg := d.cfg
	ratio := float64(t+1) / float64(cfg.Steps)
	noise := cfg.Temperature * (1 - ratio)
	return cfg.Order == OrderConfidence && noise > 0 && t < cfg.stop()-1, noise
}

// draw makes step t's random draws of one image, in the documented order:
// for every masked position in position order, one uniform if sampling,
// then one Gumbel draw if the step adds noise. The draws do not depend on
// the model's output, so they are made before the model call.
func (d *Decoder) draw(st *imageState, t int) {
	noisy, _ := d.useNoise(t)
	if !noisy && !d.cfg.Sample {
		return
	}
	for pos, tok := range st.cur {
		if tok != d.cfg.MaskID {
			continue
		}
		if d.cfg.Sample {
			st.u[pos] = st.rng.Float64()
		}
		if noisy {
			st.g[pos] = gumbel(st.rng)
		}
	}
}

// chooseAll makes the choice of every masked position of one image from
// its logits (N×v values, the first K of each row are the classes) into
// st.ids and st.logp.
func (d *Decoder) chooseAll(st *imageState, t int, logits []float32, v int) error {
	for pos, tok := range st.cur {
		if tok != d.cfg.MaskID {
			continue
		}
		id, logp, err := chooseU(logits[pos*v:pos*v+d.cfg.K], d.cfg.Sample, st.u[pos])
		if err != nil {
			return fmt.Errorf("inpaint: step %d, input %d, position %d: %w", t, st.index, pos, err)
		}
		st.ids[pos], st.logp[pos] = id, logp
	}
	return nil
}

// step applies the choices of step t (N ids and log-probabilities, read at
// masked positions) to one image.
func (d *Decoder) step(st *imageState, t int, ids []int32, logps []float64) error {
	cfg := d.cfg
	noisy, noise := d.useNoise(t)
	cands := make([]candidate, 0, st.unknown)
	for pos, tok := range st.cur {
		if tok != cfg.MaskID {
			continue
		}
		id, conf := ids[pos], logps[pos]
		if id < 0 || int(id) >= cfg.K {
			return fmt.Errorf("inpaint: step %d, input %d, position %d: predictor chose class %d, outside 0..%d", t, st.index, pos, id, cfg.K-1)
		}
		if math.IsNaN(conf) || math.IsInf(conf, 0) {
			return fmt.Errorf("inpaint: step %d, input %d, position %d: log-probability %v (logits NaN, +Inf or all -Inf)", t, st.index, pos, conf)
		}
		if noisy {
			conf += noise * st.g[pos]
		}
		cands = append(cands, candidate{pos: pos, tok: id, conf: conf})
	}

	keep := KeepMasked(cfg.Schedule, t, cfg.Steps, st.unknown0, st.unknown)
	if t >= cfg.stop()-1 {
		keep = 0
	}
	switch cfg.Order {
	case OrderHalton:
		slices.SortStableFunc(cands, func(a, b candidate) int { return d.halton[a.pos] - d.halton[b.pos] })
	default:
		// Most confident first; ties keep position order (the sort is stable).
		slices.SortStableFunc(cands, func(a, b candidate) int {
			switch {
			case a.conf > b.conf:
				return -1
			case a.conf < b.conf:
				return 1
			}
			return 0
		})
	}
	fix := len(cands) - keep
	for _, c := range cands[:fix] {
		st.cur[c.pos] = c.tok
	}
	st.unknown = keep

	if cfg.SaveSteps {
		rec := StepRecord{Step: t, Masked: make([]bool, len(st.cur)), Tokens: slices.Clone(st.cur)}
		for _, c := range cands[fix:] {
			rec.Masked[c.pos] = true
			rec.Tokens[c.pos] = c.tok
		}
		st.steps = append(st.steps, rec)
	}
	return nil
}

// choose picks a class from one row of K logits — the argmax (first on ties)
// or a sample from the softmax with one uniform from rng — and returns it
// with its log-probability.
func choose(row []float32, sample bool, rng *rand.Rand) (int32, float64, error) {
	u := 0.0
	if sample {
		u = rng.Float64()
	}
	return chooseU(row, sample, u)
}

// chooseU is choose with the uniform u ∈ [0, 1) given: the sample is the
// first class k whose running sum Σ_{j≤k} exp(l_j − m) exceeds u·Σ_j exp(l_j − m)
// (inverse CDF; at most the last class with a non-zero term).
func chooseU(row []float32, sample bool, u float64) (int32, float64, error) {
	best, bestV := -1, math.Inf(-1)
	for k, l := range row {
		x := float64(l)
		if math.IsNaN(x) || math.IsInf(x, 1) {
			return 0, 0, fmt.Errorf("logit of class %d is %v", k, x)
		}
		if x > bestV {
			best, bestV = k, x
		}
	}
	if best < 0 {
		return 0, 0, fmt.Errorf("all %d logits are -Inf", len(row))
	}
	sum := 0.0
	for _, l := range row {
		sum += math.Exp(float64(l) - bestV)
	}
	logZ := bestV + math.Log(sum)
	if !sample {
		return int32(best), bestV - logZ, nil
	}
	target := u * sum
	pick, acc := best, 0.0
	for k, l := range row {
		e := math.Exp(float64(l) - bestV)
		if e == 0 {
			continue
		}
		pick = k
		if acc += e; target < acc {
			break
		}
	}
	return int32(pick), float64(row[pick]) - logZ, nil
}

// gumbel draws standard Gumbel noise −log(−log u), u uniform in (0, 1).
func gumbel(rng *rand.Rand) float64 {
	u := rng.Float64()
	for u == 0 {
		u = rng.Float64()
	}
	return -math.Log(-math.Log(u))
}
