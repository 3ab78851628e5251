#!/usr/bin/env python3
"""Golden values for package fid (fid/fid_golden_test.go).

Run from the repository root with the reference venv:

    third_party/venv/bin/python scripts/fid_golden.py

Writes fid/testdata/fid_<case>.npz, one per case, each holding:
  feats1, feats2   uint8 (N, D): feature codes k; the feature value is k/32
                   (exact in float32 and float64), ReLU-like (many zeros)
  scale            float64 (1,): the 32 above
  mu1, mu2         float64 (D,): np.mean(axis=0) of the float64 features
  sigma1, sigma2   float64 (D, D): np.cov(rowvar=False), only when D <= 64
  sigma1_diag, sigma2_diag, sigma1_sum, sigma2_sum: checks of sigma for any D
  fid              float64 (1,): pytorch-fid calculate_frechet_distance
  fid_offset       float64 (1,): the same with the eps*I retry branch forced
  eps              float64 (1,): that eps (1e-6, pytorch-fid's default)
  took_retry       float64 (1,): 1 if the plain path hit a non-finite sqrtm

It also writes pytorch-fid-style statistics files of case d64_n200's first set
(mu1, sigma1): stats_d64_n200.npz (np.savez_compressed, float64, as
pytorch-fid --save-stats writes them) and stats_d64_n200_f32.npz (np.savez,
uncompressed, float32), to check that ReadStats reads NumPy's files.

pytorch-fid's formula is reproduced below (from its fid_score.py); features are
cast to float64 before the statistics, as pytorch-fid's get_activations does.
"""
import os
import warnings

import numpy as np
from scipy import linalg

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fid", "testdata")
SCALE = 32.0
EPS = 1e-6


def calculate_frechet_distance(mu1, sigma1, mu2, sigma2, eps=EPS, force_offset=False):
    """pytorch-fid's calculate_frechet_distance (scipy.linalg.sqrtm path).

    Returns (distance, took_retry). force_offset runs the eps*I retry branch
    unconditionally, to check the Go offset variant.
    """
    mu1 = np.atleast_1d(mu1)
    mu2 = np.atleast_1d(mu2)
    sigma1 = np.atleast_2d(sigma1)
    sigma2 = np.atleast_2d(sigma2)
    assert mu1.shape == mu2.shape, "Training and test mean vectors have different lengths"
    assert sigma1.shape == sigma2.shape, "Training and test covariances have different dimensions"

    diff = mu1 - mu2
    took_retry = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # disp= deprecation, singular-matrix notices
        covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
        if force_offset or not np.isfinite(covmean).all():
            took_retry = not force_offset
            offset = np.eye(sigma1.shape[0]) * eps
            covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))

    # Numerical error might give slight imaginary component
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            m = np.max(np.abs(covmean.imag))
            raise ValueError("Imaginary component {}".format(m))
        covmean = covmean.real

    tr_covmean = np.trace(covmean)
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * tr_covmean), took_retry


def eigen_frechet(mu1, sigma1, mu2, sigma2):
    """Independent cross-check: Tr sqrt(S1 S2) = sum sqrt(eig(sqrt(S1) S2 sqrt(S1)))."""
    w, v = np.linalg.eigh(sigma1)
    r = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    lam = np.linalg.eigvalsh(r @ sigma2 @ r)
    diff = mu1 - mu2
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.sqrt(np.clip(lam, 0, None)).sum())


def codes(rng, n, d, shift, spread):
    """ReLU-like uint8 feature codes: max(0, round(32*(spread*z + shift)))."""
    z = rng.standard_normal((n, d)) * spread + shift
    return np.clip(np.rint(z * SCALE), 0, 255).astype(np.uint8)


def stats(k):
    x = (k.astype(np.float32) / np.float32(SCALE)).astype(np.float64)
    return np.mean(x, axis=0), np.cov(x, rowvar=False)


def case(name, seed, n1, n2, d, constant_cols=0):
    rng = np.random.default_rng(seed)
    k1 = codes(rng, n1, d, 0.3, 1.0)
    k2 = codes(rng, n2, d, 0.4, 1.2)
    if constant_cols:
        # zero-variance features in both sets: an exactly singular product
        k1[:, :constant_cols] = 7
        k2[:, :constant_cols] = 0
    mu1, s1 = stats(k1)
    mu2, s2 = stats(k2)
    fid, retry = calculate_frechet_distance(mu1, s1, mu2, s2)
    fid_off, _ = calculate_frechet_distance(mu1, s1, mu2, s2, force_offset=True)
    check = eigen_frechet(mu1, s1, mu2, s2)
    out = dict(
        feats1=k1, feats2=k2, scale=np.array([SCALE]),
        mu1=mu1, mu2=mu2,
        sigma1_diag=np.diag(s1).copy(), sigma2_diag=np.diag(s2).copy(),
        sigma1_sum=np.array([s1.sum()]), sigma2_sum=np.array([s2.sum()]),
        fid=np.array([fid]), fid_offset=np.array([fid_off]), eps=np.array([EPS]),
        took_retry=np.array([1.0 if retry else 0.0]),
    )
    if d <= 64:
        out["sigma1"] = s1
        out["sigma2"] = s2
    if name == "d64_n200":
        np.savez_compressed(os.path.join(OUT, "stats_d64_n200.npz"), mu=mu1, sigma=s1)
        np.savez(os.path.join(OUT, "stats_d64_n200_f32.npz"), mu=mu1.astype(np.float32), sigma=s1.astype(np.float32))
    path = os.path.join(OUT, f"fid_{name}.npz")
    np.savez_compressed(path, **out)
    print(f"{name}: N={n1}/{n2} D={d} fid={fid!r} offset={fid_off!r} retry={retry} "
          f"eigen-check rel={abs(check - fid) / abs(fid):.2e} ({os.path.getsize(path)} bytes)")


def main():
    os.makedirs(OUT, exist_ok=True)
    case("d64_n200", 1, 200, 180, 64)
    case("d64_n50", 2, 50, 40, 64)  # N < D: rank-deficient covariances
    case("d64_const", 3, 200, 200, 64, constant_cols=5)
    case("d2048_n300", 4, 300, 300, 2048)  # rank-deficient too (N < D), small files


if __name__ == "__main__":
    main()
