#!/usr/bin/env bash
# The README's quick demo: builds the fixture image, starts the demo stack in health order, shows it,
# runs a training job when `mlstack train` exists, and leaves the stack running.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mlstack="${MLSTACK:-$root/bin/mlstack}"
[ -x "$mlstack" ] || { echo "no mlstack binary at $mlstack: run \`make build\` first" >&2; exit 1; }

# The fixture image: one static Go program in a FROM scratch image (no registry involved).
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "==> building mlstack-fixture:latest"
(cd "$root" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$work/fixture" ./cmd/mlstack-fixture)
printf 'FROM scratch\nCOPY fixture /fixture\nENTRYPOINT ["/fixture"]\nCMD ["serve"]\n' >"$work/Dockerfile"
# The engine has no BuildKit: the classic builder (whose deprecation notice is hidden unless it fails).
if ! out="$(DOCKER_BUILDKIT=0 docker build -q -t mlstack-fixture:latest "$work" 2>&1)"; then
  echo "$out" >&2
  exit 1
fi

cd "$here"
echo "==> mlstack up -d --wait"
time "$mlstack" up -d --wait
echo "==> mlstack ps"
"$mlstack" ps
port="${DEMO_INFERENCE_PORT:-8480}"
echo "==> inference answers on 127.0.0.1:$port: $(curl -fsS "http://127.0.0.1:$port/health")"
if "$mlstack" --help | grep -qE '^  train '; then
  echo "==> mlstack train"
  "$mlstack" train
fi
echo
echo "The demo stack is running. Stop it with: (cd examples/demo && $mlstack down -v)"
