package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/maskgit-go/maskgit/fid"
	"github.com/maskgit-go/maskgit/fid/imageio"
	"github.com/maskgit-go/maskgit/fid/inception"
)

// fidArgs are the flags of `maskgit fid`.
type fidArgs struct {
	pred, ref         string
	batch             int
	cacheDir, weights string
	saveStats         string
	noCache           bool
	progressEverySecs float64
}

func fidCommand() command {
	return command{
		name:    "fid",
		summary: "FID between two image folders, as pytorch-fid computes it",
		flags: func(fs *pflag.FlagSet) func(context.Context, *cliEnv, []string) error {
			var a fidArgs
			fs.StringVar(&a.pred, "pred", "", "folder of generated images (PNG/JPEG, recursive) (required)")
			fs.StringVar(&a.ref, "ref", "", "folder of reference images, or their statistics as a .npz file "+
				"(pytorch-fid --save-stats format) (required)")
			fs.IntVar(&a.batch, "batch", imageio.DefaultBatch, "images per Inception run")
			fs.StringVar(&a.cacheDir, "cache-dir", "", fidCacheDirUsage)
			fs.StringVar(&a.weights, "weights", "", "converted Inception weights file (default: fetched once into the cache folder, see fid-weights)")
			fs.StringVar(&a.saveStats, "save-stats", "", "also write the --pred statistics to this .npz file")
			fs.BoolVar(&a.noCache, "no-cache", false, "recompute the reference statistics even when they are cached")
			a.progressEverySecs = 10
			return func(ctx context.Context, env *cliEnv, args []string) error {
				if len(args) > 0 {
					return badInput("unexpected arguments %q", args)
				}
				return runFID(ctx, env, a)
			}
		},
	}
}

// fidInputs are the checked inputs of a run: image lists, or reference
// statistics read from a file.
type fidInputs struct {
	pred     []string
	ref      []string
	refStats *fid.Stats
}

// checkFIDArgs validates everything that needs neither weights nor
// Inception, so that bad input fails at once.
func checkFIDArgs(a fidArgs) (fidInputs, error) {
	var in fidInputs
	if a.pred == "" || a.ref == "" {
		return in, badInput("--pred and --ref are required")
	}
	if a.batch < 1 {
		return in, badInput("--batch must be at least 1, got %d", a.batch)
	}
	if a.saveStats != "" {
		if !imageio.IsStatsFile(a.saveStats) {
			return in, badInput("--save-stats %s: the file name must end in .npz", a.saveStats)
		}
		if fi, err := os.Stat(filepath.Dir(a.saveStats)); err != nil || !fi.IsDir() {
			return in, badInput("--save-stats %s: folder %s does not exist", a.saveStats, filepath.Dir(a.saveStats))
		}
	}
	var err error
	if in.pred, err = imageio.ListFolder(a.pred); err != nil {
		return in, usageError{fmt.Errorf("--pred: %w", err)}
	}
	if imageio.IsStatsFile(a.ref) {
		s, err := fid.ReadStats(a.ref)
		if err != nil {
			return in, usageError{fmt.Errorf("--ref: %w", err)}
		}
		if s.Dim() != inception.FeatureDim {
			return in, badInput("--ref %s: statistics of %d-d features, want %d (Inception pool3)", a.ref, s.Dim(), inception.FeatureDim)
		}
		in.refStats = &s
	} else if in.ref, err = imageio.ListFolder(a.ref); err != nil {
		return in, usageError{fmt.Errorf("--ref: %w", err)}
	}
	for _, files := range [][]string{in.pred, in.ref} {
		if err := imageio.CheckFiles(files); err != nil {
			return in, usageError{err}
		}
	}
	if a.weights != "" {
		if fi, err := os.Stat(a.weights); err != nil || !fi.Mode().IsRegular() {
			return in, badInput("--weights %s: no such file", a.weights)
		}
	}
	return in, nil
}

// loadInceptionWeights reads the converted Inception weights from path,
// the value of flag (e.g. "--weights"), or, when it is empty, from the
// cache folder (cacheDir, "" for the default), fetching them once. It
// returns the weights and the file they came from.
func loadInceptionWeights(ctx context.Context, env *cliEnv, flag, path, cacheDir string) (*inception.Weights, string, error) {
	given := path != ""
	if !given {
		var err error
		if path, err = inception.EnsureWeights(ctx, cacheDir, env.stderr); err != nil {
			return nil, "", fmt.Errorf("inception weights: %w (or pass %s; see 'maskgit help fid-weights')", err, flag)
		}
	}
	w, err := inception.ReadWeights(path)
	if err != nil {
		if given {
			return nil, "", usageError{fmt.Errorf("%s: %w", flag, err)}
		}
		return nil, "", err
	}
	return w, path, nil
}

// loadFIDExtractor returns the Inception extractor and the SHA-256 of the
// TorchScript file its weights came from.
func loadFIDExtractor(ctx context.Context, env *cliEnv, a fidArgs) (*inception.Extractor, string, error) {
	w, path, err := loadInceptionWeights(ctx, env, "--weights", a.weights, a.cacheDir)
	if err != nil {
		return nil, "", err
	}
	if w.SourceSHA256 != inception.DefaultSHA256 {
		fmt.Fprintf(env.stderr, "maskgit fid: note: weights %s are not pytorch-fid's (%s): FID values will not match pytorch-fid's\n",
			path, inception.WheelRequirement)
	}
	ext, err := inception.NewExtractorFromWeights(w, inception.Options{BatchSize: a.batch})
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	return ext, w.SourceSHA256, nil
}

func runFID(ctx context.Context, env *cliEnv, a fidArgs) (err error) {
	in, err := checkFIDArgs(a)
	if err != nil {
		return err
	}
	if a.cacheDir == "" {
		if a.cacheDir, err = inception.DefaultCacheDir(); err != nil {
			return err
		}
	}
	ext, weightsSHA, err := loadFIDExtractor(ctx, env, a)
	if err != nil {
		return err
	}
	defer closeFIDResource(&err, ext)
	dec, err := imageio.NewDecoder()
	if err != nil {
		return err
	}
	defer closeFIDResource(&err, dec)

	// Reference first: its statistics are cached even if the pred pass is interrupted.
	ref, err := fidRefStats(ctx, env, a, in, dec, ext, imageio.ExtractorID(weightsSHA))
	if err != nil {
		return err
	}
	start := time.Now()
	pred, err := imageio.FileStats(ctx, dec, ext, in.pred, fidStatsOptions(env, a, "pred"))
	if err != nil {
		return classifyFIDError(err)
	}
	fmt.Fprintf(env.stdout, "pred: %d images in %s (Inception pass %.1f s)\n", pred.N, a.pred, time.Since(start).Seconds())
	if a.saveStats != "" {
		if err := fid.WriteStats(a.saveStats, pred); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "pred statistics written to %s\n", a.saveStats)
	}
	d, err := fid.FrechetDistance(pred, ref)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "FID %.4f\n", d)
	return nil
}

// fidRefStats returns the reference statistics: read from the --ref file,
// computed, or taken from the cache; it prints where they came from.
func fidRefStats(ctx context.Context, env *cliEnv, a fidArgs, in fidInputs, dec *imageio.Decoder,
	ext imageio.FeatureExtractor, extractorID string) (fid.Stats, error) {
	if in.refStats != nil {
		count := "image count not recorded"
		if in.refStats.N > 0 {
			count = fmt.Sprintf("%d images", in.refStats.N)
		}
		fmt.Fprintf(env.stdout, "ref: statistics file %s (%s)\n", a.ref, count)
		return *in.refStats, nil
	}
	start := time.Now()
	if a.noCache {
		s, err := imageio.FileStats(ctx, dec, ext, in.ref, fidStatsOptions(env, a, "ref"))
		if err != nil {
			return fid.Stats{}, classifyFIDError(err)
		}
		fmt.Fprintf(env.stdout, "ref: %d images in %s (Inception pass %.1f s, cache not used)\n", s.N, a.ref, time.Since(start).Seconds())
		return s, nil
	}
	s, hit, err := imageio.CachedFileStats(ctx, fid.Cache{Dir: a.cacheDir}, extractorID, dec, ext, in.ref, fidStatsOptions(env, a, "ref"))
	if err != nil {
		return fid.Stats{}, classifyFIDError(err)
	}
	if hit {
		fmt.Fprintf(env.stdout, "ref: %d images in %s (statistics from the cache in %s, Inception pass skipped)\n", s.N, a.ref, a.cacheDir)
	} else {
		fmt.Fprintf(env.stdout, "ref: %d images in %s (Inception pass %.1f s, statistics cached in %s)\n", s.N, a.ref, time.Since(start).Seconds(), a.cacheDir)
	}
	return s, nil
}

// fidStatsOptions reports progress on stderr at most every
// a.progressEverySecs seconds (and at the end of a pass).
func fidStatsOptions(env *cliEnv, a fidArgs, name string) imageio.StatsOptions {
	last := time.Now()
	return imageio.StatsOptions{Batch: a.batch, Progress: func(done, total int) {
		if done < total && time.Since(last).Seconds() < a.progressEverySecs {
			return
		}
		last = time.Now()
		fmt.Fprintf(env.stderr, "maskgit fid: %s %d/%d images\n", name, done, total)
	}}
}

// classifyFIDError makes an unreadable image exit with status 2.
func classifyFIDError(err error) error {
	var fe *imageio.FileError
	if errors.As(err, &fe) {
		return usageError{err}
	}
	return err
}

// closeFIDResource closes c and keeps its error in *err unless *err is already set.
func closeFIDResource(err *error, c io.Closer) {
	if cerr := c.Close(); cerr != nil && *err == nil {
		*err = cerr
	}
}
