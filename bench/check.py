"""Check the PyTorch mirror against the Go model's own outputs.

    python bench/check.py DUMP_DIR MODEL_DIR [--tol 1e-4]

DUMP_DIR holds `benchgo dump` output (manifest.json and raw arrays) plus
tokenizer.npz and transformer.npz from bench/export_weights.py. For the same
inputs, the mirror must give the Go tokens exactly (an id may differ only
where two codes are tied to within 1e-5 in distance), and logits and
reconstructions within --tol (max absolute difference). Prints one line per
check and exits 1 on any mismatch.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mirror  # noqa: E402


def read_dump(d):
    with open(os.path.join(d, "manifest.json")) as f:
        man = json.load(f)
    arrays = {}
    for name, a in man["arrays"].items():
        arrays[name] = np.fromfile(os.path.join(d, a["file"]), dtype=np.dtype(a["dtype"]).newbyteorder("<")).reshape(a["shape"])
    return man, arrays


def model_configs(model_dir):
    tdir = os.path.join(model_dir, "transformer")
    with open(os.path.join(tdir, "config.json")) as f:
        trc = json.load(f)
    tokdir = os.path.normpath(os.path.join(tdir, trc.get("tokenizer_dir") or "../tokenizer"))
    with open(os.path.join(tokdir, "config.json")) as f:
        tokc = json.load(f)
    return tokc["model"], trc["model"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dump")
    ap.add_argument("model")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    man, a = read_dump(args.dump)
    tokc, trc = model_configs(args.model)
    tok = mirror.load_tokenizer(tokc, os.path.join(args.dump, "tokenizer.npz"))
    ok = True

    def report(name, diff, good, extra=""):
        nonlocal ok
        ok &= good
        print(f"{'ok  ' if good else 'FAIL'} {name}: {diff}{extra}")

    with torch.no_grad():
        images = torch.from_numpy(a["images"].copy())
        ids = tok.encode(images).numpy()
        go_ids = a["ids"].astype(np.int64)
        bad = np.argwhere(ids != go_ids)
        ties = 0
        if len(bad):
            # A differing id is acceptable only at a near-tie of two codes.
            z = tok._run_encoder(images.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
            z = mirror.l2_normalize(z) if tok.normalize else z
            flat = z.reshape(images.shape[0], -1, z.shape[-1])
            e = tok.codes()
            for b, p in bad:
                d = ((flat[b, p][None, :] - e) ** 2).sum(1)
                if abs(float(d[ids[b, p]] - d[go_ids[b, p]])) <= 1e-5:
                    ties += 1
        report("tokenizer ids", f"{len(bad)} of {ids.size} differ", len(bad) == ties,
               f" ({ties} at near-ties ≤ 1e-5)" if len(bad) else "")
        dec = tok.decode(torch.from_numpy(go_ids)).numpy()
        diff = float(np.abs(dec - a["decoded"]).max())
        report("reconstruction (decode of the Go ids), max |Δ|", f"{diff:.3g}", diff <= args.tol,
               f" (pixel values in [-1, 1]; mean |Δ| {np.abs(dec - a['decoded']).mean():.3g})")
        for sdpa in (False, True):
            tr = mirror.load_transformer(trc, os.path.join(args.dump, "transformer.npz"), sdpa=sdpa)
            logits = tr(torch.from_numpy(a["tokens"].astype(np.int64))).numpy()
            diff = float(np.abs(logits - a["logits"]).max())
            scale = float(np.abs(a["logits"]).max())
            report(f"transformer logits ({'scaled_dot_product_attention' if sdpa else 'explicit softmax attention'}), max |Δ|",
                   f"{diff:.3g}", diff <= args.tol, f" (max |logit| {scale:.3g}; {logits.shape[0]} grids)")
            agree = float((logits.argmax(-1) == a["logits"].argmax(-1)).mean())
            print(f"     argmax agreement {agree:.6f}")
        if "filled" in a:
            # The decoding loop without randomness (argmax, temperature 0) on the same grids.
            cur = torch.from_numpy(a["tokens"].astype(np.int64))
            mirror.decode_loop(tr, cur, man.get("steps", 8), 0.0, None)
            diff = cur.numpy() != a["filled"]
            report(f"decoding loop ({man.get('steps', 8)} steps, argmax, temperature 0): tokens differing",
                   f"{int(diff.sum())} of {diff.size}", not diff.any(),
                   f" ({int((~diff.any(1)).sum())} of {diff.shape[0]} grids identical)")
    print("mirror check:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
