package main

import (
	"context"
	"fmt"
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
	"github.com/maskgit-go/maskgit/plot"
)

// sweepRow is one setting of the sweep and its score.
type sweepRow struct {
	Schedule        string
	Total, Sweet    int
	FID             float64
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
			df.register(fs)
			var fa fidArgs
			fs.StringVar(&fa.cacheDir, "cache-dir", "", fidCacheDirUsage)
			fs.StringVar(&fa.weights, "weights", "", "converted Inception weights file (default: fetched once, see fid-weights)")
			fa.batch, fa.progressEverySecs = imageio.DefaultBatch, 30
			return func(ctx context.Context, env *cliEnv, args []string) error {
				if len(args) > 0 {
					return badInput("unexpected arguments %q", args)
				}
				if *out == "" || *data == "" {
					return badInput("--out and --data are required")
				}
				scheds := strings.Split(*schedules, ",")
				for _, s := range scheds {
					if _, err := inpaint.ScheduleByName(s); err != nil {
						return usageError{err}
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
				pairs, err := pairImagesAndMasks(filepath.Join(*data, "masked_image"), filepath.Join(*data, "mask64"))
				if err != nil {
					return err
				}
				fa.ref = filepath.Join(*data, "test")
				if _, err := imageio.ListFolder(fa.ref); err != nil {
					return usageError{err}
				}
				rows, err := runSweep(ctx, env, mf, df, fa, pairs, *out, scheds, ts, ss)
				if err != nil {
					return err
				}
				return writeSweepReport(*out, rows)
			}
		},
	}
}

func runSweep(ctx context.Context, env *cliEnv, mf modelFlags, df decodeFlags, fa fidArgs, pairs []benchPair, out string,
	scheds []string, totals, sweets []int) (rows []sweepRow, err error) {
	model, err := mf.load()
	if err != nil {
		return nil, err
	}
	defer model.Close()
	if fa.cacheDir == "" {
		if fa.cacheDir, err = inception.DefaultCacheDir(); err != nil {
			return nil, err
		}
	}
	ext, weightsSHA, err := loadFIDExtractor(ctx, env, fa)
	if err != nil {
		return nil, err
	}
	defer closeFIDResource(&err, ext)
	dec, err := imageio.NewDecoder()
	if err != nil {
		return nil, err
	}
	defer closeFIDResource(&err, dec)
	refFiles, err := imageio.ListFolder(fa.ref)
	if err != nil {
		return nil, usageError{err}
	}
	ref, err := fidRefStats(ctx, env, fa, fidInputs{ref: refFiles}, dec, ext, imageio.ExtractorID(weightsSHA))
	if err != nil {
		return nil, err
	}
	// A single step fills every hole with the first prediction, whatever the
	// schedule and T (inpaint.TestSingleStepIgnoresScheduleAndT): it is run
	// and scored once and reported for every schedule and T.
	var single *sweepRow
	for _, sched := range scheds {
		for _, T := range totals {
			for _, s := range sweets {
				if s > T {
					continue
				}
				if s == 1 && single != nil {
					r := *single
					r.Schedule, r.Total = sched, T
					rows = append(rows, r)
					fmt.Fprintf(env.stdout, "%-8s T=%-3d s=%-3d FID %8.3f  %.3f s/image (the single step of %s T=%d)\n", sched, T, s, r.FID, r.SecondsPerImage, single.Schedule, single.Total)
					continue
				}
				d := df
				d.schedule, d.total, d.sweet = sched, T, s
				opt, err := d.options()
				if err != nil {
					return nil, err
				}
				dir := filepath.Join(out, fmt.Sprintf("%s_T%d_s%d", sched, T, s))
				spi, err := inpaintFolder(ctx, model, pairs, dir, opt, false, env.stderr)
				if err != nil {
					return nil, err
				}
				files, err := imageio.ListFolder(dir)
				if err != nil {
					return nil, err
				}
				start := time.Now()
				st, err := imageio.FileStats(ctx, dec, ext, files, imageio.StatsOptions{Batch: fa.batch})
				if err != nil {
					return nil, err
				}
				f, err := fid.FrechetDistance(st, ref)
				if err != nil {
					return nil, err
				}
				row := sweepRow{Schedule: sched, Total: T, Sweet: s, FID: f, SecondsPerImage: spi}
				rows = append(rows, row)
				if s == 1 {
					single = &row
				}
				fmt.Fprintf(env.stdout, "%-8s T=%-3d s=%-3d FID %8.3f  %.3f s/image (FID pass %.0f s)\n", sched, T, s, f, spi, time.Since(start).Seconds())
				// Keep the partial report current: a long sweep can be read while it runs.
				if err := writeSweepReport(out, rows); err != nil {
					return nil, err
				}
			}
		}
	}
	return rows, nil
}

// writeSweepReport writes sweep.csv, sweep.md and the two figures.
func writeSweepReport(out string, rows []sweepRow) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var csv, md strings.Builder
	csv.WriteString("schedule,total_iter,sweet_spot,fid,seconds_per_image\n")
	md.WriteString("| schedule | T | sweet spot | FID | s/image |\n| --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Fprintf(&csv, "%s,%d,%d,%.4f,%.4f\n", r.Schedule, r.Total, r.Sweet, r.FID, r.SecondsPerImage)
		fmt.Fprintf(&md, "| %s | %d | %d | %.2f | %.3f |\n", r.Schedule, r.Total, r.Sweet, r.FID, r.SecondsPerImage)
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
