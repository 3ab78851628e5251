package denoise

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/dataset"
)

// Each crop is the source image's pixels at (X, Y), and the noise has the
// requested standard deviation.
func TestCropsMatchSourceAndNoiseStd(t *testing.T) {
	const res, size, std = 24, 8, 0.3
	f := syntheticFolder(t, 10, res)
	it, err := f.Iterator(dataset.IterOptions{BatchSize: 4, Seed: 1, Shuffle: true})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCrops(it, size, std, 5)
	if err != nil {
		t.Fatal(err)
	}
	var sum, sq float64
	var count int
	xs := map[int]bool{}
	for step := 0; step < 10; step++ {
		b, err := c.Next()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := b.Shape(), []int64{4, size, size, 3}; !reflect.DeepEqual(got, want) {
			t.Fatalf("shape %v, want %v", got, want)
		}
		for i := 0; i < b.N; i++ {
			if b.X[i] < 0 || b.X[i] > res-size || b.Y[i] < 0 || b.Y[i] > res-size {
				t.Fatalf("crop corner (%d, %d) outside [0, %d]", b.X[i], b.Y[i], res-size)
			}
			xs[b.X[i]] = true
			rgb, err := f.Image(b.Indices[i])
			if err != nil {
				t.Fatal(err)
			}
			for y := 0; y < size; y++ {
				for x := 0; x < size; x++ {
					for ch := 0; ch < 3; ch++ {
						k := ((i*size+y)*size+x)*3 + ch
						want := float32(rgb[((b.Y[i]+y)*res+b.X[i]+x)*3+ch])/127.5 - 1
						if b.Clean[k] != want {
							t.Fatalf("batch %d image %d pixel (%d, %d, %d) = %v, source has %v", step, i, y, x, ch, b.Clean[k], want)
						}
						d := float64(b.Noisy[k] - b.Clean[k])
						sum += d
						sq += d * d
						count++
					}
				}
			}
		}
	}
	if len(xs) < 5 {
		t.Errorf("only %d distinct crop columns in 40 crops: corners are not random", len(xs))
	}
	// 7680 samples: the standard error of the mean is std/√n ≈ 0.0034 and
	// that of the standard deviation ≈ std/√(2n) ≈ 0.0024.
	mean := sum / float64(count)
	sd := math.Sqrt(sq/float64(count) - mean*mean)
	if math.Abs(mean) > 0.015 || math.Abs(sd-std) > 0.012 {
		t.Errorf("noise mean %.4f std %.4f, want 0 and %v", mean, sd, std)
	}
}

// Same seeds give the same batches, another seed others, and SetState on a
// fresh sampler continues where State was taken.
func TestCropsSeededAndResumable(t *testing.T) {
	f := syntheticFolder(t, 6, 20)
	batches := func(c *Crops, n int) []*CropBatch {
		var out []*CropBatch
		for i := 0; i < n; i++ {
			b, err := c.Next()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
		return out
	}
	ref := batches(newCrops(t, f, 4, 8, 0.2, 1), 5) // crosses epochs: 20 samples of 6 images

	for _, tc := range []struct {
		name string
		seed uint64
		same bool
	}{{"same seed", 1, true}, {"other seed", 2, false}} {
		t.Run(tc.name, func(t *testing.T) {
			got := batches(newCrops(t, f, 4, 8, 0.2, tc.seed), 5)
			if eq := reflect.DeepEqual(got, ref); eq != tc.same {
				t.Errorf("batches equal = %v, want %v", eq, tc.same)
			}
		})
	}

	for _, at := range []int{0, 2, 4} {
		c := newCrops(t, f, 4, 8, 0.2, 1)
		batches(c, at)
		st, err := c.State()
		if err != nil {
			t.Fatal(err)
		}
		d := newCrops(t, f, 4, 8, 0.2, 1)
		batches(d, 1) // move it elsewhere first
		if err := d.SetState(st); err != nil {
			t.Fatal(err)
		}
		if got := batches(d, 5-at); !reflect.DeepEqual(got, ref[at:]) {
			t.Errorf("resumed after %d batches: batches differ from the uninterrupted run", at)
		}
	}
}

func TestCropsErrors(t *testing.T) {
	f := syntheticFolder(t, 3, 12)
	it, err := f.Iterator(dataset.IterOptions{BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		it   *dataset.ImageIterator
		size int
		std  float64
		want string
	}{
		{"nil iterator", nil, 8, 0.1, "nil iterator"},
		{"zero size", it, 0, 0.1, "size 0"},
		{"negative std", it, 8, -1, "noise std"},
		{"NaN std", it, 8, math.NaN(), "noise std"},
		{"infinite std", it, 8, math.Inf(1), "noise std"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewCrops(tc.it, tc.size, tc.std, 1)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}

	t.Run("crop larger than images", func(t *testing.T) {
		c, err := NewCrops(it, 13, 0.1, 1)
		if err != nil {
			t.Fatal(err)
		}
		before, _ := c.State()
		if _, err := c.Next(); err == nil || !strings.Contains(err.Error(), "13x13 crops of 12x12 images") {
			t.Errorf("error %v, want one naming the sizes", err)
		}
		if after, _ := c.State(); !reflect.DeepEqual(after, before) {
			t.Errorf("state moved from %+v to %+v on error", before, after)
		}
	})
	t.Run("bad states", func(t *testing.T) {
		c, err := NewCrops(it, 8, 0.1, 1)
		if err != nil {
			t.Fatal(err)
		}
		good, _ := c.State()
		for _, st := range []CropState{
			{Data: good.Data},
			{Data: good.Data, RNG: []byte("junk")},
			{Data: dataset.State{Epoch: -1}, RNG: good.RNG},
		} {
			if err := c.SetState(st); err == nil {
				t.Errorf("SetState(%+v) succeeded", st)
			}
		}
		if now, _ := c.State(); !reflect.DeepEqual(now, good) {
			t.Errorf("state changed by failed SetState: %+v, was %+v", now, good)
		}
	})
}
