#!/usr/bin/env python3
"""Golden values for the tfmodel optimizers (tfmodel/adam_test.go, schedule_test.go).

Runs real torch.optim.Adam / torch.optim.AdamW (single-tensor CPU path),
torch.nn.utils.clip_grad_norm_ and torch.optim.lr_scheduler.StepLR for 5 steps
on a fixed least-squares problem, loss = mean((x @ W + b - y)^2) with W [3,4]
and b [4], in float64 and float32, and records the learning rate, pre-clip
global gradient norm and parameters after every step. It also records the
learning rates of StepLR and of SequentialLR(LinearLR, CosineAnnealingLR), the
torch equivalent of tfmodel.WarmupCosine. All inputs are stored in the output.

Usage (needs PyTorch; the project uses the CPU venv at /work/cache/torchvenv):
    /work/cache/torchvenv/bin/python scripts/optim_golden.py [tfmodel/testdata/optim_golden.json]
"""
import json
import os
import sys
import warnings

import numpy as np
import torch

STEPS = 5

# name, optimizer, lr, betas, eps, weight_decay, params exempt from decay,
# clip max_norm (0 = off), StepLR (step_size, gamma) or None.
CASES = [
    ("adamw_clip_steplr", "adamw", 0.1, (0.9, 0.999), 1e-8, 0.1, [], 1.0, (2, 0.5)),
    ("adam", "adam", 0.05, (0.8, 0.99), 1e-6, 0.0, [], 0.0, None),
    ("adam_l2_steplr", "adam", 0.1, (0.9, 0.999), 1e-8, 0.05, [], 0.0, (3, 0.1)),
    ("adamw_nodecay_bias", "adamw", 0.1, (0.9, 0.999), 1e-8, 0.1, ["b"], 4.0, None),
]


def problem():
    rng = np.random.RandomState(20240611)
    x = rng.normal(0.0, 2.0, size=(6, 3))
    y = rng.normal(0.0, 1.0, size=(6, 4))
    w0 = rng.normal(0.0, 0.5, size=(3, 4))
    b0 = rng.normal(0.0, 0.5, size=(4,))
    return x, y, w0, b0


def run(case, dtype, data):
    name, kind, lr, betas, eps, wd, no_decay, clip, step_lr = case
    x, y, w0, b0 = (torch.tensor(a, dtype=dtype) for a in data)
    w = torch.nn.Parameter(w0.clone())
    b = torch.nn.Parameter(b0.clone())
    params = {"w": w, "b": b}
    groups = [{"params": [p]} if n not in no_decay else {"params": [p], "weight_decay": 0.0}
              for n, p in params.items()]
    cls = torch.optim.AdamW if kind == "adamw" else torch.optim.Adam
    opt = cls(groups, lr=lr, betas=betas, eps=eps, weight_decay=wd, foreach=False)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=step_lr[0], gamma=step_lr[1]) if step_lr else None
    out = {"lrs": [], "grad_norms": [], "losses": [], "w": [], "b": []}
    for _ in range(STEPS):
        opt.zero_grad()
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_([w, b], clip if clip > 0 else float("inf"))
        out["lrs"].append(opt.param_groups[0]["lr"])
        out["grad_norms"].append(float(norm))
        out["losses"].append(float(loss))
        opt.step()
        if sched:
            sched.step()
        out["w"].append(w.detach().tolist())
        out["b"].append(b.detach().tolist())
    return out


def schedule_lrs(make, steps):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=1.0)
    sched = make(opt)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


def schedules():
    sl = {"base": 0.3, "step_size": 3, "gamma": 0.1, "steps": 10}

    def make_step(opt):
        for g in opt.param_groups:
            g["lr"] = sl["base"]
        return torch.optim.lr_scheduler.StepLR(opt, step_size=sl["step_size"], gamma=sl["gamma"])

    sl["lrs"] = schedule_lrs(make_step, sl["steps"])
    wc = {"base": 2e-3, "min": 1e-4, "warmup": 4, "total": 12}
    wc["steps"] = wc["total"]

    def make_wc(opt):
        for g in opt.param_groups:
            g["lr"] = wc["base"]
        warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1.0 / wc["warmup"], end_factor=1.0,
                                                 total_iters=wc["warmup"] - 1)
        cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=wc["total"] - wc["warmup"], eta_min=wc["min"])
        return torch.optim.lr_scheduler.SequentialLR(opt, [warm, cos], milestones=[wc["warmup"]])

    wc["lrs"] = schedule_lrs(make_wc, wc["steps"])
    return {"step_lr": sl, "warmup_cosine": wc}


def main():
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    here = os.path.dirname(os.path.abspath(__file__))
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "tfmodel", "testdata", "optim_golden.json")
    data = problem()
    cases = []
    for case in CASES:
        name, kind, lr, betas, eps, wd, no_decay, clip, step_lr = case
        cases.append({
            "name": name, "optimizer": kind, "lr": lr, "beta1": betas[0], "beta2": betas[1], "eps": eps,
            "weight_decay": wd, "no_decay": no_decay, "clip_norm": clip,
            "step_size": step_lr[0] if step_lr else 0, "gamma": step_lr[1] if step_lr else 1.0,
            "float64": run(case, torch.float64, data),
            "float32": run(case, torch.float32, data),
        })
    x, y, w0, b0 = data
    golden = {
        "script": "scripts/optim_golden.py",
        "torch_version": torch.__version__,
        "steps": STEPS,
        "problem": {"loss": "mean((x @ w + b - y)^2)", "x": x.tolist(), "y": y.tolist(), "w0": w0.tolist(),
                    "b0": b0.tolist()},
        "cases": cases,
        "schedules": schedules(),
    }
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)
    for c in cases:
        print(c["name"], "grad norms", ["%.3f" % n for n in c["float64"]["grad_norms"]], "lrs", c["float64"]["lrs"])
    print("wrote", path)


if __name__ == "__main__":
    main()
