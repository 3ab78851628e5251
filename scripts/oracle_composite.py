"""Oracle inpainting for the benchmark: the holes of every masked image are filled with the tokenizer's reconstruction
of the ground truth (what a transformer that predicts every token right would give), known pixels are kept.

Its FID against test/ is the ceiling the tokenizer sets for inpainting (docs/results.md). With a fourth argument
"residual" the holes are corrected as `maskgit inpaint --composite residual` does (the harmonic interpolation of the
reconstruction's error on the known pixels added in the holes, scripts/classical_baselines.py's solver), else pasted.

Usage (the reference venv: numpy, scipy, OpenCV):
  bin/maskgit reconstruct --model models/catfaces64/tokenizer --images ../shared/data/catfaces64/test --out out/recon-test
  third_party/venv/bin/python scripts/oracle_composite.py ../shared/data/catfaces64 out/recon-test out/oracle [residual]
  bin/maskgit fid --pred out/oracle --ref ../shared/data/catfaces64/test
"""
import csv
import os
import sys

import numpy as np
import cv2

sys.path.insert(0, os.path.dirname(__file__))
from classical_baselines import harmonic_fill  # noqa: E402

data, recon, out = sys.argv[1:4]
residual = len(sys.argv) > 4 and sys.argv[4] == "residual"
os.makedirs(out, exist_ok=True)
with open(os.path.join(data, "test_index.csv")) as f:
    for r in csv.DictReader(f):
        known = cv2.imread(os.path.join(data, "masked_image", r["masked_image"]), cv2.IMREAD_COLOR)
        hole = cv2.imread(os.path.join(data, "mask64", r["mask"]), cv2.IMREAD_GRAYSCALE) < 128
        rec = cv2.imread(os.path.join(recon, os.path.splitext(r["test_file"])[0] + ".png"), cv2.IMREAD_COLOR)
        if residual:
            res = known.astype(np.float64) - rec.astype(np.float64)
            res = harmonic_fill(res, hole)
            known[hole] = np.clip(np.rint(rec[hole] + res[hole]), 0, 255).astype(np.uint8)
        else:
            known[hole] = rec[hole]
        cv2.imwrite(os.path.join(out, r["masked_image"]), known)
