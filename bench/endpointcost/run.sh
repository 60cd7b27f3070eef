#!/usr/bin/env bash
# What linking the docker CLI's context store and SSH helper (github.com/docker/cli) would cost
# mlstack: binary size, and process start measured as the median of N runs of `--help` for each
# binary, interleaved. Both are built with `make build`'s flags. Usage: bash bench/endpointcost/run.sh
# Its result.txt is from before mlstack linked docker/cli itself; since then the comparison is void and
# after.txt (bash bench/binarycost/run.sh 4feb726) compares the switch with the revision before it.
set -euo pipefail
cd "$(dirname "$0")"
N=${N:-20}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
flags=(-trimpath -ldflags '-s -w')
(cd ../.. && CGO_ENABLED=0 go build "${flags[@]}" -o "$out/mlstack" ./cmd/mlstack)
CGO_ENABLED=0 go build "${flags[@]}" -o "$out/mlstack-dockercli" .

ms() { # median wall time in ms of N runs of "$@"
  local t=()
  for _ in $(seq "$N"); do
    s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N)
    t+=($(( (e - s) / 1000 )))
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}
"$out/mlstack" --help >/dev/null; "$out/mlstack-dockercli" --help >/dev/null  # page cache warm
a=$(ms "$out/mlstack" --help); b=$(ms "$out/mlstack-dockercli" --help)
a2=$(ms "$out/mlstack" --help); b2=$(ms "$out/mlstack-dockercli" --help)
echo "date: $(date -u +%FT%TZ)  go: $(go env GOVERSION)  docker/cli: $(go list -m -f '{{.Version}}' github.com/docker/cli)  runs: $N x 2"
echo "binary size (bytes):      mlstack $(stat -c %s "$out/mlstack")   with docker/cli $(stat -c %s "$out/mlstack-dockercli")"
echo "median --help start (ms): mlstack $a, $a2   with docker/cli $b, $b2"
