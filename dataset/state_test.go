package dataset

import (
	"slices"
	"testing"
)

func TestEpochOrder(t *testing.T) {
	const n = 50
	o1, f1 := EpochOrder(n, 9, 2, true)
	o2, f2 := EpochOrder(n, 9, 2, true)
	if !slices.Equal(o1, o2) || !slices.Equal(f1, f2) {
		t.Fatal("same (seed, epoch) gave different orders")
	}
	if !slices.Equal(slices.Sorted(slices.Values(o1)), identity(n)) {
		t.Fatalf("order %v is not a permutation", o1)
	}
	if slices.Equal(o1, identity(n)) {
		t.Error("shuffled order is the identity")
	}
	tests := []struct {
		name        string
		seed        uint64
		epoch       int
		shuffle     bool
		sameOrder   bool // as (9, 2, shuffled)
		sameFlipsAs bool
	}{
		{"next epoch", 9, 3, true, false, false},
		{"other seed", 10, 2, true, false, false},
		{"unshuffled", 9, 2, false, false, false},
	}
	for _, tc := range tests {
		o, f := EpochOrder(n, tc.seed, tc.epoch, tc.shuffle)
		if slices.Equal(o, o1) != tc.sameOrder || slices.Equal(f, f1) != tc.sameFlipsAs {
			t.Errorf("%s: same order %v, same flips %v", tc.name, slices.Equal(o, o1), slices.Equal(f, f1))
		}
	}
	if o, _ := EpochOrder(n, 9, 2, false); !slices.Equal(o, identity(n)) {
		t.Errorf("unshuffled order %v", o)
	}
}

func identity(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func TestSetState(t *testing.T) {
	tests := []struct {
		in   State
		want State
		ok   bool
	}{
		{State{0, 0}, State{0, 0}, true},
		{State{4, 6}, State{4, 6}, true},
		{State{4, 7}, State{5, 0}, true}, // end of epoch 4 = start of epoch 5
		{State{4, 8}, State{}, false},
		{State{-1, 0}, State{}, false},
		{State{0, -1}, State{}, false},
	}
	for _, tc := range tests {
		s := newSampler(7, 1, true)
		err := s.setState(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("setState(%v) error %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && s.state != tc.want {
			t.Errorf("setState(%v) -> %v, want %v", tc.in, s.state, tc.want)
		}
	}
}

func TestSamplerFollowsEpochOrder(t *testing.T) {
	s := newSampler(5, 42, true)
	for e := 0; e < 3; e++ {
		order, flip := EpochOrder(5, 42, e, true)
		for i := 0; i < 5; i++ {
			if st := s.state; st != (State{e, i}) {
				t.Fatalf("state %v, want %v", st, State{e, i})
			}
			got, fl := s.next()
			if got != order[i] || fl != flip[i] {
				t.Fatalf("epoch %d position %d: (%d, %v), want (%d, %v)", e, i, got, fl, order[i], flip[i])
			}
		}
	}
}
