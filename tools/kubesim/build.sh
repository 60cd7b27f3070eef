#!/usr/bin/env bash
# Builds the simulated cluster's binaries once into a cache keyed by version (about 16 minutes cold on
# two cores, nothing warm): kube-apiserver, kube-controller-manager and kube-scheduler from the
# k8s.io/kubernetes module, and kwok. Prints the bin directory.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
K8S_VERSION=v1.34.4
KWOK_VERSION=v0.8.0
cache="${XDG_CACHE_HOME:-$HOME/.cache}/mlstack/kubesim"
bin="$cache/$K8S_VERSION/bin"
kwokbin="$cache/kwok-$KWOK_VERSION/bin"
mkdir -p "$bin" "$kwokbin"
export CGO_ENABLED=0 GOFLAGS=-mod=mod

major="${K8S_VERSION#v}"; major="${major%%.*}"
minor="${K8S_VERSION#v*.}"; minor="${minor%%.*}"
# kubectl cannot parse the version an unstamped server reports, so stamp it.
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"

missing=()
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  [ -x "$bin/$c" ] || missing+=("k8s.io/kubernetes/cmd/$c")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "kube-sim: building ${missing[*]} $K8S_VERSION into $bin (about 16 minutes the first time)" >&2
  # A directory of its own: two builds at once (two worktrees) must not mix their outputs.
  tmp="$(mktemp -d "$bin/.build.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$here/k8s" && go build -trimpath -ldflags "$ldflags" -o "$tmp/" "${missing[@]}")
  mv "$tmp"/* "$bin/"
fi
if [ ! -x "$kwokbin/kwok" ]; then
  echo "kube-sim: building kwok $KWOK_VERSION into $kwokbin" >&2
  (cd "$here/kwok" && go build -trimpath -ldflags "-s -w" -o "$kwokbin/kwok.tmp.$$" sigs.k8s.io/kwok/cmd/kwok)
  mv "$kwokbin/kwok.tmp.$$" "$kwokbin/kwok"
fi
echo "$bin:$kwokbin"
