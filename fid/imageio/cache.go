package imageio

import (
	"context"
	"errors"

	"github.com/maskgit-go/maskgit/fid"
)

// ExtractorID is the fid.KeyForFiles extractor id of statistics computed
// with FileStats from a Decoder and the Inception weights converted from
// the TorchScript file whose SHA-256 is weightsSHA256: the model, its
// weights and the decoder, so a change of any of them misses the cache.
func ExtractorID(weightsSHA256 string) string {
	return "pytorch-fid-inception-v3-pool3/sha256:" + weightsSHA256 + "/" + DecoderID
}

// CachedFileStats returns the statistics of files from cache, keyed by
// fid.KeyForFiles(extractorID, files) (the files' names and bytes), or
// computes them with FileStats and stores them there (also replacing an
// unreadable cache entry). hit reports that they came from the cache,
// without running the extractor.
func CachedFileStats(ctx context.Context, cache fid.Cache, extractorID string, dec *Decoder, ext FeatureExtractor,
	files []string, opts StatsOptions) (s fid.Stats, hit bool, err error) {
	if extractorID == "" {
		return fid.Stats{}, false, errors.New("imageio: cached statistics need an extractor id")
	}
	key, err := fid.KeyForFiles(extractorID, files)
	if err != nil {
		return fid.Stats{}, false, err
	}
	if s, ok, err := cache.Load(key); err == nil && ok {
		return s, true, nil
	}
	s, err = FileStats(ctx, dec, ext, files, opts)
	if err != nil {
		return fid.Stats{}, false, err
	}
	if err := cache.Store(key, s); err != nil {
		return fid.Stats{}, false, err
	}
	return s, false, nil
}
