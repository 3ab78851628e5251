package train

import (
	"context"
	"fmt"
	"image"
	"image/draw"
	"io"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/fid/imageio"
	"github.com/maskgit-go/maskgit/graphs/transformer"
	"github.com/maskgit-go/maskgit/inpaint"
	"github.com/maskgit-go/maskgit/masks"
	"github.com/maskgit-go/maskgit/pipeline"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// SampleTag is the TensorBoard tag of a transformer run's sample
// inpaintings (TensorBoard shows it as SampleTag + "/image/0").
const SampleTag = "val/inpainting"

// sampleCount is the number of sample inpaintings (fewer when the
// validation set is smaller).
const sampleCount = 4

// sampleStream keys the random stream that picks the sample images.
const sampleStream = 0x73616d706c6573 // "samples"

// sampleSettings are the decoding settings of the sample inpaintings: a
// model directory's defaults (pipeline.DefaultSettings: cosine schedule,
// temperature 4.5, residual compositing) stopped after the first step, the
// shipped model's choice and the cheapest: one model call.
func sampleSettings() pipeline.Settings {
	s := pipeline.DefaultSettings()
	s.SweetSpot = 1
	return s
}

// inpaintSamples are the sample inpaintings a transformer run logs at every
// validation: a few validation images, the same ones every time (picked
// with the run's seed), each with a brush-stroke mask of its own drawn once
// like the benchmark's, inpainted by the model as it is at that step with
// sampleSettings. They are drawn as one picture, a row per image: masked
// input | inpainted | truth.
type inpaintSamples struct {
	tok   *pipeline.Tokenizer
	dec   *inpaint.Decoder
	opt   pipeline.InpaintOptions
	index []int           // validation image of each sample
	truth []*image.RGBA   // the images
	masks []*inpaint.Mask // their masks
	input [][]int32       // their tokens, MaskID under the masks
}

// newInpaintSamples prepares the samples from the first n images of the
// validation tokens val: the truth is read from the images the tokens were
// encoded from (val.Meta), or, when those are not readable, decoded from
// the tokens (a line on log says so). It returns nil, nil with a line on
// log when tok cannot decode the transformer's tokens.
func newInpaintSamples(tok *pipeline.Tokenizer, val *dataset.TokenCache, n int, cfg TransformerConfig, log io.Writer) (*inpaintSamples, error) {
	grid, res := int(tok.Cfg.Grid), int(tok.Cfg.Resolution)
	if tok.Cfg.Codes != cfg.Model.Codes || int64(grid*grid) != cfg.Model.Positions || val.H != grid || val.W != grid {
		logf(log, "no sample inpaintings: the tokenizer (%d codes, %dx%d grid) does not decode the validation tokens (%d codes, %dx%d grid)\n",
			tok.Cfg.Codes, grid, grid, val.Codebook, val.H, val.W)
		return nil, nil
	}
	k := min(sampleCount, n)
	if k == 0 {
		return nil, nil
	}
	s := &inpaintSamples{tok: tok}
	settings := sampleSettings()
	opt, err := settings.Options(0)
	if err != nil {
		return nil, err
	}
	opt.Decode.GridW, opt.Decode.GridH = grid, grid
	opt.Decode.K, opt.Decode.MaskID = int(cfg.Model.Codes), cfg.Model.MaskID()
	if s.dec, err = inpaint.NewDecoder(opt.Decode); err != nil {
		return nil, err
	}
	s.opt = opt
	s.index = rand.New(rand.NewPCG(cfg.Seed, sampleStream)).Perm(n)[:k]
	slices.Sort(s.index)
	var tokens []int32
	for _, i := range s.index {
		for _, t := range val.Image(i) {
			tokens = append(tokens, int32(t))
		}
	}
	if s.truth, err = sampleImages(val, s.index, res); err != nil {
		logf(log, "sample inpaintings: %v; the decoded validation tokens stand in for the images\n", err)
		if s.truth, err = s.decode(tokens, k); err != nil {
			return nil, err
		}
	}
	mopt := masks.DefaultOptions(masks.Strokes)
	mopt.W, mopt.H = res, res
	if s.masks, err = masks.Series(masks.Strokes, mopt, cfg.Seed, k); err != nil {
		return nil, fmt.Errorf("sample inpaintings: %w", err)
	}
	for i, m := range s.masks {
		tm, err := m.TokenMask(grid, grid, settings.Dilate)
		if err != nil {
			return nil, fmt.Errorf("sample inpaintings: %w", err)
		}
		in, err := inpaint.MaskTokens(tokens[i*grid*grid:(i+1)*grid*grid], tm, opt.Decode.MaskID)
		if err != nil {
			return nil, err
		}
		s.input = append(s.input, in)
	}
	return s, nil
}

// sampleImages reads the images the validation tokens at index were
// encoded from, as training reads images.
func sampleImages(val *dataset.TokenCache, index []int, res int) (imgs []*image.RGBA, err error) {
	if val.Meta.Source == "" || len(val.Meta.Files) != val.N {
		return nil, fmt.Errorf("the validation tokens do not list their image files")
	}
	dec, err := imageio.NewDecoder()
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := dec.Close(); err == nil && cerr != nil {
			imgs, err = nil, cerr
		}
	}()
	for _, i := range index {
		name := val.Meta.Files[i]
		if strings.HasSuffix(name, "#flip") {
			return nil, fmt.Errorf("validation image %d is a mirrored copy", i)
		}
		rgb, err := dataset.LoadImageWith(filepath.Join(val.Meta.Source, filepath.FromSlash(name)), res, dec)
		if err != nil {
			return nil, err
		}
		img := image.NewRGBA(image.Rect(0, 0, res, res))
		for p := 0; p < res*res; p++ {
			copy(img.Pix[4*p:4*p+3], rgb[3*p:3*p+3])
			img.Pix[4*p+3] = 255
		}
		imgs = append(imgs, img)
	}
	return imgs, nil
}

// decode maps n token grids to images with the tokenizer.
func (s *inpaintSamples) decode(tokens []int32, n int) ([]*image.RGBA, error) {
	px, err := s.tok.Decode(tokens, n)
	if err != nil {
		return nil, fmt.Errorf("sample inpaintings: %w", err)
	}
	res := int(s.tok.Cfg.Resolution)
	per := 3 * res * res
	out := make([]*image.RGBA, n)
	for i := range out {
		if out[i], err = dataset.ToRGBA(px[i*per:(i+1)*per], res, res); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// render inpaints the samples with the model in sess (the validation pass
// of g: no dropout) and draws the picture.
func (s *inpaintSamples) render(sess *tfmodel.Session, g *transformer.TrainGraph) (*image.RGBA, error) {
	positions := g.Cfg.Positions
	model := inpaint.PredictorFunc(func(_ context.Context, tokens []int32, batch int) ([]float32, error) {
		x, err := tfmodel.NewTensorShaped(tokens, int64(batch), positions)
		if err != nil {
			return nil, err
		}
		out, err := sess.Run(map[tf.Output]*tf.Tensor{g.Input: x}, []tf.Output{g.Logits}, nil)
		if err != nil {
			return nil, err
		}
		return tfmodel.Float32s(out[0])
	})
	in := make([]inpaint.Input, len(s.input))
	for i := range in {
		in[i] = inpaint.Input{Tokens: s.input[i], Rand: inpaint.NewImageRand(s.opt.Seed, uint64(s.index[i]))}
	}
	// Not the run's context: an interrupted run finishes this validation
	// (one model call) and then saves its checkpoint.
	results, err := s.dec.Decode(context.Background(), model, in)
	if err != nil {
		return nil, fmt.Errorf("sample inpaintings: %w", err)
	}
	var final []int32
	for _, r := range results {
		final = append(final, r.Tokens...)
	}
	decoded, err := s.decode(final, len(results))
	if err != nil {
		return nil, err
	}
	rows := make([][3]*image.RGBA, len(results))
	for i := range rows {
		masked := masks.Masked(s.truth[i], s.masks[i])
		out, err := inpaint.Composite(s.opt.Composite, masked, decoded[i], s.masks[i])
		if err != nil {
			return nil, fmt.Errorf("sample inpaintings: %w", err)
		}
		rows[i] = [3]*image.RGBA{masked, out, s.truth[i]}
	}
	return sampleGrid(rows), nil
}

// sampleGrid draws rows of equal-sized images, without gaps.
func sampleGrid(rows [][3]*image.RGBA) *image.RGBA {
	if len(rows) == 0 {
		return image.NewRGBA(image.Rectangle{})
	}
	w, h := rows[0][0].Bounds().Dx(), rows[0][0].Bounds().Dy()
	out := image.NewRGBA(image.Rect(0, 0, 3*w, len(rows)*h))
	for r, row := range rows {
		for c, img := range row {
			draw.Draw(out, image.Rect(c*w, r*h, (c+1)*w, (r+1)*h), img, img.Bounds().Min, draw.Src)
		}
	}
	return out
}

// logf writes to log when there is one.
func logf(log io.Writer, format string, args ...interface{}) {
	if log != nil {
		fmt.Fprintf(log, format, args...)
	}
}
