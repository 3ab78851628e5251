package denoise

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/maskgit-go/maskgit/dataset"
)

// CropBatch is a batch of clean crops and their noisy copies, float32 NHWC
// [N, Size, Size, 3] in the [-1, 1] scale (the noisy values are not
// clipped).
type CropBatch struct {
	Clean, Noisy []float32
	N, Size      int
	// Indices are the source images' indices in the Folder; X and Y the
	// crops' top-left corners in them.
	Indices, X, Y []int
}

// Shape is the NHWC shape of Clean and Noisy.
func (b *CropBatch) Shape() []int64 { return []int64{int64(b.N), int64(b.Size), int64(b.Size), 3} }

// Crops draws random crops of the images of a dataset iterator and adds
// Gaussian noise to them. Crop positions and noise come from one PCG stream
// (math/rand/v2), so the iterator's State and the stream's state (CropState)
// fully determine the following batches. It is not safe for concurrent use.
type Crops struct {
	it   *dataset.ImageIterator
	pcg  *rand.PCG
	rng  *rand.Rand
	size int
	std  float64
}

// CropState is the position of a Crops: the next image of the iterator and
// the marshalled state of the random stream.
type CropState struct {
	Data dataset.State `json:"data"`
	RNG  []byte        `json:"rng"`
}

// NewCrops returns crops of side size from the images of it, with noise of
// standard deviation std, drawn from the random stream of seed. The
// iterator's images must be at least size pixels wide; that is checked on
// the first batch.
func NewCrops(it *dataset.ImageIterator, size int, std float64, seed uint64) (*Crops, error) {
	if it == nil {
		return nil, errors.New("denoise crops: nil iterator")
	}
	if size <= 0 {
		return nil, fmt.Errorf("denoise crops: size %d must be positive", size)
	}
	if !(std >= 0) || math.IsInf(std, 0) {
		return nil, fmt.Errorf("denoise crops: noise std %v must be finite and non-negative", std)
	}
	pcg := rand.NewPCG(seed, 0x64656e6f697365) // "denoise"
	return &Crops{it: it, pcg: pcg, rng: rand.New(pcg), size: size, std: std}, nil
}

// Next crops the next batch of the iterator. For each image, in batch
// order, it draws the corner x then y uniformly in [0, Res−size], then the
// noise of every value of the crop in HWC order. On error the state is
// unchanged.
func (c *Crops) Next() (*CropBatch, error) {
	st, err := c.State()
	if err != nil {
		return nil, err
	}
	b, err := c.it.Next()
	if err != nil {
		return nil, fmt.Errorf("denoise crops: %w", err)
	}
	if b.Res < c.size {
		if err := c.SetState(st); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("denoise crops: %dx%d crops of %dx%d images", c.size, c.size, b.Res, b.Res)
	}
	n, s, res := b.N, c.size, b.Res
	out := &CropBatch{
		Clean: make([]float32, n*s*s*3), Noisy: make([]float32, n*s*s*3), N: n, Size: s,
		Indices: append([]int(nil), b.Indices...), X: make([]int, n), Y: make([]int, n),
	}
	for i := 0; i < n; i++ {
		x, y := c.rng.IntN(res-s+1), c.rng.IntN(res-s+1)
		out.X[i], out.Y[i] = x, y
		img := b.Data[i*res*res*3 : (i+1)*res*res*3]
		dst := i * s * s * 3
		for r := 0; r < s; r++ {
			row := img[((y+r)*res+x)*3 : ((y+r)*res+x+s)*3]
			copy(out.Clean[dst+r*s*3:], row)
		}
		for k := dst; k < dst+s*s*3; k++ {
			out.Noisy[k] = out.Clean[k] + float32(c.std*c.rng.NormFloat64())
		}
	}
	return out, nil
}

// State returns the current position.
func (c *Crops) State() (CropState, error) {
	b, err := c.pcg.MarshalBinary()
	if err != nil {
		return CropState{}, fmt.Errorf("denoise crops: %w", err)
	}
	return CropState{Data: c.it.State(), RNG: b}, nil
}

// SetState moves to st, as returned by State, so that the following batches
// are those that followed it.
func (c *Crops) SetState(st CropState) error {
	if len(st.RNG) == 0 {
		return errors.New("denoise crops: state has no random stream")
	}
	p := &rand.PCG{}
	if err := p.UnmarshalBinary(st.RNG); err != nil {
		return fmt.Errorf("denoise crops: random stream: %w", err)
	}
	if err := c.it.SetState(st.Data); err != nil {
		return fmt.Errorf("denoise crops: %w", err)
	}
	*c.pcg = *p
	return nil
}
