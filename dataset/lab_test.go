package dataset

import (
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// labMask is a w x h mask whose left `holes` columns are holes (0), the rest
// 255; other, when non-zero, replaces the first pixel's value.
func labMask(w, h, holes int, other uint8) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if x >= holes {
				m.Pix[y*w+x] = 255
			}
		}
	}
	if other != 0 {
		m.Pix[0] = other
	}
	return m
}

// labFixture writes a lab layout with pairs at indices 1, 2 and 10 (listed
// out of order on disk), ground truths under test/ and a test_index.csv.
func labFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	rows := []string{"index,test_file,mask,masked_image,hole_fraction"}
	for _, i := range []int{10, 2, 1} {
		img := solid(8, 8, color.RGBA{uint8(20 * i), 50, 60, 255})
		writeFile(t, filepath.Join(dir, LabImageDir, fmt.Sprintf("image_%03d.png", i)), pngBytes(t, img))
		writeFile(t, filepath.Join(dir, LabMaskDir, fmt.Sprintf("mask_%03d.png", i)), pngBytes(t, labMask(8, 8, i%8, 0)))
		writeFile(t, filepath.Join(dir, LabTruthDir, fmt.Sprintf("%d.jpg", 100+i)), jpegBytes(t, img))
	}
	for _, i := range []int{1, 2, 10} {
		rows = append(rows, fmt.Sprintf("%d,%d.jpg,mask_%03d.png,image_%03d.png,%.4f", i, 100+i, i, i, float64(i%8)/8))
	}
	writeFile(t, filepath.Join(dir, LabIndexFile), []byte(strings.Join(rows, "\n")+"\n"))
	writeFile(t, filepath.Join(dir, LabImageDir, "notes.txt"), []byte("ignored"))
	return dir
}

func TestOpenLab(t *testing.T) {
	dir := labFixture(t)
	l, err := OpenLab(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Pairs) != 3 || len(l.Warnings) != 0 {
		t.Fatalf("%d pairs, warnings %q", len(l.Pairs), l.Warnings)
	}
	for k, i := range []int{1, 2, 10} {
		p := l.Pairs[k]
		want := LabPair{
			Index:        i,
			ImagePath:    filepath.Join(dir, LabImageDir, fmt.Sprintf("image_%03d.png", i)),
			MaskPath:     filepath.Join(dir, LabMaskDir, fmt.Sprintf("mask_%03d.png", i)),
			TruthPath:    filepath.Join(dir, LabTruthDir, fmt.Sprintf("%d.jpg", 100+i)),
			HoleFraction: float64(i%8) / 8,
		}
		if p != want {
			t.Errorf("pair %d = %+v, want %+v", k, p, want)
		}
		s, err := l.Load(k)
		if err != nil {
			t.Fatal(err)
		}
		if s.W != 8 || s.H != 8 || s.Warning != "" || s.Mask.Holes() != 8*(i%8) || float64(s.Mask.Holes())/float64(len(s.Mask.Hole)) != want.HoleFraction {
			t.Errorf("sample %d: %dx%d, warning %q, %d holes", k, s.W, s.H, s.Warning, s.Mask.Holes())
		}
		if s.RGB[0] != uint8(20*i) || s.RGB[1] != 50 || s.RGB[2] != 60 || len(s.RGB) != 8*8*3 {
			t.Errorf("sample %d: first pixel %v", k, s.RGB[:3])
		}
		if i%8 > 0 && (!s.Mask.Hole[0*s.Mask.W+0] || s.Mask.Hole[7*s.Mask.W+7]) {
			t.Errorf("sample %d: Hole(0,0) = %v, Hole(7,7) = %v", k, s.Mask.Hole[0*s.Mask.W+0], s.Mask.Hole[7*s.Mask.W+7])
		}
	}
}

func TestLabWithoutIndex(t *testing.T) {
	dir := labFixture(t)
	os.Remove(filepath.Join(dir, LabIndexFile))
	writeFile(t, filepath.Join(dir, LabMaskDir, "mask_077.png"), pngBytes(t, labMask(8, 8, 0, 0)))
	l, err := OpenLab(dir)
	if err != nil {
		t.Fatal(err)
	}
	if p := l.Pairs[0]; p.TruthPath != "" || p.HoleFraction != -1 {
		t.Errorf("without index: %+v", p)
	}
	if len(l.Warnings) != 1 || !strings.Contains(l.Warnings[0], "mask_077.png") {
		t.Errorf("warnings %q, want the orphan mask_077.png", l.Warnings)
	}
}

func TestLabErrors(t *testing.T) {
	tests := []struct {
		name  string
		spoil func(t *testing.T, dir string)
		want  func(dir string) []string
	}{
		{"missing mask", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, LabMaskDir, "mask_002.png"))
		}, func(dir string) []string {
			return []string{filepath.Join(dir, LabMaskDir, "mask_002.png"), filepath.Join(dir, LabImageDir, "image_002.png")}
		}},
		{"no mask folder", func(t *testing.T, dir string) {
			os.RemoveAll(filepath.Join(dir, LabMaskDir))
		}, func(dir string) []string { return []string{filepath.Join(dir, LabMaskDir), "does not exist"} }},
		{"no images", func(t *testing.T, dir string) {
			os.RemoveAll(filepath.Join(dir, LabImageDir))
			os.Mkdir(filepath.Join(dir, LabImageDir), 0o755)
		}, func(dir string) []string { return []string{"no image_%03d.png", filepath.Join(dir, LabImageDir)} }},
		{"index names another mask", func(t *testing.T, dir string) {
			rewriteIndex(t, dir, "mask_002.png", "mask_003.png")
		}, func(dir string) []string { return []string{LabIndexFile, "line 3", "mask_003.png"} }},
		{"index lacks a row", func(t *testing.T, dir string) {
			rewriteIndex(t, dir, "10,110.jpg,mask_010.png,image_010.png,0.2500\n", "")
		}, func(dir string) []string { return []string{"no row for index 10"} }},
		{"index has an unknown index", func(t *testing.T, dir string) {
			rewriteIndex(t, dir, "10,110.jpg", "11,110.jpg")
		}, func(dir string) []string { return []string{"index 11 has no masked_image/image_011.png"} }},
		{"missing ground truth", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, LabTruthDir, "102.jpg"))
		}, func(dir string) []string { return []string{filepath.Join(dir, LabTruthDir, "102.jpg")} }},
		{"bad header", func(t *testing.T, dir string) {
			rewriteIndex(t, dir, "hole_fraction", "holes")
		}, func(dir string) []string { return []string{`no "hole_fraction" column`} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := labFixture(t)
			tc.spoil(t, dir)
			_, err := OpenLab(dir)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want(dir) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func rewriteIndex(t *testing.T, dir, old, new string) {
	t.Helper()
	path := filepath.Join(dir, LabIndexFile)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%q not in index", old)
	}
	writeFile(t, path, []byte(strings.Replace(string(data), old, new, 1)))
}

func TestLabLoadProblems(t *testing.T) {
	dir := labFixture(t)
	maskPath := filepath.Join(dir, LabMaskDir, "mask_002.png")
	l, err := OpenLab(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Mask with two grey values: thresholded, with a warning.
	m := labMask(8, 8, 2, 0)
	m.Pix[0], m.Pix[63] = 200, 100 // a hole becomes keep, a keep becomes hole
	writeFile(t, maskPath, pngBytes(t, m))
	s, err := l.Load(1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Warning, maskPath) || !strings.Contains(s.Warning, "2 pixels") {
		t.Errorf("warning %q does not name %s and 2 pixels", s.Warning, maskPath)
	}
	if s.Mask.Hole[0*s.Mask.W+0] || !s.Mask.Hole[7*s.Mask.W+7] || s.Mask.Holes() != 16 {
		t.Errorf("thresholding: Hole(0,0)=%v Hole(7,7)=%v holes=%d", s.Mask.Hole[0*s.Mask.W+0], s.Mask.Hole[7*s.Mask.W+7], s.Mask.Holes())
	}
	// Mask of another size.
	writeFile(t, maskPath, pngBytes(t, labMask(6, 4, 1, 0)))
	_, err = l.Load(1)
	if err == nil || !strings.Contains(err.Error(), "6x4") || !strings.Contains(err.Error(), "8x8") || !strings.Contains(err.Error(), maskPath) {
		t.Errorf("size mismatch error %v", err)
	}
	// Corrupt mask.
	writeFile(t, maskPath, []byte("junk"))
	if _, err = l.Load(1); err == nil || !strings.Contains(err.Error(), maskPath) {
		t.Errorf("corrupt mask error %v does not name %s", err, maskPath)
	}
	if _, err = l.Load(3); err == nil {
		t.Error("Load(3) of 3 pairs succeeded")
	}
}
