#!/usr/bin/env bash
# The footprint of `canary watch` on a real control plane, one JSON line per namespace size:
# list requests at startup and requests in steady state (from the API server's audit log), CPU
# over the steady period, resident and peak memory, and how long the frames took to draw.
# Half of each namespace's pods belong to the release (a quarter per version); all are Running.
#
#   scripts/bench-watch.sh [STEADY_SECONDS] [PODS ...]     (default: 60 s; 2000 and 10000 pods)
#
# Goals (issue 15): at most 4 lists at startup; steady CPU <= 0.1 % of a core; at 2,000 pods
# RSS <= 15 MB and peak <= 25 MB; at 10,000 pods RSS <= 40 MB and a frame <= 1 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
steady="${1:-60}"
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(2000 10000)
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

# `count FROM KEY NS`: the cockpit's requests (user agent canary-cockpit) after line FROM of the
# audit log, one per request, as JSON: {"list": 3, "watch": 4} (KEY=verb) or by resource
# (KEY=resource, lists only; those outside namespace NS say where).
count() {
    tail -n +"$(($1 + 1))" "$CANARY_TEST_AUDIT_LOG" | python3 -c '
import json, sys
key, ns = sys.argv[1], sys.argv[2]
seen, out = set(), {}
for line in sys.stdin:
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if not e.get("userAgent", "").startswith("canary-cockpit") or e["auditID"] in seen:
        continue
    seen.add(e["auditID"])
    ref = e.get("objectRef", {})
    if key == "resource":
        if e["verb"] != "list":
            continue
        k = ref.get("resource", "?") + ("." + ref["apiGroup"] if ref.get("apiGroup") else "")
        if ref.get("namespace") != ns:
            k += " in " + ref.get("namespace", "all namespaces")
    else:
        k = e["verb"]
    out[k] = out.get(k, 0) + 1
print(json.dumps(out, sort_keys=True))
' "$2" "$3"
}

cpu_ns() { # time on a CPU, all threads of process $1
    cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {print s + 0}'
}

for pods in "${sizes[@]}"; do
    ns="bench-$pods"
    kubectl create namespace "$ns" >/dev/null
    kubectl -n "$ns" create serviceaccount default >/dev/null 2>&1 || true
    kubectl -n "$ns" apply -f - >/dev/null <<YAML
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
    # the pods, created and then marked Running as a kubelet would, many requests at a time
    python3 - "$pods" "$ns" "$CANARY_TEST_APISERVER" >"$run/create-$pods.cfg" <<'PY'
import json, os, sys
pods, ns, server = int(sys.argv[1]), sys.argv[2], sys.argv[3]
common = f'cacert = "{os.environ["CANARY_TEST_CA"]}"\nheader = "Authorization: Bearer {os.environ["CANARY_TEST_ADMIN_TOKEN"]}"\noutput = "/dev/null"\nfail\nsilent\nshow-error'
for i in range(1, pods + 1):
    if i <= pods // 4:
        labels, image = {"app": "shop", "version": "v1", "pod-template-hash": "7c9f8b6d4"}, "shop:1.9.0"
    elif i <= pods // 2:
        labels, image = {"app": "shop", "version": "v2", "pod-template-hash": "5d7b9c8f1"}, "shop:1.10.0"
    else:
        labels, image = {"app": f"other-{i % 20}", "pod-template-hash": "6b8d9f7c2"}, f"other-{i % 20}:3.1"
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": f"pod-{i}", "labels": labels},
           "spec": {"automountServiceAccountToken": False,
                    "containers": [{"name": "app", "image": image,
                                    "ports": [{"containerPort": 8080, "name": "http"}],
                                    "resources": {"requests": {"cpu": "100m", "memory": "64Mi"},
                                                  "limits": {"cpu": "500m", "memory": "128Mi"}}}]}}
    print(f'url = "{server}/api/v1/namespaces/{ns}/pods"')
    print(common)
    print('request = "POST"\nheader = "Content-Type: application/json"')
    print("data = " + json.dumps(json.dumps(pod)))
    if i < pods:
        print("next")
PY
    python3 - "$pods" "$ns" "$CANARY_TEST_APISERVER" >"$run/status-$pods.cfg" <<'PY'
import json, os, sys
pods, ns, server = int(sys.argv[1]), sys.argv[2], sys.argv[3]
common = f'cacert = "{os.environ["CANARY_TEST_CA"]}"\nheader = "Authorization: Bearer {os.environ["CANARY_TEST_ADMIN_TOKEN"]}"\noutput = "/dev/null"\nfail\nsilent\nshow-error'
t = "2026-12-03T00:00:00Z"
for i in range(1, pods + 1):
    status = {"status": {"phase": "Running", "hostIP": f"10.0.0.{i % 50}", "podIP": f"10.1.{i // 250}.{i % 250}",
              "podIPs": [{"ip": f"10.1.{i // 250}.{i % 250}"}], "qosClass": "Burstable", "startTime": t,
              "conditions": [{"type": c, "status": "True", "lastTransitionTime": t}
                             for c in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")],
              "containerStatuses": [{"name": "app", "image": "shop:1", "imageID": "registry.example/shop@sha256:" + "ab" * 32,
                                     "containerID": "containerd://" + f"{i:064x}", "ready": True, "started": True,
                                     "restartCount": 0, "state": {"running": {"startedAt": t}}}]}}
    print(f'url = "{server}/api/v1/namespaces/{ns}/pods/pod-{i}/status"')
    print(common)
    print('request = "PATCH"\nheader = "Content-Type: application/merge-patch+json"')
    print("data = " + json.dumps(json.dumps(status)))
    if i < pods:
        print("next")
PY
    # a request the busy API server turned away is sent again (a pod created already: 409)
    running=0
    for _ in 1 2 3; do
        for step in create status; do
            curl --no-progress-meter --parallel --parallel-max 16 -K "$run/$step-$pods.cfg" 2>/dev/null || true
        done
        running=$(kubectl -n "$ns" get pods --field-selector=status.phase=Running --no-headers | wc -l)
        [ "$running" -lt "$pods" ] || break
    done
    [ "$running" -eq "$pods" ] || { echo "only $running of $pods pods are Running" >&2; exit 1; }

    start_line=$(wc -l <"$CANARY_TEST_AUDIT_LOG")
    log="$run/watch-$pods.log"
    tmux -L "$session" -f /dev/null new-session -d -x 120 -y 40 \
        "XDG_STATE_HOME=$run/state $bin --log-file $log watch ingress/shop -n $ns --kubeconfig $KUBECONFIG --no-record"
    for _ in $(seq 1 300); do
        tmux -L "$session" capture-pane -p | grep -q "pod-1 " && break
        sleep 0.1
    done
    sleep 5
    pid=$(pgrep -f "^$bin --log-file $log" | head -1)
    startup_lists=$(count "$start_line" resource "$ns")
    startup=$(count "$start_line" verb "$ns")
    steady_line=$(wc -l <"$CANARY_TEST_AUDIT_LOG")
    cpu0=$(cpu_ns "$pid")
    sleep "$steady"
    cpu1=$(cpu_ns "$pid")
    steady_requests=$(count "$steady_line" verb "$ns")
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
    tmux -L "$session" send-keys q
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    tmux -L "$session" kill-server 2>/dev/null || true
    frames=$(grep -o 'frames drawn frames=[0-9]* median_us=[0-9]* max_us=[0-9]*' "$log" | tail -1)
    slow=$(grep -o 'slow frame frame=[0-9]* took_us=[0-9]*' "$log" | tr '\n' ' ' || true)
    python3 - <<PY
import json, re
lists = json.loads('$startup_lists')
# the release's own lists; the resource metrics (metrics.k8s.io) and the look for Prometheus in
# other namespaces are told apart in startup_lists_by_resource
release_lists = sum(n for k, n in lists.items() if " in " not in k and not k.endswith("metrics.k8s.io"))
f = dict(re.findall(r"(\w+)=(\d+)", "$frames"))
print(json.dumps({
    "pods": $pods, "release_pods": $pods // 2,
    "startup_lists": release_lists, "startup_lists_by_resource": lists,
    "startup_requests": json.loads('$startup'),
    "steady_seconds": $steady, "steady_requests": json.loads('$steady_requests'),
    "cpu_percent": round(($cpu1 - $cpu0) / ($steady * 1e9) * 100, 3),
    "rss_mb": round($rss / 1024, 1), "peak_rss_mb": round($hwm / 1024, 1),
    "frames": int(f.get("frames", 0)),
    "frame_median_ms": int(f.get("median_us", 0)) / 1000, "frame_max_ms": int(f.get("max_us", 0)) / 1000,
    # the frames over 1 ms: [frame number, ms]
    "slow_frames": [[int(n), int(us) / 1000] for n, us in re.findall(r"frame=(\d+) took_us=(\d+)", "$slow")],
}))
PY
    kubectl delete namespace "$ns" --wait=false >/dev/null
done
