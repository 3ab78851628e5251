package train

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/draw"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/masks"
	"github.com/maskgit-go/maskgit/pipeline"
)

// TestTransformerSampleInpaintings trains the tiny transformer with two
// validations and reads its events back with TF Python: each validation
// logged one PNG under SampleTag, a row per sample image (masked input |
// inpainted | truth), the same images and masks both times, the truth the
// validation image itself, the holes grey in the input and the known
// pixels kept in the result.
func TestTransformerSampleInpaintings(t *testing.T) {
	dir, cfg, log := tinyTransformerSetup(t)
	opt := RunOptions{Out: filepath.Join(dir, "run"), LogEvery: 4, ValEvery: 4, CkptEvery: 8, Threads: 1, Log: log}
	if _, err := TrainTransformer(context.Background(), cfg, opt); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	files, _ := filepath.Glob(filepath.Join(opt.Out, "events", "events.out.tfevents.*"))
	if len(files) != 1 {
		t.Fatalf("event files: %v", files)
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte(SampleTag)) {
		t.Fatalf("no %s summary in %s\n%s", SampleTag, files[0], log.String())
	}

	// The samples the run must show: validation images picked with the
	// run's seed, benchmark-like stroke masks of the same seed.
	const res, nVal = 16, 5
	index := rand.New(rand.NewPCG(cfg.Seed, sampleStream)).Perm(nVal)[:sampleCount]
	slices.Sort(index)
	names, err := dataset.ListImages(cfg.ValDir)
	if err != nil || len(names) != nVal {
		t.Fatalf("val images %v, %v", names, err)
	}
	mopt := masks.DefaultOptions(masks.Strokes)
	mopt.W, mopt.H = res, res
	ms, err := masks.Series(masks.Strokes, mopt, cfg.Seed, sampleCount)
	if err != nil {
		t.Fatal(err)
	}

	py := eventsVenvPython(t)
	out, err := exec.Command(py, filepath.Join("..", "scripts", "events_read.py"), files[0]).Output()
	if err != nil {
		t.Fatalf("events_read.py: %v", err)
	}
	var recs []struct {
		Step          int64
		Tag, Kind     string
		Width, Height int
		PNG           bool
		Encoded       []byte
	}
	if err := json.Unmarshal(out, &recs); err != nil {
		t.Fatalf("%v: %.300s", err, out)
	}
	var steps []int64
	for _, r := range recs {
		if !strings.HasPrefix(r.Tag, SampleTag) {
			continue
		}
		steps = append(steps, r.Step)
		if r.Tag != SampleTag+"/image/0" || r.Kind != "image" || !r.PNG || r.Width != 3*res || r.Height != sampleCount*res {
			t.Fatalf("step %d: %s %s png %v %dx%d; want %s/image/0, a %dx%d PNG", r.Step, r.Tag, r.Kind, r.PNG, r.Width, r.Height, SampleTag, 3*res, sampleCount*res)
		}
		img, err := png.Decode(bytes.NewReader(r.Encoded))
		if err != nil {
			t.Fatalf("step %d: %v", r.Step, err)
		}
		if img.Bounds() != image.Rect(0, 0, 3*res, sampleCount*res) {
			t.Fatalf("step %d: decoded PNG is %v", r.Step, img.Bounds())
		}
		grid := toRGBA(img)
		for row, i := range index {
			cell := func(col int) *image.RGBA {
				return toRGBA(grid.SubImage(image.Rect(col*res, row*res, (col+1)*res, (row+1)*res)))
			}
			truth := readPNG(t, filepath.Join(cfg.ValDir, names[i]))
			masked, result := masks.Masked(truth, ms[row]), cell(1)
			if !bytes.Equal(cell(2).Pix, truth.Pix) {
				t.Errorf("step %d row %d: the truth is not validation image %d (%s)", r.Step, row, i, names[i])
			}
			if !bytes.Equal(cell(0).Pix, masked.Pix) {
				t.Errorf("step %d row %d: the input is not image %d with the holes of stroke mask %d grey", r.Step, row, i, row)
			}
			for p, hole := range ms[row].Hole {
				if !hole && !bytes.Equal(result.Pix[4*p:4*p+4], truth.Pix[4*p:4*p+4]) {
					t.Errorf("step %d row %d: known pixel %d changed by inpainting", r.Step, row, p)
					break
				}
			}
		}
	}
	if !reflect.DeepEqual(steps, []int64{4, 8}) {
		t.Errorf("sample inpaintings at steps %v, want [4 8]", steps)
	}
}

// TestSampleTruthFallback: validation tokens whose images cannot be read
// show their decoded tokens as the truth (the same samples otherwise), and
// a tokenizer that cannot decode the transformer's tokens logs no samples.
func TestSampleTruthFallback(t *testing.T) {
	dir, cfg, _ := tinyTransformerSetup(t)
	tok, err := pipeline.LoadTokenizer(cfg.TokenizerDir, pipeline.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	val, err := EncodeImages(context.Background(), tok, cfg.ValDir, EncodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	a, err := newInpaintSamples(tok, val, val.N, cfg, &log)
	if err != nil || a == nil || log.Len() > 0 {
		t.Fatalf("samples %v, %v, log %q", a, err, log.String())
	}
	val.Meta.Source = filepath.Join(dir, "moved")
	b, err := newInpaintSamples(tok, val, val.N, cfg, &log)
	if err != nil || b == nil || !strings.Contains(log.String(), "decoded validation tokens stand in") {
		t.Fatalf("samples %v, %v, log %q", b, err, log.String())
	}
	if !reflect.DeepEqual(a.index, b.index) || !reflect.DeepEqual(a.input, b.input) || !reflect.DeepEqual(a.masks, b.masks) {
		t.Error("the fallback changed the samples")
	}
	var tokens []int32
	for _, i := range b.index {
		for _, v := range val.Image(i) {
			tokens = append(tokens, int32(v))
		}
	}
	decoded, err := b.decode(tokens, len(b.index))
	if err != nil {
		t.Fatal(err)
	}
	for k := range decoded {
		if !bytes.Equal(decoded[k].Pix, b.truth[k].Pix) {
			t.Errorf("sample %d: the truth is not the decoded tokens", k)
		}
		if bytes.Equal(a.truth[k].Pix, b.truth[k].Pix) {
			t.Errorf("sample %d: the decoded tokens equal the image exactly (a useless check)", k)
		}
	}
	log.Reset()
	cfg.Model.Codes = 32
	if c, err := newInpaintSamples(tok, val, val.N, cfg, &log); c != nil || err != nil || !strings.Contains(log.String(), "no sample inpaintings") {
		t.Errorf("mismatched tokenizer: %v, %v, log %q", c, err, log.String())
	}
}

func toRGBA(img image.Image) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(out, out.Bounds(), img, img.Bounds().Min, draw.Src)
	return out
}

func readPNG(t *testing.T, path string) *image.RGBA {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return toRGBA(img)
}

// eventsVenvPython returns the reference venv's python ($MASKGIT_VENV, set
// by ./build.sh test, else third_party/venv). Without it the test skips,
// except under CI=true.
func eventsVenvPython(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("MASKGIT_VENV")
	if dir == "" {
		dir = filepath.Join("..", "third_party", "venv")
	}
	py := filepath.Join(dir, "bin", "python")
	if _, err := os.Stat(py); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but no reference venv at %s (run ./build.sh test)", dir)
		}
		t.Skipf("no reference venv at %s: run ./build.sh venv", dir)
	}
	return py
}
