package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/maskgit-go/maskgit/fid"
	"github.com/maskgit-go/maskgit/fid/imageio"
	"github.com/maskgit-go/maskgit/fid/inception"
	"github.com/maskgit-go/maskgit/inpaint"
	"github.com/maskgit-go/maskgit/internal/atomicfile"
	"github.com/maskgit-go/maskgit/pipeline"
	"github.com/maskgit-go/maskgit/plot"
)

// sweepRow is one setting of the sweep and its score.
type sweepRow struct {
	Schedule        string
	Total, Sweet    int
	Composite       string
	FID             float64
	HolePSNR        float64 // mean PSNR of the hole pixels, dB; 0 without ground truth
	SecondsPerImage float64
}

func parseInts(flag, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 {
			return nil, badInput("--%s: %q is not a list of positive integers", flag, s)
		}
		out = append(out, v)
	}
	return out, nil
}

func sweepCommand() command {
	return command{
		name:    "sweep",
		summary: "inpaint a masks folder for schedules × total iterations × sweet spots and score each with FID",
		flags: func(fs *pflag.FlagSet) func(context.Context, *cliEnv, []string) error {
			var mf modelFlags
			var df decodeFlags
			mf.register(fs)
			data := fs.String("data", defaultDataDir(""), "benchmark folder with masked_image/, mask64/ and the ground truth test/")
			out := fs.String("out", "", "output folder: one subfolder per setting, sweep.csv, sweep.md, gamma.png, fid_vs_sweet_spot.png (required)")
			schedules := fs.String("schedules", "cosine,linear,square", "comma-separated schedules")
			totals := fs.String("totals", "12", "comma-separated total iterations T")
			sweets := fs.String("sweet-spots", "1,2,4,6,8,10,12", "comma-separated sweet spots s (settings with s > T are skipped; s = 1, which does not depend on the schedule or T, is run once)")
			composites := fs.String("composites", "", "comma-separated composite modes to compare: residual, hard, none (default: the model's)")
			// The lists above replace the singular --schedule, --total-iter,
			// --sweet-spot and --composite of the other commands.
			df.registerExcept(fs, "schedule", "total-iter", "sweet-spot", "composite")
			var fa fidArgs
			fs.StringVar(&fa.cacheDir, "cache-dir", "", fidCacheDirUsage)
			fs.StringVar(&fa.weights, "weights", "", "converted Inception weights file (default: fetched once, see fid-weights)")
			fa.batch, fa.progressEverySecs = imageio.DefaultBatch, 30
			return func(ctx context.Context, env *cliEnv, args []string) error {
				if len(args) > 0 {
					return badInput("unexpected arguments %q", args)
				}
				if *out == "" {
					return badInput("--out is required")
				}
				if *data == "" {
					return badInput("--data is required (%s)", noSharedData)
				}
				scheds := strings.Split(*schedules, ",")
				for _, s := range scheds {
					if _, err := inpaint.ScheduleByName(s); err != nil {
						return usageError{err}
					}
				}
				if err := df.check(); err != nil {
					return err
				}
				var comps []string
				if *composites != "" {
					comps = strings.Split(*composites, ",")
					for _, c := range comps {
						if _, err := inpaint.CompositeByName(c); err != nil {
							return usageError{fmt.Errorf("--composites: %w", err)}
						}
					}
				}
				ts, err := parseInts("totals", *totals)
				if err != nil {
					return err
				}
				ss, err := parseInts("sweet-spots", *sweets)
				if err != nil {
					return err
				}
				pairs, err := pairImagesAndMasks(filepath.Join(*data, "masked_image"), filepath.Join(*data, "mask64"), "--data", "--data")
				if err != nil {
					return err
				}
				fa.ref = filepath.Join(*data, "test")
				if _, err := imageio.ListFolder(fa.ref); err != nil {
					return usageError{err}
				}
				truth, err := readTestIndex(*data)
				if err != nil {
					fmt.Fprintf(env.stderr, "no hole PSNR: %v\n", err)
				}
				rows, best, err := runSweep(ctx, env, mf, df, fa, pairs, truth, *out, scheds, ts, ss, comps)
				if err != nil {
					return err
				}
				if err := writeSweepReport(*out, rows); err != nil {
					return err
				}
				if err := pipeline.WriteSettings(*out, best); err != nil {
					return err
				}
				fmt.Fprintf(env.stdout, "best: %s T=%d s=%d composite %s (%s); its settings: %s (copy into a model directory to make them its defaults)\n",
					best.Schedule, best.TotalIter, best.SweetSpot, best.Composite, best.Note, filepath.Join(*out, pipeline.SettingsFile))
				return nil
			}
		},
	}
}

// runSweep scores every setting and returns the rows and the settings of
// the best (lowest FID). truth (output name → ground truth) may be nil.
func runSweep(ctx context.Context, env *cliEnv, mf modelFlags, df decodeFlags, fa fidArgs, pairs []benchPair, truth map[string]string, out string,
	scheds []string, totals, sweets []int, comps []string) (rows []sweepRow, best pipeline.Settings, err error) {
	model, err := mf.load(env.stderr)
	if err != nil {
		return nil, best, err
	}
	defer model.Close()
	base := df.settings(model.Settings)
	if len(comps) == 0 {
		comps = []string{base.Composite}
	}
	if fa.cacheDir == "" {
		if fa.cacheDir, err = inception.DefaultCacheDir(); err != nil {
			return nil, best, err
		}
	}
	ext, weightsSHA, err := loadFIDExtractor(ctx, env, fa)
	if err != nil {
		return nil, best, err
	}
	defer closeFIDResource(&err, ext)
	dec, err := imageio.NewDecoder()
	if err != nil {
		return nil, best, err
	}
	defer closeFIDResource(&err, dec)
	refFiles, err := imageio.ListFolder(fa.ref)
	if err != nil {
		return nil, best, usageError{err}
	}
	ref, err := fidRefStats(ctx, env, fa, fidInputs{ref: refFiles}, dec, ext, imageio.ExtractorID(weightsSHA))
	if err != nil {
		return nil, best, err
	}
	// A single step fills every hole with the first prediction, whatever the
	// schedule and T (inpaint.TestSingleStepIgnoresScheduleAndT): it is run
	// and scored once and reported for every schedule and T.
	// A single step fills every hole with the first prediction, whatever the
	// schedule and T (inpaint.TestSingleStepIgnoresScheduleAndT): it is run
	// and scored once per composite and reported for every schedule and T.
	single := map[string]*sweepRow{}
	bestFID := math.Inf(1)
	precision := mf.precision() // the note says when the scores are of a bfloat16 run
	for _, comp := range comps {
		for _, sched := range scheds {
			for _, T := range totals {
				for _, s := range sweets {
					if s > T {
						continue
					}
					if one := single[comp]; s == 1 && one != nil {
						r := *one
						r.Schedule, r.Total = sched, T
						rows = append(rows, r)
						fmt.Fprintf(env.stdout, "%-8s T=%-3d s=%-3d %-8s FID %8.3f  hole PSNR %.2f dB  %.3f s/image (the single step of %s T=%d)\n",
							sched, T, s, comp, r.FID, r.HolePSNR, r.SecondsPerImage, one.Schedule, one.Total)
						continue
					}
					set := base
					set.Schedule, set.TotalIter, set.SweetSpot, set.Composite = sched, T, s, comp
					opt, err := set.Options(df.batch)
					if err != nil {
						return nil, best, usageError{err}
					}
					dir := filepath.Join(out, fmt.Sprintf("%s_T%d_s%d", sched, T, s))
					if len(comps) > 1 {
						dir += "_" + comp
					}
					spi, err := inpaintFolder(ctx, model, pairs, dir, opt, false, env.stderr)
					if err != nil {
						return nil, best, err
					}
					files, err := imageio.ListFolder(dir)
					if err != nil {
						return nil, best, err
					}
					start := time.Now()
					st, err := imageio.FileStats(ctx, dec, ext, files, imageio.StatsOptions{Batch: fa.batch})
					if err != nil {
						return nil, best, err
					}
					f, err := fid.FrechetDistance(st, ref)
					if err != nil {
						return nil, best, err
					}
					row := sweepRow{Schedule: sched, Total: T, Sweet: s, Composite: comp, FID: f, SecondsPerImage: spi}
					if truth != nil {
						if row.HolePSNR, err = holePSNR(dec, pairs, dir, truth); err != nil {
							return nil, best, err
						}
					}
					rows = append(rows, row)
					if s == 1 {
						single[comp] = &row
					}
					if f < bestFID {
						bestFID, best = f, set
						best.Note = fmt.Sprintf("best of a sweep on %s: FID %.2f, hole PSNR %.2f dB%s", filepath.Dir(pairs[0].image), f, row.HolePSNR, precision)
					}
					fmt.Fprintf(env.stdout, "%-8s T=%-3d s=%-3d %-8s FID %8.3f  hole PSNR %.2f dB  %.3f s/image (FID pass %.0f s)\n",
						sched, T, s, comp, f, row.HolePSNR, spi, time.Since(start).Seconds())
					// Keep the partial report current: a long sweep can be read while it runs.
					if err := writeSweepReport(out, rows); err != nil {
						return nil, best, err
					}
				}
			}
		}
	}
	return rows, best, nil
}

// writeSweepReport writes sweep.csv, sweep.md and the two figures.
func writeSweepReport(out string, rows []sweepRow) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var csv, md strings.Builder
	csv.WriteString("schedule,total_iter,sweet_spot,composite,fid,hole_psnr_db,seconds_per_image\n")
	md.WriteString("| schedule | T | sweet spot | composite | FID | hole PSNR (dB) | s/image |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Fprintf(&csv, "%s,%d,%d,%s,%.4f,%.3f,%.4f\n", r.Schedule, r.Total, r.Sweet, r.Composite, r.FID, r.HolePSNR, r.SecondsPerImage)
		fmt.Fprintf(&md, "| %s | %d | %d | %s | %.2f | %.2f | %.3f |\n", r.Schedule, r.Total, r.Sweet, r.Composite, r.FID, r.HolePSNR, r.SecondsPerImage)
	}
	if err := atomicfile.WriteFile(filepath.Join(out, "sweep.csv"), []byte(csv.String()), 0o644); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(out, "sweep.md"), []byte(md.String()), 0o644); err != nil {
		return err
	}
	var gammas, fids []plot.Series
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.Schedule] {
			continue
		}
		seen[r.Schedule] = true
		g, err := inpaint.ScheduleByName(r.Schedule)
		if err != nil {
			return err
		}
		var x, y []float64
		for i := 0; i <= 100; i++ {
			x = append(x, float64(i)/100)
			y = append(y, g(float64(i)/100, 256))
		}
		gammas = append(gammas, plot.Series{Name: r.Schedule, X: x, Y: y})
	}
	for _, r := range rows {
		name := fmt.Sprintf("%s T=%d", r.Schedule, r.Total)
		if r.Composite != "" {
			name += " " + r.Composite
		}
		k := -1
		for i, s := range fids {
			if s.Name == name {
				k = i
			}
		}
		if k < 0 {
			fids = append(fids, plot.Series{Name: name})
			k = len(fids) - 1
		}
		fids[k].X = append(fids[k].X, float64(r.Sweet))
		fids[k].Y = append(fids[k].Y, r.FID)
	}
	charts := map[string]plot.Chart{
		"gamma.png":             {Title: "mask schedules: share of tokens still masked", XLabel: "r = (t+1)/T", YLabel: "gamma(r)", Series: gammas},
		"fid_vs_sweet_spot.png": {Title: "FID against sweet spot", XLabel: "sweet spot s", YLabel: "FID", Series: fids, Markers: true},
	}
	for name, c := range charts {
		if len(c.Series) == 0 {
			continue
		}
		img, err := c.Render()
		if err != nil {
			return err
		}
		if err := writePNG(filepath.Join(out, name), img); err != nil {
			return err
		}
	}
	return nil
}
