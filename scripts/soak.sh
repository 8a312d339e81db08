#!/usr/bin/env bash
# A night-long session, shortened: does the cockpit's memory stay flat, and how fast does its
# recording grow? A bench script, not run by CI. One JSON line per part, then a table.
#
#   scripts/soak.sh [LIVE_SECONDS] [DEMO_HOURS] [DEMO_SPEED]     (defaults: 600, 24, 480)
#
# 1. demo: `canary demo --headless --for 24h` runs the simulated release for 24 virtual hours
#    (the same session, app and recorder as the cockpit's demo; the release ends early and the
#    session goes on as a cockpit left open does), at DEMO_SPEED virtual seconds per second, with
#    its recording. RSS is read after the first minute and at the end.
# 2. live: `canary watch ingress/shop` in a terminal (tmux) for LIVE_SECONDS against a namespace
#    of the real control plane (scripts/control-plane.sh) where a pod of the release is created
#    and another deleted every second and 100 Warning events a second arrive about the release's
#    pods. RSS after the first minute and at the end; the recording's size per hour.
# 3. replay: the replay screen of an 8-hour recording (made by the demo at full speed): RSS once
#    it is open and after a seek to the end.
#
# Goals (issue 25): RSS at the end within 10 % of RSS after the first minute; the replay screen
# of an 8-hour recording under 100 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
live_secs="${1:-600}"
demo_hours="${2:-24}"
demo_speed="${3:-480}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/canary-cockpit/target}"
if [ -z "${CANARY:-}" ]; then
    cargo build --release -j"${CARGO_BUILD_JOBS:-2}" --bin canary >/dev/null 2>&1
    CANARY="$CARGO_TARGET_DIR/release/canary"
fi
command -v tmux >/dev/null || { echo "soak: tmux is needed" >&2; exit 1; }

run="$(mktemp -d "${TMPDIR:-/tmp}/canary-soak.XXXXXX")"
session="canary-soak-$$"
churn_pid=""
cleanup() {
    [ -z "$churn_pid" ] || kill "$churn_pid" 2>/dev/null || true
    tmux -L "$session" kill-server 2>/dev/null || true
    [ ! -f "$run/cp/env" ] || scripts/control-plane.sh stop "$run/cp" >/dev/null 2>&1 || true
    rm -rf "$run"
}
trap cleanup EXIT

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# `follow PID SECONDS`: RSS (kB) after 60 s and at the last sample before SECONDS or the end
follow() {
    local pid=$1 secs=$2 first=0 last=0 t=0
    while [ "$t" -lt "$secs" ] && kill -0 "$pid" 2>/dev/null; do
        sleep 1
        t=$((t + 1))
        local now
        now=$(rss_kb "$pid")
        [ "${now:-0}" -gt 0 ] || break
        last=$now
        [ "$t" -ne 60 ] || first=$now
    done
    [ "$first" -gt 0 ] || first=$last
    echo "$first $last $t"
}
rows=()
line() { # name, seconds, rss after the first minute, rss at the end, peak, bytes per hour, note
    local change
    change=$(awk -v a="$3" -v b="$4" 'BEGIN { if (a > 0) printf "%.1f", (b - a) * 100 / a; else print "null" }')
    python3 -c 'import json, sys; a = sys.argv; print(json.dumps({"part": a[1], "seconds": int(a[2]), "rss_mb_after_1_min": float(a[3]), "rss_mb_at_end": float(a[4]), "rss_change_percent": None if a[5] == "null" else float(a[5]), "peak_rss_mb": float(a[6]), "recording_bytes_per_hour": None if a[7] == "-" else int(a[7]), "note": a[8]}))' \
        "$1" "$2" "$(mb "$3")" "$(mb "$4")" "$change" "$(mb "$5")" "$6" "$7"
    rows+=("| $1 | $2 | $(mb "$3") | $(mb "$4") | $change % | $(mb "$5") | $6 | $7 |")
}

# --- 1. the demo, 24 virtual hours ---------------------------------------------------------
demo_rec="$run/demo.jsonl.zst"
start=$(date +%s)
/usr/bin/time -v -o "$run/demo.time" "$CANARY" --log-file "$run/demo.log" demo --headless \
    --scenario healthy-v2 --seed 7 --speed "$demo_speed" --for "${demo_hours}h" \
    --record "$demo_rec" >"$run/demo.out" 2>&1 &
timer=$!
pid=""
for _ in $(seq 1 50); do
    pid=$(pgrep -P "$timer" || true)
    [ -z "$pid" ] || break
    sleep 0.1
done
read -r first last _ < <(follow "$pid" 1000000)
wait "$timer" || true
peak=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$run/demo.time")
secs=$(($(date +%s) - start))
bytes=$(stat -c %s "$demo_rec")
per_hour=$((bytes / demo_hours))
outcome=$(tail -n 1 "$run/demo.out")
line "demo ${demo_hours} h at ${demo_speed}x" "$secs" "$first" "$last" "$peak" "$per_hour" \
    "$outcome; $(($(zstdcat "$demo_rec" 2>/dev/null | wc -l))) recorded lines"

# --- 2. a live watch under churn -----------------------------------------------------------
scripts/control-plane.sh start "$run/cp" >/dev/null
# shellcheck source=/dev/null
source "$run/cp/env"
ns="soak"
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
# the churn: every second a pod of the release is created and the one made 10 s earlier
# deleted; 100 Warning events a second about the release's pods, spread over the second
cat >"$run/churn.py" <<'PY'
import http.client, json, os, ssl, sys, time
ns = sys.argv[1]
server = os.environ["CANARY_TEST_APISERVER"].removeprefix("https://")
ctx = ssl.create_default_context(cafile=os.environ["CANARY_TEST_CA"])
auth = {"Authorization": "Bearer " + os.environ["CANARY_TEST_ADMIN_TOKEN"],
        "Content-Type": "application/json"}
conn = http.client.HTTPSConnection(server, context=ctx)
def call(method, path, body=None):
    global conn
    for _ in range(2):
        try:
            conn.request(method, path, body=None if body is None else json.dumps(body), headers=auth)
            r = conn.getresponse()
            r.read()
            return r.status
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPSConnection(server, context=ctx)
    return 0
def pod(name, version):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "labels": {"app": "shop", "version": version}},
            "spec": {"automountServiceAccountToken": False,
                     "containers": [{"name": "app", "image": f"shop:{version}"}]}}
for v in ("v1", "v2"):
    for i in range(3):
        call("POST", f"/api/v1/namespaces/{ns}/pods", pod(f"steady-{v}-{i}", v))
n, events, pods_made = 0, 0, 0
start = time.monotonic()
while True:
    second = start + n
    v = "v2" if n % 2 else "v1"
    call("POST", f"/api/v1/namespaces/{ns}/pods", pod(f"churn-{n}", v))
    pods_made += 1
    if n >= 10:
        call("DELETE", f"/api/v1/namespaces/{ns}/pods/churn-{n - 10}")
    for k in range(100):
        target = f"steady-{'v1' if k % 2 else 'v2'}-{k % 3}"
        call("POST", f"/api/v1/namespaces/{ns}/events", {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"soak-{n}-{k}"},
            "involvedObject": {"kind": "Pod", "namespace": ns, "name": target},
            "type": "Warning", "reason": "BackOff",
            "message": f"Back-off restarting failed container app ({n}.{k})",
            "firstTimestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "lastTimestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "count": 1, "source": {"component": "soak"}})
        events += 1
    n += 1
    with open(sys.argv[2], "w") as f:
        f.write(f"{n} {pods_made} {events} {time.monotonic() - start:.1f}\n")
    pause = start + n - time.monotonic()
    if pause > 0:
        time.sleep(pause)
PY
python3 "$run/churn.py" "$ns" "$run/churn.count" &
churn_pid=$!
sleep 3
live_rec="$run/watch.jsonl.zst"
tmux -L "$session" -f /dev/null new-session -d -x 120 -y 40 \
    "exec env XDG_STATE_HOME=$run/state $CANARY --log-file $run/watch.log watch ingress/shop -n $ns --kubeconfig $KUBECONFIG --no-prometheus --record $live_rec"
pid=$(tmux -L "$session" list-panes -F '#{pane_pid}')
start=$(date +%s)
read -r first last _ < <(follow "$pid" "$live_secs")
peak=$(hwm_kb "$pid")
secs=$(($(date +%s) - start))
tmux -L "$session" send-keys q
sleep 2
tmux -L "$session" kill-server 2>/dev/null || true
kill "$churn_pid" 2>/dev/null || true
wait "$churn_pid" 2>/dev/null || true
churn_pid=""
read -r rounds pods_made events elapsed <"$run/churn.count"
bytes=$(stat -c %s "$live_rec")
per_hour=$((bytes * 3600 / (secs > 0 ? secs : 1)))
rate=$(awk -v e="$events" -v s="$elapsed" 'BEGIN { printf "%.0f", e / s }')
line "live watch, churn" "$secs" "$first" "$last" "$peak" "$per_hour" \
    "$pods_made pods created, $events Warning events ($rate/s) in ${elapsed} s"

# --- 3. the replay screen of an 8-hour recording -------------------------------------------
rec8="$run/eight-hours.jsonl.zst"
"$CANARY" --log-file "$run/demo8.log" demo --headless --scenario faulty-v2 --seed 3 \
    --speed max --for 8h --record "$rec8" >/dev/null 2>&1 || true
tmux -L "$session" -f /dev/null new-session -d -x 120 -y 40 \
    "exec env XDG_STATE_HOME=$run/state $CANARY --log-file $run/replay.log replay $rec8"
pid=$(tmux -L "$session" list-panes -F '#{pane_pid}')
for _ in $(seq 1 100); do
    [ -z "$(tmux -L "$session" capture-pane -p | tr -d ' \n')" ] || break
    sleep 0.1
done
sleep 2
opened=$(rss_kb "$pid")
tmux -L "$session" send-keys End
sleep 3
at_end=$(rss_kb "$pid")
peak=$(hwm_kb "$pid")
tmux -L "$session" send-keys q
sleep 1
line "replay screen, 8 h recording" 0 "$opened" "$at_end" "$peak" "-" \
    "$(stat -c %s "$rec8") bytes, $(zstdcat "$rec8" | wc -l) lines; RSS opened, then after End"

echo
echo "| part | seconds | RSS after 1 min (MB) | RSS at end (MB) | change | peak (MB) | recording bytes/hour | note |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
