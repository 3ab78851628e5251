"""Probe (2026-12-01): fine-tune only the tokenizer's DECODER of the shipped model (encoder and codebook frozen, so
every token and the transformer stay valid) with L1 + L2 and a hinge patch GAN, in the PyTorch mirror (bench/mirror.py,
same weights), then decode the shipped pipeline's inpainting tokens (harmonic prefill, single-step argmax) and the
truth's tokens with it. Measured in docs/results.md ("A decoder fine-tune with a patch GAN"); not part of maskgit.

Needs bench/.venv (bench/compare.sh makes it), bench/compare.sh's exported weights in $MASKGIT_BENCH_OUT (the
tokenizer.npz / transformer.npz of `bench/export_weights.py`), the harmonic fills of `scripts/classical_baselines.py`
in $MASKGIT_PREFILLED, and writes into $MASKGIT_PROBE_DIR:

  bench/.venv/bin/python scripts/decoder_finetune_probe.py prep
  bench/.venv/bin/python scripts/decoder_finetune_probe.py train NAME STEPS ADV   # ADV: GAN weight (0: L1 + L2 only)
  bench/.venv/bin/python scripts/decoder_finetune_probe.py eval NAME|base OUT     # OUT-inpaint-raw, OUT-truth-raw
  third_party/venv/bin/python scripts/oracle_composite.py ../shared/data/catfaces64 OUT-inpaint-raw OUT-inpaint residual
  bin/maskgit fid --pred OUT-inpaint --ref ../shared/data/catfaces64/test
"""
import csv, math, os, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
sys.path.append(os.path.join(ROOT, "third_party/venv/lib/python3.11/site-packages"))  # cv2
import cv2
sys.path.insert(0, os.path.join(ROOT, "bench"))
import mirror
from check import model_configs

torch.set_num_threads(2)
D = os.path.join(os.environ.get("MASKGIT_SHARED", os.path.join(ROOT, "../shared")), "data/catfaces64")
W = os.environ.get("MASKGIT_PROBE_DIR", "out/decoder-probe")
BENCH = os.environ.get("MASKGIT_BENCH_OUT", "out/bench")
PREFILLED = os.environ.get("MASKGIT_PREFILLED", "out/classical/harmonic")
os.makedirs(W, exist_ok=True)
tokc, trc = model_configs(os.path.join(ROOT, "models/catfaces64"))
tok = mirror.load_tokenizer(tokc, os.path.join(BENCH, "tokenizer.npz"))


def load_dir(d, names=None):
    names = names or sorted(os.listdir(d))
    return names, np.stack([cv2.cvtColor(cv2.imread(os.path.join(d, n)), cv2.COLOR_BGR2RGB) for n in names])


def to_float(u8):
    return torch.from_numpy(u8.astype(np.float32) / 127.5 - 1)


@torch.no_grad()
def encode_all(x):
    return torch.cat([tok.encode(x[i:i + 64]) for i in range(0, len(x), 64)])


def decode_with(dec_state, ids):
    if dec_state is not None:
        tok.decoder.load_state_dict(dec_state)
    with torch.no_grad():
        return torch.cat([tok.decode(ids[i:i + 64]) for i in range(0, len(ids), 64)])


mode = sys.argv[1]
if mode == "prep":
    _, tr_u8 = load_dir(os.path.join(D, "train"))
    x = to_float(tr_u8)
    xf = torch.flip(x, dims=[2])
    t0 = time.time()
    ids = encode_all(torch.cat([x, xf]))
    np.save(os.path.join(W, "train_ids.npy"), ids.numpy().astype(np.int16))
    np.save(os.path.join(W, "train_u8.npy"), np.concatenate([tr_u8, tr_u8[:, :, ::-1]]))
    print("train ids", ids.shape, time.time() - t0)
    # Inpainting tokens of the shipped pipeline: harmonic prefill, single-step argmax.
    tr = mirror.load_transformer(trc, os.path.join(BENCH, "transformer.npz"))
    rows = list(csv.DictReader(open(os.path.join(D, "test_index.csv"))))
    _, pre = load_dir(PREFILLED, [r["masked_image"] for r in rows])
    holes = torch.from_numpy(np.stack([cv2.imread(os.path.join(D, "mask64", r["mask"]), cv2.IMREAD_GRAYSCALE) < 128 for r in rows]))
    _, truth = load_dir(os.path.join(D, "test"), [r["test_file"] for r in rows])
    K = tr.cfg["codes"]
    out = []
    with torch.no_grad():
        for lo in range(0, len(rows), 32):
            ids = tok.encode(to_float(pre[lo:lo + 32]))
            tm = mirror.token_mask(holes[lo:lo + 32], tok.cfg["grid"])
            cur = torch.where(tm, torch.full_like(ids, K), ids)
            pred = tr(cur).float()[..., :K].argmax(-1)
            out.append(torch.where(tm, pred, ids))
    np.save(os.path.join(W, "test_inpaint_ids.npy"), torch.cat(out).numpy().astype(np.int16))
    np.save(os.path.join(W, "test_truth_ids.npy"), encode_all(to_float(truth)).numpy().astype(np.int16))
    print("test ids done")

elif mode == "train":
    name, steps, adv = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    ids = torch.from_numpy(np.load(os.path.join(W, "train_ids.npy")).astype(np.int64))
    u8 = np.load(os.path.join(W, "train_u8.npy"))
    dec = tok.decoder
    dec.train()
    for p in tok.encoder.parameters():
        p.requires_grad_(False)
    tok.codebook.requires_grad_(False)
    codes = tok.codes().detach()
    g = tokc["grid"]

    class Disc(nn.Module):
        def __init__(self):
            super().__init__()
            sn = nn.utils.spectral_norm
            self.net = nn.Sequential(
                sn(nn.Conv2d(3, 64, 4, 2, 1)), nn.LeakyReLU(0.2),
                sn(nn.Conv2d(64, 128, 4, 2, 1)), nn.LeakyReLU(0.2),
                sn(nn.Conv2d(128, 256, 4, 1, 1)), nn.LeakyReLU(0.2),
                sn(nn.Conv2d(256, 1, 4, 1, 1)))

        def forward(self, x):  # NHWC
            return self.net(x.permute(0, 3, 1, 2))

    disc = Disc()
    opt = torch.optim.Adam(dec.parameters(), lr=1e-4, betas=(0.5, 0.9))
    dopt = torch.optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.9))
    rng = np.random.default_rng(1)
    B = 32
    t0 = time.time()
    for step in range(1, steps + 1):
        idx = rng.integers(0, len(ids), B)
        x = to_float(u8[idx])
        z = codes[ids[idx]].reshape(B, g, g, -1).permute(0, 3, 1, 2)
        y = tok._run_decoder(z).permute(0, 2, 3, 1)
        rec = (y - x).abs().mean() + ((y - x) ** 2).mean()
        loss = rec
        if adv > 0:
            loss = loss - adv * disc(y).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if adv > 0:
            dl = F.relu(1 - disc(x)).mean() + F.relu(1 + disc(y.detach())).mean()
            dopt.zero_grad()
            dl.backward()
            dopt.step()
        if step % 50 == 0:
            psnr = -10 * math.log10(((y.clamp(-1, 1) - x) ** 2).mean().item() / 4)
            print(f"step {step} rec {rec.item():.4f} psnr {psnr:.2f} {'disc %.3f' % dl.item() if adv > 0 else ''} {time.time() - t0:.0f}s", flush=True)
        if step % 250 == 0 or step == steps:
            torch.save(dec.state_dict(), os.path.join(W, f"{name}.pt"))

elif mode == "eval":
    name, out = sys.argv[2], sys.argv[3]
    state = None if name == "base" else torch.load(os.path.join(W, f"{name}.pt"))
    rows = list(csv.DictReader(open(os.path.join(D, "test_index.csv"))))
    for kind in ["inpaint", "truth"]:
        ids = torch.from_numpy(np.load(os.path.join(W, f"test_{kind}_ids.npy")).astype(np.int64))
        y = decode_with(state, ids).numpy()
        o = f"{out}-{kind}-raw"
        os.makedirs(o, exist_ok=True)
        for r, im in zip(rows, y):
            px = np.clip(np.rint((im + 1) * 127.5), 0, 255).astype(np.uint8)
            cv2.imwrite(os.path.join(o, os.path.splitext(r["test_file"])[0] + ".png"), cv2.cvtColor(px, cv2.COLOR_RGB2BGR))
    print("eval written", out)
