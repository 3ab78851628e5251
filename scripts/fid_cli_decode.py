#!/usr/bin/env python3
"""Golden decodes for fid/imageio: how pytorch-fid's PIL reads images.

pytorch-fid reads every image with PIL.Image.open(path).convert('RGB'). This
script records, for each image, what that call returns — the shape, the
SHA-256 of the RGB bytes (row-major HWC) and the per-channel means — without
storing any pixels of the shared data set:

  * synthetic images made here (no dataset content) in the formats the Go
    decoder must handle, written to fid/imageio/testdata/dec_<name>.<ext>:
    JPEG 4:2:0 / 4:2:2 / 4:4:4 / progressive / greyscale / odd size, and
    CMYK, and PNG RGB / RGBA / L / LA / palette / palette with transparency /
    1-bit / 16-bit RGB / 16-bit greyscale (which PIL opens as mode I;16 and
    convert('RGB') clips to 255, where libpng would keep the high byte);
  * the first N test JPEGs of the shared catfaces64 set (sorted by name,
    referenced by name only), when the shared data is present.

Writes fid/imageio/testdata/decode_pil.json. The Go test is
fid/imageio/decode_test.go (TestDecodeMatchesPIL).

Usage (needs numpy and pillow; /work/cache/torchvenv has both):
  python scripts/fid_cli_decode.py [SHARED_DIR]
SHARED_DIR defaults to $MASKGIT_SHARED, else ../shared beside the repository.
"""
import hashlib
import json
import os
import struct
import sys
import zlib

import numpy as np
import PIL
import PIL.features
import PIL.Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "fid", "imageio", "testdata")
N_SHARED = 12


def synthetic():
    """name -> (PIL image, file extension, save kwargs); deterministic."""
    rng = np.random.default_rng(20240917)

    def rgb(h, w):
        y, x = np.mgrid[0:h, 0:w].astype(np.float64)
        base = np.stack([x * 255 / max(w - 1, 1), 128 + 100 * np.sin(y / 3 + x / 5), 255 - y * 255 / max(h - 1, 1)], -1)
        noise = rng.normal(0, 12, size=(h, w, 3))
        return np.clip(np.rint(base + noise), 0, 255).astype(np.uint8)

    im = PIL.Image.fromarray(rgb(48, 40))
    odd = PIL.Image.fromarray(rgb(23, 37))
    grey = PIL.Image.fromarray(rgb(32, 32)[..., 1])
    alpha = PIL.Image.fromarray(np.clip(np.mgrid[0:48, 0:40][1] * 6, 0, 255).astype(np.uint8))
    rgba = im.copy()
    rgba.putalpha(alpha)
    la = grey.copy()
    la.putalpha(PIL.Image.fromarray(np.full((32, 32), 77, np.uint8)))
    pal = im.quantize(colors=16, method=PIL.Image.Quantize.MEDIANCUT, dither=PIL.Image.Dither.NONE)
    pal_t = pal.copy()
    pal_t.info["transparency"] = 3
    bits = grey.point(lambda v: 255 if v > 128 else 0).convert("1")
    grey16 = PIL.Image.fromarray((np.mgrid[0:16, 0:20][1] * 37 + np.mgrid[0:16, 0:20][0] * 3).astype(np.uint16))
    return {
        "jpeg420": (im, "jpg", dict(quality=90, subsampling=2)),
        "jpeg422": (im, "jpg", dict(quality=85, subsampling=1)),
        "jpeg444": (im, "jpg", dict(quality=95, subsampling=0)),
        "jpeg_progressive": (im, "jpg", dict(quality=80, subsampling=2, progressive=True)),
        "jpeg_grey": (grey, "jpg", dict(quality=90)),
        "jpeg_odd": (odd, "jpg", dict(quality=75, subsampling=2)),
        "png_rgb": (im, "png", {}),
        "png_rgba": (rgba, "png", {}),
        "png_grey": (grey, "png", {}),
        "png_grey_alpha": (la, "png", {}),
        "png_palette": (pal, "png", {}),
        "png_palette_transparent": (pal_t, "png", dict(transparency=3)),
        "png_1bit": (bits, "png", {}),
        "png_grey16": (grey16, "png", {}),
        "jpeg_cmyk": (im.convert("CMYK"), "jpg", dict(quality=90)),
    }


def rgb16_png(rng):
    """A 16-bit RGB PNG (Pillow cannot write one), built by hand."""
    h, w = 10, 12
    v = rng.integers(0, 65536, size=(h, w, 3)).astype(">u2")
    raw = b"".join(b"\x00" + v[i].tobytes() for i in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def record(path, name):
    rgb = np.ascontiguousarray(np.asarray(PIL.Image.open(path).convert("RGB")))
    assert rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3, rgb.shape
    return {
        "file": name,
        "height": rgb.shape[0],
        "width": rgb.shape[1],
        "sha256": hashlib.sha256(rgb.tobytes()).hexdigest(),
        "mean": [float(m) for m in rgb.reshape(-1, 3).astype(np.float64).mean(axis=0)],
    }


def shared_dir():
    if len(sys.argv) > 1:
        return sys.argv[1]
    return os.environ.get("MASKGIT_SHARED") or os.path.join(ROOT, "..", "shared")


def main():
    os.makedirs(OUT, exist_ok=True)
    synth = []
    for name, (img, ext, kw) in synthetic().items():
        fname = f"dec_{name}.{ext}"
        img.save(os.path.join(OUT, fname), **kw)
        synth.append(record(os.path.join(OUT, fname), fname))
    with open(os.path.join(OUT, "dec_png_rgb16.png"), "wb") as f:
        f.write(rgb16_png(np.random.default_rng(7)))
    synth.append(record(os.path.join(OUT, "dec_png_rgb16.png"), "dec_png_rgb16.png"))
    shared = []
    test = os.path.join(shared_dir(), "data", "catfaces64", "test")
    if os.path.isdir(test):
        # Byte-wise sorted names, as dataset.ListImages orders them.
        names = sorted(n for n in os.listdir(test) if n.lower().endswith((".jpg", ".jpeg", ".png")))[:N_SHARED]
        shared = [record(os.path.join(test, n), n) for n in names]
    else:
        print("no shared data at", test, "- only synthetic images recorded", file=sys.stderr)
    meta = {
        "script": "scripts/fid_cli_decode.py",
        "reader": "PIL.Image.open(path).convert('RGB') (pytorch-fid's ImagePathDataset)",
        "pillow": PIL.__version__,
        "libjpeg_turbo": PIL.features.version("libjpeg_turbo"),
        "synthetic": synth,
        "shared_dir": "data/catfaces64/test",
        "shared": shared,
    }
    with open(os.path.join(OUT, "decode_pil.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print(f"{len(synth)} synthetic, {len(shared)} shared images recorded")


if __name__ == "__main__":
    main()
