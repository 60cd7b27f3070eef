#!/usr/bin/env bash
# `make example`: the fraud-detection stack end to end. Builds what is missing (reusing images
# that exist), starts the stack in health order, trains a model, scores a few transactions, and
# leaves the stack running. Real images when they are present or pullable; otherwise the offline
# override (compose.offline.yaml) with images built from Debian packages. The choice is written to
# .env as COMPOSE_FILE, so every plain `mlstack` command in this directory uses the same files.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mlstack="${MLSTACK:-$root/bin/mlstack}"
[ -x "$mlstack" ] || { echo "no mlstack binary at $mlstack: run \`make build\` first" >&2; exit 1; }
cd "$here"
started=$(date +%s)
say() { printf '\n==> %s\n' "$*"; }
# heartbeat WHAT PID: one line every 30 s while a long, silent step (debootstrap, the Python base) runs.
heartbeat() {
  local what="$1" pid="$2" t0; t0=$(date +%s)
  while sleep 30 && kill -0 "$pid" 2>/dev/null; do
    echo "    ... still $what ($(( $(date +%s) - t0 ))s)"
  done
}

# Real images: usable when present locally or pullable (a pull fails fast without a registry).
real_images=(redis:7-alpine ghcr.io/mlflow/mlflow:v2.11.0 prom/prometheus:v2.51.2
  python:3.11-slim@sha256:9c900dea9e8fb7e16277c179b555cc72d29a352dbc33cff48ad5a0412fd5bfc7)
mode=real
if [ "${MLSTACK_EXAMPLE_MODE:-}" = offline ]; then
  mode=offline
else
  for img in "${real_images[@]}"; do
    docker image inspect "$img" >/dev/null 2>&1 && continue
    if ! timeout 120 docker pull -q "$img" >/dev/null 2>&1; then
      echo "image $img is neither present nor pullable: using the offline override (compose.offline.yaml)"
      mode=offline
      break
    fi
  done
fi

files=compose.yaml
if [ "$mode" = offline ]; then
  files+=:compose.offline.yaml
  # Base 1: Debian bookworm, minimal, imported as a local image.
  if ! docker image inspect mlstack/debian:bookworm >/dev/null 2>&1; then
    say "creating mlstack/debian:bookworm with debootstrap (about 2 minutes, once)"
    command -v debootstrap >/dev/null || { echo "debootstrap is needed: apt-get install debootstrap" >&2; exit 1; }
    sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    rootfs="$(mktemp -d)"
    $sudo debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >/dev/null &
    boot=$!
    heartbeat "creating mlstack/debian:bookworm with debootstrap" "$boot" &
    wait "$boot"
    $sudo tar -C "$rootfs" -c . | docker import - mlstack/debian:bookworm >/dev/null
    $sudo rm -rf "$rootfs"
  fi
  # Base 2: the Python ML image training and inference share (Debian's scikit-learn, pandas, ...).
  # It is the longest step cold, so it builds while mlstack builds redis and prometheus beside it.
  if ! docker image inspect fraud-detection/python-ml:bookworm >/dev/null 2>&1; then
    say "building fraud-detection/python-ml:bookworm from Debian packages (several minutes, once)"
    pylog="$(mktemp)"
    DOCKER_BUILDKIT=0 docker build -t fraud-detection/python-ml:bookworm -f offline/python-ml.Dockerfile offline >"$pylog" 2>&1 &
    pybuild=$!
    heartbeat "building fraud-detection/python-ml:bookworm (log: $pylog)" "$pybuild" &
  fi
fi
files+=:compose.watch.yaml
# compose's own mechanism: COMPOSE_FILE in .env. A .env of the user's own (no marker line) is kept.
marker="# Written by make example (examples/fraud-detection/run.sh)."
if [ -e .env ] && ! head -n 1 .env | grep -qF "$marker"; then
  echo "keeping your own .env; for this example's files, set COMPOSE_FILE=$files in it" >&2
else
  cat > .env <<ENV
$marker
# Plain \`mlstack\` commands in this directory use these files ($mode images, watch rules).
# Back to the real images alone: delete this file. docker-compose 1.29, which rejects develop:,
# needs the files without compose.watch.yaml: docker-compose -f compose.yaml -f compose.offline.yaml ...
COMPOSE_FILE=$files
ENV
fi
# Plain commands from here on, as the README's tour types them.
ml() { "$mlstack" "$@"; }

if [ -n "${pybuild:-}" ]; then
  say "mlstack build feature-store prometheus (while the Python base builds)"
  ml --profile monitoring build feature-store prometheus
  if ! wait "$pybuild"; then
    tail -n 30 "$pylog" >&2
    echo "building fraud-detection/python-ml:bookworm failed (log above)" >&2
    exit 1
  fi
  rm -f "$pylog"
fi

say "mlstack profile enable monitoring"
ml profile enable monitoring
say "mlstack build (reuses images whose inputs did not change)"
ml --profile training build
say "mlstack up -d --wait"
ml up -d --wait

port="${INFERENCE_PORT:-8080}"
url="http://127.0.0.1:$port"
say "before training: GET /health and POST /predict"
curl -sS "$url/health"; echo
curl -sS -X POST -H 'Content-Type: application/json' -d '{"amount": 20, "hour": 12, "merchant_risk": 0.2, "distance_km": 3, "tx_last_24h": 1, "foreign": 0, "card_age_days": 900}' "$url/predict"; echo

say "mlstack train"
ml train

say "after training: scoring a few transactions (no restart of inference)"
score() {
  local name="$1" body="$2"
  printf '%-44s %s\n' "$name" "$(curl -sS -X POST -H 'Content-Type: application/json' -d "$body" "$url/predict")"
}
score "coffee, noon, near home, old card:" '{"amount": 4.5, "hour": 12, "merchant_risk": 0.1, "distance_km": 1.2, "tx_last_24h": 2, "foreign": 0, "card_age_days": 1500}'
score "groceries, evening:" '{"amount": 63.2, "hour": 19, "merchant_risk": 0.25, "distance_km": 4, "tx_last_24h": 3, "foreign": 0, "card_age_days": 700}'
score "electronics abroad at 3am, new card:" '{"amount": 1890, "hour": 3, "merchant_risk": 0.85, "distance_km": 950, "tx_last_24h": 9, "foreign": 1, "card_age_days": 12}'
score "jewellery at 1am, 400 km away:" '{"amount": 640, "hour": 1, "merchant_risk": 0.7, "distance_km": 400, "tx_last_24h": 7, "foreign": 1, "card_age_days": 45}'
curl -sS "$url/metrics" | grep -E '^fraud_predictions_total' || true

say "mlstack ps"
ml ps
echo
echo "Done in $(( $(date +%s) - started ))s ($mode images). The stack is still running:"
echo "  inference  $url   (POST /predict, GET /health, GET /metrics)"
echo "  prometheus http://127.0.0.1:${PROMETHEUS_PORT:-9090}"
echo "Files in use (.env): COMPOSE_FILE=$files"
echo "Try it: cd examples/fraud-detection && mlstack ps   (README.md: train, watch, logs, down)"
echo "Stop it with: cd examples/fraud-detection && mlstack down   (add -v to drop the model and data volumes)"
