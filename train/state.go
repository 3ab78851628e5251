package train

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/internal/atomicfile"
)

// State is the trainer's position, saved as JSON beside every checkpoint so
// that --resume continues with the same data order and random stream.
type State struct {
	// Step is the number of optimizer steps taken.
	Step int64 `json:"step"`
	// Data is the training iterator's next position.
	Data dataset.State `json:"data"`
	// RNG is the marshalled PCG state of the trainer's Go random stream.
	RNG []byte `json:"rng"`
	// BestVal is the best validation loss so far (0 with BestStep -1: none yet).
	BestVal  float64 `json:"best_val"`
	BestStep int64   `json:"best_step"`
	// Seconds is the training wall time so far, over all resumed runs.
	Seconds float64 `json:"seconds"`
	// CodeUsage counts how often each code was picked since the last
	// dead-code re-initialisation (tokenizer runs only).
	CodeUsage []int64 `json:"code_usage,omitempty"`
}

// NewRNG returns the trainer's random stream for seed.
func NewRNG(seed uint64) *rand.PCG { return rand.NewPCG(seed, 0x6d61736b676974) }

// SetRNG records the PCG's state in st.
func (st *State) SetRNG(p *rand.PCG) error {
	b, err := p.MarshalBinary()
	if err != nil {
		return err
	}
	st.RNG = b
	return nil
}

// RestoreRNG loads the recorded state into p.
func (st *State) RestoreRNG(p *rand.PCG) error {
	if len(st.RNG) == 0 {
		return fmt.Errorf("trainer state has no random stream")
	}
	return p.UnmarshalBinary(st.RNG)
}

// WriteState writes st to path atomically.
func WriteState(path string, st State) error { return atomicfile.WriteJSON(path, st) }

// ReadState reads a state file.
func ReadState(path string) (State, error) {
	var st State
	b, err := os.ReadFile(path)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("%s: not a trainer state file: %w", path, err)
	}
	return st, nil
}

// InputError marks a failure caused by the user's input: an empty or
// missing data folder, an unreadable image, a run directory that cannot be
// started or resumed, a checkpoint that does not match the model. Commands
// exit with status 2 for these.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputErr(err error) error {
	if err == nil {
		return nil
	}
	return &InputError{Err: err}
}
