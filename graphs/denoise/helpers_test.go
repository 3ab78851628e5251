package denoise

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// syntheticFolder writes n random-ish res x res PNGs (smooth gradients plus
// pixel noise, seeded) into a temporary folder and opens it in memory.
func syntheticFolder(t testing.TB, n, res int) *dataset.Folder {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(7, uint64(n)))
	for i := 0; i < n; i++ {
		img := image.NewRGBA(image.Rect(0, 0, res, res))
		a, b := rng.IntN(8)+1, rng.IntN(8)+1
		for y := 0; y < res; y++ {
			for x := 0; x < res; x++ {
				img.SetRGBA(x, y, color.RGBA{
					R: uint8((a*x + b*y + rng.IntN(16)) % 256),
					G: uint8((a*y*4 + rng.IntN(32)) % 256),
					B: uint8(255 * ((x/(a+2) + y/(b+2)) % 2)),
					A: 255,
				})
			}
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(dir, string(rune('a'+i%26))+string(rune('a'+i/26))+".png")
		if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := dataset.OpenFolder(dir, dataset.FolderOptions{Resolution: res, InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// catFaces opens the cat-face split ("train" or "val") in memory or skips
// the test when the shared data is absent.
func catFaces(t testing.TB, split string) *dataset.Folder {
	t.Helper()
	dir, err := dataset.CatFacesDir()
	if err != nil {
		t.Skipf("shared cat-face data absent (set %s or put it at ../shared): %v", dataset.SharedEnv, err)
	}
	f, err := dataset.OpenFolder(filepath.Join(dir, split), dataset.FolderOptions{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// newCrops returns crops of f's images in a seeded shuffled, flipped order.
func newCrops(t testing.TB, f *dataset.Folder, batch, size int, std float64, seed uint64) *Crops {
	t.Helper()
	it, err := f.Iterator(dataset.IterOptions{BatchSize: batch, Seed: seed, Shuffle: true, Flip: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCrops(it, size, std, seed+100)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newTrainer builds cfg with seed and a trainer on c; it is closed at the
// end of the test.
func newTrainer(t testing.TB, cfg Config, seed int64, c *Crops, sched tfmodel.Schedule, threads int) *Trainer {
	t.Helper()
	g, err := Build(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := NewTrainer(g, c, sched, tfmodel.SessionOptions{Threads: threads})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tr.Close(); err != nil {
			t.Error(err)
		}
	})
	return tr
}

// smoothMSE is the MSE of the fixed 3x3 smoothing filter
// [1 1 1; 1 4 1; 1 1 1]/12 (renormalised at the crop borders) applied to
// the noisy crops of b: a non-learned denoiser to compare with.
func smoothMSE(b *CropBatch) float64 {
	s := b.Size
	var sum float64
	for i := 0; i < b.N; i++ {
		for y := 0; y < s; y++ {
			for x := 0; x < s; x++ {
				for ch := 0; ch < 3; ch++ {
					var acc, wt float64
					for dy := -1; dy <= 1; dy++ {
						for dx := -1; dx <= 1; dx++ {
							yy, xx := y+dy, x+dx
							if yy < 0 || yy >= s || xx < 0 || xx >= s {
								continue
							}
							k := 1.0
							if dx == 0 && dy == 0 {
								k = 4
							}
							acc += k * float64(b.Noisy[((i*s+yy)*s+xx)*3+ch])
							wt += k
						}
					}
					d := acc/wt - float64(b.Clean[((i*s+y)*s+x)*3+ch])
					sum += d * d
				}
			}
		}
	}
	return sum / float64(len(b.Clean))
}
