#!/usr/bin/env bash
# The simulated Kubernetes cluster of `make kube-sim`: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler and kwok (nodes cpu-0, cpu-1, gpu-0) plus a registry on 127.0.0.1:5000, all on
# loopback, with their state, logs and the kubeconfig (context mlstack-sim) under STATE.
#   sim.sh up STATE     build what is missing (cached by version), start everything, wait for Ready nodes
#   sim.sh down STATE   stop what `up` started (by its recorded pids) and remove STATE
# A second cluster beside the first takes other ports, and a bigger one more CPU nodes:
#   KUBESIM_ETCD_PORT (23790; the peer port is 10 above), KUBESIM_API_PORT (6443),
#   KUBESIM_REGISTRY_PORT (5000), KUBESIM_CPU_NODES (2: cpu-0, cpu-1; gpu-0 is always there).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cmd="${1:?usage: sim.sh up|down STATE}"
state="$(mkdir -p "${2:?usage: sim.sh up|down STATE}" && cd "$2" && pwd)"
ETCD_PORT="${KUBESIM_ETCD_PORT:-23790}"
API_PORT="${KUBESIM_API_PORT:-6443}"
REGISTRY="127.0.0.1:${KUBESIM_REGISTRY_PORT:-5000}"
CPU_NODES="${KUBESIM_CPU_NODES:-2}"
CONTEXT=mlstack-sim
# client-go streams lists over watches by default, which etcd 3.4 cannot serve.
export KUBE_FEATURE_WatchListClient=false

stop() {
  for f in "$state"/pids/*; do
    [ -e "$f" ] || continue
    pid="$(cat "$f")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$f"
  done
}

if [ "$cmd" = down ]; then
  stop
  rm -rf "$state"
  echo "kube-sim: stopped and removed $state"
  exit 0
fi
[ "$cmd" = up ] || { echo "usage: sim.sh up|down STATE" >&2; exit 2; }

for b in etcd docker-registry kubectl openssl curl; do
  command -v "$b" >/dev/null || { echo "kube-sim: $b is missing (apt-get install etcd-server docker-registry kubernetes-client openssl curl)" >&2; exit 1; }
done
paths="$("$here/build.sh")"
export PATH="$paths:$PATH"

if [ -d "$state/pids" ] && [ -n "$(ls -A "$state/pids")" ]; then
  echo "kube-sim: already running (state in $state); make kube-sim-down first to restart it" >&2
  exit 0
fi
mkdir -p "$state"/{pids,logs,pki,etcd,registry}
log="$state/logs"

start() { # name command...
  local name="$1"; shift
  nohup "$@" >"$log/$name.log" 2>&1 &
  echo $! >"$state/pids/$name"
}
fail() {
  echo "kube-sim: $*" >&2
  for f in "$log"/*.log; do echo "--- $f"; tail -15 "$f"; done >&2
  stop
  exit 1
}
wait_for() { # what seconds command...
  local what="$1" secs="$2"; shift 2
  for _ in $(seq 1 $((secs * 2))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  fail "$what did not come up within ${secs}s"
}

# Keys and certificates: a CA, the API server's certificate for 127.0.0.1, the service-account key.
pki="$state/pki"
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=kube-sim-ca -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver -keyout "$pki/apiserver.key" -out "$pki/apiserver.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default\nextendedKeyUsage=serverAuth\n' >"$pki/ext.cnf"
openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 365 -extfile "$pki/ext.cnf" -out "$pki/apiserver.crt" 2>/dev/null
openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
token="$(openssl rand -hex 16)"
echo "$token,admin,admin,system:masters" >"$pki/tokens.csv"

kubeconfig="$state/kubeconfig"
cat >"$kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: $CONTEXT
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
users:
- name: $CONTEXT-admin
  user:
    token: $token
contexts:
- name: $CONTEXT
  context: {cluster: $CONTEXT, user: $CONTEXT-admin}
current-context: $CONTEXT
KC
chmod 600 "$kubeconfig"

start etcd etcd --name kube-sim --data-dir "$state/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 10))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 10))" \
  --initial-cluster "kube-sim=http://127.0.0.1:$((ETCD_PORT + 10))"
wait_for etcd 30 curl -sf "http://127.0.0.1:$ETCD_PORT/health"

# With WatchList on, the API server turns every watch from resourceVersion 0 (kwok's) into a
# watch-list, which etcd 3.4 cannot serve: kwok's pod and node watches then failed at once and it saw
# changes only at its relists, up to 30 s apart (pods Ready 20 s after they were scheduled).
start kube-apiserver kube-apiserver --etcd-servers "http://127.0.0.1:$ETCD_PORT" --feature-gates WatchList=false \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" --client-ca-file "$pki/ca.crt" \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-account-issuer https://kubernetes.default.svc --token-auth-file "$pki/tokens.csv" \
  --authorization-mode RBAC --service-cluster-ip-range 10.96.0.0/16 --allow-privileged
wait_for kube-apiserver 120 curl -sf --cacert "$pki/ca.crt" -H "Authorization: Bearer $token" "https://127.0.0.1:$API_PORT/readyz"

start kube-controller-manager kube-controller-manager --kubeconfig "$kubeconfig" \
  --authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig" \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --use-service-account-credentials=false --leader-elect=false --bind-address 127.0.0.1 --secure-port 0
start kube-scheduler kube-scheduler --kubeconfig "$kubeconfig" --leader-elect=false --bind-address 127.0.0.1 --secure-port 0

stages="$(cd "$here/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)/kustomize/stage"
start kwok kwok --kubeconfig "$kubeconfig" --manage-all-nodes \
  -c "$stages/node/fast/node-initialize.yaml" -c "$stages/node/heartbeat/node-heartbeat.yaml" \
  -c "$stages/pod/fast/pod-ready.yaml" -c "$stages/pod/fast/pod-complete.yaml" -c "$stages/pod/fast/pod-delete.yaml" \
  -c "$here/stages/pod-fail.yaml"

cat >"$state/registry.yaml" <<RC
version: 0.1
storage:
  filesystem: {rootdirectory: $state/registry}
  delete: {enabled: true}
http:
  addr: $REGISTRY
RC
start registry docker-registry serve "$state/registry.yaml"
wait_for registry 30 curl -sf "http://$REGISTRY/v2/"

k() { kubectl --kubeconfig "$kubeconfig" "$@"; }
wait_for "the default namespace" 60 k get namespace default
nodes=(node/gpu-0)
for i in $(seq 0 $((CPU_NODES - 1))); do
  sed "s/@NAME@/cpu-$i/g" "$here/stages/cpu-node.yaml"
  echo ---
  nodes+=("node/cpu-$i")
done >"$state/nodes.yaml"
cat "$here/stages/gpu-node.yaml" >>"$state/nodes.yaml"
k apply -f "$state/nodes.yaml" >/dev/null || fail "could not create the nodes"
# kubectl wait's --timeout covers all the nodes together, so it grows with their number.
wait_for "$((CPU_NODES + 1)) Ready nodes" 90 k wait --for=condition=Ready "${nodes[@]}" --timeout="$((CPU_NODES + 10))s"
wait_for "the default service account" 60 k get serviceaccount default -n default
echo "kube-sim: up; KUBECONFIG=$kubeconfig (context $CONTEXT), registry $REGISTRY"
