package dataset

import "fmt"

// TokenBatch is a batch of token grids as int32 (the index type of TF's
// Gather and OneHot), N x H x W.
type TokenBatch struct {
	Tokens  []int32
	N, H, W int
	// Indices are the images' indices in the cache.
	Indices []int
}

// Shape is the batch's [N, H, W] shape.
func (b *TokenBatch) Shape() []int64 { return []int64{int64(b.N), int64(b.H), int64(b.W)} }

// TokenIterator yields full batches of a TokenCache forever, epoch after
// epoch, in the order given by its seed (the same orders as an
// ImageIterator over the same number of images). Its position is State; it
// is not safe for concurrent use.
type TokenIterator struct {
	c    *TokenCache
	opt  IterOptions
	samp *sampler
}

// Iterator returns an iterator at State{0, 0}. Flip is rejected: mirroring
// an image does not mirror its tokens.
func (c *TokenCache) Iterator(opt IterOptions) (*TokenIterator, error) {
	if opt.BatchSize <= 0 {
		return nil, fmt.Errorf("dataset: batch size %d must be positive", opt.BatchSize)
	}
	if opt.Flip {
		return nil, fmt.Errorf("dataset: token batches cannot be flipped (the tokens of a mirrored image are not mirrored tokens)")
	}
	if c.N <= 0 || len(c.Tokens) != c.N*c.H*c.W {
		return nil, fmt.Errorf("dataset: token cache is empty or inconsistent (N=%d, %d tokens)", c.N, len(c.Tokens))
	}
	return &TokenIterator{c: c, opt: opt, samp: newSampler(c.N, opt.Seed, opt.Shuffle)}, nil
}

// State is the position of the next sample.
func (it *TokenIterator) State() State { return it.samp.state }

// SetState moves to st, as saved by State.
func (it *TokenIterator) SetState(st State) error { return it.samp.setState(st) }

// Next returns the next BatchSize token grids, continuing into the next
// epoch when the current one ends.
func (it *TokenIterator) Next() *TokenBatch {
	c, n := it.c, it.c.H*it.c.W
	b := &TokenBatch{
		Tokens: make([]int32, it.opt.BatchSize*n), N: it.opt.BatchSize, H: c.H, W: c.W,
		Indices: make([]int, it.opt.BatchSize),
	}
	for k := range b.Indices {
		i, _ := it.samp.next()
		b.Indices[k] = i
		for j, t := range c.Image(i) {
			b.Tokens[k*n+j] = int32(t)
		}
	}
	return b
}
