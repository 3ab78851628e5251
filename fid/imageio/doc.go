// Package imageio reads image folders for FID exactly as pytorch-fid reads
// them and reduces them to FID statistics with a feature extractor (the
// Inception network of package fid/inception).
//
// # Decoding
//
// pytorch-fid opens every image with PIL.Image.open(path).convert('RGB').
// Go's image/jpeg decodes differently from libjpeg (no "fancy" chroma
// upsampling: on the 64x64 cat-face JPEGs the channel means move by 1.5
// to 2.4 levels), which shifts FID. A Decoder therefore decodes with
// TensorFlow's DecodeJpeg (libjpeg-turbo with PIL's settings: accurate
// integer DCT, fancy upsampling) and DecodePng (libpng), which give the
// same bytes as PIL: the test TestDecodeMatchesPIL compares SHA-256 sums of
// the decoded pixels with PIL's (scripts/fid_cli_decode.py) for JPEG
// 4:2:0/4:2:2/4:4:4, progressive, greyscale and CMYK files, PNGs of every
// colour type (alpha is dropped, not composited, as convert('RGB') does;
// a 16-bit greyscale PNG is clipped at 255 as PIL's mode I;16 is) and the
// first catfaces64 test images. TensorFlow's DecodeImage uses the fast DCT
// and does not match.
//
// Only PNG and JPEG are read (by content; ParseHeader); pytorch-fid also
// takes BMP, TIFF, WebP and PPM. EXIF orientation is ignored, as by PIL's
// open. Folders are walked recursively, where pytorch-fid reads only the
// top level.
//
// # Statistics
//
// ListFolder lists a folder's images (recursively, sorted, see
// dataset.ListImages), CheckFiles validates their headers up front, and
// FileStats decodes them, runs them through a FeatureExtractor in batches
// of same-size images and accumulates float64 mean and covariance as
// pytorch-fid does. CachedFileStats keeps reference statistics in a
// fid.Cache under fid.KeyForFiles(ExtractorID(weights), files), so a fixed
// reference folder goes through Inception once.
//
// TestFIDMatchesPytorchFID checks the whole path against pytorch-fid's
// procedure run with PyTorch (scripts/fid_cli_e2e.py) on 40 + 40 catfaces64
// images.
package imageio
