#!/usr/bin/env bash
# Runs mlstack's benchmark suite: every scenario for mlstack, Docker Compose v5 (built from
# bench/tools/composev5 into the user's cache on first use, run by absolute path) and docker-compose
# 1.x where installed, timed by one observer of engine state. `make bench` calls it with MLSTACK_BIN
# set. BENCH_RUNS (default 5) is the runs per tool and scenario, BENCH_BIG_RUNS (default BENCH_RUNS)
# those of the 100-service project, BENCH_EDITS (default 100) the timed
# watch edits per tool; extra arguments go to mlbench (e.g. `bash bench/run.sh -only cold,gap`).
# The full report is written to bench/results/<UTC date-time>.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [[ -z "${MLSTACK_BIN:-}" ]]; then
	CGO_ENABLED=0 go build -trimpath -o bin/mlstack ./cmd/mlstack
	MLSTACK_BIN="$root/bin/mlstack"
fi
export MLSTACK_BIN
COMPOSE_V5_BIN="${COMPOSE_V5_BIN:-$(bash bench/tools/composev5.sh)}"
export COMPOSE_V5_BIN
mkdir -p bench/out bench/results
go build -o bench/out/mlbench ./bench/cmd/mlbench
exec bench/out/mlbench -root "$root" -n "${BENCH_RUNS:-5}" -big-n "${BENCH_BIG_RUNS:-${BENCH_RUNS:-5}}" -edits "${BENCH_EDITS:-100}" \
	-out "bench/results/$(date -u +%Y-%m-%d-%H%M).md" "$@"
