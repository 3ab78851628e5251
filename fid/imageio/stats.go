package imageio

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/maskgit-go/maskgit/fid"
)

// DefaultBatch is the number of images per FeatureExtractor call when
// StatsOptions.Batch is 0 (pytorch-fid's default batch size).
const DefaultBatch = 50

// FeatureExtractor turns n RGB images of height×width pixels, uint8 NHWC,
// into one feature row per image. *inception.Extractor is one.
type FeatureExtractor interface {
	Features(images []uint8, n, height, width int) ([][]float32, error)
}

// FloatFeatureExtractor is a FeatureExtractor that also takes float32 NHWC
// images with values in [0, 1] (v/255 of the 8-bit samples). FileStats
// uses it with the Decoder's float output, so the conversion happens in the
// decoding graph rather than in a Go loop. *inception.Extractor is one.
type FloatFeatureExtractor interface {
	FeatureExtractor
	FeaturesFloat(images []float32, n, height, width int) ([][]float32, error)
}

// StatsOptions configure FileStats.
type StatsOptions struct {
	// Batch is the most images decoded and passed to the extractor at once
	// (0: DefaultBatch). Statistics do not depend on it beyond rounding.
	Batch int
	// Workers is the number of goroutines decoding files while the
	// extractor runs (0: GOMAXPROCS). They decode at most two batches
	// ahead of the extractor. Statistics do not depend on it.
	Workers int
	// Progress, when set, is called after each batch with the number of
	// images done so far and the total.
	Progress func(done, total int)
}

// decoded is one file's decoding result.
type decoded struct {
	img Image
	err error
}

// decodeAhead decodes files on workers goroutines, at most ahead files past
// the one the caller last took, and returns the results in file order:
// next(i) waits for file i. stop ends the goroutines; call it once, after
// the last next.
func decodeAhead(dec *Decoder, files []string, workers, ahead int, float bool) (next func(i int) decoded, stop func()) {
	slots := make([]chan decoded, len(files))
	for i := range slots {
		slots[i] = make(chan decoded, 1)
	}
	tokens := make(chan struct{}, ahead)
	jobs := make(chan int)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				img, err := dec.readFile(files[i], float)
				slots[i] <- decoded{img, err}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for i := range files {
			select {
			case tokens <- struct{}{}:
			case <-done:
				return
			}
			select {
			case jobs <- i:
			case <-done:
				return
			}
		}
	}()
	next = func(i int) decoded {
		r := <-slots[i]
		<-tokens
		return r
	}
	stop = func() {
		close(done)
		wg.Wait()
	}
	return next, stop
}

// FileStats decodes the image files (see Decoder), computes their features
// with ext and returns their statistics (float64 mean and covariance with
// denominator N−1, as pytorch-fid). Consecutive images of the same size are
// batched together; images of any size are accepted, since the extractor
// resizes. At least two files are needed. A file that cannot be decoded
// stops the computation with a *FileError naming it (the first such file
// in order). ctx is checked between images.
//
// Files are read once each and decoded on StatsOptions.Workers goroutines
// while the extractor runs on the previous batch; with a
// FloatFeatureExtractor the decoding graph also converts the pixels to
// float32 in [0, 1].
func FileStats(ctx context.Context, dec *Decoder, ext FeatureExtractor, files []string, opts StatsOptions) (fid.Stats, error) {
	if dec == nil || ext == nil {
		return fid.Stats{}, errors.New("imageio: FileStats needs a decoder and a feature extractor")
	}
	if len(files) < 2 {
		return fid.Stats{}, fmt.Errorf("imageio: FID statistics need at least 2 images, got %d", len(files))
	}
	if opts.Batch < 0 {
		return fid.Stats{}, fmt.Errorf("imageio: batch size %d < 0", opts.Batch)
	}
	if opts.Batch == 0 {
		opts.Batch = DefaultBatch
	}
	if opts.Workers < 0 {
		return fid.Stats{}, fmt.Errorf("imageio: %d decoding workers < 0", opts.Workers)
	}
	if opts.Workers == 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	fext, float := ext.(FloatFeatureExtractor)
	var (
		acc          *fid.Accumulator
		pix          []uint8
		fpix         []float32
		n, done      int
		height, wdth int
	)
	flush := func() error {
		if n == 0 {
			return nil
		}
		var feats [][]float32
		var err error
		if float {
			feats, err = fext.FeaturesFloat(fpix, n, height, wdth)
		} else {
			feats, err = ext.Features(pix, n, height, wdth)
		}
		if err != nil {
			return fmt.Errorf("imageio: features of images %d..%d: %w", done, done+n-1, err)
		}
		if len(feats) != n {
			return fmt.Errorf("imageio: extractor returned %d feature rows for %d images", len(feats), n)
		}
		if acc == nil {
			if acc, err = fid.NewAccumulator(len(feats[0])); err != nil {
				return err
			}
		}
		if err := acc.Add32(feats); err != nil {
			return err
		}
		done += n
		n, pix, fpix = 0, pix[:0], fpix[:0]
		if opts.Progress != nil {
			opts.Progress(done, len(files))
		}
		return nil
	}
	next, stop := decodeAhead(dec, files, opts.Workers, 2*opts.Batch, float)
	defer stop()
	for i := range files {
		if err := ctx.Err(); err != nil {
			return fid.Stats{}, err
		}
		r := next(i)
		if r.err != nil {
			return fid.Stats{}, r.err
		}
		img := r.img
		if n > 0 && (img.Height != height || img.Width != wdth) || n == opts.Batch {
			if err := flush(); err != nil {
				return fid.Stats{}, err
			}
		}
		height, wdth = img.Height, img.Width
		pix = append(pix, img.Pix...)
		fpix = append(fpix, img.Float...)
		n++
	}
	if err := flush(); err != nil {
		return fid.Stats{}, err
	}
	return acc.Stats()
}
