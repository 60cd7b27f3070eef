#!/usr/bin/env bash
# Runs mlstack's benchmark suite: every scenario for mlstack, docker-compose and `docker compose`
# (where installed), timed by one observer of engine state. `make bench` calls it with MLSTACK_BIN
# set; extra arguments go to mlbench (e.g. `bash bench/run.sh -n 9 -only cold`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [[ -z "${MLSTACK_BIN:-}" ]]; then
	CGO_ENABLED=0 go build -trimpath -o bin/mlstack ./cmd/mlstack
	MLSTACK_BIN="$root/bin/mlstack"
fi
export MLSTACK_BIN
mkdir -p bench/out
go build -o bench/out/mlbench ./bench/cmd/mlbench
exec bench/out/mlbench -root "$root" "$@"
