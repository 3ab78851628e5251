"""Mean PSNR (dB, 8-bit RGB) of the hole pixels of benchmark outputs against the ground truth, per image then averaged,
as `maskgit sweep` reports it. For outputs made outside maskgit (scripts/classical_baselines.py).

Usage: third_party/venv/bin/python scripts/hole_psnr.py ../shared/data/catfaces64 OUTDIR [OUTDIR...]
"""
import csv
import os
import sys

import cv2
import numpy as np

data = sys.argv[1]
with open(os.path.join(data, "test_index.csv")) as f:
    rows = list(csv.DictReader(f))
for out in sys.argv[2:]:
    ps = []
    for r in rows:
        truth = cv2.imread(os.path.join(data, "test", r["test_file"]), cv2.IMREAD_COLOR).astype(np.float64)
        pred = cv2.imread(os.path.join(out, r["masked_image"]), cv2.IMREAD_COLOR).astype(np.float64)
        hole = cv2.imread(os.path.join(data, "mask64", r["mask"]), cv2.IMREAD_GRAYSCALE) < 128
        mse = max(((truth - pred)[hole] ** 2).mean(), 1e-10)
        ps.append(10 * np.log10(255.0**2 / mse))
    print(f"{out}: hole PSNR {np.mean(ps):.2f} dB over {len(ps)} images")
