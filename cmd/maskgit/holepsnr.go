package main

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/maskgit-go/maskgit/fid/imageio"
	"github.com/maskgit-go/maskgit/inpaint"
)

// readTestIndex maps each benchmark output name (image_NNN.png) to its
// ground-truth file in data/test/, from data/test_index.csv.
func readTestIndex(data string) (map[string]string, error) {
	path := filepath.Join(data, "test_index.csv")
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) < 2 {
		return nil, fmt.Errorf("%s: no rows", path)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	ti, ok1 := col["test_file"]
	mi, ok2 := col["masked_image"]
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%s: want columns test_file and masked_image, got %v", path, rows[0])
	}
	out := make(map[string]string, len(rows)-1)
	for _, r := range rows[1:] {
		out[r[mi]] = filepath.Join(data, "test", r[ti])
	}
	return out, nil
}

// holePSNR returns the mean over images of the PSNR (dB, 8-bit RGB) of the
// hole pixels of each output in predDir against its ground truth. Images are
// read as the FID path reads them (PIL-identical decoding).
func holePSNR(dec *imageio.Decoder, pairs []benchPair, predDir string, truth map[string]string) (float64, error) {
	sum, n := 0.0, 0
	for _, p := range pairs {
		gt, ok := truth[p.name]
		if !ok {
			return 0, fmt.Errorf("%s is not in test_index.csv", p.name)
		}
		want, err := dec.ReadFile(gt)
		if err != nil {
			return 0, err
		}
		got, err := dec.ReadFile(filepath.Join(predDir, p.name))
		if err != nil {
			return 0, err
		}
		if got.Width != want.Width || got.Height != want.Height {
			return 0, fmt.Errorf("%s is %dx%d, its truth %s %dx%d", p.name, got.Width, got.Height, gt, want.Width, want.Height)
		}
		m, _, err := inpaint.ReadMask(p.mask, want.Width, want.Height)
		if err != nil {
			return 0, err
		}
		se, cnt := 0.0, 0
		for i, hole := range m.Hole {
			if !hole {
				continue
			}
			for c := 0; c < 3; c++ {
				d := float64(got.Pix[3*i+c]) - float64(want.Pix[3*i+c])
				se += d * d
				cnt++
			}
		}
		if cnt == 0 {
			continue
		}
		mse := max(se/float64(cnt), 1e-10)
		sum += 10 * math.Log10(255*255/mse)
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("no image with holes")
	}
	return sum / float64(n), nil
}
