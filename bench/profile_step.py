#!/usr/bin/env python3
"""Where a training step's time goes: per-op times of the Go-built transformer training graph.

    bin/benchgo graph --preset cpu --dim 384 --layers 8 --heads 6 --mlp-dim 1536 --out /tmp/large
    third_party/venv/bin/python bench/profile_step.py /tmp/large [--bf16] [--steps 2] [--threads 2]

Imports the GraphDef that `benchgo graph` wrote (the exact graph `maskgit train` runs, built in Go), runs it in TF
Python's session (the same TensorFlow 2.21 kernels, oneDNN included) with random tokens, 60% masked, dropout at the
model's rate, 2 intra- and 2 inter-op threads: warm-up steps, untimed-trace steps for the wall time, then traced steps
(RunOptions FULL_TRACE). Prints the wall time per step, the summed op time, and the summed op time per op type and per
op name (block index folded), largest first. With several inter-op threads, ops run concurrently and each one's time
includes waiting for the cores the others hold; `--inter-threads 1` gives op times that add up to the wall time. On a
loaded machine preemption inflates them.
"""
import argparse
import collections
import json
import re
import time

import numpy as np
import tensorflow as tf


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base", help="BASE of BASE.pb and BASE.json (benchgo graph --out BASE)")
    add_run_args(ap, steps=2, unit="steps", bf16="maskgit train --bf16")
    a = ap.parse_args()

    inter = a.inter_threads or a.threads
    names, g, sess = load(a.base, a.threads, inter, a.bf16)

    model = names["model"]
    b, n, k = names["batch"], model["positions"], model["codes"]
    rng = np.random.default_rng(1)
    out = lambda name: g.get_operation_by_name(name).outputs[0]

    def feeds(step):
        target = rng.integers(0, k, (b, n)).astype(np.int32)
        masked = rng.random((b, n)) < 0.6
        return {out(names["input"]): np.where(masked, k, target).astype(np.int32), out(names["target"]): target,
                out(names["weight"]): masked.astype(np.float32), out(names["lr"]): np.float32(3e-4),
                out(names["rate"]): np.float32(model["dropout"]), out(names["seed"]): np.array([1, step], np.int64)}

    update = g.get_operation_by_name(names["step"])
    wall, by_type, by_name, total = trace(sess, update, feeds, a.warmup, a.steps)
    report(f"{b} samples per step, {'bf16' if a.bf16 else 'fp32'}, {a.threads} intra-op / {inter} inter-op threads",
           "step", wall, by_type, by_name, total, a.steps, a.top)


def add_run_args(ap, steps, unit, bf16):
    """The flags both profile scripts take: bfloat16 (as the command bf16 names), threads, warm-up, timed and traced
    runs, table rows."""
    ap.add_argument("--bf16", action="store_true", help=f"oneDNN bfloat16 auto mixed precision, as {bf16}")
    ap.add_argument("--threads", type=int, default=2, help="intra-op threads")
    ap.add_argument("--inter-threads", type=int, default=0,
                    help="inter-op threads (default --threads, as maskgit runs; 1 runs one op at a time, so op times "
                         "add up to the wall time instead of overlapping)")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=steps, help=f"timed {unit}, then as many traced {unit}")
    ap.add_argument("--top", type=int, default=25, help="rows per table")


def load(base, threads, inter, bf16):
    """Imports BASE.pb (a GraphDef from benchgo graph) into a new graph, opens a session on it with threads intra-op
    and inter inter-op threads (bf16: oneDNN auto mixed precision), runs the initialiser BASE.json names and returns
    (names, graph, session)."""
    tf.compat.v1.disable_eager_execution()
    names = json.load(open(base + ".json"))
    gd = tf.compat.v1.GraphDef()
    gd.ParseFromString(open(base + ".pb", "rb").read())
    g = tf.Graph()
    with g.as_default():
        tf.import_graph_def(gd, name="")
    cfg = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=threads, inter_op_parallelism_threads=inter)
    if bf16:
        from tensorflow.core.protobuf import rewriter_config_pb2
        cfg.graph_options.rewrite_options.auto_mixed_precision_onednn_bfloat16 = rewriter_config_pb2.RewriterConfig.ON
    sess = tf.compat.v1.Session(graph=g, config=cfg)
    sess.run(g.get_operation_by_name(names["init"]))
    return names, g, sess


def trace(sess, fetch, feeds, warmup, steps):
    """Runs fetch with feeds(i) for warmup untimed runs, steps timed runs and steps traced runs (FULL_TRACE).
    Returns the timed runs' wall times and the traced runs' summed op time per op type, per op name (block index
    and op-name suffixes folded) and in all, in microseconds."""
    for s in range(warmup):
        sess.run(fetch, feeds(s))
    wall = []
    for s in range(warmup, warmup + steps):
        t0 = time.perf_counter()
        sess.run(fetch, feeds(s))
        wall.append(time.perf_counter() - t0)
    opts = tf.compat.v1.RunOptions(trace_level=tf.compat.v1.RunOptions.FULL_TRACE)
    by_type, by_name, total = collections.Counter(), collections.Counter(), 0
    for s in range(warmup + steps, warmup + 2 * steps):
        md = tf.compat.v1.RunMetadata()
        sess.run(fetch, feeds(s), options=opts, run_metadata=md)
        for dev in md.step_stats.dev_stats:
            for ns in dev.node_stats:
                d = ns.op_end_rel_micros - ns.op_start_rel_micros
                m = re.match(r"[^=]*= (\S+?)\(", ns.timeline_label)
                typ = m.group(1) if m else "?"
                by_type[typ] += d
                by_name[typ + "  " + re.sub(r"block\d+", "blockN", re.sub(r"_\d+(/|$)", r"\1", ns.node_name))] += d
                total += d
    return wall, by_type, by_name, total


def report(header, unit, wall, by_type, by_name, total, steps, top):
    """Prints trace's results: wall and summed op time per run, then the largest op types and op names."""
    per = lambda d: d / steps / 1e3
    print(f"{header}: wall per {unit} {np.median(wall):.3f} s (median of {steps}), summed op time per {unit} "
          f"{per(total) / 1e3:.3f} s")
    print(f"\n{'op type':48s} {'ms/' + unit:>9s} {'share':>6s}")
    for t, d in by_type.most_common(top):
        print(f"{t:48s} {per(d):9.1f} {100 * d / total:5.1f}%")
    print(f"\n{'op type  name (blockN = every block)':90s} {'ms/' + unit:>9s} {'share':>6s}")
    for t, d in by_name.most_common(top):
        print(f"{t[:90]:90s} {per(d):9.1f} {100 * d / total:5.1f}%")


if __name__ == "__main__":
    main()
