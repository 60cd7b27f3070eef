#!/usr/bin/env bash
# `make example-check`: end-to-end checks of the running example (after `make example`), with plain
# `mlstack` commands from this directory, as its README types them:
#   1. the files make example chose (.env COMPOSE_FILE) are what a plain command uses;
#   2. `mlstack watch`: an edit to src/scoring.py changes /predict's answer through an in-process
#      reload (the server's start time and the container's are unchanged: no restart);
#   3. inference stops on SIGTERM (exit code 0, not 137 after a grace period), and comes back.
# It fails with a message saying what to run when the example is not running; it never skips.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mlstack="${MLSTACK:-$root/bin/mlstack}"
[ -x "$mlstack" ] || { echo "no mlstack binary at $mlstack: run \`make build\` first" >&2; exit 1; }
cd "$here"
url="http://127.0.0.1:${INFERENCE_PORT:-8080}"
say() { printf '\n==> %s\n' "$*"; }
fail() { echo "example-check: FAIL: $*" >&2; exit 1; }
fraud='{"amount": 1890, "hour": 3, "merchant_risk": 0.85, "distance_km": 950, "tx_last_24h": 9, "foreign": 1, "card_age_days": 12}'
predict() { curl -sS -X POST -H 'Content-Type: application/json' -d "$fraud" "$url/predict"; }
started_at() { curl -sS "$url/health" | sed -n 's/.*"started_at": \([0-9.]*\).*/\1/p'; }

[ -f .env ] || fail "no .env here: run \`make example\` first (it writes COMPOSE_FILE to .env)"
files=$(sed -n 's/^COMPOSE_FILE=//p' .env)
say "plain mlstack uses .env's COMPOSE_FILE ($files)"
cfg=$("$mlstack" config)
for f in ${files//:/ }; do [ -f "$f" ] || fail ".env names $f, which does not exist"; done
if [[ "$files" == *compose.offline.yaml* ]]; then
  grep -q 'fraud-detection/redis:offline' <<<"$cfg" || fail "\`mlstack config\` does not show the offline override although .env selects it"
fi
grep -q 'develop:' <<<"$cfg" || fail "\`mlstack config\` has no develop.watch rules although .env selects compose.watch.yaml"
"$mlstack" ps --format json | grep -q '"Service":"inference"' || fail "inference is not running: run \`make example\` first"
predict | grep -q '"predictions"' || fail "/predict has no model: run \`make example\` (it trains one) first"

say "mlstack watch: an edit to src/scoring.py changes /predict without a restart"
cid=$(docker ps -q --filter label=com.docker.compose.project=fraud-detection --filter label=com.docker.compose.service=inference)
container_started=$(docker inspect -f '{{.State.StartedAt}}' "$cid")
server_started=$(started_at)
[ -n "$server_started" ] || fail "/health reports no started_at: the inference image predates this check; run \`make example\` again"
cp src/scoring.py /tmp/scoring.py.orig.$$
wlog=$(mktemp)
# The watcher keeps running until the restored file reached the container too.
restore_file() { [ -f /tmp/scoring.py.orig.$$ ] && mv /tmp/scoring.py.orig.$$ src/scoring.py || true; }
stop_watcher() { [ -n "${watcher:-}" ] && kill -INT "$watcher" 2>/dev/null && wait "$watcher" 2>/dev/null || true; watcher=""; }
trap 'restore_file; sleep 1; stop_watcher' EXIT
"$mlstack" watch inference --no-up >"$wlog" 2>&1 &
watcher=$!
for _ in $(seq 1 300); do grep -q '^Watching' "$wlog" && break; kill -0 "$watcher" 2>/dev/null || break; sleep 0.1; done
grep -q '^Watching' "$wlog" || { cat "$wlog" >&2; fail "mlstack watch did not start watching (output above)"; }
# After the initial sync the container has this tree's scoring.py.
for _ in $(seq 1 100); do predict | grep -q '"is_fraud": true' && break; sleep 0.1; done
predict | grep -q '"is_fraud": true' || fail "the fraudulent test transaction is not flagged before the edit: $(predict)"
t0=$(date +%s%N)
sed -i 's/^THRESHOLD = .*/THRESHOLD = 2.0  # edited by check.sh: nothing is fraud/' src/scoring.py
changed=""
for _ in $(seq 1 100); do
  if predict | grep -q '"is_fraud": false'; then changed=1; break; fi
  sleep 0.1
done
[ -n "$changed" ] || { cat "$wlog" >&2; fail "/predict did not change after editing src/scoring.py (watch output above)"; }
echo "/predict changed $(( ($(date +%s%N) - t0) / 1000000 )) ms after the edit: $(predict)"
[ "$(started_at)" = "$server_started" ] || fail "the server restarted (its start time changed) instead of reloading in place"
[ "$(docker inspect -f '{{.State.StartedAt}}' "$cid")" = "$container_started" ] || fail "the container was restarted"
restore_file
for _ in $(seq 1 100); do predict | grep -q '"is_fraud": true' && break; sleep 0.1; done
predict | grep -q '"is_fraud": true' || { cat "$wlog" >&2; fail "/predict did not return to flagging the transaction after restoring src/scoring.py"; }
echo "restored src/scoring.py: $(predict)"
stop_watcher
trap - EXIT
grep -E 'synced' "$wlog" | head -4

say "mlstack stop inference: SIGTERM stops the server (exit 0), no grace period waited out"
t0=$(date +%s%N)
"$mlstack" stop inference
echo "stopped in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
code=$(docker inspect -f '{{.State.ExitCode}}' "$cid")
[ "$code" = 0 ] || fail "inference exited with code $code on SIGTERM (137: it ignored SIGTERM and was killed after the grace period)"
"$mlstack" up -d --wait
echo
echo "example-check: all checks passed"
