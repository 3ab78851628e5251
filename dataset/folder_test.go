package dataset

import (
	"image"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestListImages(t *testing.T) {
	dir := fixture(t, true)
	got, err := ListImages(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := append(fixtureFiles(), "z_corrupt.png")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ListImages = %q, want %q", got, want)
	}
}

func TestOpenFolderErrors(t *testing.T) {
	empty := t.TempDir()
	writeFile(t, filepath.Join(empty, "notes.txt"), []byte("x"))
	file := filepath.Join(t.TempDir(), "f.png")
	writeFile(t, file, []byte("x"))
	missing := filepath.Join(t.TempDir(), "nope")
	corrupt := fixture(t, true)
	tests := []struct {
		name string
		dir  string
		opt  FolderOptions
		want []string // substrings of the error
	}{
		{"missing", missing, FolderOptions{}, []string{missing, "does not exist"}},
		{"not a folder", file, FolderOptions{}, []string{file, "not a folder"}},
		{"empty", empty, FolderOptions{}, []string{empty, "no PNG or JPEG images"}},
		{"corrupt in memory", corrupt, FolderOptions{InMemory: true}, []string{filepath.Join(corrupt, "z_corrupt.png")}},
		{"bad resolution", corrupt, FolderOptions{Resolution: -1}, []string{"resolution -1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := OpenFolder(tc.dir, tc.opt)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestAllBad(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "x.png"), []byte("junk"))
	writeFile(t, filepath.Join(dir, "y.jpg"), []byte("junk"))
	if _, err := OpenFolder(dir, FolderOptions{InMemory: true, SkipBad: true}); err == nil || !strings.Contains(err.Error(), "all 2 image files") {
		t.Errorf("in memory: error %v, want all files unreadable", err)
	}
	f, err := OpenFolder(dir, FolderOptions{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	it, err := f.Iterator(IterOptions{BatchSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := it.Next(); err == nil || !strings.Contains(err.Error(), "all 2 image files") {
		t.Errorf("streaming: error %v, want all files unreadable", err)
	}
}

func TestCorruptFile(t *testing.T) {
	dir := fixture(t, true)
	bad := filepath.Join(dir, "z_corrupt.png")
	for _, inMem := range []bool{false, true} {
		f, err := OpenFolder(dir, FolderOptions{InMemory: inMem, SkipBad: true, Workers: 3})
		if err != nil {
			t.Fatal(err)
		}
		all := make([]int, f.Len())
		for i := range all {
			all[i] = i
		}
		b, err := f.Batch(all)
		if err != nil {
			t.Fatal(err)
		}
		if b.N != f.Len()-1 || slices.Contains(b.Indices, f.Len()-1) {
			t.Errorf("in memory %v: batch of %d images %v, want all but the corrupt one", inMem, b.N, b.Indices)
		}
		if got := f.Skipped(); !reflect.DeepEqual(got, []string{"z_corrupt.png"}) {
			t.Errorf("in memory %v: Skipped = %q", inMem, got)
		}
		if _, err := f.Image(f.Len() - 1); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("Image(corrupt) error %v does not name %s", err, bad)
		}
	}
	// Without SkipBad, a batch that reaches the corrupt file fails and
	// names it, and the iterator does not move.
	f, err := OpenFolder(dir, FolderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	it, err := f.Iterator(IterOptions{BatchSize: f.Len()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := it.Next(); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("Next error %v does not name %s", err, bad)
	}
	if st := it.State(); st != (State{}) {
		t.Errorf("state after error = %v, want unchanged", st)
	}
}

// TestIteratorSkipsBad checks that with SkipBad batches stay full and an
// epoch holds each good image once.
func TestIteratorSkipsBad(t *testing.T) {
	f, err := OpenFolder(fixture(t, true), FolderOptions{SkipBad: true})
	if err != nil {
		t.Fatal(err)
	}
	good := f.Len() - 1
	it, err := f.Iterator(IterOptions{BatchSize: good, Seed: 3, Shuffle: true})
	if err != nil {
		t.Fatal(err)
	}
	b, err := it.Next()
	if err != nil {
		t.Fatal(err)
	}
	got := slices.Sorted(slices.Values(b.Indices))
	want := []int{0, 1, 2, 3, 4, 5}
	if b.N != good || !reflect.DeepEqual(got, want) {
		t.Errorf("epoch 0 batch %v, want each of %v once", b.Indices, want)
	}
	if n := len(f.Skipped()); n != 1 {
		t.Errorf("%d files skipped, want 1", n)
	}
}

func TestFolderImages(t *testing.T) {
	dir := fixture(t, false)
	f, err := OpenFolder(dir, FolderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Files(), fixtureFiles()) {
		t.Fatalf("Files = %q", f.Files())
	}
	tests := []struct {
		file    string
		rgb     [3]int // expected colour of every pixel (solid images)
		tol     int
		pattern bool
	}{
		{file: "a.png", pattern: true},
		{file: "b.jpg", rgb: [3]int{100, 100, 100}, tol: 2},
		{file: "noext", rgb: [3]int{0, 255, 0}},
		{file: "sub/e.PNG", rgb: [3]int{255, 0, 0}},
		{file: "sub/deep/f.jpeg", rgb: [3]int{0, 0, 255}, tol: 3},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			i := slices.Index(f.Files(), tc.file)
			img, err := f.Image(i)
			if err != nil {
				t.Fatal(err)
			}
			if len(img) != 64*64*3 {
				t.Fatalf("%d bytes", len(img))
			}
			if tc.pattern {
				if want := RGBBytes(pattern(64, 64)); !slices.Equal(img, want) {
					t.Error("64x64 PNG not copied pixel for pixel")
				}
				return
			}
			for p := 0; p < 64*64; p++ {
				for c := 0; c < 3; c++ {
					if d := int(img[3*p+c]) - tc.rgb[c]; d > tc.tol || -d > tc.tol {
						t.Fatalf("pixel %d channel %d = %d, want %d±%d", p, c, img[3*p+c], tc.rgb[c], tc.tol)
					}
				}
			}
		})
	}
}

// TestInMemoryMatchesStreaming: the same seed gives the same batches from
// memory and from disk, with several workers.
func TestInMemoryMatchesStreaming(t *testing.T) {
	dir := fixture(t, false)
	var got [2][]*Batch
	for k, inMem := range []bool{false, true} {
		f, err := OpenFolder(dir, FolderOptions{InMemory: inMem, Workers: 4})
		if err != nil {
			t.Fatal(err)
		}
		if f.InMemory() != inMem {
			t.Fatalf("InMemory() = %v", f.InMemory())
		}
		it, err := f.Iterator(IterOptions{BatchSize: 4, Seed: 11, Shuffle: true, Flip: true})
		if err != nil {
			t.Fatal(err)
		}
		for range 4 {
			b, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			got[k] = append(got[k], b)
		}
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		t.Error("in-memory batches differ from streamed batches")
	}
}

func TestIteratorResume(t *testing.T) {
	f, err := OpenFolder(fixture(t, false), FolderOptions{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	opt := IterOptions{BatchSize: 4, Seed: 5, Shuffle: true, Flip: true}
	it, _ := f.Iterator(opt)
	var all []*Batch
	var states []State
	for range 5 { // 20 samples: epochs 0..3 of 6 images
		states = append(states, it.State())
		b, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b)
	}
	if want := (State{Epoch: 3, Index: 2}); it.State() != want {
		t.Errorf("state after 20 samples = %v, want %v", it.State(), want)
	}
	for k, st := range states {
		it2, _ := f.Iterator(opt)
		if err := it2.SetState(st); err != nil {
			t.Fatal(err)
		}
		for j := k; j < len(all); j++ {
			b, err := it2.Next()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(b, all[j]) {
				t.Fatalf("resumed at %v: batch %d differs", st, j)
			}
		}
	}
	// Each epoch visits every image once, and flips are used.
	var seq []int
	flips := 0
	for _, b := range all {
		seq = append(seq, b.Indices...)
		for _, fl := range b.Flipped {
			if fl {
				flips++
			}
		}
	}
	for e := 0; e < 3; e++ {
		ep := slices.Sorted(slices.Values(seq[6*e : 6*e+6]))
		if !reflect.DeepEqual(ep, []int{0, 1, 2, 3, 4, 5}) {
			t.Errorf("epoch %d visits %v", e, seq[6*e:6*e+6])
		}
	}
	if flips == 0 || flips == len(seq) {
		t.Errorf("%d of %d samples flipped", flips, len(seq))
	}
	// Another seed gives another order.
	it3, _ := f.Iterator(IterOptions{BatchSize: 20, Seed: 6, Shuffle: true})
	b, _ := it3.Next()
	if slices.Equal(b.Indices, seq) {
		t.Error("seeds 5 and 6 give the same order")
	}
}

func TestBatchValuesAndFlip(t *testing.T) {
	f, err := OpenFolder(fixture(t, false), FolderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rgb, err := f.Image(0) // a.png, the 64x64 pattern
	if err != nil {
		t.Fatal(err)
	}
	// Find a flipped and an unflipped draw of image 0 in the seeded order.
	it, _ := f.Iterator(IterOptions{BatchSize: 60, Seed: 1, Shuffle: true, Flip: true})
	b, err := it.Next()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b.Shape(), []int64{60, 64, 64, 3}) || len(b.Data) != 60*64*64*3 {
		t.Fatalf("shape %v, %d values", b.Shape(), len(b.Data))
	}
	seen := map[bool]bool{}
	for k, i := range b.Indices {
		if i != 0 {
			continue
		}
		seen[b.Flipped[k]] = true
		img, err := b.Image(k)
		if err != nil {
			t.Fatal(err)
		}
		for y := 0; y < 64; y++ {
			for x := 0; x < 64; x++ {
				sx := x
				if b.Flipped[k] {
					sx = 63 - x
				}
				for c := 0; c < 3; c++ {
					v := b.Data[((k*64+y)*64+x)*3+c]
					want := rgb[(y*64+sx)*3+c]
					if v < -1 || v > 1 || float32(want)/127.5-1 != v {
						t.Fatalf("sample %d (%d,%d,%d) = %v, want %v", k, y, x, c, v, float32(want)/127.5-1)
					}
					if got := img.Pix[img.PixOffset(x, y)+c]; got != want {
						t.Fatalf("Image(%d) (%d,%d,%d) = %d, want %d", k, y, x, c, got, want)
					}
				}
			}
		}
	}
	if !seen[true] || !seen[false] {
		t.Errorf("image 0 drawn flipped/unflipped: %v", seen)
	}
}

func TestToRGBA(t *testing.T) {
	tests := []struct {
		in   float32
		want uint8
	}{
		{-1, 0}, {1, 255}, {-2, 0}, {3, 255}, {0, 128}, // 127.5 rounds up
		{float32(100)/127.5 - 1, 100}, {float32(100.4)/127.5 - 1, 100}, {float32(100.6)/127.5 - 1, 101},
		{float32(math.NaN()), 0},
	}
	data := make([]float32, 0, 3*len(tests))
	for _, tc := range tests {
		data = append(data, tc.in, tc.in, tc.in)
	}
	img, err := ToRGBA(data, 1, len(tests))
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range tests {
		if got := img.Pix[4*i]; got != tc.want || img.Pix[4*i+3] != 255 {
			t.Errorf("ToRGBA(%v) = %d (alpha %d), want %d", tc.in, got, img.Pix[4*i+3], tc.want)
		}
	}
	if _, err := ToRGBA(data, 2, 2); err == nil {
		t.Error("ToRGBA accepted a wrong size")
	}
}

func TestSkipsHiddenFolders(t *testing.T) {
	dir := fixture(t, false)
	writeFile(t, filepath.Join(dir, ".cache", "x.png"), []byte("junk"))
	got, err := ListImages(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, fixtureFiles()) {
		t.Errorf("ListImages = %q", got)
	}
}

func TestListImagesFollowsFileLinks(t *testing.T) {
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "a.png"), pngBytes(t, image.NewRGBA(image.Rect(0, 0, 4, 4))))
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(src, "a.png"), filepath.Join(dir, "linked.png")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if err := os.Symlink(src, filepath.Join(dir, "linked-dir")); err != nil {
		t.Fatal(err)
	}
	os.Symlink(filepath.Join(src, "missing.png"), filepath.Join(dir, "dangling.png"))
	files, err := ListImages(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0] != "linked.png" {
		t.Errorf("files %v, want [linked.png] (file links followed, folder links and dangling links not)", files)
	}
}
