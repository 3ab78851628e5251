#!/usr/bin/env python3
"""Golden forward values for package ops (ops/testdata/golden.json).

Run from the repository root:

    third_party/venv/bin/python scripts/ops_golden.py

Every layer of ops/ is re-implemented here in plain NumPy (float64), written
from the layer definitions, not from the Go code. Inputs and weights are
drawn from a seeded generator, rounded to float32 (the dtype the Go test
runs in) and saved next to the reference outputs. Weight keys are the
variable paths relative to the layer ("kernel", "attn/query/bias", ...), as
ops.Init takes them; the Go test (ops/golden_test.go) builds each case from
its "layer" and "config" and feeds the weights through tfmodel.Values.
"""
import json
import math
import os
import sys

import numpy as np
from scipy.special import erf

SEED = 20240611


# ---------------------------------------------------------------- references

def dense(x, w, prefix, bias=True):
    y = x @ w[prefix + "kernel"]
    if bias:
        y = y + w[prefix + "bias"]
    return y


def same_pads(size, k, s):
    """TensorFlow SAME padding: output ceil(size/s), extra pad after."""
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def conv2d(x, kernel, bias, stride, padding):
    b, h, w_, c = x.shape
    kh, kw, _, f = kernel.shape
    if padding == "SAME":
        pt, pb = same_pads(h, kh, stride)
        pl, pr = same_pads(w_, kw, stride)
        x = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    oh = (x.shape[1] - kh) // stride + 1
    ow = (x.shape[2] - kw) // stride + 1
    y = np.zeros((b, oh, ow, f))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            y[:, i, j, :] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))
    if bias is not None:
        y = y + bias
    return y


def upsample2x(x):
    return np.repeat(np.repeat(x, 2, axis=1), 2, axis=2)


def group_norm(x, gamma, beta, groups, eps):
    b, h, w_, c = x.shape
    g = x.reshape(b, h, w_, groups, c // groups)
    mean = g.mean(axis=(1, 2, 4), keepdims=True)
    var = ((g - mean) ** 2).mean(axis=(1, 2, 4), keepdims=True)
    n = ((g - mean) / np.sqrt(var + eps)).reshape(x.shape)
    return n * gamma + beta


def layer_norm(x, gamma, beta, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def gelu(x):
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def gelu_approx(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def silu(x):
    return x / (1 + np.exp(-x))


def softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def attention(x, w, prefix, heads):
    b, n, d = x.shape
    dh = d // heads
    out = np.zeros((b, n, d))
    q = dense(x, w, prefix + "query/")
    k = dense(x, w, prefix + "key/")
    v = dense(x, w, prefix + "value/")
    for bi in range(b):
        for hi in range(heads):
            cols = slice(hi * dh, (hi + 1) * dh)
            scores = q[bi][:, cols] @ k[bi][:, cols].T / math.sqrt(dh)
            out[bi][:, cols] = softmax(scores) @ v[bi][:, cols]
    return dense(out, w, prefix + "out/")


def transformer(x, w, heads, eps, pre_ln, approx):
    act = gelu_approx if approx else gelu

    def ln(name, t):
        return layer_norm(t, w[name + "/gamma"], w[name + "/beta"], eps)

    def mlp(t):
        return dense(act(dense(t, w, "mlp/fc1/")), w, "mlp/fc2/")

    if pre_ln:
        h = x + attention(ln("ln1", x), w, "attn/", heads)
        return h + mlp(ln("ln2", h))
    h = ln("ln1", x + attention(x, w, "attn/", heads))
    return ln("ln2", h + mlp(h))


def resblock(x, w, out, groups, eps):
    h = silu(group_norm(x, w["norm1/gamma"], w["norm1/beta"], groups, eps))
    h = conv2d(h, w["conv1/kernel"], w["conv1/bias"], 1, "SAME")
    h = silu(group_norm(h, w["norm2/gamma"], w["norm2/beta"], groups, eps))
    h = conv2d(h, w["conv2/kernel"], w["conv2/bias"], 1, "SAME")
    skip = x
    if x.shape[-1] != out:
        skip = conv2d(x, w["shortcut/kernel"], w["shortcut/bias"], 1, "SAME")
    return skip + h


# ---------------------------------------------------------------- cases

class Gen:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def normal(self, shape, std=1.0, mean=0.0):
        return (mean + std * self.rng.standard_normal(shape)).astype(np.float32).astype(np.float64)

    def uniform(self, shape, lo, hi):
        return self.rng.uniform(lo, hi, shape).astype(np.float32).astype(np.float64)


def dense_weights(g, prefix, i, o, bias=True):
    w = {prefix + "kernel": g.normal((i, o), 1 / math.sqrt(i))}
    if bias:
        w[prefix + "bias"] = g.normal((o,), 0.1)
    return w


def norm_weights(g, prefix, c):
    return {prefix + "gamma": g.normal((c,), 0.1, 1.0), prefix + "beta": g.normal((c,), 0.1)}


def conv_weights(g, prefix, k, i, o):
    return {prefix + "kernel": g.normal((k, k, i, o), 1 / math.sqrt(k * k * i)),
            prefix + "bias": g.normal((o,), 0.1)}


def cases(g):
    out = []

    def add(name, layer, config, x, w, y, x_dtype="float32"):
        out.append(dict(name=name, layer=layer, config=config, x=(x, x_dtype), weights=w, y=y))

    for name, shape, units, bias in [("dense_2d", (3, 5), 4, True), ("dense_3d", (2, 3, 5), 4, True),
                                     ("dense_nobias", (2, 3, 5), 3, False)]:
        x = g.normal(shape)
        w = dense_weights(g, "", shape[-1], units, bias)
        add(name, "Dense", {"units": units, "no_bias": not bias}, x, w, dense(x, w, "", bias))

    for name, shape, f, k, s, pad in [("conv_same_s1_k3", (2, 5, 5, 3), 4, 3, 1, "SAME"),
                                      ("conv_same_s2_k3", (1, 6, 6, 2), 3, 3, 2, "SAME"),
                                      ("conv_same_s2_k4", (1, 7, 7, 2), 2, 4, 2, "SAME"),
                                      ("conv_valid_s2_k3", (1, 7, 7, 2), 3, 3, 2, "VALID"),
                                      ("conv_1x1", (2, 3, 3, 4), 2, 1, 1, "VALID")]:
        x = g.normal(shape)
        w = conv_weights(g, "", k, shape[-1], f)
        add(name, "Conv2D", {"filters": f, "kernel": k, "stride": s, "padding": pad}, x, w,
            conv2d(x, w["kernel"], w["bias"], s, pad))

    x = g.normal((2, 3, 4, 2))
    add("upsample2x", "Upsample2x", {}, x, {}, upsample2x(x))

    for name, shape, groups, eps in [("groupnorm", (2, 4, 4, 6), 3, 1e-5), ("groupnorm_g1", (1, 3, 3, 4), 1, 1e-6)]:
        x = g.normal(shape, 2.0, 0.5)
        w = norm_weights(g, "", shape[-1])
        add(name, "GroupNorm", {"groups": groups, "eps": eps}, x, w,
            group_norm(x, w["gamma"], w["beta"], groups, eps))

    x = g.normal((2, 3, 8), 2.0, 0.5)
    w = norm_weights(g, "", 8)
    add("layernorm", "LayerNorm", {"eps": 1e-5}, x, w, layer_norm(x, w["gamma"], w["beta"], 1e-5))

    for name, layer, f in [("gelu", "GELU", gelu), ("gelu_approx", "GELUApprox", gelu_approx), ("silu", "SiLU", silu)]:
        x = g.uniform((4, 6), -4, 4)
        add(name, layer, {}, x, {}, f(x))

    ids = g.rng.integers(0, 7, (2, 3))
    w = {"embeddings": g.normal((7, 4))}
    add("embedding", "Embedding", {"vocab": 7, "dim": 4}, ids, w, w["embeddings"][ids], "int32")

    x = g.normal((2, 3, 4))
    w = {"embeddings": g.normal((7, 4)), "bias": g.normal((7,), 0.1)}
    add("embedding_logits", "EmbeddingLogits", {"vocab": 7, "dim": 4}, x, w, x @ w["embeddings"].T + w["bias"])

    def attn_weights(prefix, d):
        w = {}
        for p in ("query", "key", "value", "out"):
            w.update(dense_weights(g, prefix + p + "/", d, d))
        return w

    x = g.normal((2, 3, 8))
    w = attn_weights("", 8)
    add("mhsa", "MultiHeadSelfAttention", {"heads": 2}, x, w, attention(x, w, "", 2))

    for name, pre, approx in [("transformer_post", False, False), ("transformer_pre", True, False),
                              ("transformer_pre_approx", True, True)]:
        x = g.normal((2, 3, 8))
        w = attn_weights("attn/", 8)
        w.update(norm_weights(g, "ln1/", 8))
        w.update(norm_weights(g, "ln2/", 8))
        w.update(dense_weights(g, "mlp/fc1/", 8, 16))
        w.update(dense_weights(g, "mlp/fc2/", 16, 8))
        cfg = {"heads": 2, "mlp_dim": 16, "eps": 1e-5, "pre_ln": pre, "approx_gelu": approx}
        add(name, "TransformerBlock", cfg, x, w, transformer(x, w, 2, 1e-5, pre, approx))

    for name, shape, o in [("resblock_same", (1, 4, 4, 4), 4), ("resblock_shortcut", (2, 4, 4, 4), 6)]:
        x = g.normal(shape)
        c = shape[-1]
        w = {}
        w.update(norm_weights(g, "norm1/", c))
        w.update(conv_weights(g, "conv1/", 3, c, o))
        w.update(norm_weights(g, "norm2/", o))
        w.update(conv_weights(g, "conv2/", 3, o, o))
        if c != o:
            w.update(conv_weights(g, "shortcut/", 1, c, o))
        add(name, "ResBlock", {"out": o, "groups": 2, "eps": 1e-5}, x, w, resblock(x, w, o, 2, 1e-5))
    return out


def tensor(a, dtype="float64"):
    a = np.asarray(a)
    if dtype == "int32":
        data = [int(v) for v in a.ravel()]
    else:
        data = [float(v) for v in a.ravel()]
    return {"shape": list(a.shape), "dtype": dtype, "data": data}


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "ops", "testdata", "golden.json")
    doc = {"generator": "scripts/ops_golden.py", "seed": SEED, "cases": []}
    for c in cases(Gen(SEED)):
        x, xdt = c["x"]
        doc["cases"].append({
            "name": c["name"], "layer": c["layer"], "config": c["config"],
            "x": tensor(x, xdt),
            "weights": {k: tensor(v, "float32") for k, v in sorted(c["weights"].items())},
            "y": tensor(c["y"]),
        })
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)
    print(f"wrote {len(doc['cases'])} cases to {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
