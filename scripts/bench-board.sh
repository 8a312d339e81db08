#!/usr/bin/env bash
# The release board's budget, measured on the real control plane (scripts/control-plane.sh):
# 1,000 releases of every system in 100 namespaces, with 20,000 pods (made as objects: there is
# no kubelet), then `canary board` in tmux for 60 s of steady state. Prints one JSON line:
#
#   startup_lists         lists the board made at start (goal: one per watched kind, ≤ 12)
#   steady_requests       requests it made in 60 s of steady state, watches' reconnects included (goal: 0)
#   first_frame_ms        from the board's screen starting to the first frame with every list drawn (goal: ≤ 1000)
#   launch_to_frame_ms    from the process's launch to that frame (connecting included)
#   rss_mb, peak_mb       resident memory after the steady state, and its peak (goals: ≤ 40, ≤ 60)
#   frame_median_us, frame_max_us   frames drawn (render and write), from the log (goal: ≤ 2000)
#   steady_cpu_pct        CPU over the 60 s of steady state, in % of one core (goal: ≤ 0.2)
#
# Usage: scripts/bench-board.sh [BINARY]   (default: target/release/canary; build it with
# `cargo build --release`). An already running control plane is used when CANARY_TEST_KUBECONFIG
# is set (source DIR/env); else one is started in a temporary directory and stopped at the end.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-${CARGO_TARGET_DIR:-$here/../target}/release/canary}
[ -x "$bin" ] || { echo "no binary at $bin: cargo build --release" >&2; exit 2; }
STEADY=${BENCH_STEADY_SECONDS:-60}
NS=${BENCH_NAMESPACES:-100}
PER_NS=${BENCH_RELEASES_PER_NAMESPACE:-10}
PODS=${BENCH_PODS_PER_RELEASE:-20}

own_cp=""
if [ -z "${CANARY_TEST_KUBECONFIG:-}" ]; then
    own_cp=$(mktemp -d /tmp/bench-cp.XXXX)
    "$here/control-plane.sh" start "$own_cp" >&2
    # shellcheck disable=SC1091
    source "$own_cp/env"
fi
work=$(mktemp -d /tmp/bench-board.XXXX)
session="bench-board-$$"
cleanup() {
    tmux kill-session -t "$session" 2>/dev/null || true
    if [ -n "$own_cp" ]; then "$here/control-plane.sh" stop "$own_cp" >&2 || true; fi
}
trap cleanup EXIT

echo "== creating $((NS * PER_NS)) releases and $((NS * PER_NS * PODS)) pods in $NS namespaces" >&2
python3 - "$CANARY_TEST_APISERVER" "$CANARY_TEST_ADMIN_TOKEN" "$CANARY_TEST_CA" "$NS" "$PER_NS" "$PODS" <<'PY'
import json, ssl, sys, http.client, urllib.parse, threading, queue
server, token, ca, ns_count, per_ns, pods = sys.argv[1], sys.argv[2], sys.argv[3], *map(int, sys.argv[4:])
url = urllib.parse.urlparse(server)
ctx = ssl.create_default_context(cafile=ca)
jobs = queue.Queue()
errors = []

def worker():
    conn = http.client.HTTPSConnection(url.hostname, url.port, context=ctx)
    while True:
        job = jobs.get()
        if job is None:
            return
        path, body = job
        for _ in range(5):
            try:
                conn.request("POST", path, json.dumps(body), {
                    "Authorization": "Bearer " + token, "Content-Type": "application/json"})
                r = conn.getresponse(); data = r.read()
                if r.status not in (200, 201, 202, 409):
                    errors.append(f"{path}: {r.status} {data[:200]}")
                break
            except Exception as e:  # a dropped keep-alive: connect again
                conn = http.client.HTTPSConnection(url.hostname, url.port, context=ctx)
        jobs.task_done()

threads = [threading.Thread(target=worker, daemon=True) for _ in range(8)]
for t in threads: t.start()

def post(path, body): jobs.put((path, body))
def meta(name, **kw): return {"name": name, **kw}
def deploy(ns, name, version, replicas):
    post(f"/apis/apps/v1/namespaces/{ns}/deployments", {"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": meta(name), "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name, "version": version}},
                     "spec": {"containers": [{"name": "app", "image": f"{name}:{version}"}]}}}})
def service(ns, name, version):
    post(f"/api/v1/namespaces/{ns}/services", {"apiVersion": "v1", "kind": "Service", "metadata": meta(name),
        "spec": {"selector": {"app": name.split("-")[0], "version": version}, "ports": [{"port": 80}]}})
def custom(ns, group, version, plural, body):
    post(f"/apis/{group}/{version}/namespaces/{ns}/{plural}", body)

systems = ["nginx", "istio", "gateway", "argo", "kubesphere", "flagger", "traefik", "contour"]
for n in range(ns_count):
    ns = f"bench-{n:03d}"
    post("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": meta(ns)})
jobs.join()
for n in range(ns_count):
    ns = f"bench-{n:03d}"
    post(f"/api/v1/namespaces/{ns}/serviceaccounts", {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta("default")})
jobs.join()
for n in range(ns_count):
    ns = f"bench-{n:03d}"
    for i in range(per_ns):
        system = systems[(n * per_ns + i) % len(systems)]
        app = f"app{i}"
        primary, canary = app, f"{app}-canary"
        w = (i * 10) % 100
        if system == "nginx":
            service(ns, primary, "v1"); service(ns, canary, "v2")
            deploy(ns, primary, "v1", 3); deploy(ns, canary, "v2", 1)
            for name, svc, ann in [(primary, primary, {}), (canary, canary, {
                    "nginx.ingress.kubernetes.io/canary": "true",
                    "nginx.ingress.kubernetes.io/canary-weight": str(w)})]:
                post(f"/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses", {"apiVersion": "networking.k8s.io/v1",
                    "kind": "Ingress", "metadata": meta(name, annotations=ann), "spec": {"rules": [{"host": f"{app}.example",
                    "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": svc, "port": {"number": 80}}}}]}}]}})
        elif system == "istio":
            custom(ns, "networking.istio.io", "v1", "virtualservices", {"apiVersion": "networking.istio.io/v1",
                "kind": "VirtualService", "metadata": meta(app), "spec": {"hosts": [app], "http": [{"route": [
                {"destination": {"host": primary}, "weight": 100 - w}, {"destination": {"host": canary}, "weight": w}]}]}})
            deploy(ns, primary, "v1", 3); deploy(ns, canary, "v2", 1)
        elif system == "gateway":
            custom(ns, "gateway.networking.k8s.io", "v1", "httproutes", {"apiVersion": "gateway.networking.k8s.io/v1",
                "kind": "HTTPRoute", "metadata": meta(app), "spec": {"parentRefs": [{"name": "gw"}], "rules": [{"backendRefs": [
                {"name": primary, "port": 80, "weight": 100 - w}, {"name": canary, "port": 80, "weight": w}]}]}})
            deploy(ns, primary, "v1", 3); deploy(ns, canary, "v2", 1)
        elif system == "argo":
            custom(ns, "argoproj.io", "v1alpha1", "rollouts", {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                "metadata": meta(app), "spec": {"replicas": 3, "selector": {"matchLabels": {"app": app}},
                "template": {"metadata": {"labels": {"app": app}}, "spec": {"containers": [{"name": "app", "image": f"{app}:2"}]}},
                "strategy": {"canary": {"canaryService": canary, "stableService": primary,
                "steps": [{"setWeight": 20}, {"pause": {}}, {"setWeight": 50}]}}}})
        elif system == "kubesphere":
            custom(ns, "servicemesh.kubesphere.io", "v1alpha2", "strategies", {"apiVersion": "servicemesh.kubesphere.io/v1alpha2",
                "kind": "Strategy", "metadata": meta(app), "spec": {"type": "Canary", "principal": "v1",
                "strategyPolicy": "Immediately", "selector": {"matchLabels": {"app": app}},
                "template": {"spec": {"hosts": [app], "http": [{"route": [
                {"destination": {"host": app, "subset": "v1"}, "weight": 100 - w},
                {"destination": {"host": app, "subset": "v2"}, "weight": w}]}]}}}})
        elif system == "flagger":
            deploy(ns, app, "v2", 1); deploy(ns, f"{app}-primary", "v1", 3)
            custom(ns, "flagger.app", "v1beta1", "canaries", {"apiVersion": "flagger.app/v1beta1", "kind": "Canary",
                "metadata": meta(app), "spec": {"targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": app},
                "service": {"port": 80}, "analysis": {"interval": "1m", "threshold": 5, "maxWeight": 50, "stepWeight": 10}}})
        elif system == "traefik":
            custom(ns, "traefik.io", "v1alpha1", "traefikservices", {"apiVersion": "traefik.io/v1alpha1",
                "kind": "TraefikService", "metadata": meta(app), "spec": {"weighted": {"services": [
                {"name": primary, "port": 80, "weight": 100 - w}, {"name": canary, "port": 80, "weight": w}]}}})
            deploy(ns, primary, "v1", 3); deploy(ns, canary, "v2", 1)
        elif system == "contour":
            custom(ns, "projectcontour.io", "v1", "httpproxies", {"apiVersion": "projectcontour.io/v1",
                "kind": "HTTPProxy", "metadata": meta(app), "spec": {"virtualhost": {"fqdn": f"{app}.example"},
                "routes": [{"services": [{"name": primary, "port": 80, "weight": 100 - w},
                {"name": canary, "port": 80, "weight": w}]}]}})
            deploy(ns, primary, "v1", 3); deploy(ns, canary, "v2", 1)
        for p in range(pods):
            version = "v2" if p % 4 == 0 else "v1"
            post(f"/api/v1/namespaces/{ns}/pods", {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": f"{app}-{version}-{p}", "labels": {"app": app, "version": version}},
                "spec": {"automountServiceAccountToken": False, "containers": [{"name": "app", "image": f"{app}:{version}"}]}})
jobs.join()
for _ in threads: jobs.put(None)
if errors:
    print(f"{len(errors)} objects were not created, e.g. {errors[:3]}", file=sys.stderr)
    sys.exit(1)
PY

audit=$CANARY_TEST_AUDIT_LOG
log="$work/canary.log"
mark=$(wc -l <"$audit")
start_ms=$(date +%s%3N)
tmux new-session -d -s "$session" -x 200 -y 60 \
    "XDG_STATE_HOME='$work/state' '$bin' --log-file '$log' board --kubeconfig '$CANARY_TEST_KUBECONFIG'"
pid=""
for _ in $(seq 100); do
    pid=$(pgrep -n -f "^$bin --log-file $log" || true)
    [ -n "$pid" ] && break
    sleep 0.1
done
[ -n "$pid" ] || { echo "the board did not start" >&2; exit 1; }
for _ in $(seq 300); do
    grep -q "board: first full frame" "$log" 2>/dev/null && break
    sleep 0.1
done
grep -q "board: first full frame" "$log" || { echo "no full frame within 30 s" >&2; tmux capture-pane -p -t "$session" >&2; exit 1; }
# settle, then the steady state
sleep 5
steady_mark=$(wc -l <"$audit")
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
cpu0=$(ticks); t0=$(date +%s%N)
sleep "$STEADY"
cpu1=$(ticks); t1=$(date +%s%N)
steady_end=$(wc -l <"$audit")
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
hwm_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
tmux capture-pane -p -t "$session" >"$work/screen.txt"
tmux send-keys -t "$session" q
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done

python3 - "$audit" "$mark" "$steady_mark" "$steady_end" "$log" "$start_ms" "$cpu0" "$cpu1" "$t0" "$t1" "$rss_kb" "$hwm_kb" "$(getconf CLK_TCK)" <<'PY'
import json, sys, re, datetime
audit, mark, steady_mark, steady_end, log, start_ms = sys.argv[1], *map(int, sys.argv[2:5]), sys.argv[5], int(sys.argv[6])
cpu0, cpu1, t0, t1, rss, hwm, hz = map(int, sys.argv[7:14])
def ours(lines):
    out = []
    for line in lines:
        try: e = json.loads(line)
        except ValueError: continue
        if "canary-cockpit" in e.get("userAgent", "") and e.get("stage") in ("ResponseComplete", "ResponseStarted", "Panic"):
            out.append(e)
    return out
lines = open(audit).read().splitlines()
startup = ours(lines[mark:steady_mark])
# one event per request: a watch logs ResponseStarted, the rest ResponseComplete
startup_lists = len({e["auditID"] for e in startup if e.get("verb") == "list"})
steady = {e["auditID"] for e in ours(lines[steady_mark:steady_end])}
text = open(log).read()
after_ms = rows = stamp = None
for l in text.splitlines():
    if "board: first full frame" in l:
        after_ms = int(re.search(r"after_ms=(\d+)", l).group(1))
        rows = int(re.search(r"rows=(\d+)", l).group(1))
        m = re.search(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?)", l)
        stamp = datetime.datetime.fromisoformat(m.group(1) + "+00:00") if m else None
        break
launch_to_frame = int(stamp.timestamp() * 1000) - start_ms if stamp else None
frames = re.findall(r"median_us=(\d+) max_us=(\d+)", text)
median, mx = (int(frames[-1][0]), int(frames[-1][1])) if frames else (None, None)
cpu_pct = (cpu1 - cpu0) / hz / ((t1 - t0) / 1e9) * 100
print(json.dumps({
    "releases_on_board": rows, "startup_lists": startup_lists, "steady_requests": len(steady),
    "first_frame_ms": after_ms, "launch_to_frame_ms": launch_to_frame,
    "rss_mb": round(rss / 1024, 1), "peak_mb": round(hwm / 1024, 1),
    "frame_median_us": median, "frame_max_us": mx, "steady_cpu_pct": round(cpu_pct, 3)}))
PY
