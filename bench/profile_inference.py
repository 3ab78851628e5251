#!/usr/bin/env python3
"""Where an inpainting step's time goes: per-op times of the Go-built transformer inference graph.

    bin/benchgo graph --inference --preset cpu-large --out /tmp/inf
    third_party/venv/bin/python bench/profile_inference.py /tmp/inf [--masked 0.5] [--bf16] [--inter-threads 1]

Imports the GraphDef that `benchgo graph --inference` wrote (the graph `maskgit inpaint` runs, built in Go), with
random weights (the speed does not depend on them), and fetches what a decoding step fetches: the argmax codes and
their log-probabilities of the masked positions (the masked-rows path). The batch (default the one recorded, 32) has
--masked of its positions masked at random. Warm-up runs, timed runs, then traced runs (RunOptions FULL_TRACE), as
bench/profile_step.py does for a training step; `--inter-threads 1` makes the op times add up to the wall time.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from profile_step import add_run_args, load, report, trace  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base", help="BASE of BASE.pb and BASE.json (benchgo graph --inference --out BASE)")
    ap.add_argument("--masked", type=float, default=0.5, help="share of the positions masked")
    ap.add_argument("--batch", type=int, default=0, help="images per call (default: the batch recorded in BASE.json)")
    add_run_args(ap, steps=3, unit="calls", bf16="inpaint --bf16=transformer (its default on a bfloat16 CPU)")
    a = ap.parse_args()

    inter = a.inter_threads or a.threads
    names, g, sess = load(a.base, a.threads, inter, a.bf16)

    model = names["model"]
    b, n, k = a.batch or names["batch"], model["positions"], model["codes"]
    rng = np.random.default_rng(1)
    out = lambda name: g.get_operation_by_name(name).outputs[0]
    fetch = [out(names["argmax"]), out(names["argmax_logp"])]

    def feeds(_):
        tokens = rng.integers(0, k, (b, n)).astype(np.int32)
        tokens[rng.random((b, n)) < a.masked] = k  # [MASK]
        return {out(names["tokens"]): tokens}

    wall, by_type, by_name, total = trace(sess, fetch, feeds, a.warmup, a.steps)
    report(f"{b} images per call, {100 * a.masked:.0f}% masked, {'bf16' if a.bf16 else 'fp32'}, {a.threads} intra-op / "
           f"{inter} inter-op threads", "call", wall, by_type, by_name, total, a.steps, a.top)


if __name__ == "__main__":
    main()
