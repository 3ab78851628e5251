package imageio

import (
	"context"
	"errors"
	"fmt"

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

// StatsOptions configure FileStats.
type StatsOptions struct {
	// Batch is the most images decoded and passed to the extractor at once
	// (0: DefaultBatch). Statistics do not depend on it beyond rounding.
	Batch int
	// Progress, when set, is called after each batch with the number of
	// images done so far and the total.
	Progress func(done, total int)
}

// FileStats decodes the image files (see Decoder), computes their features
// with ext and returns their statistics (float64 mean and covariance with
// denominator N−1, as pytorch-fid). Consecutive images of the same size are
// batched together; images of any size are accepted, since the extractor
// resizes. At least two files are needed. A file that cannot be decoded
// stops the computation with a *FileError naming it. ctx is checked
// between batches.
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
	var (
		acc          *fid.Accumulator
		pix          []uint8
		n, done      int
		height, wdth int
	)
	flush := func() error {
		if n == 0 {
			return nil
		}
		feats, err := ext.Features(pix, n, height, wdth)
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
		n, pix = 0, pix[:0]
		if opts.Progress != nil {
			opts.Progress(done, len(files))
		}
		return nil
	}
	for _, path := range files {
		if err := ctx.Err(); err != nil {
			return fid.Stats{}, err
		}
		img, err := dec.ReadFile(path)
		if err != nil {
			return fid.Stats{}, err
		}
		if n > 0 && (img.Height != height || img.Width != wdth) || n == opts.Batch {
			if err := flush(); err != nil {
				return fid.Stats{}, err
			}
		}
		height, wdth = img.Height, img.Width
		pix = append(pix, img.Pix...)
		n++
	}
	if err := flush(); err != nil {
		return fid.Stats{}, err
	}
	return acc.Stats()
}
