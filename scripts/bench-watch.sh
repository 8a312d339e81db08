#!/usr/bin/env bash
# Measures `canary watch` on a real control plane: requests at startup, requests per minute in
# steady state (from the API server's audit log) and resident memory, with PODS pods in the
# namespace (default 2000; 1,000 of them belong to the release's two versions).
#
#   scripts/bench-watch.sh [PODS] [STEADY_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
pods="${1:-2000}"
steady="${2:-60}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/canary-cockpit/target}"
cargo build --release -j"${CARGO_BUILD_JOBS:-2}" --bin canary >/dev/null 2>&1
bin="$CARGO_TARGET_DIR/release/canary"

run="$(mktemp -d "${TMPDIR:-/tmp}/canary-bench-watch.XXXXXX")"
session="canary-bench-$$"
cleanup() {
    tmux -L "$session" kill-server 2>/dev/null || true
    scripts/control-plane.sh stop "$run/cp" >/dev/null 2>&1 || true
}
trap cleanup EXIT
scripts/control-plane.sh start "$run/cp" >/dev/null
# shellcheck source=/dev/null
source "$run/cp/env"
ns=bench
kubectl create namespace "$ns" >/dev/null
kubectl -n "$ns" create serviceaccount default >/dev/null 2>&1 || true

# the release: two Services, two Ingresses; then the pods, most of them other workloads
{
    cat <<YAML
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Service, metadata: {name: shop}, spec: {selector: {app: shop, version: v1}, ports: [{port: 80}]}}
- {apiVersion: v1, kind: Service, metadata: {name: shop-canary}, spec: {selector: {app: shop, version: v2}, ports: [{port: 80}]}}
- apiVersion: networking.k8s.io/v1
  kind: Ingress
  metadata: {name: shop}
  spec: {rules: [{host: shop.example, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: shop, port: {number: 80}}}}]}}]}
- apiVersion: networking.k8s.io/v1
  kind: Ingress
  metadata: {name: shop-canary, annotations: {nginx.ingress.kubernetes.io/canary: "true", nginx.ingress.kubernetes.io/canary-weight: "10"}}
  spec: {rules: [{host: shop.example, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: shop-canary, port: {number: 80}}}}]}}]}
YAML
    for i in $(seq 1 "$pods"); do
        if [ "$i" -le $((pods / 4)) ]; then labels="{app: shop, version: v1}"
        elif [ "$i" -le $((pods / 2)) ]; then labels="{app: shop, version: v2}"
        else labels="{app: other-$((i % 20))}"; fi
        echo "- {apiVersion: v1, kind: Pod, metadata: {name: pod-$i, labels: $labels}, spec: {automountServiceAccountToken: false, containers: [{name: app, image: shop:1}]}}"
    done
} >"$run/objects.yaml"
echo "== creating $pods pods"
kubectl -n "$ns" apply -f "$run/objects.yaml" >/dev/null

audit="$CANARY_TEST_AUDIT_LOG"
count() { # requests by the cockpit in the namespace after line $1 of the audit log
    tail -n +"$(($1 + 1))" "$audit" | grep -F "\"namespace\":\"$ns\"" | grep -v '"userAgent":"kubectl' \
        | grep -v 'kube-controller-manager' | grep -o '"auditID":"[^"]*","stage":"[A-Za-z]*","requestURI":"[^"]*","verb":"[a-z]*"' \
        | sort -u -t'"' -k4,4 | awk -F'"' '{print $16}' | sort | uniq -c | tr '\n' ' '
    echo
}
start_line=$(wc -l <"$audit")
tmux -L "$session" -f /dev/null new-session -d -x 160 -y 50 \
    "XDG_STATE_HOME=$run/state $bin --log-file $run/watch.log watch ingress/shop -n $ns --kubeconfig $KUBECONFIG --no-record"
for _ in $(seq 1 100); do
    tmux -L "$session" capture-pane -p | grep -q "pod-1 " && break
    sleep 0.1
done
sleep 3
echo "== startup requests: $(count "$start_line")(watches appear in the audit log when they end)"
pid=$(pgrep -f "^$bin --log-file $run/watch.log" | head -1)
steady_line=$(wc -l <"$audit")
sleep "$steady"
echo "== steady state, ${steady} s: $(count "$steady_line")"
echo "== RSS with $pods pods in the namespace ($((pods / 2)) in the release): $(awk '/VmRSS/ {print $2, $3}' "/proc/$pid/status")"
echo "== CPU over the steady period (utime+stime ticks): $(awk '{print $14 + $15}' "/proc/$pid/stat")"
