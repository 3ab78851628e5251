"""Oracle inpainting for the benchmark: the holes of every masked image are filled with the tokenizer's reconstruction
of the ground truth (what a transformer that predicts every token right would give), known pixels are kept.

Its FID against test/ is the ceiling the tokenizer sets for inpainting (docs/results.md).

Usage (any Python with numpy and Pillow):
  bin/maskgit reconstruct --model models/catfaces64/tokenizer --images ../shared/data/catfaces64/test --out out/recon-test
  python scripts/oracle_composite.py ../shared/data/catfaces64 out/recon-test out/oracle
  bin/maskgit fid --pred out/oracle --ref ../shared/data/catfaces64/test
"""
import csv
import os
import sys

import numpy as np
from PIL import Image

data, recon, out = sys.argv[1:4]
os.makedirs(out, exist_ok=True)
with open(os.path.join(data, "test_index.csv")) as f:
    for r in csv.DictReader(f):
        known = np.array(Image.open(os.path.join(data, "masked_image", r["masked_image"])).convert("RGB"))
        hole = np.array(Image.open(os.path.join(data, "mask64", r["mask"])).convert("L")) < 128
        rec = np.array(Image.open(os.path.join(recon, os.path.splitext(r["test_file"])[0] + ".png")).convert("RGB"))
        known[hole] = rec[hole]
        Image.fromarray(known).save(os.path.join(out, r["masked_image"]))
