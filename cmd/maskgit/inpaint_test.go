package main

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/graphs/transformer"
	"github.com/maskgit-go/maskgit/graphs/vqvae"
	"github.com/maskgit-go/maskgit/pipeline"
)

func writeTestPNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// labFixture writes an untrained 16x16 model and a lab-layout folder of
// two masked images with their masks.
func labFixture(t *testing.T) (model, images, masks string) {
	dir := t.TempDir()
	model = filepath.Join(dir, "model")
	tok := vqvae.Config{Resolution: 16, Grid: 4, Channels: []int64{8, 8, 8}, ResBlocks: 1, Groups: 4, Latent: 4, Codes: 16, Beta: 0.25, Normalize: true}
	tr := transformer.Config{Codes: 16, Positions: 16, Dim: 16, Layers: 1, Heads: 2, MLPDim: 32}
	if err := pipeline.WriteUntrained(model, tok, tr, 3); err != nil {
		t.Fatal(err)
	}
	images, masks = filepath.Join(dir, "masked_image"), filepath.Join(dir, "mask64")
	for i := 0; i < 2; i++ {
		img := image.NewRGBA(image.Rect(0, 0, 16, 16))
		m := image.NewGray(image.Rect(0, 0, 16, 16))
		for p := 0; p < 256; p++ {
			x, y := p%16, p/16
			img.Set(x, y, color.RGBA{uint8(16 * x), uint8(16 * y), uint8(40 * i), 255})
			m.SetGray(x, y, color.Gray{255})
			if x >= 4 && x < 12 && y >= 5+i && y < 10+i {
				m.SetGray(x, y, color.Gray{0})
				img.Set(x, y, color.RGBA{128, 128, 128, 255})
			}
		}
		writeTestPNG(t, filepath.Join(images, "image_00"+string(rune('0'+i))+".png"), img)
		writeTestPNG(t, filepath.Join(masks, "mask_00"+string(rune('0'+i))+".png"), m)
	}
	return model, images, masks
}

func TestInpaintCommand(t *testing.T) {
	model, images, masks := labFixture(t)
	out := filepath.Join(t.TempDir(), "out")
	code, stdout, stderr := runCLI(t, "inpaint", "--model", model, "--images", images, "--masks", masks, "--out", out,
		"--total-iter", "4", "--sweet-spot", "3", "--sample", "--save-steps", "--threads", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "inpainted 2 images") {
		t.Errorf("stdout %q", stdout)
	}
	for _, p := range []string{"image_000.png", "image_001.png", "steps/image_000_mask.png", "steps/image_001_steps.png"} {
		if _, err := os.Stat(filepath.Join(out, p)); err != nil {
			t.Errorf("missing %s", p)
		}
	}
	f, _ := os.Open(filepath.Join(out, "steps", "image_000_steps.png"))
	strip, err := png.Decode(f)
	f.Close()
	if err != nil || strip.Bounds().Dx() != 3*16 {
		t.Errorf("step strip: %v %v (want 3 steps of 16 px: sweet spot 3)", strip, err)
	}

	// Bad input: a missing mask, a mask of the wrong size, a bad schedule.
	os.Remove(filepath.Join(masks, "mask_001.png"))
	code, _, stderr = runCLI(t, "inpaint", "--model", model, "--images", images, "--masks", masks, "--out", out)
	if code != 2 || !strings.Contains(stderr, "no mask for") || !strings.Contains(stderr, "image_001.png") {
		t.Errorf("missing mask: exit %d, %q", code, stderr)
	}
	// Missing folders name the flag and the folder.
	dir := t.TempDir()
	for _, c := range []struct{ imgs, msks, want string }{
		{filepath.Join(dir, "no-images"), masks, "--images: dataset: image folder " + filepath.Join(dir, "no-images") + " does not exist"},
		{images, filepath.Join(dir, "no-masks"), "--masks: mask folder " + filepath.Join(dir, "no-masks") + " does not exist"},
	} {
		code, _, stderr = runCLI(t, "inpaint", "--model", model, "--images", c.imgs, "--masks", c.msks, "--out", out)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("missing folder: exit %d, %q, want %q", code, stderr, c.want)
		}
	}
	writeTestPNG(t, filepath.Join(masks, "mask_001.png"), image.NewGray(image.Rect(0, 0, 8, 8)))
	code, _, stderr = runCLI(t, "inpaint", "--model", model, "--images", images, "--masks", masks, "--out", out)
	if code != 2 || !strings.Contains(stderr, "mask_001.png is 8x8") {
		t.Errorf("wrong-size mask: exit %d, %q", code, stderr)
	}
	code, _, stderr = runCLI(t, "inpaint", "--model", model, "--images", images, "--masks", masks, "--out", out, "--schedule", "bogus")
	if code != 2 || !strings.Contains(stderr, "bogus") {
		t.Errorf("bad schedule: exit %d, %q", code, stderr)
	}
}

// writeHugePNG writes a valid w×h 1-bit greyscale PNG of zeros: a few tens
// of kilobytes on disk, w×h bytes once decoded.
func writeHugePNG(t *testing.T, path string, w, h int) {
	t.Helper()
	var idat bytes.Buffer
	zw, err := zlib.NewWriterLevel(&idat, zlib.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	row := make([]byte, 1+(w+7)/8) // filter byte 0, then the packed bits
	for y := 0; y < h; y++ {
		zw.Write(row)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		out.WriteString(typ)
		out.Write(data)
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		binary.Write(&out, binary.BigEndian, crc.Sum32())
	}
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, uint32(w)), uint32(h))
	chunk("IHDR", append(ihdr, 1, 0, 0, 0, 0)) // bit depth 1, greyscale, no interlace
	chunk("IDAT", idat.Bytes())
	chunk("IEND", nil)
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLoadJobChecksHeaderFirst: an image or mask declaring 20000x20000
// pixels in a small file is refused from its header, naming the file,
// without decoding it (which would allocate 400 MB).
func TestLoadJobChecksHeaderFirst(t *testing.T) {
	_, images, masks := labFixture(t)
	huge := filepath.Join(t.TempDir(), "huge.png")
	writeHugePNG(t, huge, 20000, 20000)
	if fi, err := os.Stat(huge); err != nil || fi.Size() > 1<<20 {
		t.Fatalf("the huge PNG should be small on disk: %v %v", fi.Size(), err)
	}
	// The file is a valid PNG: its header reads back as 20000x20000.
	f, _ := os.Open(huge)
	cfg, _, err := image.DecodeConfig(f)
	f.Close()
	if err != nil || cfg.Width != 20000 || cfg.Height != 20000 {
		t.Fatalf("huge PNG header: %+v %v", cfg, err)
	}
	goodImage, goodMask := filepath.Join(images, "image_000.png"), filepath.Join(masks, "mask_000.png")
	for _, c := range []struct{ name, image, mask string }{
		{"image", huge, goodMask},
		{"mask", goodImage, huge},
	} {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := loadJob(benchPair{name: "x.png", image: c.image, mask: c.mask}, 16, 0, io.Discard, nil)
			runtime.ReadMemStats(&after)
			var ue usageError
			if err == nil || !errors.As(err, &ue) || !strings.Contains(err.Error(), huge) || !strings.Contains(err.Error(), "20000x20000") {
				t.Fatalf("loadJob: %v (want a usage error naming %s and its size)", err, huge)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
				t.Errorf("loadJob allocated %d MiB refusing a 20000x20000 %s: it was decoded", alloc>>20, c.name)
			}
		})
	}
	// Every pair is vetted from its header before a run starts.
	if err := checkInputs([]benchPair{{"a.png", goodImage, goodMask}, {"b.png", huge, goodMask}}, 16); err == nil || !strings.Contains(err.Error(), huge) {
		t.Errorf("checkInputs: %v", err)
	}
}

// TestInpaintRefusesHugeImage runs the command on a folder holding a
// 20000x20000 image: exit 2, the file named, nothing written.
func TestInpaintRefusesHugeImage(t *testing.T) {
	model, images, masks := labFixture(t)
	writeHugePNG(t, filepath.Join(images, "image_001.png"), 20000, 20000)
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runCLI(t, "inpaint", "--model", model, "--images", images, "--masks", masks, "--out", out, "--threads", "1")
	if code != 2 || !strings.Contains(stderr, filepath.Join(images, "image_001.png")) || !strings.Contains(stderr, "20000x20000") {
		t.Errorf("exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("--out %s exists after a refused run (%v)", out, err)
	}
}

// truncateAfterHeader cuts a PNG file just after its IHDR chunk and a few
// bytes of image data: its header reads, its pixels do not.
func truncateAfterHeader(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data[:33+12], 0o644); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(path)
	_, _, err = image.DecodeConfig(f)
	f.Close()
	if err != nil {
		t.Fatalf("the truncated PNG's header should still read: %v", err)
	}
}

// TestInpaintFailureLeavesOutUntouched: the second image is corrupt after
// its header, so the run fails after its first batch (of one image) was
// inpainted. --out must then be as before: absent when it was absent, with
// only its old content when it existed, and no staging folder left behind.
func TestInpaintFailureLeavesOutUntouched(t *testing.T) {
	model, images, masks := labFixture(t)
	truncateAfterHeader(t, filepath.Join(images, "image_001.png"))
	parent := filepath.Join(t.TempDir(), "results")
	out := filepath.Join(parent, "out")
	args := []string{"inpaint", "--model", model, "--images", images, "--masks", masks, "--out", out, "--batch", "1", "--total-iter", "2", "--threads", "1", "--save-steps"}

	code, _, stderr := runCLI(t, args...)
	if code != 2 || !strings.Contains(stderr, filepath.Join(images, "image_001.png")) || !strings.Contains(stderr, "nothing was written to "+out) {
		t.Errorf("corrupt second image: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(parent); !os.IsNotExist(err) {
		entries, _ := os.ReadDir(parent)
		t.Errorf("a failed run left %s behind: %v", parent, entries)
	}

	// An existing --out keeps exactly its old content.
	writeTestPNG(t, filepath.Join(out, "image_000.png"), image.NewGray(image.Rect(0, 0, 3, 3)))
	before := listTree(t, parent)
	code, _, stderr = runCLI(t, args...)
	if code != 2 || !strings.Contains(stderr, "nothing was written to "+out) {
		t.Errorf("corrupt second image, existing --out: exit %d, %q", code, stderr)
	}
	if after := listTree(t, parent); !slices.Equal(before, after) {
		t.Errorf("a failed run changed %s: %v, was %v", parent, after, before)
	}
	f, _ := os.Open(filepath.Join(out, "image_000.png"))
	old, err := png.Decode(f)
	f.Close()
	if err != nil || old.Bounds().Dx() != 3 {
		t.Errorf("the old image_000.png was replaced by a failed run (%v)", err)
	}

	// Once the image is fixed the run succeeds: the new results replace the
	// old file of the same name, other files stay, no staging is left.
	_, images2, _ := labFixture(t)
	data, _ := os.ReadFile(filepath.Join(images2, "image_001.png"))
	os.WriteFile(filepath.Join(images, "image_001.png"), data, 0o644)
	os.WriteFile(filepath.Join(out, "notes.txt"), []byte("mine"), 0o644)
	code, _, stderr = runCLI(t, args...)
	if code != 0 {
		t.Fatalf("fixed input: exit %d, %q", code, stderr)
	}
	want := []string{"out", "out/image_000.png", "out/image_001.png", "out/notes.txt", "out/steps",
		"out/steps/image_000_mask.png", "out/steps/image_000_steps.png", "out/steps/image_001_mask.png", "out/steps/image_001_steps.png"}
	if got := listTree(t, parent); !slices.Equal(got, want) {
		t.Errorf("after a good run into an existing --out: %v, want %v", got, want)
	}
	f, _ = os.Open(filepath.Join(out, "image_000.png"))
	img, err := png.Decode(f)
	f.Close()
	if err != nil || img.Bounds().Dx() != 16 {
		t.Errorf("image_000.png was not replaced: %v", err)
	}
}

// listTree lists the paths under root, relative and sorted.
func listTree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != root {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}
