#!/usr/bin/env bash
# `make bench-kube`: the Kubernetes scale figure. Starts a kube-sim of its own with 50 CPU nodes on
# ports apart from `make kube-sim`'s (unless one is already running in its state directory, which is
# then reused and left running), runs bench/kubescale against it with MLSTACK_BIN, writes
# bench/kubescale/result.txt, and stops the cluster it started. Extra arguments go to the benchmark
# (e.g. -runs 3).
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
state=${KUBESCALE_STATE:-$root/.mlstack/kubescale}
export KUBESIM_ETCD_PORT=${KUBESIM_ETCD_PORT:-23890} KUBESIM_API_PORT=${KUBESIM_API_PORT:-6543}
export KUBESIM_REGISTRY_PORT=${KUBESIM_REGISTRY_PORT:-5100} KUBESIM_CPU_NODES=${KUBESIM_CPU_NODES:-50}
if [ -d "$state/pids" ] && [ -n "$(ls -A "$state/pids")" ]; then
  echo "bench-kube: reusing the cluster running in $state"
else
  trap 'bash tools/kubesim/sim.sh down "$state"' EXIT
  bash tools/kubesim/sim.sh up "$state"
fi
go run ./bench/kubescale -kubeconfig "$state/kubeconfig" -mlstack "${MLSTACK_BIN:-$root/bin/mlstack}" \
  -nodes "$KUBESIM_CPU_NODES" -o bench/kubescale/result.txt "$@"
