package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/maskgit-go/maskgit/fid/imageio"
	"github.com/maskgit-go/maskgit/masks"
	"github.com/maskgit-go/maskgit/pipeline"
)

// The shipped model and examples, relative to the repository root.
const (
	shippedModel    = "models/catfaces64"
	shippedExamples = "examples"
	maskSuffix      = "_mask.png"
)

// repoPath finds rel in the repository: next to the executable's folder
// (bin/maskgit → ../rel) or under the working directory. It returns the
// first candidate that exists, or an error listing where it looked.
func repoPath(rel, what, flag string) (string, error) {
	var cands []string
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		cands = append(cands, filepath.Join(filepath.Dir(filepath.Dir(exe)), rel))
	}
	if wd, err := os.Getwd(); err == nil {
		if c := filepath.Join(wd, rel); len(cands) == 0 || cands[0] != c {
			cands = append(cands, c)
		}
	}
	for _, c := range cands {
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
	}
	return "", badInput("no shipped %s at %s; pass %s", what, strings.Join(cands, " or "), flag)
}

// demoExample is one example: an image and its lab mask.
type demoExample struct {
	name, image, mask string
}

// listExamples reads the examples layout: <name>.png with <name>_mask.png
// (64x64 greyscale, 0 = hole) beside it, in name order. Other files are
// ignored; an image without its mask or a mask without its image is an
// error naming the file.
func listExamples(dir string) ([]demoExample, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, badInput("examples folder %s does not exist", dir)
	}
	if err != nil {
		return nil, usageError{err}
	}
	files := map[string]bool{}
	for _, e := range entries {
		if !e.IsDir() && strings.EqualFold(filepath.Ext(e.Name()), ".png") {
			files[e.Name()] = true
		}
	}
	var out []demoExample
	for f := range files {
		if strings.HasSuffix(f, maskSuffix) {
			if !files[strings.TrimSuffix(f, maskSuffix)+".png"] {
				return nil, badInput("mask %s has no image %s", filepath.Join(dir, f), strings.TrimSuffix(f, maskSuffix)+".png")
			}
			continue
		}
		stem := strings.TrimSuffix(f, filepath.Ext(f))
		if !files[stem+maskSuffix] {
			return nil, badInput("example %s has no mask %s", filepath.Join(dir, f), filepath.Join(dir, stem+maskSuffix))
		}
		out = append(out, demoExample{name: stem, image: filepath.Join(dir, f), mask: filepath.Join(dir, stem+maskSuffix)})
	}
	if len(out) == 0 {
		return nil, badInput("no examples in %s (want <name>.png with <name>%s)", dir, maskSuffix)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// demoLayout is the geometry of the demo grid: one row per example, columns
// input (holes grey) | mask | result | decoding steps, every cell scaled by
// an integer factor and separated by pad pixels.
type demoLayout struct {
	res, scale, pad, steps int
}

func (l demoLayout) cell() int { return l.res * l.scale }

// cellOrigin is the top-left pixel of column col (0 input, 1 mask, 2 result,
// 3+k step k) of row row.
func (l demoLayout) cellOrigin(row, col int) image.Point {
	x := l.pad + min(col, 3)*(l.cell()+l.pad) + max(col-3, 0)*l.cell()
	return image.Pt(x, l.pad+row*(l.cell()+l.pad))
}

func (l demoLayout) size(rows int) image.Rectangle {
	w := l.pad + 3*(l.cell()+l.pad) + l.steps*l.cell() + l.pad
	return image.Rect(0, 0, w, l.pad+rows*(l.cell()+l.pad))
}

// drawScaled draws src (from its bounds' origin) at o, every pixel a
// scale×scale square.
func drawScaled(dst *image.RGBA, o image.Point, src image.Image, scale int) {
	b := src.Bounds()
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			r := image.Rect(o.X+x*scale, o.Y+y*scale, o.X+(x+1)*scale, o.Y+(y+1)*scale)
			draw.Draw(dst, r, &image.Uniform{src.At(b.Min.X+x, b.Min.Y+y)}, image.Point{}, draw.Src)
		}
	}
}

// composeDemo draws the demo grid of jobs and their outputs.
func composeDemo(jobs []pipeline.Job, outs []pipeline.Output, res, scale, pad int) *image.RGBA {
	l := demoLayout{res: res, scale: scale, pad: pad}
	for _, o := range outs {
		if o.StepStrip != nil {
			l.steps = max(l.steps, o.StepStrip.Bounds().Dx()/res)
		}
	}
	grid := image.NewRGBA(l.size(len(jobs)))
	draw.Draw(grid, grid.Bounds(), &image.Uniform{color.RGBA{48, 48, 48, 255}}, image.Point{}, draw.Src) // dark: the white of the masks stands out
	for i, j := range jobs {
		drawScaled(grid, l.cellOrigin(i, 0), masks.Masked(j.Image, j.Mask), scale)
		drawScaled(grid, l.cellOrigin(i, 1), masks.Image(j.Mask), scale)
		drawScaled(grid, l.cellOrigin(i, 2), outs[i].Image, scale)
		if outs[i].StepStrip != nil {
			drawScaled(grid, l.cellOrigin(i, 3), outs[i].StepStrip, scale)
		}
	}
	return grid
}

// runDemo inpaints the examples with step strips and composes the grid.
func runDemo(ctx context.Context, model *pipeline.Model, examples []demoExample, opt pipeline.InpaintOptions, scale int, warn func(string)) ([]pipeline.Job, []pipeline.Output, *image.RGBA, error) {
	res := int(model.Tokenizer.Cfg.Resolution)
	jobs := make([]pipeline.Job, len(examples))
	dec, err := imageio.NewDecoder()
	if err != nil {
		return nil, nil, nil, err
	}
	defer dec.Close()
	for i, e := range examples {
		var buf strings.Builder
		j, err := loadJob(benchPair(e), res, uint64(i), &buf, dec)
		if err != nil {
			return nil, nil, nil, err
		}
		if buf.Len() > 0 {
			warn(buf.String())
		}
		jobs[i] = j
	}
	opt.Decode.SaveSteps = true
	outs, err := model.Inpaint(ctx, jobs, opt)
	if err != nil {
		return nil, nil, nil, err
	}
	return jobs, outs, composeDemo(jobs, outs, res, scale, 2*scale), nil
}

func demoCommand() command {
	return command{
		name:    "demo",
		summary: "inpaint the shipped examples with the shipped model and write one picture of it all",
		flags: func(fs *pflag.FlagSet) func(context.Context, *cliEnv, []string) error {
			var mf modelFlags
			var df decodeFlags
			fs.StringVar(&mf.dir, "model", "", "model directory (default: the shipped "+shippedModel+", found next to bin/ or in the working directory)")
			examples := fs.String("examples", "", "folder of <name>.png images with <name>_mask.png masks (0 = hole) (default: the shipped "+shippedExamples+"/)")
			out := fs.String("out", filepath.Join("out", "demo.png"), "the picture to write")
			scale := fs.Int("scale", 2, "pixels per image pixel in the picture")
			df.register(fs)
			fs.StringVar(&mf.device, "device", "cpu", "cpu or gpu:N")
			fs.IntVar(&mf.threads, "threads", 0, "TensorFlow threads (0: all cores)")
			mf.registerBF16(fs)
			return func(ctx context.Context, env *cliEnv, args []string) error {
				if len(args) > 0 {
					return badInput("unexpected arguments %q", args)
				}
				if *scale < 1 || *scale > 16 {
					return badInput("--scale must be 1…16, got %d", *scale)
				}
				if err := df.check(); err != nil {
					return err
				}
				var err error
				if mf.dir == "" {
					if mf.dir, err = repoPath(shippedModel, "model", "--model"); err != nil {
						return err
					}
				}
				if *examples == "" {
					if *examples, err = repoPath(shippedExamples, "examples", "--examples"); err != nil {
						return err
					}
				}
				exs, err := listExamples(*examples)
				if err != nil {
					return err
				}
				t0 := time.Now()
				model, err := mf.load(env.stderr)
				if err != nil {
					return err
				}
				defer model.Close()
				_, opt, err := df.options(model.Settings)
				if err != nil {
					return err
				}
				_, outs, grid, err := runDemo(ctx, model, exs, opt, *scale, func(s string) { fmt.Fprint(env.stderr, s) })
				if err != nil {
					return err
				}
				if err := writePNG(*out, grid); err != nil {
					return err
				}
				abs, err := filepath.Abs(*out)
				if err != nil {
					abs = *out
				}
				steps := 0
				if outs[0].StepStrip != nil {
					steps = outs[0].StepStrip.Bounds().Dx() / int(model.Tokenizer.Cfg.Resolution)
				}
				fmt.Fprintf(env.stdout, "inpainted %d examples from %s with %s in %.1f s\n", len(exs), *examples, mf.dir, time.Since(t0).Seconds())
				plural := "s"
				if steps == 1 {
					plural = ""
				}
				fmt.Fprintf(env.stdout, "columns: input (holes grey) | mask (black = hole) | result | the image after each of %d decoding step%s\n", steps, plural)
				fmt.Fprintf(env.stdout, "wrote %s\n", abs)
				return nil
			}
		},
	}
}
