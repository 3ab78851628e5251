"""Classical inpainting baselines on the fixed benchmark masks (no model): OpenCV's Telea and Navier-Stokes
(cv2.inpaint, radius 3) and the harmonic (Laplace) fill — every hole pixel the solution of Laplace's equation with the
known pixels as boundary values (5-point stencil, zero flux at the image border; SciPy sparse direct solve).

Their FIDs stand beside the model's in docs/results.md, so a reader sees what the model adds. Known pixels are kept
exactly, as `maskgit inpaint` does.

Usage (the reference venv has opencv-python-headless and SciPy, see scripts/requirements.txt):
  third_party/venv/bin/python scripts/classical_baselines.py ../shared/data/catfaces64 out/classical
  for m in telea ns harmonic; do bin/maskgit fid --pred out/classical/$m --ref ../shared/data/catfaces64/test; done
"""
import csv
import os
import sys

import cv2
import numpy as np
from scipy import sparse
from scipy.sparse.linalg import spsolve


def harmonic_fill(img, hole):
    """Fills hole pixels of img (H, W, C float) with the harmonic interpolation of the known pixels."""
    h, w = hole.shape
    idx = -np.ones((h, w), np.int64)
    ys, xs = np.nonzero(hole)
    n = len(ys)
    if n == 0:
        return img
    idx[ys, xs] = np.arange(n)
    rows, cols, vals = [np.arange(n)], [np.arange(n)], []
    deg = np.zeros(n)
    b = np.zeros((n, img.shape[2]))
    for dy, dx in ((0, -1), (0, 1), (-1, 0), (1, 0)):
        yy, xx = ys + dy, xs + dx
        inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
        deg += inside
        i = np.nonzero(inside)[0]
        nb_hole = hole[yy[i], xx[i]]
        hi = i[nb_hole]
        rows.append(hi)
        cols.append(idx[yy[hi], xx[hi]])
        ki = i[~nb_hole]
        np.add.at(b, ki, img[yy[ki], xx[ki]])
    vals = np.concatenate([deg, -np.ones(sum(len(r) for r in rows[1:]))])
    a = sparse.csr_matrix((vals, (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    # A hole region touching no known pixel (not in these masks) would make a singular system.
    u = spsolve(a.tocsc(), b)
    out = img.copy()
    out[ys, xs] = u.reshape(n, -1)
    return out


def main():
    data, out = sys.argv[1:3]
    methods = {
        "telea": lambda img, hole: cv2.inpaint(img, hole.astype(np.uint8) * 255, 3, cv2.INPAINT_TELEA),
        "ns": lambda img, hole: cv2.inpaint(img, hole.astype(np.uint8) * 255, 3, cv2.INPAINT_NS),
        "harmonic": lambda img, hole: np.clip(np.rint(harmonic_fill(img.astype(np.float64), hole)), 0, 255).astype(np.uint8),
    }
    for m in methods:
        os.makedirs(os.path.join(out, m), exist_ok=True)
    with open(os.path.join(data, "test_index.csv")) as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        img = cv2.imread(os.path.join(data, "masked_image", r["masked_image"]), cv2.IMREAD_COLOR)
        hole = cv2.imread(os.path.join(data, "mask64", r["mask"]), cv2.IMREAD_GRAYSCALE) < 128
        for m, fill in methods.items():
            res = fill(img, hole)
            res[~hole] = img[~hole]
            cv2.imwrite(os.path.join(out, m, r["masked_image"]), res)
    print(f"wrote {len(rows)} images for each of {', '.join(methods)} into {out}")


if __name__ == "__main__":
    main()
