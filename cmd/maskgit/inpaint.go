package main

import (
	"context"
	"errors"
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
	"github.com/maskgit-go/maskgit/fid/imageio"
	"github.com/maskgit-go/maskgit/inpaint"
	"github.com/maskgit-go/maskgit/internal/atomicfile"
	"github.com/maskgit-go/maskgit/pipeline"
	"github.com/maskgit-go/maskgit/savedmodel"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// modelFlags load a model directory.
type modelFlags struct {
	dir, device string
	threads     int
	bf16        bf16Flag
}

// bf16Flag is the value of --bf16: which parts run in bfloat16, checked as
// the flags are parsed. Not given (or "auto"), modelFlags.options decides.
type bf16Flag struct {
	opt   pipeline.Options
	given bool
}

func (f *bf16Flag) String() string {
	if !f.given {
		return "auto"
	}
	return f.opt.BFloat16()
}

func (f *bf16Flag) Set(v string) error {
	if strings.EqualFold(strings.TrimSpace(v), "auto") {
		*f = bf16Flag{}
		return nil
	}
	f.given = true
	return f.opt.SetBFloat16(v)
}

func (f *bf16Flag) Type() string { return "string" }

func (m *modelFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&m.dir, "model", "", "model directory (a transformer run, or a folder with tokenizer/ and transformer/) or a SavedModel from 'maskgit export' (required)")
	fs.StringVar(&m.device, "device", "cpu", "cpu or gpu:N")
	fs.IntVar(&m.threads, "threads", 0, "TensorFlow threads (0: all cores)")
	m.registerBF16(fs)
}

// registerBF16 registers --bf16: alone it means all, with a value
// (--bf16=transformer) the parts it names.
func (m *modelFlags) registerBF16(fs *pflag.FlagSet) {
	fs.Var(&m.bf16, "bf16", "run the model in bfloat16 mixed precision on the CPU (oneDNN; fast with AVX512_BF16 or AMX): "+
		"--bf16 alone for the tokenizer and the transformer, --bf16=transformer or --bf16=tokenizer for one of them, --bf16=off for float32. "+
		"auto (the default): transformer on a CPU with AVX512_BF16 or AMX-BF16 (1.4x faster here) when --model is a model directory, "+
		"off elsewhere and for a SavedModel (which takes both parts or neither). "+
		"Results can differ slightly from float32: the transformer's logits by about 2% (a few argmax tokens change) "+
		"and the tokenizer's codes for a few per cent of the tokens. On the shipped model --bf16=transformer moved the FID by at most 0.02 "+
		"and --bf16 cost about 0.2 (docs/results.md); either way an image gets the same bits alone and in any batch")
	fs.Lookup("bf16").NoOptDefVal = "all"
}

// options returns the pipeline options of the flags. Without --bf16 the
// transformer runs in bfloat16 on a CPU with native bfloat16 products when
// --model is a model directory (as train's --bf16 defaults on such a CPU),
// and everything in float32 otherwise.
func (m *modelFlags) options() (pipeline.Options, error) {
	dev, err := tfmodel.ParseDevice(m.device)
	if err != nil {
		return pipeline.Options{}, usageError{err}
	}
	opt := m.bf16.opt
	if !m.bf16.given && cpuHasBF16() && m.dir != "" && !savedmodel.IsSavedModel(m.dir) {
		opt.BFloat16Transformer = true
	}
	opt.Device, opt.Threads = dev, m.threads
	return opt, nil
}

// precision is ", bfloat16 PARTS" when the options run a part in bfloat16,
// "" in float32: for the summary lines.
func (m *modelFlags) precision() string {
	opt, err := m.options()
	if b := opt.BFloat16(); err == nil && b != "off" {
		return ", bfloat16 " + b
	}
	return ""
}

// load loads the model; warn gets a warning when --bf16 is given on a CPU
// without bfloat16 instructions.
func (m *modelFlags) load(warn io.Writer) (*pipeline.Model, error) {
	if m.dir == "" {
		return nil, badInput("--model is required")
	}
	opt, err := m.options()
	if err != nil {
		return nil, err
	}
	if opt.BFloat16() != "off" && bf16Emulated() {
		fmt.Fprintln(warn, "warning: --bf16: this CPU has neither AVX512_BF16 nor AMX-BF16: bfloat16 is emulated (slower than float32) or, without AVX512F, not applied")
	}
	model, err := savedmodel.LoadPipeline(m.dir, opt)
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
// file with the same name. A missing mask is an error naming the image; a
// missing folder is an error naming it and the flag that gave it (flag:
// e.g. "--images/--masks", or "--data" when both come from one folder).
func pairImagesAndMasks(imagesDir, masksDir string, imagesFlag, masksFlag string) ([]benchPair, error) {
	files, err := dataset.ListImages(imagesDir)
	if err != nil {
		return nil, usageError{fmt.Errorf("%s: %w", imagesFlag, err)}
	}
	if st, err := os.Stat(masksDir); err != nil || !st.IsDir() {
		return nil, badInput("%s: mask folder %s does not exist", masksFlag, masksDir)
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

// loadJob reads an image and its mask for the model's resolution. Both
// sizes are checked from the files' headers before any pixel is decoded: a
// small file declaring a huge image is refused without allocating it.
// dec decodes the image (nil: Go's image.Decode); the commands pass
// fid/imageio's, the decoder training, encode and fid use.
func loadJob(p benchPair, res int, index uint64, warn io.Writer, dec dataset.ImageDecoder) (pipeline.Job, error) {
	img, err := dataset.DecodeFileWith(p.image, exactSize(p.image, "image", res), dec)
	if err != nil {
		return pipeline.Job{}, imageError(err)
	}
	// inpaint.ReadMask decodes whole files: vet the mask's header first.
	if err := checkHeader(p.mask, exactSize(p.mask, "mask", res)); err != nil {
		return pipeline.Job{}, err
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

// exactSize is the header check of an inpainting input: exactly res×res
// pixels (which also caps the pixels decoded at res²).
func exactSize(path, what string, res int) dataset.HeaderCheck {
	return func(cfg image.Config, format string) error {
		if cfg.Width != res || cfg.Height != res {
			return fmt.Errorf("%s is %dx%d; the model takes %dx%d images (size read from the %s %s's header, nothing decoded)", path, cfg.Width, cfg.Height, res, res, format, what)
		}
		return nil
	}
}

// checkHeader reads only the header of the image at path and runs check on
// it.
func checkHeader(path string, check dataset.HeaderCheck) error {
	f, err := os.Open(path)
	if err != nil {
		return usageError{err}
	}
	defer f.Close()
	cfg, format, err := image.DecodeConfig(f)
	if err != nil {
		return badInput("%s: not a readable PNG or JPEG image: %v", path, err)
	}
	if err := check(cfg, format); err != nil {
		return usageError{err}
	}
	return nil
}

// imageError classifies an error of dataset.DecodeFile: a refused header or
// an unreadable or corrupt file is bad input (exit status 2).
func imageError(err error) error {
	var he *dataset.HeaderError
	if errors.As(err, &he) {
		return usageError{he.Err} // the check's message names the file
	}
	return usageError{err}
}

// checkInputs vets every pair's image and mask headers before anything is
// decoded or inpainted, so a wrong size or an unreadable file fails the run
// at once rather than after some batches.
func checkInputs(pairs []benchPair, res int) error {
	for _, p := range pairs {
		if err := checkHeader(p.image, exactSize(p.image, "image", res)); err != nil {
			return err
		}
		if err := checkHeader(p.mask, exactSize(p.mask, "mask", res)); err != nil {
			return err
		}
	}
	return nil
}

func writePNG(path string, img image.Image) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(path, 0o644, func(w io.Writer) error { return png.Encode(w, img) })
}

// inpaintFolder inpaints every pair in batches into outDir/<name>, as a
// unit: the inputs' headers are checked first, the results are written to
// a staging folder beside outDir and moved into outDir only when all are
// done, so a failed run leaves outDir as it was (and says so). It returns
// the seconds per image spent inpainting (reading and writing excluded).
func inpaintFolder(ctx context.Context, model *pipeline.Model, pairs []benchPair, outDir string, opt pipeline.InpaintOptions, saveSteps bool, warn io.Writer) (float64, error) {
	res := int(model.Tokenizer.Cfg.Resolution)
	if err := checkInputs(pairs, res); err != nil {
		return 0, err
	}
	st, err := stageDir(outDir)
	if err != nil {
		return 0, err
	}
	defer st.discard()
	spi, err := inpaintInto(ctx, model, pairs, st.tmp, opt, saveSteps, warn)
	if err != nil {
		return 0, fmt.Errorf("%w (nothing was written to %s)", err, outDir)
	}
	if err := st.commit(); err != nil {
		return 0, err
	}
	return spi, nil
}

// inpaintInto inpaints every pair in batches, writing dir/<name> (and
// dir/steps/ with saveSteps).
func inpaintInto(ctx context.Context, model *pipeline.Model, pairs []benchPair, dir string, opt pipeline.InpaintOptions, saveSteps bool, warn io.Writer) (float64, error) {
	res := int(model.Tokenizer.Cfg.Resolution)
	batch := opt.Decode.Batch
	if batch <= 0 {
		batch = len(pairs)
	}
	opt.Decode.SaveSteps = saveSteps
	dec, err := imageio.NewDecoder()
	if err != nil {
		return 0, err
	}
	defer dec.Close()
	var spent time.Duration
	lastLine := time.Now()
	for s := 0; s < len(pairs); s += batch {
		if s > 0 && time.Since(lastLine) >= 10*time.Second { // progress on long folders
			fmt.Fprintf(warn, "inpainting: %d of %d images done\n", s, len(pairs))
			lastLine = time.Now()
		}
		e := min(s+batch, len(pairs))
		jobs := make([]pipeline.Job, 0, e-s)
		for i := s; i < e; i++ {
			j, err := loadJob(pairs[i], res, uint64(i), warn, dec)
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
			if err := writePNG(filepath.Join(dir, p.name), o.Image); err != nil {
				return 0, err
			}
			if saveSteps && o.StepStrip != nil {
				stem := strings.TrimSuffix(p.name, ".png")
				if err := writePNG(filepath.Join(dir, "steps", stem+"_mask.png"), o.MaskStrip); err != nil {
					return 0, err
				}
				if err := writePNG(filepath.Join(dir, "steps", stem+"_steps.png"), o.StepStrip); err != nil {
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
			out := fs.String("out", "", "output folder (required; results are written to a hidden .<name>.tmp-* folder beside it and moved in once all are done, so a failed run leaves it as it was)")
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
				pairs, err := pairImagesAndMasks(*images, *masks, "--images", "--masks")
				if err != nil {
					return err
				}
				model, err := mf.load(env.stderr)
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
				precision := mf.precision()
				fmt.Fprintf(env.stdout, "inpainted %d images into %s (%s, T=%d, sweet spot %d, composite %s%s): %.3f s per image\n",
					len(pairs), *out, set.Schedule, set.TotalIter, set.SweetSpot, set.Composite, precision, spi)
				return nil
			}
		},
	}
}
