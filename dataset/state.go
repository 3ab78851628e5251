package dataset

import (
	"fmt"
	"math/rand/v2"
)

// State is a resumable position in a seeded sequence of epochs: the next
// sample is the one at position Index of the order of epoch Epoch. Saving
// State (with the seed) and restoring it with SetState continues the data
// order exactly where it stopped.
type State struct {
	Epoch int `json:"epoch"`
	Index int `json:"index"`
}

// String formats the state as "epoch=E index=I".
func (s State) String() string { return fmt.Sprintf("epoch=%d index=%d", s.Epoch, s.Index) }

// EpochOrder returns the order in which epoch visits n samples and whether
// each position is flipped: order[i] is the sample at position i, flip[i] its
// flip bit. With shuffle false the order is 0..n-1; the flip bits are drawn
// either way, so they do not depend on shuffle. Both come from
// rand.New(rand.NewPCG(seed, uint64(epoch))): first Perm(n) (when shuffling),
// then one Uint64 per position whose low bit is the flip.
func EpochOrder(n int, seed uint64, epoch int, shuffle bool) (order []int, flip []bool) {
	r := rand.New(rand.NewPCG(seed, uint64(epoch)))
	if shuffle {
		order = r.Perm(n)
	} else {
		order = make([]int, n)
		for i := range order {
			order[i] = i
		}
	}
	flip = make([]bool, n)
	for i := range flip {
		flip[i] = r.Uint64()&1 == 1
	}
	return order, flip
}

// sampler walks the epoch orders of n samples, wrapping into the next epoch.
type sampler struct {
	n       int
	seed    uint64
	shuffle bool
	state   State
	order   []int // order of state.Epoch (nil until needed)
	flip    []bool
	epochOf int // epoch whose order is cached
}

func newSampler(n int, seed uint64, shuffle bool) *sampler {
	return &sampler{n: n, seed: seed, shuffle: shuffle, epochOf: -1}
}

func (s *sampler) setState(st State) error {
	if st.Epoch < 0 || st.Index < 0 || st.Index > s.n {
		return fmt.Errorf("dataset: invalid state %v for %d samples", st, s.n)
	}
	if st.Index == s.n { // end of an epoch is the start of the next
		st = State{Epoch: st.Epoch + 1}
	}
	s.state = st
	return nil
}

// next returns the sample and flip bit at the current position and advances,
// wrapping to the next epoch after the last position.
func (s *sampler) next() (sample int, flip bool) {
	if s.epochOf != s.state.Epoch {
		s.order, s.flip = EpochOrder(s.n, s.seed, s.state.Epoch, s.shuffle)
		s.epochOf = s.state.Epoch
	}
	sample, flip = s.order[s.state.Index], s.flip[s.state.Index]
	s.state.Index++
	if s.state.Index == s.n {
		s.state = State{Epoch: s.state.Epoch + 1}
	}
	return sample, flip
}
