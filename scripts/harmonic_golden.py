"""Golden values for inpaint.Laplace (harmonic interpolation of a field into the holes of a mask).

Writes inpaint/testdata/harmonic_golden.json, read by inpaint/harmonic_test.go. For each case: the mask (1 = hole),
a field whose known values are the boundary data (hole values are noise that must be ignored), and the solution from
SciPy's sparse direct solver (scipy.sparse.linalg.spsolve) of the 5-point Laplace equation on the hole pixels:

    deg(p) * u_p - sum_{q in N(p), hole} u_q = sum_{q in N(p), known} f_q,

N(p) the in-image 4-neighbours (the image border is a zero-flux boundary). 4-connected hole regions that touch no
known pixel have no boundary data and are set to 0.

Run from the repo root:  third_party/venv/bin/python scripts/harmonic_golden.py
"""

import json
import os

import numpy as np
from scipy import ndimage, sparse
from scipy.sparse.linalg import spsolve

OUT = os.path.join(os.path.dirname(__file__), "..", "inpaint", "testdata", "harmonic_golden.json")


def solve(hole, field):
    h, w = hole.shape
    out = field.copy()
    labels, n = ndimage.label(hole, structure=[[0, 1, 0], [1, 1, 1], [0, 1, 0]])
    known = ~hole
    bounded = np.zeros(n + 1, bool)
    for y in range(h):
        for x in range(w):
            if labels[y, x]:
                for dy, dx in ((0, -1), (0, 1), (-1, 0), (1, 0)):
                    yy, xx = y + dy, x + dx
                    if 0 <= yy < h and 0 <= xx < w and known[yy, xx]:
                        bounded[labels[y, x]] = True
    unk = [(y, x) for y in range(h) for x in range(w) if labels[y, x] and bounded[labels[y, x]]]
    for y in range(h):
        for x in range(w):
            if labels[y, x] and not bounded[labels[y, x]]:
                out[y, x] = 0.0
    if not unk:
        return out
    index = {p: i for i, p in enumerate(unk)}
    rows, cols, vals = [], [], []
    b = np.zeros(len(unk))
    for i, (y, x) in enumerate(unk):
        deg = 0
        for dy, dx in ((0, -1), (0, 1), (-1, 0), (1, 0)):
            yy, xx = y + dy, x + dx
            if not (0 <= yy < h and 0 <= xx < w):
                continue
            deg += 1
            if known[yy, xx]:
                b[i] += field[yy, xx]
            else:
                rows.append(i), cols.append(index[(yy, xx)]), vals.append(-1.0)
        rows.append(i), cols.append(i), vals.append(float(deg))
    a = sparse.csr_matrix((vals, (rows, cols)), shape=(len(unk), len(unk)))
    u = spsolve(a, b)
    for i, (y, x) in enumerate(unk):
        out[y, x] = u[i]
    return out


def strokes(rng, h, w, n, width):
    hole = np.zeros((h, w), bool)
    for _ in range(n):
        y, x = rng.integers(0, h), rng.integers(0, w)
        for _ in range(rng.integers(3, 12)):
            y = int(np.clip(y + rng.integers(-3, 4), 0, h - 1))
            x = int(np.clip(x + rng.integers(-3, 4), 0, w - 1))
            hole[max(0, y - width):y + width + 1, max(0, x - width):x + width + 1] = True
    return hole


def main():
    rng = np.random.default_rng(20261201)
    cases = []

    def add(name, hole):
        h, w = hole.shape
        field = rng.normal(0, 20, (h, w))
        cases.append({"name": name, "w": w, "h": h, "hole": hole.astype(int).ravel().tolist(),
                      "field": field.ravel().tolist(), "want": solve(hole, field).ravel().tolist()})

    add("strokes touching the border", strokes(rng, 9, 12, 2, 1))
    two = np.zeros((10, 10), bool)
    two[2:4, 2:5] = True
    two[6:9, 5:9] = True
    add("two rectangles", two)
    add("whole image hole", np.ones((5, 6), bool))
    cut = np.zeros((8, 8), bool)
    cut[:, 3] = True
    cut[:2, :3] = True
    add("single column", cut)
    add("64x64 strokes", strokes(rng, 64, 64, 6, 2))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump({"cases": cases}, f)


if __name__ == "__main__":
    main()
