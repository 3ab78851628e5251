package dataset

import (
	"fmt"
	"image"
)

// Batch is a batch of images as float32 NHWC in [-1, 1]
// (N x Res x Res x 3, value v/127.5 - 1 of the byte v).
type Batch struct {
	Data []float32
	N    int
	Res  int
	// Indices are the images' indices in the Folder.
	Indices []int
	// Flipped tells which images were mirrored left-right.
	Flipped []bool
}

func newBatch(res, capacity int) *Batch {
	return &Batch{
		Res:     res,
		Data:    make([]float32, 0, capacity*3*res*res),
		Indices: make([]int, 0, capacity),
		Flipped: make([]bool, 0, capacity),
	}
}

func (b *Batch) add(rgb []uint8, index int, flip bool) {
	n := 3 * b.Res * b.Res
	start := len(b.Data)
	b.Data = append(b.Data, make([]float32, n)...)
	ToFloat(b.Data[start:start+n], rgb, b.Res, flip)
	b.Indices = append(b.Indices, index)
	b.Flipped = append(b.Flipped, flip)
	b.N++
}

// Shape is the batch's NHWC shape.
func (b *Batch) Shape() []int64 { return []int64{int64(b.N), int64(b.Res), int64(b.Res), 3} }

// Image converts image i of the batch back to RGBA (see ToRGBA).
func (b *Batch) Image(i int) (*image.RGBA, error) {
	if i < 0 || i >= b.N {
		return nil, fmt.Errorf("dataset: batch image %d out of range [0, %d)", i, b.N)
	}
	n := 3 * b.Res * b.Res
	return ToRGBA(b.Data[i*n:(i+1)*n], b.Res, b.Res)
}

// IterOptions configure an iterator over a Folder or a TokenCache.
type IterOptions struct {
	// BatchSize is the number of samples per batch (required, > 0).
	BatchSize int
	// Seed selects the epoch orders and flips (see EpochOrder).
	Seed uint64
	// Shuffle visits each epoch in a seeded random order; otherwise in
	// index order.
	Shuffle bool
	// Flip mirrors each image left-right when its seeded flip bit is set
	// (images only; TokenCache iterators reject it).
	Flip bool
}

// ImageIterator yields full batches of a Folder forever, epoch after epoch,
// in the order given by its seed. Its position is State; it is not safe for
// concurrent use.
type ImageIterator struct {
	f    *Folder
	opt  IterOptions
	samp *sampler
}

// Iterator returns an iterator at State{0, 0}.
func (f *Folder) Iterator(opt IterOptions) (*ImageIterator, error) {
	if opt.BatchSize <= 0 {
		return nil, fmt.Errorf("dataset: batch size %d must be positive", opt.BatchSize)
	}
	return &ImageIterator{f: f, opt: opt, samp: newSampler(f.Len(), opt.Seed, opt.Shuffle)}, nil
}

// State is the position of the next sample.
func (it *ImageIterator) State() State { return it.samp.state }

// SetState moves to st, as saved by State, so that the following batches
// are those that followed st before.
func (it *ImageIterator) SetState(st State) error { return it.samp.setState(st) }

// Next returns the next BatchSize images, continuing into the next epoch
// when the current one ends. Skipped files (with SkipBad) are passed over,
// so a batch is always full; without SkipBad an unreadable file is an
// error naming it and the state is left unchanged.
func (it *ImageIterator) Next() (*Batch, error) {
	start := it.samp.state
	b := newBatch(it.f.res, it.opt.BatchSize)
	for b.N < it.opt.BatchSize {
		if err := it.f.checkUsable(); err != nil {
			it.samp.state = start
			return nil, err
		}
		need := it.opt.BatchSize - b.N
		idx := make([]int, need)
		flip := make([]bool, need)
		for k := range idx {
			idx[k], flip[k] = it.samp.next()
		}
		imgs, err := it.f.images(idx)
		if err != nil {
			it.samp.state = start
			return nil, err
		}
		for k, img := range imgs {
			if img != nil {
				b.add(img, idx[k], it.opt.Flip && flip[k])
			}
		}
	}
	return b, nil
}
