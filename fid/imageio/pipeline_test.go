package imageio

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"testing"
)

// TestDecodeFloatIsPixOver255: the graph's float output is exactly
// float32(v)/255 of the 8-bit decode, for every committed test image
// (JPEG, PNG, 16-bit grey).
func TestDecodeFloatIsPixOver255(t *testing.T) {
	d := newTestDecoder(t)
	for _, f := range synthFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		u8, err := d.Decode(data)
		if err != nil {
			t.Fatal(err)
		}
		fl, err := d.DecodeFloat(data)
		if err != nil {
			t.Fatal(err)
		}
		if fl.Height != u8.Height || fl.Width != u8.Width || len(fl.Float) != len(u8.Pix) || fl.Pix != nil {
			t.Fatalf("%s: float %dx%d (%d values), uint8 %dx%d (%d)", f, fl.Width, fl.Height, len(fl.Float), u8.Width, u8.Height, len(u8.Pix))
		}
		for i, v := range u8.Pix {
			if fl.Float[i] != float32(v)/255 {
				t.Fatalf("%s: sample %d: %v, want %v/255", f, i, fl.Float[i], v)
			}
		}
	}
}

// floatMeanExtractor is meanExtractor taking float images (v/255).
type floatMeanExtractor struct {
	meanExtractor
	floatCalls int
}

func (m *floatMeanExtractor) FeaturesFloat(images []float32, n, height, width int) ([][]float32, error) {
	m.floatCalls++
	u8 := make([]uint8, len(images))
	for i, v := range images {
		u8[i] = uint8(v*255 + 0.5)
	}
	return m.Features(u8, n, height, width)
}

// TestFileStatsPipelined: the statistics do not depend on the number of
// decoding workers or on the float path, batches are formed as with one
// worker, and the first bad file in order is the one reported.
func TestFileStatsPipelined(t *testing.T) {
	files := synthFiles(t)
	d := newTestDecoder(t)
	var ref meanExtractor
	want, err := FileStats(context.Background(), d, &ref, files, StatsOptions{Batch: 3, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{2, 5, 16} {
		for _, float := range []bool{false, true} {
			t.Run(fmt.Sprintf("workers=%d/float=%v", workers, float), func(t *testing.T) {
				var ext FeatureExtractor
				var me *meanExtractor
				fe := &floatMeanExtractor{}
				if float {
					ext, me = fe, &fe.meanExtractor
				} else {
					me = &meanExtractor{}
					ext = me
				}
				got, err := FileStats(context.Background(), d, ext, files, StatsOptions{Batch: 3, Workers: workers})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got.Mu, want.Mu) || !slices.Equal(got.Sigma.RawSymmetric().Data, want.Sigma.RawSymmetric().Data) || !slices.Equal(me.batches, ref.batches) {
					t.Errorf("stats or batches %v differ from one worker's %v", me.batches, ref.batches)
				}
				if float && fe.floatCalls != me.calls {
					t.Errorf("%d float calls of %d: the float path was not used", fe.floatCalls, me.calls)
				}
			})
		}
	}
	bad := slices.Clone(files)
	bad[len(bad)/2] = "testdata/no-such-file.png"
	bad[len(bad)-1] = "testdata/also-missing.png"
	_, err = FileStats(context.Background(), d, &meanExtractor{}, bad, StatsOptions{Batch: 2, Workers: 4})
	var fe *FileError
	if err == nil || !errors.As(err, &fe) || fe.Path != bad[len(bad)/2] {
		t.Errorf("error %v, want a *FileError naming %s", err, bad[len(bad)/2])
	}
}
