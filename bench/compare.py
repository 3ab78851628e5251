"""Run the Go and PyTorch measurements interleaved and print the comparison.

Called by bench/compare.sh (which builds bin/benchgo, sets up the venvs,
exports the weights, dumps the Go outputs and runs the equality check
first); run it directly only with those in place:

    bench/.venv/bin/python bench/compare.py --dump DIR [--rounds 3] [--smoke] ...
    bench/.venv/bin/python bench/compare.py --from-json RESULTS.json [MORE.json ...]

For every round and measurement it starts one Go process (bin/benchgo) and
one PyTorch process (bench/torch_bench.py), alternating which goes first
from round to round, so that both sides see the same machine load. Each
process does untimed warm-up runs, then timed ones; the median time of a
run is taken per process, and a measurement's figure is the median over the
rounds. Ratios are Go speed / PyTorch speed (> 1: Go is faster).

Training FLOPs are counted analytically: the matmuls of the forward pass
(per sample, N positions, width D, L layers, MLP width M, K codes)

    L·(8·N·D² + 4·N²·D + 4·N·D·M) + 2·N·D² + 2·N·D·K

times 3 for forward + backward; element-wise work is not counted.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def fwd_flops(m):
    n, d, l, mlp, k = m["positions"], m["dim"], m["layers"], m["mlp_dim"], m["codes"]
    return l * (8 * n * d * d + 4 * n * n * d + 4 * n * d * mlp) + 2 * n * d * d + 2 * n * d * k


def run(cmd, log):
    t0 = time.time()
    p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with open(log, "a") as f:
        f.write(f"$ {' '.join(cmd)}\n{p.stderr}\n")
    if p.returncode != 0:
        sys.stderr.write(p.stderr[-3000:])
        raise SystemExit(f"compare: {' '.join(cmd)} exited {p.returncode} (log: {log})")
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise SystemExit(f"compare: {' '.join(cmd)} printed no result (log: {log})")
    res = json.loads(lines[-1])
    res["wall"] = time.time() - t0
    return res


def median_run(res):
    return statistics.median(res["seconds"])


def table(raw, cpu, large, a):
    """Prints the comparison as a Markdown table from raw results."""
    def speed(m, side):
        return statistics.median(x["units"] / median_run(x) for x in raw[m][side])

    def ratio(m):
        return statistics.median(
            (g["units"] / median_run(g)) / (t["units"] / median_run(t)) for g, t in zip(raw[m]["go"], raw[m]["torch"]))

    def bf16_rows(b16, f32, what, units):
        """Each side's bf16 speed over its own fp32 speed, and Go bf16 / PyTorch fp32, per round
        (when the bf16 and fp32 measurements ran in the same rounds)."""
        if b16 not in raw or f32 not in raw:
            return
        own = lambda side: statistics.median(
            (b["units"] / median_run(b)) / (f["units"] / median_run(f)) for b, f in zip(raw[b16][side], raw[f32][side]))
        fp32_torch = statistics.median(
            (g["units"] / median_run(g)) / (t["units"] / median_run(t)) for g, t in zip(raw[b16]["go"], raw[f32]["torch"]))
        print(f"| … bf16 speed / own fp32 speed (Go / PyTorch) | {own('go'):.2f}x | {own('torch'):.2f}x | |")
        print(f"| {what}, Go bf16 / PyTorch fp32 (ratio of {units}) | | | **{fp32_torch:.2f}x** |")

    rounds = max(len(v["go"]) for v in raw.values())
    print(f"threads {a['threads']} per side, {rounds} round(s), batch {a['batch']}; ratio = Go / PyTorch (median over rounds)")
    print()
    print("| measurement | Go | PyTorch | Go / PyTorch |")
    print("| --- | --- | --- | --- |")
    peak = {}
    if "matmul" in raw:
        peak = {s: speed("matmul", s) / 1e9 for s in ("go", "torch")}
        print(f"| fp32 matmul {a['matmul_n']}² (GFLOP/s) | {peak['go']:.1f} | {peak['torch']:.1f} | {ratio('matmul'):.2f}x |")
    for m, cfg in (("train-cpu", cpu), ("train-large", large), ("train-cpu-bf16", cpu), ("train-large-bf16", large)):
        if m not in raw:
            continue
        f = 3 * fwd_flops(cfg)
        g, t = speed(m, "go"), speed(m, "torch")
        name = f"MVTM train step, dim {cfg['dim']}, {cfg['layers']} layers, {cfg['heads']} heads, MLP {cfg['mlp_dim']}"
        if m.endswith("-bf16"):
            name += ", Go bf16 (--bf16) / PyTorch bf16 (autocast)"
        print(f"| {name} (samples/s) | {g:.2f} | {t:.2f} | **{ratio(m):.2f}x** |")
        pg = f" ({100 * g * f / 1e9 / peak['go']:.0f}% of Go's fp32 matmul peak)" if peak else ""
        pt = f" ({100 * t * f / 1e9 / peak['torch']:.0f}% of PyTorch's)" if peak else ""
        print(f"| … GFLOP/s ({f / 1e9:.2f} GFLOP per sample) | {g * f / 1e9:.1f}{pg} | {t * f / 1e9:.1f}{pt} | |")
        if m.endswith("-bf16"):
            bf16_rows(m, m[: -len("-bf16")], "training step", "samples/s")
    for m, what in (("inpaint", "inpainting"), ("inpaint-bf16", "inpainting, Go bf16 (--bf16) / PyTorch bf16 (autocast)"),
                    ("inpaint-bf16-transformer", "inpainting, transformer in bf16 (Go --bf16=transformer / PyTorch "
                     "autocast around the transformer)")):
        if m not in raw:
            continue
        g, t = speed(m, "go"), speed(m, "torch")
        print(f"| {what}, encode + {a['steps']} steps + decode (images/s) | {g:.2f} | {t:.2f} | **{ratio(m):.2f}x** |")
        med = lambda side, k: statistics.median(x["extra"][k] for x in raw[m][side])
        print(f"| … share of the loop outside the model (Go / Python+torch ops) | {100 * med('go', 'go_share'):.1f}% "
              f"| {100 * med('torch', 'py_share'):.1f}% | |")
        split = lambda side, loop: " / ".join(f"{med(side, k):.2f}" for k in ("encode_s", "predict_s", loop, "decode_s"))
        print(f"| … s per batch: encode / transformer / loop outside it / decode | {split('go', 'go_loop_s')} "
              f"| {split('torch', 'loop_s')} | |")
    bf16_rows("inpaint-bf16", "inpaint", "inpainting", "images/s")
    bf16_rows("inpaint-bf16-transformer", "inpaint", "inpainting, transformer in bf16", "images/s")


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--from-json":
        # Re-print the table of earlier runs (several files: their measurements merged).
        raw, cpu, large, a = {}, None, None, None
        for path in sys.argv[2:]:
            with open(path) as f:
                d = json.load(f)
            raw.update(d["raw"])
            cpu, large, a = d["cpu"], d["large"], d["args"]
        table(raw, cpu, large, a)
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dump", required=True, help="benchgo dump directory with tokenizer.npz and transformer.npz")
    ap.add_argument("--model", default="models/catfaces64")
    ap.add_argument("--data", default=os.environ.get("MASKGIT_SHARED", "/work/shared") + "/data/catfaces64")
    ap.add_argument("--go", default="bin/benchgo")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", default="matmul,train-cpu,train-large,inpaint",
                    help="comma-separated measurements: matmul, train-cpu, train-large, inpaint, and, not in the default "
                         "set, inpaint-bf16 (inpainting with the tokenizer and transformer in bfloat16 mixed precision, "
                         "Go's --bf16 against PyTorch's torch.autocast; best run together with inpaint), "
                         "inpaint-bf16-transformer (the same with the transformer only: Go's --bf16=transformer) and "
                         "train-cpu-bf16, train-large-bf16 (the training step in bfloat16 mixed precision: Go's "
                         "benchgo train --bf16 against torch.autocast around forward and loss; best run together "
                         "with train-cpu, train-large)")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--large", default="384,8,6,1536", help="the larger preset: dim,layers,heads,mlp_dim (cpu preset otherwise)")
    ap.add_argument("--train-iters", type=int, default=10)
    ap.add_argument("--train-warmup", type=int, default=3)
    ap.add_argument("--steps", type=int, default=8, help="decoding steps T of the inpainting loop (all run)")
    ap.add_argument("--inpaint-iters", type=int, default=3)
    ap.add_argument("--inpaint-warmup", type=int, default=1)
    ap.add_argument("--matmul-n", type=int, default=2048)
    ap.add_argument("--matmul-iters", type=int, default=20)
    ap.add_argument("--torch-attention", choices=["sdpa", "explicit"], default="sdpa")
    ap.add_argument("--torch-optimizer", choices=["default", "foreach", "fused"], default="default")
    ap.add_argument("--smoke", action="store_true",
                    help="defaults of 1 round and 1 warm-up + 2 timed runs (3 for matmul): proves the setup works")
    ap.add_argument("--json", default="", help="also write all raw results to this file")
    ap.add_argument("--log", default="", help="stderr of every process (default DUMP/compare.log)")
    if "--smoke" in sys.argv[1:]:  # smaller defaults; explicit flags still win
        ap.set_defaults(rounds=1, train_iters=2, train_warmup=1, inpaint_iters=2, inpaint_warmup=1, matmul_iters=3)
    a = ap.parse_args()
    log = a.log or os.path.join(a.dump, "compare.log")
    th = ["--threads", str(a.threads)]
    tb = [a.python, os.path.join(HERE, "torch_bench.py")]

    preset = run([a.go, "preset", "--preset", "cpu"], log)
    cpu, tc = preset["model"], preset["train"]
    dim, layers, heads, mlp = (int(x) for x in a.large.split(","))
    large = dict(cpu, dim=dim, layers=layers, heads=heads, mlp_dim=mlp)

    def train_cmds(m, bf16=False):
        it = ["--iters", str(a.train_iters), "--warmup", str(a.train_warmup), "--batch", str(a.batch)]
        arch = ["--dim", str(m["dim"]), "--layers", str(m["layers"]), "--heads", str(m["heads"]), "--mlp-dim", str(m["mlp_dim"])]
        go = [a.go, "train", "--preset", "cpu"] + arch + it + th
        py = tb + ["train", "--codes", str(m["codes"]), "--positions", str(m["positions"]), "--dropout", str(m["dropout"]),
                   "--beta1", str(tc["beta1"]), "--beta2", str(tc["beta2"]), "--weight-decay", str(tc["weight_decay"]),
                   "--label-smoothing", str(tc["label_smoothing"]), "--clip-norm", str(tc["clip_norm"]),
                   "--attention", a.torch_attention, "--optimizer", a.torch_optimizer] + arch + it + th
        if bf16:
            go, py = go + ["--bf16"], py + ["--bf16"]
        return go, py

    inp = ["--batch", str(a.batch), "--steps", str(a.steps), "--iters", str(a.inpaint_iters), "--warmup", str(a.inpaint_warmup)] + th
    mm = ["--n", str(a.matmul_n), "--iters", str(a.matmul_iters), "--warmup", "2"] + th
    measures = {
        "matmul": ([a.go, "matmul"] + mm, tb + ["matmul"] + mm),
        "train-cpu": train_cmds(cpu),
        "train-large": train_cmds(large),
        "train-cpu-bf16": train_cmds(cpu, bf16=True),
        "train-large-bf16": train_cmds(large, bf16=True),
        "inpaint": ([a.go, "inpaint", "--model", a.model, "--data", a.data] + inp,
                    tb + ["inpaint", "--dump", a.dump, "--model", a.model, "--attention", a.torch_attention] + inp),
        "inpaint-bf16": ([a.go, "inpaint", "--bf16", "--model", a.model, "--data", a.data] + inp,
                         tb + ["inpaint", "--bf16", "--dump", a.dump, "--model", a.model, "--attention", a.torch_attention] + inp),
        "inpaint-bf16-transformer": ([a.go, "inpaint", "--bf16=transformer", "--model", a.model, "--data", a.data] + inp,
                                     tb + ["inpaint", "--bf16", "transformer", "--dump", a.dump, "--model", a.model,
                                           "--attention", a.torch_attention] + inp),
    }
    only = [m.strip() for m in a.only.split(",") if m.strip()]
    for m in only:
        if m not in measures:
            raise SystemExit(f"compare: unknown measurement {m!r} (valid: {', '.join(measures)})")

    raw = {m: {"go": [], "torch": []} for m in only}
    for r in range(a.rounds):
        for i, m in enumerate(only):
            go, py = measures[m]
            order = [("go", go), ("torch", py)]
            if (r + i) % 2:
                order.reverse()
            for side, cmd in order:
                res = run(cmd, log)
                raw[m][side].append(res)
                rate = res["units"] / median_run(res)
                rate = f"{rate / 1e9:.1f} GFLOP/s" if m == "matmul" else f"{rate:.2f} {'samples' if m.startswith('train') else 'images'}/s"
                print(f"round {r + 1}/{a.rounds} {m:12s} {side:5s} median {median_run(res):.4f} s/run "
                      f"({rate}; process wall {res['wall']:.1f} s)", flush=True)

    if a.json:
        with open(a.json, "w") as f:
            json.dump({"args": vars(a), "cpu": cpu, "large": large, "raw": raw}, f, indent=1)
    print()
    table(raw, cpu, large, vars(a))
    return 0


if __name__ == "__main__":
    sys.exit(main())
