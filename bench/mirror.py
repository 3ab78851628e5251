"""PyTorch mirror of maskgit's tokenizer (graphs/vqvae) and transformer
(graphs/transformer), loading the same weights.

Weights come from an .npz written by bench/export_weights.py (TensorFlow's
own checkpoint reader, run in the TF venv), keyed by the checkpoint's
variable names. Every layer here follows the Go graph builders in ops/:

- images are NHWC in [-1, 1] at the interface (as in Go); the convolutions
  run NCHW inside. Conv kernels [kh, kw, in, out] become torch's
  [out, in, kh, kw]; TF "SAME" padding, including the asymmetric
  (bottom/right) pad of the stride-2 downsamples, is reproduced;
- GroupNorm eps 1e-6 over contiguous channel groups (biased variance),
  SiLU, nearest 2x upsampling (out[i, j] = in[i // 2, j // 2]);
- the quantizer l2-normalises encodings and codes (rsqrt(max(sum x², 1e-12)))
  and takes argmin of zz − 2·z·eᵀ + ee (first index on ties); decoding looks
  up the normalised codes and clips the image to [-1, 1];
- the transformer: token embedding (K + 1 rows, [MASK] = K) plus a learned
  position embedding, LayerNorm (eps 1e-12), dropout; post-LN BERT blocks
  (attention with 1/√(D/H) scaling, exact erf GELU in the MLP, dropout on
  the attention probabilities and both residual branches); head dense →
  GELU → LayerNorm, then logits tied to the first K embedding rows plus a
  per-position bias [N, K]. Dense kernels [in, out] become nn.Linear's
  [out, in].
"""
import contextlib
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

GN_EPS = 1e-6
LN_EPS = 1e-12


class TFConv(nn.Conv2d):
    """Conv2d with TensorFlow's SAME padding (extra row/column at the bottom/right)."""

    def __init__(self, cin, cout, k, stride=1):
        super().__init__(cin, cout, k, stride=stride, padding=0)

    def forward(self, x):
        k, s = self.kernel_size[0], self.stride[0]
        h, w = x.shape[-2:]

        def pads(n):
            out = -(-n // s)
            total = max((out - 1) * s + k - n, 0)
            return total // 2, total - total // 2

        (pt, pb), (pl, pr) = pads(h), pads(w)
        if pt == pb and pl == pr:
            return F.conv2d(x, self.weight, self.bias, s, (pt, pl))
        return F.conv2d(F.pad(x, (pl, pr, pt, pb)), self.weight, self.bias, s)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=GN_EPS)
        self.conv1 = TFConv(cin, cout, 3)
        self.norm2 = nn.GroupNorm(groups, cout, eps=GN_EPS)
        self.conv2 = TFConv(cout, cout, 3)
        self.shortcut = TFConv(cin, cout, 1) if cin != cout else None

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return (x if self.shortcut is None else self.shortcut(x)) + h


def l2_normalize(x):
    ss = (x * x).sum(-1, keepdim=True)
    return x * torch.rsqrt(torch.clamp(ss, min=1e-12))


class Tokenizer(nn.Module):
    """graphs/vqvae: Encoder → Quantize (ids) and Lookup → Decoder (images)."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        ch, g, r = cfg["channels"], cfg["groups"], cfg["res_blocks"]
        self.down = int(math.log2(cfg["resolution"] // cfg["grid"]))
        self.normalize = cfg.get("normalize", False)
        enc = nn.ModuleDict()
        enc["conv_in"] = TFConv(3, ch[0], 3)
        c = ch[0]
        for i, w in enumerate(ch):
            for j in range(r):
                enc[f"level{i}_res{j}"] = ResBlock(c, w, g)
                c = w
            if i < self.down:
                enc[f"down{i}"] = TFConv(w, w, 3, stride=2)
        enc["mid"] = ResBlock(c, c, g)
        enc["norm_out"] = nn.GroupNorm(g, c, eps=GN_EPS)
        enc["conv_out"] = TFConv(c, cfg["latent"], 1)
        self.encoder = enc
        dec = nn.ModuleDict()
        c = ch[-1]
        dec["conv_in"] = TFConv(cfg["latent"], c, 3)
        dec["mid"] = ResBlock(c, c, g)
        for i in reversed(range(len(ch))):
            for j in range(r):
                dec[f"level{i}_res{j}"] = ResBlock(c, ch[i], g)
                c = ch[i]
            if 0 < i <= self.down:
                dec[f"up{i}"] = TFConv(c, ch[i], 3)
        dec["norm_out"] = nn.GroupNorm(g, c, eps=GN_EPS)
        dec["conv_out"] = TFConv(c, 3, 3)
        self.decoder = dec
        self.codebook = nn.Parameter(torch.zeros(cfg["codes"], cfg["latent"]))

    def _run_encoder(self, x):
        e = self.encoder
        h = e["conv_in"](x)
        for i in range(len(self.cfg["channels"])):
            for j in range(self.cfg["res_blocks"]):
                h = e[f"level{i}_res{j}"](h)
            if i < self.down:
                h = e[f"down{i}"](h)
        h = e["mid"](h)
        return e["conv_out"](F.silu(e["norm_out"](h)))

    def _run_decoder(self, z):
        d = self.decoder
        h = d["mid"](d["conv_in"](z))
        for i in reversed(range(len(self.cfg["channels"]))):
            for j in range(self.cfg["res_blocks"]):
                h = d[f"level{i}_res{j}"](h)
            if 0 < i <= self.down:
                h = d[f"up{i}"](F.interpolate(h, scale_factor=2, mode="nearest"))
        return d["conv_out"](F.silu(d["norm_out"](h)))

    def codes(self):
        return l2_normalize(self.codebook) if self.normalize else self.codebook

    def encode(self, images):
        """images float [B, R, R, 3] in [-1, 1] → ids int64 [B, G·G]."""
        z = self._run_encoder(images.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        if self.normalize:
            z = l2_normalize(z)
        flat = z.reshape(-1, z.shape[-1])
        e = self.codes()
        zz = (flat * flat).sum(1, keepdim=True)
        ee = (e * e).sum(1)
        dist = (zz - 2 * (flat @ e.t())) + ee
        return dist.argmin(1).reshape(images.shape[0], -1)

    def decode(self, ids):
        """ids [B, G·G] → images float [B, R, R, 3] in [-1, 1]."""
        g = self.cfg["grid"]
        z = self.codes()[ids].reshape(ids.shape[0], g, g, -1).permute(0, 3, 1, 2)
        return self._run_decoder(z).clamp(-1, 1).permute(0, 2, 3, 1)


class Block(nn.Module):
    """ops.TransformerBlock, post-LN: h = ln1(x + drop(attn(x))); y = ln2(h + drop(mlp(h)))."""

    def __init__(self, d, heads, mlp, rate, sdpa):
        super().__init__()
        self.heads, self.rate, self.sdpa = heads, rate, sdpa
        self.query, self.key, self.value, self.out = (nn.Linear(d, d) for _ in range(4))
        self.ln1 = nn.LayerNorm(d, eps=LN_EPS)
        self.fc1, self.fc2 = nn.Linear(d, mlp), nn.Linear(mlp, d)
        self.ln2 = nn.LayerNorm(d, eps=LN_EPS)

    def attention(self, x):
        b, n, d = x.shape
        h, dh = self.heads, d // self.heads

        def split(t):
            return t.view(b, n, h, dh).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        rate = self.rate if self.training else 0.0
        if self.sdpa:
            ctx = F.scaled_dot_product_attention(q, k, v, dropout_p=rate)
        else:
            p = torch.softmax((q @ k.transpose(-1, -2)) * (1 / math.sqrt(dh)), dim=-1)
            ctx = F.dropout(p, rate, self.training) @ v
        return self.out(ctx.transpose(1, 2).reshape(b, n, d))

    def forward(self, x):
        drop = lambda t: F.dropout(t, self.rate, self.training)
        h = self.ln1(x + drop(self.attention(x)))
        return self.ln2(h + drop(self.fc2(F.gelu(self.fc1(h)))))


class Transformer(nn.Module):
    """graphs/transformer.Logits: ids [B, N] (K = [MASK]) → logits [B, N, K]."""

    def __init__(self, cfg, sdpa=True):
        super().__init__()
        self.cfg = cfg
        k, n, d = cfg["codes"], cfg["positions"], cfg["dim"]
        self.rate = cfg.get("dropout", 0.0)
        self.tok_emb = nn.Embedding(k + 1, d)
        self.pos_emb = nn.Parameter(torch.zeros(n, d))
        self.ln_emb = nn.LayerNorm(d, eps=LN_EPS)
        self.blocks = nn.ModuleList(Block(d, cfg["heads"], cfg["mlp_dim"], self.rate, sdpa) for _ in range(cfg["layers"]))
        self.head_dense = nn.Linear(d, d)
        self.head_ln = nn.LayerNorm(d, eps=LN_EPS)
        self.head_bias = nn.Parameter(torch.zeros(n, k))
        self.reset_parameters()

    def reset_parameters(self):
        """The Go initialisers' kinds (for the training benchmark; values differ)."""
        nn.init.trunc_normal_(self.tok_emb.weight, std=0.02, a=-0.04, b=0.04)
        nn.init.trunc_normal_(self.pos_emb, std=0.02, a=-0.04, b=0.04)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, ids):
        h = self.tok_emb(ids) + self.pos_emb
        h = F.dropout(self.ln_emb(h), self.rate, self.training)
        for blk in self.blocks:
            h = blk(h)
        h = self.head_ln(F.gelu(self.head_dense(h)))
        return h @ self.tok_emb.weight[: self.cfg["codes"]].t() + self.head_bias

    def decay_parameters(self):
        """(decayed, not decayed): the Go AdamW decays kernels only
        (NoDecay("bias", "gamma", "beta", "embeddings"))."""
        decay = [m.weight for m in self.modules() if isinstance(m, nn.Linear)]
        ids = {id(p) for p in decay}
        return decay, [p for p in self.parameters() if id(p) not in ids]


# ---- loading the checkpoint names ----------------------------------------

def _tf_modules(root, prefix):
    """Yields (checkpoint prefix, module) for every leaf layer with weights."""
    for name, m in root.named_modules():
        if isinstance(m, (nn.Conv2d, nn.Linear, nn.GroupNorm, nn.LayerNorm)):
            yield prefix + name.replace(".", "/"), m


def _copy(param, value, name):
    t = torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32))
    if tuple(t.shape) != tuple(param.shape):
        raise ValueError(f"{name}: checkpoint shape {tuple(t.shape)}, mirror {tuple(param.shape)}")
    with torch.no_grad():
        param.copy_(t)


def _load_layers(pairs, w, used):
    for prefix, m in pairs:
        if isinstance(m, nn.Conv2d):
            keys = {"kernel": (m.weight, lambda a: a.transpose(3, 2, 0, 1)), "bias": (m.bias, None)}
        elif isinstance(m, nn.Linear):
            keys = {"kernel": (m.weight, lambda a: a.T), "bias": (m.bias, None)}
        else:
            keys = {"gamma": (m.weight, None), "beta": (m.bias, None)}
        for k, (param, fn) in keys.items():
            name = f"{prefix}/{k}"
            if name not in w:
                raise KeyError(f"checkpoint has no {name}")
            a = w[name]
            _copy(param, fn(a) if fn else a, name)
            used.add(name)


def _check_all_used(w, used):
    left = sorted(set(w) - used)
    if left:
        raise ValueError(f"checkpoint variables the mirror does not use: {left[:5]}{'…' if len(left) > 5 else ''}")


def load_tokenizer(cfg, npz):
    w = dict(np.load(npz))
    tok = Tokenizer(cfg)
    used = set()
    _load_layers(_tf_modules(tok.encoder, "encoder/"), w, used)
    _load_layers(_tf_modules(tok.decoder, "decoder/"), w, used)
    _copy(tok.codebook, w["quantizer/codebook"], "quantizer/codebook")
    used.add("quantizer/codebook")
    _check_all_used(w, used)
    return tok.eval()


def load_transformer(cfg, npz, sdpa=True):
    w = dict(np.load(npz))
    tr = Transformer(cfg, sdpa=sdpa)
    used = set()
    pairs = []
    for i, blk in enumerate(tr.blocks):
        for name, m in blk.named_modules():
            if name in ("query", "key", "value", "out"):
                pairs.append((f"transformer/block{i}/attn/{name}", m))
            elif name in ("fc1", "fc2"):
                pairs.append((f"transformer/block{i}/mlp/{name}", m))
            elif name in ("ln1", "ln2"):
                pairs.append((f"transformer/block{i}/{name}", m))
    pairs += [("transformer/ln_emb", tr.ln_emb), ("transformer/head/dense", tr.head_dense), ("transformer/head/ln", tr.head_ln)]
    _load_layers(pairs, w, used)
    for name, param in (("transformer/tok_emb/embeddings", tr.tok_emb.weight), ("transformer/pos_emb/embeddings", tr.pos_emb),
                        ("transformer/head/bias", tr.head_bias)):
        _copy(param, w[name], name)
        used.add(name)
    _check_all_used(w, used)
    return tr.eval()


# ---- the inpainting loop ---------------------------------------------------

def _precision(bf16):
    """The context of a model forward: torch.autocast to bfloat16 on the CPU
    (bf16 true; the matmuls and convolutions in bfloat16, as TensorFlow's
    oneDNN auto mixed precision does on the Go side) or nothing."""
    return torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()


def token_mask(holes, grid):
    """holes bool [B, R, R] → token mask bool [B, G·G]: a token is masked when
    any pixel of its patch is a hole (inpaint.Mask.TokenMask, no dilation)."""
    b, r, _ = holes.shape
    p = r // grid
    return holes.reshape(b, grid, p, grid, p).any(4).any(2).reshape(b, -1)


@torch.no_grad()
def decode_loop(tr, cur, steps, temperature, generator, bf16=False):
    """MaskGIT decoding as inpaint.Decoder does it, batched: T cosine steps;
    argmax predictions; confidence = log p + Gumbel noise scaled by
    temperature·(1 − (t+1)/T) (none at the last step); each step fixes the
    most confident masked tokens down to the inpaint.KeepMasked count; only
    images that still have masked tokens are sent to the transformer.
    cur int64 [B, N] with [MASK] = K is updated in place; returns the time
    spent in the transformer. bf16: the transformer runs under
    torch.autocast(bfloat16), its logits converted back to float32 for the
    rest of the loop."""
    import time
    mask_id = tr.cfg["codes"]
    unknown0 = (cur == mask_id).sum(1)
    unknown = unknown0.clone()
    n = cur.shape[1]
    ar = torch.arange(n).expand(cur.shape[0], n)
    predict = 0.0
    for t in range(steps):
        active = (unknown > 0).nonzero().squeeze(1)
        if active.numel() == 0:
            break
        c = cur[active]
        tp = time.perf_counter()
        with _precision(bf16):
            logits = tr(c)
        logits = logits.float()
        predict += time.perf_counter() - tp
        logp = torch.log_softmax(logits, dim=-1)
        lp, pred = logp.max(-1)
        masked = c == mask_id
        noise = temperature * (1 - (t + 1) / steps)
        conf = lp.double()
        if noise > 0 and t < steps - 1:
            u = torch.rand(conf.shape, generator=generator, dtype=torch.float64).clamp_(min=1e-300)
            conf = conf + noise * -torch.log(-torch.log(u))
        conf = torch.where(masked, conf, torch.full_like(conf, -math.inf))
        u0, ut = unknown0[active], unknown[active]
        if t >= steps - 1:
            keep = torch.zeros_like(ut)
        else:
            g = math.cos((t + 1) / steps * math.pi / 2)
            keep = torch.floor(u0.double() * g).long()
            keep = torch.minimum(torch.clamp(keep, min=1), ut - 1)
            keep = torch.where(ut <= 1, torch.zeros_like(keep), keep)
        # Most confident first, ties in position order (as the Go stable sort).
        order = torch.argsort(conf, dim=1, descending=True, stable=True)
        rank = torch.empty_like(order).scatter_(1, order, ar[: len(active)])
        fix = masked & (rank < (ut - keep)[:, None])
        cur[active] = torch.where(fix, pred, c)
        unknown[active] = keep
    return predict


@torch.no_grad()
def inpaint(tok, tr, images, holes, steps, temperature, generator, bf16=False):
    """The Go pipeline's inpainting on a batch: encode, decode_loop, decode,
    hard composite (known pixels kept). Returns (images, timings dict).
    bf16: True (or "all"), the tokenizer and transformer forwards run under
    torch.autocast(bfloat16); "transformer", only the transformer's; False
    (or "off"), neither (pipeline.Options' BFloat16 fields on the Go side);
    the loop and the composite stay float32."""
    import time
    bf16_tok = bf16 is True or bf16 == "all"
    bf16_tr = bf16_tok or bf16 == "transformer"
    t0 = time.perf_counter()
    with _precision(bf16_tok):
        ids = tok.encode(images)
    t1 = time.perf_counter()
    tm = token_mask(holes, tok.cfg["grid"])
    cur = torch.where(tm, torch.full_like(ids, tr.cfg["codes"]), ids)
    predict = decode_loop(tr, cur, steps, temperature, generator, bf16_tr)
    t2 = time.perf_counter()
    with _precision(bf16_tok):
        out = tok.decode(cur)
    out = out.float()
    out = torch.where(holes[..., None], out, images)
    t3 = time.perf_counter()
    return out, {"encode_s": t1 - t0, "predict_s": predict, "loop_s": t2 - t1 - predict, "decode_s": t3 - t2}
