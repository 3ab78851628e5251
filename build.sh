#!/usr/bin/env bash
# build.sh — fetch libtensorflow, build bin/maskgit, run the tests.
#
#   ./build.sh          fetch/verify libtensorflow (once), build bin/maskgit
#   ./build.sh test     the above, plus the Python venv for reference tests, go vet and go test ./...
#   ./build.sh env      print the exports needed to build your own Go program against the library
#   ./build.sh venv     only create the reference-test venv (TF Python from the same wheel, NumPy, SciPy)
#
# Environment:
#   LIBTENSORFLOW_DIR=/path   use an existing install with the official tarball layout (include/, lib/)
#   TF_VARIANT=cpu|gpu        cpu (default): PyPI tensorflow-cpu wheel; gpu: the CUDA-enabled tensorflow wheel
#   TF_VERSION=2.21.0         wheel version (fallbacks known to work: 2.18.0, 2.16.2)
#   GO_TEST_FLAGS="..."       extra flags for `go test` in `./build.sh test`
#
# Idempotent: a second run with nothing changed only re-checks and re-links (seconds).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TF_VERSION="${TF_VERSION:-2.21.0}"
TF_VARIANT="${TF_VARIANT:-cpu}"
TP="$ROOT/third_party"
TFDIR="$TP/libtensorflow"
CACHE="$TP/cache"
VENV="$TP/venv"
REQUIRED_SYMBOLS=(TF_NewGraph TF_AddGradientsWithPrefix TF_LoadSessionFromSavedModel TF_NewServer)

log() { printf '[build.sh] %s\n' "$*" >&2; }
die() { printf '[build.sh] error: %s\n' "$*" >&2; exit 1; }

wheel_name() {
  case "$TF_VARIANT" in
    cpu) echo "tensorflow-cpu" ;;
    gpu) echo "tensorflow" ;;
    *) die "TF_VARIANT must be cpu or gpu, got '$TF_VARIANT'" ;;
  esac
}

# fetch_wheel prints the path of the cached TensorFlow wheel, downloading it once.
fetch_wheel() {
  local name; name="$(wheel_name)"
  local dir="$CACHE/wheels/$name-$TF_VERSION"
  mkdir -p "$dir"
  local whl; whl="$(ls "$dir"/*.whl 2>/dev/null | head -n1 || true)"
  if [ -z "$whl" ]; then
    log "downloading $name==$TF_VERSION from PyPI (about 270 MB, once)"
    python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$dir" "$name==$TF_VERSION" >&2 \
      || die "pip could not download $name==$TF_VERSION; try TF_VERSION=2.18.0 or set LIBTENSORFLOW_DIR to an existing install"
    whl="$(ls "$dir"/*.whl | head -n1)"
  fi
  echo "$whl"
}

check_symbols() {
  local lib="$1" missing=()
  command -v nm >/dev/null || die "nm not found: install binutils (apt-get install binutils)"
  local syms; syms="$(nm -D --defined-only "$lib" 2>/dev/null | awk '{print $3}' | sed 's/@.*//')"
  for s in "${REQUIRED_SYMBOLS[@]}"; do
    grep -qx "$s" <<<"$syms" || missing+=("$s")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    die "$lib does not export: ${missing[*]}. This library cannot build graphs with gradients or load SavedModels.
  Use the wheel's libtensorflow_cc.so.2 (TF_VERSION=2.21.0, 2.18.0 or 2.16.2), or point LIBTENSORFLOW_DIR at the
  official libtensorflow C tarball (include/, lib/libtensorflow.so*)."
  fi
}

setup_libtensorflow() {
  local stamp="$TFDIR/.source"
  local want
  if [ -n "${LIBTENSORFLOW_DIR:-}" ]; then want="dir:$LIBTENSORFLOW_DIR"; else want="wheel:$(wheel_name)==$TF_VERSION"; fi
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -e "$TFDIR/lib/libtensorflow.so" ] \
     && [ -f "$TFDIR/include/tensorflow/c/c_api.h" ]; then
    check_symbols "$TFDIR/lib/libtensorflow.so"
    return
  fi
  log "setting up libtensorflow from $want"
  local tmp="$TP/.libtensorflow.tmp"
  rm -rf "$tmp"; mkdir -p "$tmp/lib" "$tmp/include"
  if [ -n "${LIBTENSORFLOW_DIR:-}" ]; then
    [ -f "$LIBTENSORFLOW_DIR/include/tensorflow/c/c_api.h" ] || die "LIBTENSORFLOW_DIR=$LIBTENSORFLOW_DIR has no include/tensorflow/c/c_api.h"
    cp -a "$LIBTENSORFLOW_DIR/include/." "$tmp/include/"
    cp -a "$LIBTENSORFLOW_DIR/lib/." "$tmp/lib/"
    if [ ! -e "$tmp/lib/libtensorflow.so" ]; then
      local main; main="$(ls "$tmp"/lib/libtensorflow.so.* "$tmp"/lib/libtensorflow_cc.so.* 2>/dev/null | head -n1 || true)"
      [ -n "$main" ] || die "LIBTENSORFLOW_DIR=$LIBTENSORFLOW_DIR has no lib/libtensorflow.so*"
      ln -s "$(basename "$main")" "$tmp/lib/libtensorflow.so"
    fi
  else
    command -v unzip >/dev/null || die "unzip not found: install it (apt-get install unzip)"
    local whl; whl="$(fetch_wheel)"
    local ex="$TP/.wheel.tmp"
    rm -rf "$ex"; mkdir -p "$ex"
    unzip -q -o "$whl" 'tensorflow/libtensorflow_cc.so.2' 'tensorflow/libtensorflow_framework.so.2' \
      'tensorflow/include/*' -d "$ex" || die "could not unpack $whl (is it a complete wheel? delete it and rerun)"
    mv "$ex/tensorflow/libtensorflow_cc.so.2" "$ex/tensorflow/libtensorflow_framework.so.2" "$tmp/lib/"
    rm -rf "$tmp/include"; mv "$ex/tensorflow/include" "$tmp/include"
    rm -rf "$ex"
    ln -s libtensorflow_cc.so.2 "$tmp/lib/libtensorflow.so"
    ln -s libtensorflow_framework.so.2 "$tmp/lib/libtensorflow_framework.so"
  fi
  check_symbols "$tmp/lib/libtensorflow.so"
  echo "$want" > "$tmp/.source"
  rm -rf "$TFDIR"; mv "$tmp" "$TFDIR"
  log "libtensorflow ready in $TFDIR"
}

cgo_env() {
  local extra=""
  [ -e "$TFDIR/lib/libtensorflow_framework.so" ] && extra=" -ltensorflow_framework"
  echo "export CGO_ENABLED=1"
  echo "export CGO_CFLAGS=\"-I$TFDIR/include\""
  echo "export CGO_LDFLAGS=\"-L$TFDIR/lib -Wl,-rpath,$TFDIR/lib$extra\""
  echo "export LD_LIBRARY_PATH=\"$TFDIR/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}\""
  echo "export TF_CPP_MIN_LOG_LEVEL=\"\${TF_CPP_MIN_LOG_LEVEL:-1}\""
}

setup_venv() {
  local stamp="$VENV/.maskgit-stamp"
  local want="tf=$(wheel_name)==$TF_VERSION;req=$(cat "$ROOT/scripts/requirements.txt" 2>/dev/null | sha256sum | cut -c1-16)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  log "creating the reference-test venv in $VENV (TF Python from the same wheel, NumPy, SciPy)"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  local whl; whl="$(fetch_wheel)"
  "$VENV/bin/pip" install --quiet --upgrade pip >&2 || true
  "$VENV/bin/pip" install --quiet "$whl" >&2 || die "could not install $whl into $VENV"
  if [ -f "$ROOT/scripts/requirements.txt" ]; then
    "$VENV/bin/pip" install --quiet -r "$ROOT/scripts/requirements.txt" >&2 || die "could not install scripts/requirements.txt"
  fi
  echo "$want" > "$stamp"
}

build_bin() {
  eval "$(cgo_env)"
  cd "$ROOT"
  mkdir -p bin
  log "building bin/maskgit"
  # $ORIGIN keeps the binary working when the checkout moves; the absolute path covers copies elsewhere.
  go build -trimpath -ldflags "-r \$ORIGIN/../third_party/libtensorflow/lib:$TFDIR/lib" -o bin/maskgit.tmp ./cmd/maskgit
  mv bin/maskgit.tmp bin/maskgit
}

run_tests() {
  eval "$(cgo_env)"
  export MASKGIT_VENV="$VENV"
  cd "$ROOT"
  log "go vet ./..."
  go vet ./...
  log "go test ./... ${GO_TEST_FLAGS:-}"
  # shellcheck disable=SC2086
  go test -count=1 -timeout 40m ${GO_TEST_FLAGS:-} ./...
}

cmd="${1:-build}"
case "$cmd" in
  build) setup_libtensorflow; build_bin ;;
  test) setup_libtensorflow; setup_venv; build_bin; run_tests ;;
  env) setup_libtensorflow >&2; cgo_env ;;
  venv) setup_venv ;;
  -h|--help|help) sed -n '2,16p' "$0" ;;
  *) die "unknown command '$cmd' (build, test, env, venv)" ;;
esac
