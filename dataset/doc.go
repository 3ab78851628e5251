// Package dataset reads the data maskgit trains and evaluates on, in pure Go
// (no cgo):
//
//   - Folder: a folder of PNG and JPEG images, walked recursively in sorted
//     order, each image centre-cropped to a square and resized to the model
//     resolution (default 64). Images are decoded by worker goroutines and can
//     be kept in memory once as uint8 RGB.
//   - ImageIterator: seeded, shuffled, optionally flipped batches of images as
//     float32 NHWC in [-1, 1], whose position (State) can be saved and restored
//     so that a resumed run sees the same data order.
//   - Lab: the inpainting benchmark layout (masked_image/image_%03d.png,
//     mask64/mask_%03d.png, test_index.csv).
//   - TokenCache: the tokens of a folder of images, written once by
//     `maskgit encode` so that transformer training reads tokens, not pixels,
//     and TokenIterator to batch them with the same resumable State.
//
// # Pixels
//
// Images are stored as uint8 RGB, row-major, HWC (3 bytes per pixel). Batches
// are float32 NHWC with value v/127.5 - 1, so 0 maps to -1 and 255 to +1;
// ToRGBA inverts this with rounding to the nearest level and clamping to
// [0, 255]. Images with an alpha channel are composited over black.
//
// # Resizing
//
// An image of size w x h is first centre-cropped to a square of side
// min(w, h), at offset ((w-side)/2, (h-side)/2) rounded down, then scaled to
// the resolution with golang.org/x/image/draw.CatmullRom, which widens its
// kernel when shrinking, so downscaling averages every source pixel (no
// aliasing). An image that is already square at the resolution is copied
// unchanged, so the 64x64 cat faces are used pixel for pixel.
//
// # File selection
//
// A file is an image when its extension is .png, .jpg or .jpeg (any case),
// or, whatever its name, when its first bytes are a PNG or JPEG signature.
// Everything else is ignored, as are files and folders whose names start
// with a dot. Images are decoded by their content, not their extension.
//
// # Order and resuming
//
// Epoch e visits the images in the permutation drawn by
// rand.New(rand.NewPCG(seed, e)) (math/rand/v2), and the horizontal flip of
// the sample at position i of epoch e is the i-th draw of the same generator
// after the permutation. The next sample is therefore fully described by
// State{Epoch, Index} together with the seed and the list of files, which is
// what a checkpoint must save for --resume.
//
// # Shared data
//
// SharedDir finds the read-only project data: $MASKGIT_SHARED when set,
// else ../shared beside the repository root.
package dataset
