"""Golden values for the Go package dataset/ (run from the repository root).

    third_party/venv/bin/python scripts/dataset_golden.py

Writes into dataset/testdata/:
  resize_golden.json  x/image/draw CatmullRom centre-crop-and-scale, re-implemented
                      in NumPy (separable kernel, widened when shrinking, 16-bit
                      intermediate, final 16->8 bit truncation), on formula images.
  tokens_v1.mgtok     a token cache written from the format spec in tokens.go;
  tokens_v1.json      the values it holds.
  jpeg_means.json     per-channel means of the first train JPEGs (sorted names)
                      decoded by TensorFlow; needs the shared data (skipped when absent).
Only statistics of the shared images are stored, never their pixels.
"""
import hashlib
import json
import os
import struct
import sys
import zlib

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dataset", "testdata")


def formula_image(w, h):
    """The test pattern dataset/resize_test.go builds: uint8 RGB, HWC."""
    y, x = np.mgrid[0:h, 0:w]
    r = (3 * x + 2 * y) % 256
    g = (x * y // 7) % 256
    b = 255 * ((x // 10 + y // 10) % 2)
    return np.stack([r, g, b], axis=-1).astype(np.uint8)


def catmull_rom(t):
    t = np.abs(t)
    return np.where(t < 1, (1.5 * t - 2.5) * t * t + 1,
                    np.where(t < 2, ((-0.5 * t + 2.5) * t - 4) * t + 2, 0.0))


def weights(dw, sw):
    """Row d of the result holds the normalised weights of source columns for
    destination column d, as x/image/draw's newDistrib computes them."""
    scale = sw / dw
    half, arg = 2.0, 1.0
    if scale > 1:
        half, arg = 2.0 * scale, 1.0 / scale
    m = np.zeros((dw, sw))
    for d in range(dw):
        center = (d + 0.5) * scale - 0.5
        lo = max(int(np.floor(center - half)), 0)
        hi = min(int(np.ceil(center + half)), sw)
        for s in range(lo, hi):
            t = abs((center - s) * arg)
            if t < 2:
                m[d, s] = catmull_rom(t)
        m[d] /= m[d].sum()
    return m


def square(img, res):
    h, w, _ = img.shape
    side = min(w, h)
    x0, y0 = (w - side) // 2, (h - side) // 2
    crop = img[y0:y0 + side, x0:x0 + side].astype(np.float64)
    if side == res:
        return crop.astype(np.uint8)
    m = weights(res, side)
    v16 = crop * 0x101                                  # 16-bit colour
    tmp = np.einsum("ds,hsc->hdc", m, v16) / 0xFFFF     # horizontal pass, in [0,1]
    out = np.einsum("ds,sxc->dxc", m, tmp)              # vertical pass
    out = np.minimum(out, 1.0)                          # colour clamped to alpha (opaque)
    u16 = np.clip(np.floor(0xFFFF * out + 0.5), 0, 0xFFFF).astype(np.int64)
    return (u16 >> 8).astype(np.uint8)


def write_resize():
    cases = []
    for w, h, res in [(100, 80, 64), (80, 100, 64), (40, 40, 64), (50, 30, 16)]:
        out = square(formula_image(w, h), res)
        cases.append({"w": w, "h": h, "res": res, "rgb": out.reshape(-1).tolist()})
    with open(os.path.join(OUT, "resize_golden.json"), "w") as f:
        json.dump({"script": "scripts/dataset_golden.py", "cases": cases}, f)


def write_tokens():
    n, h, w, k = 3, 2, 4, 1024
    rng = np.random.default_rng(7)
    tokens = rng.integers(0, k, size=(n, h, w)).astype("<u2")
    files = ["a.png", "b/c.jpg", "d.png"]
    sha = hashlib.sha256("".join(f + "\n" for f in files).encode()).hexdigest()
    meta = {"checkpoint": "ckpt/tokenizer-000100", "source": "train", "files": files, "files_sha256": sha}
    meta_b = json.dumps(meta, separators=(",", ":")).encode()
    body = b"MGTOKENS" + struct.pack("<6I", 1, n, h, w, k, len(meta_b)) + meta_b + tokens.tobytes()
    data = body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)
    with open(os.path.join(OUT, "tokens_v1.mgtok"), "wb") as f:
        f.write(data)
    with open(os.path.join(OUT, "tokens_v1.json"), "w") as f:
        json.dump({"n": n, "h": h, "w": w, "codebook": k, "meta": meta,
                   "tokens": tokens.reshape(-1).tolist()}, f, indent=1)


def write_jpeg_means():
    shared = os.environ.get("MASKGIT_SHARED", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"))
    train = os.path.join(shared, "data", "catfaces64", "train")
    if not os.path.isdir(train):
        print("no shared data at", train, "- jpeg_means.json not written", file=sys.stderr)
        return
    import tensorflow as tf
    names = sorted(os.listdir(train))[:8]
    rows = []
    for name in names:
        data = tf.io.read_file(os.path.join(train, name))
        plain = tf.io.decode_jpeg(data, channels=3, fancy_upscaling=False, dct_method="INTEGER_ACCURATE").numpy()
        fancy = tf.io.decode_jpeg(data, channels=3).numpy()
        rows.append({"file": name,
                     "mean_plain": plain.reshape(-1, 3).mean(0).tolist(),
                     "mean_tf_default": fancy.reshape(-1, 3).mean(0).tolist()})
    with open(os.path.join(OUT, "jpeg_means.json"), "w") as f:
        json.dump({"script": "scripts/dataset_golden.py",
                   "note": "mean_plain: tf.io.decode_jpeg(fancy_upscaling=False, dct_method=INTEGER_ACCURATE)",
                   "images": rows}, f, indent=1)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    write_resize()
    write_tokens()
    write_jpeg_means()
