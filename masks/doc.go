// Package masks draws inpainting masks in the lab format: W×H greyscale,
// 0 = hole (to be inpainted), 255 = keep.
//
// Three styles are drawn, each from an explicit *rand.Rand so that the same
// seed gives the same mask:
//
//   - Strokes: a few random-walk brush strokes of jittered width, like the
//     benchmark's test masks (irregular strokes covering 12–39% of the
//     pixels, in a few separate pieces).
//   - Box: one axis-aligned rectangle.
//   - Blob: one smooth star-shaped blob (a disc whose radius varies with a
//     few low harmonics of the angle).
//
// Every mask's hole fraction lies within Options.MinHole…MaxHole: the number
// of hole pixels is drawn uniformly from the counts those bounds allow, and
// strokes and blobs stop growing exactly at it. Write and WriteDir store
// masks as PNG files (mask_%03d.png), each written to a temporary file and
// renamed.
package masks
