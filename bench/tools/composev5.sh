#!/usr/bin/env bash
# Builds Docker Compose v5 from the tools module beside this script, or reuses the cached build, and
# prints the binary's absolute path. The binary is never installed as a docker CLI plugin: the bench runs
# it by path, so a user's own compose stays untouched. About 5 minutes cold on 2 cores; seconds warm.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
mod="$here/composev5"
version=$(awk '$1 == "require" && $2 == "github.com/docker/compose/v5" { print $3 }' "$mod/go.mod")
[ -n "$version" ] || { echo "composev5.sh: no github.com/docker/compose/v5 require line in $mod/go.mod" >&2; exit 1; }
cache="${MLSTACK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mlstack}/compose/$version"
bin="$cache/docker-compose"

if [ ! -x "$bin" ] || ! "$bin" version --short >/dev/null 2>&1; then
  mkdir -p "$cache"
  echo "building Docker Compose $version into $cache (a few minutes the first time)" >&2
  tmp="$bin.tmp.$$"
  trap 'rm -f "$tmp"' EXIT
  (cd "$mod" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/docker/compose/v5/internal.Version=$version" \
    -o "$tmp" github.com/docker/compose/v5/cmd) >&2
  mv -f "$tmp" "$bin"
fi
echo "$bin"
