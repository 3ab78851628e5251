package dataset

import (
	"fmt"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
)

// FolderOptions configure OpenFolder. The zero value reads 64x64 images on
// demand with one worker per CPU and fails on the first unreadable file.
type FolderOptions struct {
	// Resolution is the side of the square images returned (default 64).
	Resolution int
	// Workers is the number of goroutines decoding images at once
	// (default runtime.GOMAXPROCS(0)).
	Workers int
	// InMemory decodes every image once when the folder is opened and keeps
	// it as uint8 RGB (3*Resolution^2 bytes per image); batches are then
	// converted to float32 from memory.
	InMemory bool
	// SkipBad skips files that cannot be decoded instead of failing;
	// Skipped lists them.
	SkipBad bool
	// Decoder decodes the files (nil: Go's image.Decode); the commands
	// pass fid/imageio's PIL-identical decoder. It is used only while the
	// folder decodes: with InMemory, only inside OpenFolder.
	Decoder ImageDecoder
}

// Folder is a sorted list of the PNG and JPEG images under a folder and the
// way to decode them. Its methods are safe for concurrent use.
type Folder struct {
	dir     string
	files   []string
	res     int
	workers int
	skipBad bool
	dec     ImageDecoder

	mu  sync.Mutex
	bad map[int]error // files that failed to decode (only with SkipBad)
	mem [][]uint8     // decoded images when in memory; nil entries are bad
}

// OpenFolder lists the images under dir (see ListImages) and, with
// InMemory, decodes them all. Errors name the folder or the file.
func OpenFolder(dir string, opt FolderOptions) (*Folder, error) {
	if opt.Resolution == 0 {
		opt.Resolution = DefaultResolution
	}
	if opt.Resolution < 0 {
		return nil, fmt.Errorf("dataset: resolution %d must be positive", opt.Resolution)
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	files, err := ListImages(dir)
	if err != nil {
		return nil, err
	}
	f := &Folder{
		dir: dir, files: files, res: opt.Resolution, workers: opt.Workers,
		skipBad: opt.SkipBad, dec: opt.Decoder, bad: map[int]error{},
	}
	if opt.InMemory {
		all := make([]int, len(files))
		for i := range all {
			all[i] = i
		}
		imgs, err := f.decode(all)
		if err != nil {
			return nil, err
		}
		if err := f.checkUsable(); err != nil {
			return nil, err
		}
		f.mem = imgs
		f.dec = nil // done with it: the caller may close it
	}
	return f, nil
}

// Dir is the folder the images were listed from.
func (f *Folder) Dir() string { return f.dir }

// Len is the number of image files listed, including any skipped as bad.
func (f *Folder) Len() int { return len(f.files) }

// Resolution is the side of the square images returned.
func (f *Folder) Resolution() int { return f.res }

// InMemory reports whether all images were decoded when the folder was opened.
func (f *Folder) InMemory() bool { return f.mem != nil }

// Files returns the image paths relative to Dir, '/'-separated, in index order.
func (f *Folder) Files() []string { return append([]string(nil), f.files...) }

// Path returns the full path of image i.
func (f *Folder) Path(i int) string { return filepath.Join(f.dir, filepath.FromSlash(f.files[i])) }

// Skipped returns the relative paths of the files skipped as unreadable so
// far (with SkipBad), sorted. In memory, that is every bad file; otherwise
// only those met by the batches read so far.
func (f *Folder) Skipped() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, 0, len(f.bad))
	for i := range f.bad {
		out = append(out, f.files[i])
	}
	sort.Strings(out)
	return out
}

// SkippedErrors returns why each skipped file could not be read, keyed by
// its relative path.
func (f *Folder) SkippedErrors() map[string]error {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]error, len(f.bad))
	for i, err := range f.bad {
		out[f.files[i]] = err
	}
	return out
}

// Image returns image i as RGB bytes (HWC, Resolution^2*3). A skipped file
// returns its decoding error even with SkipBad.
func (f *Folder) Image(i int) ([]uint8, error) {
	if i < 0 || i >= len(f.files) {
		return nil, fmt.Errorf("dataset: image index %d out of range [0, %d)", i, len(f.files))
	}
	if err := f.badErr(i); err != nil {
		return nil, err
	}
	if f.mem != nil {
		return f.mem[i], nil
	}
	return LoadImageWith(f.Path(i), f.res, f.dec)
}

// Batch loads the images at indices (unshuffled, unflipped) into a batch,
// decoding them in parallel. With SkipBad, unreadable files are left out, so
// the batch can be shorter than indices; otherwise the first unreadable file
// (in indices order) is an error naming it.
func (f *Folder) Batch(indices []int) (*Batch, error) {
	for _, i := range indices {
		if i < 0 || i >= len(f.files) {
			return nil, fmt.Errorf("dataset: image index %d out of range [0, %d)", i, len(f.files))
		}
	}
	imgs, err := f.images(indices)
	if err != nil {
		return nil, err
	}
	b := newBatch(f.res, len(indices))
	for k, i := range indices {
		if imgs[k] != nil {
			b.add(imgs[k], i, false)
		}
	}
	return b, nil
}

// images returns the images at indices, from memory or decoded in parallel;
// entries of skipped files are nil.
func (f *Folder) images(indices []int) ([][]uint8, error) {
	if f.mem == nil {
		return f.decode(indices)
	}
	out := make([][]uint8, len(indices))
	for k, i := range indices {
		out[k] = f.mem[i]
		if out[k] == nil && !f.skipBad {
			return nil, f.badErr(i)
		}
	}
	return out, nil
}

// decode decodes the files at indices with at most f.workers goroutines.
// Files already known to be bad are not decoded again. Without SkipBad the
// first failure in indices order is returned; with it, failures are recorded
// and their entries left nil.
func (f *Folder) decode(indices []int) ([][]uint8, error) {
	out := make([][]uint8, len(indices))
	errs := make([]error, len(indices))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(f.workers, len(indices)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range jobs {
				i := indices[k]
				if err := f.badErr(i); err != nil {
					errs[k] = err
					continue
				}
				out[k], errs[k] = LoadImageWith(f.Path(i), f.res, f.dec)
			}
		}()
	}
	for k := range indices {
		jobs <- k
	}
	close(jobs)
	wg.Wait()
	for k, err := range errs {
		if err == nil {
			continue
		}
		if !f.skipBad {
			return nil, err
		}
		f.mu.Lock()
		f.bad[indices[k]] = err
		f.mu.Unlock()
	}
	return out, nil
}

func (f *Folder) badErr(i int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bad[i]
}

// checkUsable fails when every file is known to be bad.
func (f *Folder) checkUsable() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.bad) == len(f.files) {
		return fmt.Errorf("dataset: all %d image files in folder %s are unreadable (first: %v)",
			len(f.files), f.dir, f.bad[0])
	}
	return nil
}
