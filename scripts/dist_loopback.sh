#!/usr/bin/env bash
# Step time of data-parallel training on loopback (docs/distributed.md):
# one process, a 1-task cluster (the chief alone, through gRPC), a 2-task
# cluster (chief + 1 worker process), 2 local CPU devices. On one machine
# this measures the overhead of the replication, not a speed-up.
# Usage: scripts/dist_loopback.sh BIN TOKENIZER TRAIN_TOKENS VAL_TOKENS [PRESET STEPS BATCH]
set -euo pipefail
bin=$1 tok=$2 trt=$3 vat=$4 preset=${5:-cpu} steps=${6:-12} batch=${7:-16}
out=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$out"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
common=(train --preset "$preset" --tokenizer "$tok" --train-tokens "$trt" --val-tokens "$vat" --steps "$steps" --batch "$batch" --lr-schedule step
	--log-every 4 --val-every 100000 --ckpt-every 100000 --val-images "$batch" --threads 1)
report() { echo "== $1"; grep "^step\|error\|maskgit" "$out/$2.log" | tail -1; }
"$bin" "${common[@]}" --out "$out/single" >"$out/single.log" 2>&1; report "one process" single
"$bin" "${common[@]}" --device cpu:0,cpu:1 --out "$out/devices" >"$out/devices.log" 2>&1; report "--device cpu:0,cpu:1" devices
p0=$(free_port)
"$bin" "${common[@]}" --cluster "127.0.0.1:$p0" --task 0 --out "$out/c1" >"$out/c1.log" 2>&1; report "--cluster, 1 task" c1
p0=$(free_port) p1=$(free_port)
"$bin" worker --cluster "127.0.0.1:$p0,127.0.0.1:$p1" --task 1 --threads 1 >"$out/w1.log" 2>&1 & pids+=($!)
sleep 3
"$bin" "${common[@]}" --cluster "127.0.0.1:$p0,127.0.0.1:$p1" --task 0 --out "$out/c2" >"$out/c2.log" 2>&1; report "--cluster, 2 tasks" c2
