"""Golden values for the Go package inpaint (MaskGIT iterative decoding).

Writes inpaint/testdata/golden.json, read by inpaint/golden_test.go:
  - schedules: γ(r, n) of every schedule, from the formulas of
    google-research/maskgit libml/mask_schedule.py, clipped to [0, 1]
    (n < 2 treated as 2 for log/exp);
  - counts: tokens left masked after each step for (schedule, unknown0, T);
  - halton: 2-D Halton (bases 2, 3) visiting order of token grids;
  - token_masks: pixel mask -> token mask (any hole in a patch), with and
    without a 3x3 dilation (scipy.ndimage.binary_dilation);
  - decode: whole decoding runs with a deterministic fake predictor, argmax,
    temperature 0 (no randomness), so the Go loop must match exactly.

Run from the repo root:  third_party/venv/bin/python scripts/inpaint_golden.py
"""

import json
import math
import os

import numpy as np
from scipy import ndimage

OUT = os.path.join(os.path.dirname(__file__), "..", "inpaint", "testdata", "golden.json")


def gamma(name, r, n):
    r = min(max(float(r), 0.0), 1.0)
    n = max(int(n), 2)
    if name == "cosine":
        g = np.cos(np.pi / 2.0 * r)
    elif name == "linear":  # MaskGIT "uniform"
        g = 1.0 - r
    elif name == "square":  # "pow2"
        g = 1.0 - r**2
    elif name == "cubic":  # "pow3"
        g = 1.0 - r**3
    elif name == "sqrt":  # "pow0.5"
        g = 1.0 - r**0.5
    elif name == "log":
        g = np.inf if r == 0 else -np.log2(r) / np.log2(n)
    elif name == "exp":
        g = 1.0 - np.exp2(-np.log2(n) * (1.0 - r))
    else:
        raise ValueError(name)
    return float(np.clip(g, 0.0, 1.0))


NAMES = ["cosine", "linear", "square", "cubic", "sqrt", "log", "exp"]


def keep_masked(name, t, T, u0, ut):
    if ut <= 1 or t >= T - 1:
        return 0
    k = int(np.floor(gamma(name, (t + 1) / T, u0) * u0))
    return min(max(k, 1), ut - 1)


def radical_inverse(i, b):
    digits = []
    while i > 0:
        digits.append(i % b)
        i //= b
    return sum(d * float(b) ** -(j + 1) for j, d in enumerate(digits))


def halton_order(w, h):
    seen, order = set(), []
    i = 1
    while len(order) < w * h and i <= 64 * w * h:
        x = min(int(radical_inverse(i, 2) * w), w - 1)
        y = min(int(radical_inverse(i, 3) * h), h - 1)
        if y * w + x not in seen:
            seen.add(y * w + x)
            order.append(y * w + x)
        i += 1
    order += [p for p in range(w * h) if p not in seen]
    return order


def token_mask(hole, gw, gh, dilate):
    H, W = hole.shape
    p = W // gw
    tm = hole.reshape(gh, p, gw, p).any(axis=(1, 3))
    if dilate:
        tm = ndimage.binary_dilation(tm, structure=np.ones((3, 3), bool))
    return tm.reshape(-1)


def fake_logits(x, K, mask_id, extra):
    """Deterministic logits for one image (N,) -> (N, K+extra).

    ctx = sum over known positions m of (x[m]+1)*(m+1), mod 97. Position n puts
    a peak v = 1 + ((5n+ctx) mod N)/4 on class (3n+ctx) mod K and 0 elsewhere,
    so confidences are distinct within an image (5 is coprime with N). Extra
    columns (beyond the codebook) get 100: a predictor whose favourite is out
    of range.
    """
    N = len(x)
    ctx = sum((int(t) + 1) * (m + 1) for m, t in enumerate(x) if t != mask_id) % 97
    out = np.zeros((N, K + extra), np.float32)
    for n in range(N):
        out[n, (3 * n + ctx) % K] = 1.0 + ((5 * n + ctx) % N) / 4.0
    out[:, K:] = 100.0
    return out


def log_softmax_at(row, k):
    m = max(float(v) for v in row)
    s = 0.0
    for v in row:
        s += math.exp(float(v) - m)
    return float(row[k]) - (m + math.log(s))


def decode(case):
    K, mask_id, T = case["k"], case["mask_id"], case["steps"]
    stop = case["sweet_spot"] or T
    gw, gh = case["grid_w"], case["grid_h"]
    order = halton_order(gw, gh) if case["order"] == "halton" else None
    rank = {p: r for r, p in enumerate(order)} if order else None
    results = []
    for x0 in case["inputs"]:
        x = list(x0)
        u0 = sum(1 for t in x if t == mask_id)
        u = u0
        steps = []
        for t in range(stop):
            if u == 0:
                break
            logits = fake_logits(x, K, mask_id, case["extra"])[:, :K]
            cands = []
            for pos in range(len(x)):
                if x[pos] != mask_id:
                    continue
                k = int(np.argmax(logits[pos]))
                cands.append((pos, k, log_softmax_at(logits[pos], k)))
            keep = keep_masked(case["schedule"], t, T, u0, u)
            if t >= stop - 1:
                keep = 0
            if order:
                cands.sort(key=lambda c: rank[c[0]])
            else:
                cands.sort(key=lambda c: -c[2])  # stable: ties keep position order
            fix = len(cands) - keep
            for pos, k, _ in cands[:fix]:
                x[pos] = k
            vis = list(x)
            masked = [False] * len(x)
            for pos, k, _ in cands[fix:]:
                vis[pos] = k
                masked[pos] = True
            steps.append({"masked": masked, "tokens": vis, "keep": keep})
            u = keep
        results.append({"tokens": x, "unknown0": u0, "steps": steps})
    return results


def main():
    rng = np.random.default_rng(20240607)
    rs = [0.0, 0.1, 0.125, 0.25, 1 / 3, 0.5, 0.6, 0.75, 0.9, 1.0]
    schedules = [
        {"name": nm, "r": r, "n": n, "gamma": gamma(nm, r, n)}
        for nm in NAMES for n in (1, 10, 256) for r in rs
    ]

    counts = []
    for nm in NAMES:
        for u0, T in ((10, 4), (256, 8), (256, 12), (37, 6), (2, 3), (1, 5)):
            u, seq = u0, []
            for t in range(T):
                u = keep_masked(nm, t, T, u0, u)
                seq.append(u)
            counts.append({"name": nm, "unknown0": u0, "steps": T, "keep": seq})

    halton = [{"w": w, "h": h, "order": halton_order(w, h)} for w, h in ((4, 4), (16, 16), (5, 3), (7, 6), (1, 1))]

    token_masks = []
    for gw, gh, p in ((4, 4, 4), (16, 16, 4), (3, 2, 5)):
        hole = rng.random((gh * p, gw * p)) < 0.03
        for dilate in (False, True):
            token_masks.append({
                "w": gw * p, "h": gh * p, "grid_w": gw, "grid_h": gh, "dilate": dilate,
                "hole": hole.reshape(-1).astype(int).tolist(),
                "token_mask": token_mask(hole, gw, gh, dilate).astype(int).tolist(),
            })

    def inputs(N, K, mask_id, fracs):
        out = []
        for f in fracs:
            toks = rng.integers(0, K, N)
            m = rng.random(N) < f
            if f == 1.0:
                m[:] = True
            toks[m] = mask_id
            out.append([int(t) for t in toks])
        one = [int(t) for t in rng.integers(0, K, N)]
        one[N // 2] = mask_id
        out.append(one)  # exactly one unknown token
        out.append([int(t) for t in rng.integers(0, K, N)])  # nothing to do
        return out

    decode_cases = []
    specs = [
        ("cosine_T4", 4, 4, 4, 0, "cosine", "confidence", 0),
        ("cosine_T4_sweet2", 4, 4, 4, 2, "cosine", "confidence", 0),
        ("linear_T5_halton", 4, 4, 5, 0, "linear", "halton", 0),
        ("square_T3_extra", 4, 3, 3, 0, "square", "confidence", 2),
        ("log_T6", 4, 4, 6, 0, "log", "confidence", 0),
        ("exp_T6_sweet6", 4, 3, 6, 6, "exp", "confidence", 1),
        ("sqrt_T8_halton_sweet5", 4, 4, 8, 5, "sqrt", "halton", 0),
        ("cubic_T1", 4, 4, 1, 0, "cubic", "confidence", 0),
    ]
    K = 8
    for name, gw, gh, T, sweet, sched, order, extra in specs:
        case = {
            "name": name, "grid_w": gw, "grid_h": gh, "k": K, "mask_id": K,
            "steps": T, "sweet_spot": sweet, "schedule": sched, "order": order, "extra": extra,
            "inputs": inputs(gw * gh, K, K, (0.6, 1.0, 0.3)),
        }
        case["results"] = decode(case)
        decode_cases.append(case)

    data = {
        "script": "scripts/inpaint_golden.py",
        "schedules": schedules,
        "counts": counts,
        "halton": halton,
        "token_masks": token_masks,
        "decode": decode_cases,
    }
    tmp = OUT + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, separators=(",", ":"))
        f.write("\n")
    os.replace(tmp, OUT)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
