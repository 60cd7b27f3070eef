#!/usr/bin/env bash
# What a revision of mlstack costs every command before it does any work: the stripped binary's
# size and the peak RSS of `mlstack --help` (median of 7 runs, /usr/bin/time -f %M), for a base
# revision and the working tree; for the working tree also mlstack-kube (mlstack plus the Kubernetes
# backend), where cmd/mlstack-kube exists. Usage: bash bench/binarycost/run.sh BASE_REV [OUT]
# Used to measure what linking client-go (the Kubernetes backend) added: BASE_REV=160894e.
set -euo pipefail
base=${1:?usage: run.sh BASE_REV [OUT]}
out=${2:-/dev/stdout}
root=$(git rev-parse --show-toplevel)
tmp=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$tmp/base" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git -C "$root" worktree add -q --detach "$tmp/base" "$base"
build() { (cd "$1" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$2" "./cmd/${3:-mlstack}"); }
build "$tmp/base" "$tmp/mlstack-base"
build "$root" "$tmp/mlstack-head"
kube=""
if [ -d "$root/cmd/mlstack-kube" ]; then
  build "$root" "$tmp/mlstack-kube-head" mlstack-kube
  kube="$tmp/mlstack-kube-head"
fi
rss() {
  for _ in 1 2 3 4 5 6 7; do /usr/bin/time -f %M "$1" --help 2>&1 >/dev/null | tail -1; done | sort -n | sed -n 4p
}
{
  echo "mlstack binary cost, $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  printf '%-28s %12s %22s\n' revision "size (bytes)" "--help peak RSS (KB)"
  printf '%-28s %12s %22s\n' "$(git -C "$root" rev-parse --short "$base") (base)" "$(stat -c %s "$tmp/mlstack-base")" "$(rss "$tmp/mlstack-base")"
  printf '%-28s %12s %22s\n' "$(git -C "$root" rev-parse --short HEAD) (working tree)" "$(stat -c %s "$tmp/mlstack-head")" "$(rss "$tmp/mlstack-head")"
  if [ -n "$kube" ]; then
    printf '%-28s %12s %22s\n' "$(git -C "$root" rev-parse --short HEAD) mlstack-kube" "$(stat -c %s "$kube")" "$(rss "$kube")"
  fi
} > "$out"
