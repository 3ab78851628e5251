"""The PyTorch half of the side-by-side benchmark (bench/compare.sh).

    python bench/torch_bench.py train   [--dim 192 --layers 4 --heads 8 --mlp-dim 768] [--batch 32] [--bf16] ...
    python bench/torch_bench.py inpaint --dump DIR --model DIR [--batch 32] [--steps 8] [--bf16 [transformer]] ...
    python bench/torch_bench.py matmul  [--n 2048] ...

Each call runs one measurement (untimed warm-up runs, then timed ones) and
prints it as one JSON line in the format of the Go bench.Result:
{"name", "side": "torch", "units", "seconds": [...], "extra": {...}}.
Eager PyTorch, float32 (inpaint --bf16: the model forwards under
torch.autocast to bfloat16; train --bf16: forward and loss under
torch.autocast, parameters and AdamW state stay float32), --threads intra-op and inter-op threads.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mirror  # noqa: E402


def timed(warmup, iters, fn):
    for _ in range(warmup):
        fn()
    secs = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        secs.append(time.perf_counter() - t0)
    return secs


def mask_tokens(target, mask_id, gen):
    """train.MaskTokens: per image r ~ U(0, 1), mask exactly
    ceil(cos(rπ/2)·N) (at least 1) positions chosen uniformly."""
    b, n = target.shape
    r = torch.rand(b, generator=gen, dtype=torch.float64)
    k = torch.ceil(torch.cos(r * math.pi / 2) * n).long().clamp(1, n)
    rank = torch.rand(b, n, generator=gen).argsort(1).argsort(1)
    weight = rank < k[:, None]
    return torch.where(weight, torch.full_like(target, mask_id), target), weight


def bench_train(a):
    cfg = {"codes": a.codes, "positions": a.positions, "dim": a.dim, "layers": a.layers, "heads": a.heads,
           "mlp_dim": a.mlp_dim, "dropout": a.dropout}
    torch.manual_seed(1)
    model = mirror.Transformer(cfg, sdpa=a.attention == "sdpa").train()
    decay, rest = model.decay_parameters()
    kw = {}
    if a.optimizer == "fused":
        kw["fused"] = True
    elif a.optimizer == "foreach":
        kw["foreach"] = True
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay}, {"params": rest, "weight_decay": 0.0}],
                            lr=a.lr, betas=(a.beta1, a.beta2), eps=1e-8, **kw)
    params = list(model.parameters())
    gen = torch.Generator().manual_seed(1)

    def step():
        target = torch.randint(0, a.codes, (a.batch, a.positions), generator=gen)
        inp, weight = mask_tokens(target, a.codes, gen)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
            logits = model(inp)
            # Mean cross-entropy (label smoothing over the K classes) on the masked positions.
            loss = F.cross_entropy(logits[weight], target[weight], label_smoothing=a.label_smoothing)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, a.clip_norm)
        opt.step()

    secs = timed(a.warmup, a.iters, step)
    return {"name": "train-bf16" if a.bf16 else "train", "side": "torch", "units": a.batch, "seconds": secs,
            "extra": {"params": sum(p.numel() for p in params)}}


def bench_inpaint(a):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import check
    man, arr = check.read_dump(a.dump)
    tokc, trc = check.model_configs(a.model)
    tok = mirror.load_tokenizer(tokc, os.path.join(a.dump, "tokenizer.npz"))
    tr = mirror.load_transformer(trc, os.path.join(a.dump, "transformer.npz"), sdpa=a.attention == "sdpa")
    if a.batch > arr["images"].shape[0]:
        raise SystemExit(f"torch_bench inpaint: --batch {a.batch} > {arr['images'].shape[0]} images in {a.dump}")
    images = torch.from_numpy(arr["images"][: a.batch].copy())
    holes = torch.from_numpy(arr["holes"][: a.batch].astype(bool))
    gen = torch.Generator().manual_seed(1)
    split = []

    def run():
        _, t = mirror.inpaint(tok, tr, images, holes, a.steps, a.temperature, gen, bf16=a.bf16)
        split.append(t)

    secs = timed(a.warmup, a.iters, run)
    split = split[a.warmup:]
    extra = {k: float(np.median([s[k] for s in split])) for k in split[0]}
    extra["py_share"] = extra["loop_s"] / (extra["encode_s"] + extra["predict_s"] + extra["loop_s"] + extra["decode_s"])
    name = {"off": "inpaint", "all": "inpaint-bf16"}.get(a.bf16, "inpaint-bf16-" + a.bf16)
    return {"name": name, "side": "torch", "units": a.batch, "seconds": secs, "extra": extra}


def bench_matmul(a):
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(a.n, a.n, generator=gen)
    y = torch.randn(a.n, a.n, generator=gen)
    out = torch.empty(a.n, a.n)
    secs = timed(a.warmup, a.iters, lambda: torch.mm(x, y, out=out))
    return {"name": "matmul", "side": "torch", "units": 2.0 * a.n ** 3, "seconds": secs}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--threads", type=int, default=2)
    common.add_argument("--warmup", type=int, default=2)
    common.add_argument("--iters", type=int, default=5)
    common.add_argument("--attention", choices=["sdpa", "explicit"], default="sdpa",
                        help="F.scaled_dot_product_attention or softmax(QKᵀ/√d)·V written out")
    t = sub.add_parser("train", parents=[common])
    t.add_argument("--codes", type=int, default=1024)
    t.add_argument("--positions", type=int, default=256)
    t.add_argument("--dim", type=int, default=192)
    t.add_argument("--layers", type=int, default=4)
    t.add_argument("--heads", type=int, default=8)
    t.add_argument("--mlp-dim", type=int, default=768)
    t.add_argument("--dropout", type=float, default=0.1)
    t.add_argument("--batch", type=int, default=32)
    t.add_argument("--lr", type=float, default=6e-4)
    t.add_argument("--beta1", type=float, default=0.9)
    t.add_argument("--beta2", type=float, default=0.96)
    t.add_argument("--weight-decay", type=float, default=0.045)
    t.add_argument("--label-smoothing", type=float, default=0.1)
    t.add_argument("--clip-norm", type=float, default=1.0)
    t.add_argument("--optimizer", choices=["default", "foreach", "fused"], default="default",
                   help="torch.optim.AdamW implementation (default: PyTorch's own choice)")
    t.add_argument("--bf16", action="store_true",
                   help="forward and loss under torch.autocast('cpu', dtype=torch.bfloat16) (mixed precision; "
                        "parameters, gradients and optimizer state stay float32); the result is named train-bf16")
    i = sub.add_parser("inpaint", parents=[common])
    i.add_argument("--dump", required=True, help="benchgo dump directory with tokenizer.npz and transformer.npz")
    i.add_argument("--model", required=True, help="model directory (for the configs)")
    i.add_argument("--batch", type=int, default=32)
    i.add_argument("--steps", type=int, default=8)
    i.add_argument("--temperature", type=float, default=4.5)
    i.add_argument("--bf16", nargs="?", const="all", default="off", choices=["off", "all", "transformer"],
                   help="forwards under torch.autocast('cpu', dtype=torch.bfloat16): --bf16 alone the tokenizer's and "
                        "the transformer's, --bf16 transformer the transformer's only")
    m = sub.add_parser("matmul", parents=[common])
    m.add_argument("--n", type=int, default=2048)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(a.threads)
    fn = {"train": bench_train, "inpaint": bench_inpaint, "matmul": bench_matmul}[a.what]
    with torch.inference_mode(a.what != "train"):
        res = fn(a)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
