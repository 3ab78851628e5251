package dataset

import (
	"encoding/csv"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"

	"github.com/maskgit-go/maskgit/inpaint"
)

// Folder and file names of the lab benchmark layout.
const (
	LabImageDir  = "masked_image"
	LabMaskDir   = "mask64"
	LabIndexFile = "test_index.csv"
	LabTruthDir  = "test"
)

var (
	labImageName = regexp.MustCompile(`^image_(\d{3,})\.png$`)
	labMaskName  = regexp.MustCompile(`^mask_(\d{3,})\.png$`)
)

// LabPair is one benchmark sample: a masked image and its mask, and the
// ground-truth image when the layout has a test_index.csv.
type LabPair struct {
	Index     int
	ImagePath string // <dir>/masked_image/image_%03d.png
	MaskPath  string // <dir>/mask64/mask_%03d.png
	// TruthPath is <dir>/test/<test_file> from test_index.csv, or "" when
	// the folder has no test_index.csv.
	TruthPath string
	// HoleFraction is the hole_fraction column of test_index.csv, or -1.
	HoleFraction float64
}

// Lab is the inpainting benchmark layout of a folder.
type Lab struct {
	Dir   string
	Pairs []LabPair // in index order
	// Warnings note masks that have no image (they are ignored).
	Warnings []string
}

// OpenLab lists the pairs of dir in index order. Files in masked_image/
// that are not named image_%03d.png are ignored. An image without a mask is
// an error naming the missing file. When dir/test_index.csv exists, every
// pair must have a row whose mask and masked_image names match and whose
// test file exists under dir/test/.
func OpenLab(dir string) (*Lab, error) {
	images, err := labFiles(filepath.Join(dir, LabImageDir), labImageName)
	if err != nil {
		return nil, err
	}
	if len(images) == 0 {
		return nil, fmt.Errorf("dataset: lab: no image_%%03d.png files in %s", filepath.Join(dir, LabImageDir))
	}
	masks, err := labFiles(filepath.Join(dir, LabMaskDir), labMaskName)
	if err != nil {
		return nil, err
	}
	l := &Lab{Dir: dir}
	indices := make([]int, 0, len(images))
	for i := range images {
		indices = append(indices, i)
	}
	sort.Ints(indices)
	for _, i := range indices {
		m, ok := masks[i]
		if !ok {
			return nil, fmt.Errorf("dataset: lab: image %s has no mask %s",
				images[i], filepath.Join(dir, LabMaskDir, fmt.Sprintf("mask_%03d.png", i)))
		}
		l.Pairs = append(l.Pairs, LabPair{Index: i, ImagePath: images[i], MaskPath: m, HoleFraction: -1})
	}
	var orphans []int
	for i := range masks {
		if _, ok := images[i]; !ok {
			orphans = append(orphans, i)
		}
	}
	sort.Ints(orphans)
	for _, i := range orphans {
		l.Warnings = append(l.Warnings, fmt.Sprintf("mask %s has no image; ignored", masks[i]))
	}
	if err := l.readIndex(); err != nil {
		return nil, err
	}
	return l, nil
}

// labFiles maps the index in the names matching re to their paths.
func labFiles(dir string, re *regexp.Regexp) (map[int]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("dataset: lab: folder %s does not exist", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("dataset: lab: %w", err)
	}
	out := map[int]string{}
	for _, e := range entries {
		m := re.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			continue
		}
		i, err := strconv.Atoi(m[1])
		if err != nil {
			return nil, fmt.Errorf("dataset: lab: %s: bad index: %w", filepath.Join(dir, e.Name()), err)
		}
		if prev, ok := out[i]; ok {
			return nil, fmt.Errorf("dataset: lab: %s and %s have the same index %d", prev, e.Name(), i)
		}
		out[i] = filepath.Join(dir, e.Name())
	}
	return out, nil
}

// readIndex fills TruthPath and HoleFraction from test_index.csv, if any.
func (l *Lab) readIndex() error {
	path := filepath.Join(l.Dir, LabIndexFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("dataset: lab: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return fmt.Errorf("dataset: lab: %s: reading header: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for _, want := range []string{"index", "test_file", "mask", "masked_image", "hole_fraction"} {
		if _, ok := col[want]; !ok {
			return fmt.Errorf("dataset: lab: %s: header %v has no %q column", path, header, want)
		}
	}
	byIndex := make(map[int]int, len(l.Pairs))
	for k, p := range l.Pairs {
		byIndex[p.Index] = k
	}
	seen := map[int]bool{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("dataset: lab: %s: %w", path, err)
		}
		line, _ := r.FieldPos(0)
		idx, err := strconv.Atoi(rec[col["index"]])
		if err != nil {
			return fmt.Errorf("dataset: lab: %s line %d: bad index %q", path, line, rec[col["index"]])
		}
		k, ok := byIndex[idx]
		if !ok {
			return fmt.Errorf("dataset: lab: %s line %d: index %d has no %s/image_%03d.png", path, line, idx, LabImageDir, idx)
		}
		if seen[idx] {
			return fmt.Errorf("dataset: lab: %s line %d: index %d listed twice", path, line, idx)
		}
		seen[idx] = true
		p := &l.Pairs[k]
		if rec[col["mask"]] != filepath.Base(p.MaskPath) || rec[col["masked_image"]] != filepath.Base(p.ImagePath) {
			return fmt.Errorf("dataset: lab: %s line %d: index %d names %s and %s, not %s and %s", path, line, idx,
				rec[col["mask"]], rec[col["masked_image"]], filepath.Base(p.MaskPath), filepath.Base(p.ImagePath))
		}
		hf, err := strconv.ParseFloat(rec[col["hole_fraction"]], 64)
		if err != nil || hf < 0 || hf > 1 {
			return fmt.Errorf("dataset: lab: %s line %d: bad hole_fraction %q", path, line, rec[col["hole_fraction"]])
		}
		truth := filepath.Join(l.Dir, LabTruthDir, rec[col["test_file"]])
		if _, err := os.Stat(truth); err != nil {
			return fmt.Errorf("dataset: lab: %s line %d: ground truth: %w", path, line, err)
		}
		p.TruthPath, p.HoleFraction = truth, hf
	}
	for _, p := range l.Pairs {
		if !seen[p.Index] {
			return fmt.Errorf("dataset: lab: %s has no row for index %d (%s)", path, p.Index, p.ImagePath)
		}
	}
	return nil
}

// LabSample is a loaded LabPair.
type LabSample struct {
	LabPair
	W, H int
	// RGB is the masked image as RGB bytes, HWC, at its own size.
	RGB []uint8
	// Mask marks the holes (inpaint's mask type, as every consumer uses).
	Mask *inpaint.Mask
	// Warning is set when the mask had values other than 0 and 255, which
	// were thresholded at 128 (>= 128 keeps the pixel).
	Warning string
}

// Load decodes pair k (in Pairs order). A mask whose size differs from its
// image's is an error naming both sizes.
func (l *Lab) Load(k int) (*LabSample, error) {
	if k < 0 || k >= len(l.Pairs) {
		return nil, fmt.Errorf("dataset: lab: pair %d out of range [0, %d)", k, len(l.Pairs))
	}
	p := l.Pairs[k]
	img, err := decodeFile(p.ImagePath)
	if err != nil {
		return nil, err
	}
	mimg, err := decodeFile(p.MaskPath)
	if err != nil {
		return nil, err
	}
	ib, mb := img.Bounds(), mimg.Bounds()
	if ib.Dx() != mb.Dx() || ib.Dy() != mb.Dy() {
		return nil, fmt.Errorf("dataset: lab: mask %s is %dx%d but image %s is %dx%d",
			p.MaskPath, mb.Dx(), mb.Dy(), p.ImagePath, ib.Dx(), ib.Dy())
	}
	s := &LabSample{LabPair: p, W: ib.Dx(), H: ib.Dy()}
	rgba := image.NewRGBA(image.Rect(0, 0, s.W, s.H))
	drawOverBlack(rgba, img)
	s.RGB = RGBBytes(rgba)
	m, other := inpaint.MaskFromImage(mimg)
	s.Mask = m
	if other > 0 {
		s.Warning = fmt.Sprintf("mask %s: %d pixels are neither 0 nor 255; thresholded at 128", p.MaskPath, other)
	}
	return s, nil
}

// decodeFile decodes a PNG or JPEG file without resizing; errors name it.
func decodeFile(path string) (image.Image, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	img, err := decodeBytes(data, nil)
	if err != nil {
		return nil, fmt.Errorf("dataset: %s: %w", path, err)
	}
	return img, nil
}
