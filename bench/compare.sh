#!/usr/bin/env bash
# bench/compare.sh — maskgit (Go + TensorFlow C API) against a PyTorch mirror of the same models.
#
#   bench/compare.sh [--smoke] [compare.py flags…]      (from anywhere; see bench/compare.py --help)
#
# 1. sets up bench/.venv (PyPI torch + numpy, bench/requirements.txt) once, and the project's TF venv
#    (./build.sh venv) unless MASKGIT_VENV points at one;
# 2. builds bin/benchgo against libtensorflow (./build.sh env);
# 3. exports the model's checkpoints to .npz with TF Python (bench/export_weights.py), dumps the Go
#    model's tokens, logits and reconstructions for 32 (or --batch) test images (benchgo dump), and checks the
#    PyTorch mirror against them (bench/check.py: exits non-zero on a mismatch > 1e-4);
# 4. runs the measurements interleaved, Go then PyTorch (order alternating per round), 2 threads
#    each, and prints the table (bench/compare.py).
#
# Environment: MODEL (default models/catfaces64), MASKGIT_SHARED (default /work/shared; data in
# $MASKGIT_SHARED/data/catfaces64), MASKGIT_VENV (TF venv), BENCH_OUT (default bench/out).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
MODEL="${MODEL:-models/catfaces64}"
DATA="${MASKGIT_SHARED:-/work/shared}/data/catfaces64"
OUT="${BENCH_OUT:-bench/out}"
BVENV="bench/.venv"
log() { printf '[compare.sh] %s\n' "$*" >&2; }

[ -f "$MODEL/transformer/config.json" ] || { log "error: $MODEL has no transformer/config.json (set MODEL)"; exit 2; }
[ -f "$DATA/test_index.csv" ] || { log "error: no $DATA/test_index.csv (set MASKGIT_SHARED)"; exit 2; }

if ! "$BVENV/bin/python" -c 'import torch, numpy' 2>/dev/null; then
  log "creating $BVENV (PyPI torch, several GB, once)"
  python3 -m venv "$BVENV"
  "$BVENV/bin/pip" install --quiet --upgrade pip
  "$BVENV/bin/pip" install --quiet -r bench/requirements.txt
fi
TFPY="${MASKGIT_VENV:-}"
if [ -z "$TFPY" ]; then ./build.sh venv >&2; TFPY="third_party/venv"; fi

eval "$(./build.sh env)"
log "building bin/benchgo"
go build -o bin/benchgo ./bench/cmd/benchgo

# The dump holds the PyTorch side's inpainting inputs too: as many images as the batch.
N=32; prev=""
for arg in "$@"; do
  case "$arg" in --batch=*) N="${arg#--batch=}" ;; esac
  [ "$prev" = "--batch" ] && N="$arg"
  prev="$arg"
done
mkdir -p "$OUT"
for part in tokenizer transformer; do
  "$TFPY/bin/python" bench/export_weights.py "$MODEL/$part/best/model" "$OUT/$part.npz" >&2
done
log "Go outputs for the equality check"
bin/benchgo dump --model "$MODEL" --data "$DATA" --n "$N" --out "$OUT" --threads 2 >/dev/null 2>>"$OUT/compare.log"
log "checking the PyTorch mirror against them"
"$BVENV/bin/python" bench/check.py "$OUT" "$MODEL"
log "measurements (interleaved)"
exec "$BVENV/bin/python" bench/compare.py --dump "$OUT" --model "$MODEL" --data "$DATA" --json "$OUT/results.json" "$@"
