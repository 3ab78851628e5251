package main

import (
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/maskgit-go/maskgit/fid/imageio"
	"github.com/maskgit-go/maskgit/inpaint"
	"github.com/maskgit-go/maskgit/internal/atomicfile"
	"github.com/maskgit-go/maskgit/masks"
)

// naturalSort orders file names by their number when they are numbers
// (8.jpg before 10.jpg), as the benchmark's test_index.csv does.
func naturalSort(files []string) {
	num := func(f string) (int, bool) {
		n, err := strconv.Atoi(strings.TrimSuffix(filepath.Base(f), filepath.Ext(f)))
		return n, err == nil
	}
	sort.SliceStable(files, func(i, j int) bool {
		a, aok := num(files[i])
		b, bok := num(files[j])
		if aok && bok {
			return a < b
		}
		if aok != bok {
			return aok
		}
		return files[i] < files[j]
	})
}

// writeBenchSet writes a benchmark folder in the lab layout into out (which
// already holds mask64/): masked_image/image_%03d.png (the images of
// imagesDir, in natural order, with the holes of mask i grey 128),
// test_index.csv, and test, a link to imagesDir (the ground truth). Images
// are read as the FID path reads them (PIL-identical decoding).
func writeBenchSet(out, imagesDir string, ms []*inpaint.Mask) (n int, err error) {
	files, err := imageio.ListFolder(imagesDir)
	if err != nil {
		return 0, usageError{fmt.Errorf("--images: %w", err)}
	}
	naturalSort(files)
	if len(files) < len(ms) {
		return 0, badInput("--images %s holds %d images, fewer than --n %d", imagesDir, len(files), len(ms))
	}
	abs, err := filepath.Abs(imagesDir)
	if err != nil {
		return 0, err
	}
	dec, err := imageio.NewDecoder()
	if err != nil {
		return 0, err
	}
	defer func() {
		if cerr := dec.Close(); err == nil {
			err = cerr
		}
	}()
	var index strings.Builder
	index.WriteString("index,test_file,mask,masked_image,hole_fraction\n")
	for i, m := range ms {
		img, err := dec.ReadFile(files[i])
		if err != nil {
			return 0, err
		}
		if img.Width != m.W || img.Height != m.H {
			return 0, badInput("%s is %dx%d, the masks are %dx%d (--size)", files[i], img.Width, img.Height, m.W, m.H)
		}
		rgba := image.NewRGBA(image.Rect(0, 0, m.W, m.H))
		for p, hole := range m.Hole {
			px := [4]uint8{img.Pix[3*p], img.Pix[3*p+1], img.Pix[3*p+2], 255}
			if hole {
				px = [4]uint8{128, 128, 128, 255}
			}
			copy(rgba.Pix[4*p:], px[:])
		}
		name := fmt.Sprintf("image_%03d.png", i)
		if err := writePNG(filepath.Join(out, "masked_image", name), rgba); err != nil {
			return 0, err
		}
		rel, err := filepath.Rel(imagesDir, files[i])
		if err != nil {
			return 0, err
		}
		fmt.Fprintf(&index, "%d,%s,%s,%s,%.4f\n", i, filepath.ToSlash(rel), masks.FileName(i), name, masks.Fraction(m))
	}
	if err := atomicfile.WriteFile(filepath.Join(out, "test_index.csv"), []byte(index.String()), 0o644); err != nil {
		return 0, err
	}
	link := filepath.Join(out, "test")
	if old, err := os.Readlink(link); err == nil && old == abs {
		return len(ms), nil
	}
	os.Remove(link)
	return len(ms), os.Symlink(abs, link)
}
