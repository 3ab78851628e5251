package inpaint

import (
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
}

// candidate is one masked position's prediction at the current step.
type candidate struct {
	pos  int
	tok  int32
	conf float64
}

// Decode fills every masked token of every input. Images with nothing masked
// are returned unchanged without calling p. Images are sent to p in groups of
// at most Config.Batch; each image uses only its own random stream, so its
// result does not depend on which other images share its batch.
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

// decodeGroup runs all steps for one group of images, one Predict call per
// step over the images that still have masked tokens.
func (d *Decoder) decodeGroup(ctx context.Context, p Predictor, group []*imageState) error {
	n, stop := d.cfg.N(), d.cfg.stop()
	tokens := make([]int32, 0, len(group)*n)
	active := make([]*imageState, 0, len(group))
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
		logits, err := p.Predict(ctx, tokens, len(active))
		if err != nil {
			return fmt.Errorf("inpaint: step %d: predictor: %w", t, err)
		}
		cells := len(active) * n
		if len(logits) == 0 || len(logits)%cells != 0 || len(logits)/cells < d.cfg.K {
			return fmt.Errorf("inpaint: step %d: predictor returned %d logits for %d images × %d positions; want a multiple of %d with at least K = %d classes each",
				t, len(logits), len(active), n, cells, d.cfg.K)
		}
		v := len(logits) / cells
		for b, st := range active {
			if err := d.step(st, t, logits[b*n*v:(b+1)*n*v], v); err != nil {
				return err
			}
		}
	}
	return nil
}

// step applies the predictions of step t to one image. logits holds N×v
// values; the first K of each row are the codebook classes.
func (d *Decoder) step(st *imageState, t int, logits []float32, v int) error {
	cfg := d.cfg
	ratio := float64(t+1) / float64(cfg.Steps)
	noise := cfg.Temperature * (1 - ratio)
	useNoise := cfg.Order == OrderConfidence && noise > 0 && t < cfg.stop()-1
	cands := make([]candidate, 0, st.unknown)
	for pos, tok := range st.cur {
		if tok != cfg.MaskID {
			continue
		}
		tok, logp, err := choose(logits[pos*v:pos*v+cfg.K], cfg.Sample, st.rng)
		if err != nil {
			return fmt.Errorf("inpaint: step %d, input %d, position %d: %w", t, st.index, pos, err)
		}
		conf := logp
		if useNoise {
			conf += noise * gumbel(st.rng)
		}
		cands = append(cands, candidate{pos: pos, tok: tok, conf: conf})
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
// or a sample from the softmax — and returns it with its log-probability.
func choose(row []float32, sample bool, rng *rand.Rand) (int32, float64, error) {
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
	u := rng.Float64() * sum
	pick, acc := best, 0.0
	for k, l := range row {
		e := math.Exp(float64(l) - bestV)
		if e == 0 {
			continue
		}
		pick = k
		if acc += e; u < acc {
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
