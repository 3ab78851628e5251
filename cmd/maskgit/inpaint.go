package main

import (
	"context"
	"fmt"
	"image"
	_ "image/jpeg" // decoders for input images
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/inpaint"
	"github.com/maskgit-go/maskgit/internal/atomicfile"
	"github.com/maskgit-go/maskgit/pipeline"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// modelFlags load a model directory.
type modelFlags struct {
	dir, device string
	threads     int
}

func (m *modelFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&m.dir, "model", "", "model directory: a transformer run (its config names the tokenizer) or a folder with tokenizer/ and transformer/ (required)")
	fs.StringVar(&m.device, "device", "cpu", "cpu or gpu:N")
	fs.IntVar(&m.threads, "threads", 0, "TensorFlow threads (0: all cores)")
}

func (m *modelFlags) load() (*pipeline.Model, error) {
	if m.dir == "" {
		return nil, badInput("--model is required")
	}
	dev, err := tfmodel.ParseDevice(m.device)
	if err != nil {
		return nil, usageError{err}
	}
	model, err := pipeline.Load(m.dir, pipeline.Options{Device: dev, Threads: m.threads})
	if err != nil {
		return nil, usageError{err}
	}
	return model, nil
}

// benchPair is an image and its mask.
type benchPair struct {
	name, image, mask string
}

// pairImagesAndMasks pairs every image in imagesDir with its mask in
// masksDir: image_NNN.* with mask_NNN.png (the lab layout), otherwise the
// file with the same name. A missing mask is an error naming the image.
func pairImagesAndMasks(imagesDir, masksDir string) ([]benchPair, error) {
	files, err := dataset.ListImages(imagesDir)
	if err != nil {
		return nil, usageError{err}
	}
	pairs := make([]benchPair, 0, len(files))
	for _, f := range files {
		base := filepath.Base(f)
		stem := strings.TrimSuffix(base, filepath.Ext(base))
		cands := []string{filepath.Join(masksDir, filepath.Dir(f), base)}
		if num, ok := strings.CutPrefix(stem, "image_"); ok {
			cands = append([]string{filepath.Join(masksDir, filepath.Dir(f), "mask_"+num+".png")}, cands...)
		}
		found := ""
		for _, c := range cands {
			if _, err := os.Stat(c); err == nil {
				found = c
				break
			}
		}
		if found == "" {
			return nil, badInput("no mask for %s in %s (looked for %s)", filepath.Join(imagesDir, f), masksDir, strings.Join(cands, ", "))
		}
		pairs = append(pairs, benchPair{name: strings.TrimSuffix(f, filepath.Ext(f)) + ".png", image: filepath.Join(imagesDir, f), mask: found})
	}
	return pairs, nil
}

// loadJob reads an image and its mask for the model's resolution.
func loadJob(p benchPair, res int, index uint64, warn io.Writer) (pipeline.Job, error) {
	f, err := os.Open(p.image)
	if err != nil {
		return pipeline.Job{}, usageError{err}
	}
	img, _, err := image.Decode(f)
	f.Close()
	if err != nil {
		return pipeline.Job{}, badInput("%s: not a readable PNG or JPEG image: %v", p.image, err)
	}
	if b := img.Bounds(); b.Dx() != res || b.Dy() != res {
		return pipeline.Job{}, badInput("%s is %dx%d; the model takes %dx%d images", p.image, b.Dx(), b.Dy(), res, res)
	}
	m, nonBinary, err := inpaint.ReadMask(p.mask, res, res)
	if err != nil {
		return pipeline.Job{}, usageError{err}
	}
	if nonBinary > 0 {
		fmt.Fprintf(warn, "warning: mask %s has %d pixels other than 0/255; thresholded at 128\n", p.mask, nonBinary)
	}
	return pipeline.Job{Image: img, Mask: m, Index: index}, nil
}

func writePNG(path string, img image.Image) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { return png.Encode(w, img) })
}

// inpaintFolder inpaints every pair in batches, writing outDir/<name>.
// It returns the seconds per image spent inpainting (reading and writing
// excluded).
func inpaintFolder(ctx context.Context, model *pipeline.Model, pairs []benchPair, outDir string, opt pipeline.InpaintOptions, saveSteps bool, warn io.Writer) (float64, error) {
	res := int(model.Tokenizer.Cfg.Resolution)
	batch := opt.Decode.Batch
	if batch <= 0 {
		batch = len(pairs)
	}
	opt.Decode.SaveSteps = saveSteps
	var spent time.Duration
	for s := 0; s < len(pairs); s += batch {
		e := min(s+batch, len(pairs))
		jobs := make([]pipeline.Job, 0, e-s)
		for i := s; i < e; i++ {
			j, err := loadJob(pairs[i], res, uint64(i), warn)
			if err != nil {
				return 0, err
			}
			jobs = append(jobs, j)
		}
		t0 := time.Now()
		outs, err := model.Inpaint(ctx, jobs, opt)
		if err != nil {
			return 0, err
		}
		spent += time.Since(t0)
		for k, o := range outs {
			p := pairs[s+k]
			if err := writePNG(filepath.Join(outDir, p.name), o.Image); err != nil {
				return 0, err
			}
			if saveSteps && o.StepStrip != nil {
				stem := strings.TrimSuffix(p.name, ".png")
				if err := writePNG(filepath.Join(outDir, "steps", stem+"_mask.png"), o.MaskStrip); err != nil {
					return 0, err
				}
				if err := writePNG(filepath.Join(outDir, "steps", stem+"_steps.png"), o.StepStrip); err != nil {
					return 0, err
				}
			}
		}
	}
	return spent.Seconds() / float64(max(len(pairs), 1)), nil
}

func inpaintCommand() command {
	return command{
		name:    "inpaint",
		summary: "fill the holes of masked images with iterative decoding",
		flags: func(fs *pflag.FlagSet) func(context.Context, *cliEnv, []string) error {
			var mf modelFlags
			var df decodeFlags
			mf.register(fs)
			images := fs.String("images", "", "folder of images (e.g. masked_image/ with image_%03d.png) (required)")
			masks := fs.String("masks", "", "folder of masks (mask_%03d.png or same names; 0 = hole) (required)")
			out := fs.String("out", "", "output folder (required)")
			df.register(fs)
			noComposite := fs.Bool("no-composite", false, "same as --composite none")
			_ = fs.MarkDeprecated("no-composite", "use --composite none")
			saveSteps := fs.Bool("save-steps", false, "also write per image the latent mask and the decoded image at each step (out/steps/)")
			return func(ctx context.Context, env *cliEnv, args []string) error {
				if len(args) > 0 {
					return badInput("unexpected arguments %q", args)
				}
				if *images == "" || *masks == "" || *out == "" {
					return badInput("--images, --masks and --out are required")
				}
				if err := df.check(); err != nil {
					return err
				}
				pairs, err := pairImagesAndMasks(*images, *masks)
				if err != nil {
					return err
				}
				model, err := mf.load()
				if err != nil {
					return err
				}
				defer model.Close()
				set, opt, err := df.options(model.Settings)
				if err != nil {
					return err
				}
				if *noComposite {
					set.Composite, opt.Composite = inpaint.CompositeNone.String(), inpaint.CompositeNone
				}
				spi, err := inpaintFolder(ctx, model, pairs, *out, opt, *saveSteps, env.stderr)
				if err != nil {
					return err
				}
				fmt.Fprintf(env.stdout, "inpainted %d images into %s (%s, T=%d, sweet spot %d, composite %s): %.3f s per image\n",
					len(pairs), *out, set.Schedule, set.TotalIter, set.SweetSpot, set.Composite, spi)
				return nil
			}
		},
	}
}
