#!/usr/bin/env bash
# A real Kubernetes control plane on loopback for the test suite: etcd, kube-apiserver and
# kube-controller-manager (no scheduler, no kubelet: pods stay Pending unless a test patches them).
#
#   scripts/control-plane.sh build            install packages, fetch + patch + build Kubernetes 1.20.2 once
#   scripts/control-plane.sh start RUN_DIR    build if needed, start everything, wait until ready
#   scripts/control-plane.sh stop RUN_DIR     kill what `start` started (by pid files)
#   scripts/control-plane.sh status RUN_DIR   exit 0 when all three processes are alive
#
# The binaries are cached in $CANARY_KUBE_CACHE/bin (default ~/.cache/canary-cockpit/kube-1.20.2/bin).
# See docs/control-plane.md.
set -euo pipefail

KUBE_VERSION=1.20.2
DEB_SOURCE=kubernetes
CACHE="${CANARY_KUBE_CACHE:-$HOME/.cache/canary-cockpit/kube-$KUBE_VERSION}"
BIN="$CACHE/bin"
STAMP="$CACHE/stamp"
GO_ROOT=/usr/lib/go-1.19
REFLECT2_SRC=/usr/share/gocode/src/github.com/modern-go/reflect2
BINARIES=(kube-apiserver kube-controller-manager)
BUILD_PACKAGES=(golang-1.19-go golang-github-modern-go-reflect2-dev rsync make dpkg-dev ca-certificates)
RUN_PACKAGES=(etcd-server openssl curl python3)
# Controllers that need nodes, a cloud or volumes are left out; everything that turns a Deployment
# into a ReplicaSet and Pods (and creates service accounts and their tokens) stays in.
CONTROLLERS='*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-route,-service,-persistentvolume-binder,-attachdetach,-persistentvolume-expander,-pv-protection,-ttl'
READY_TIMEOUT="${CANARY_KUBE_READY_TIMEOUT:-90}"

log() { echo "== $*" >&2; }
die() { echo "control-plane: error: $*" >&2; exit 1; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing_packages() {
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
    done
}

ensure_packages() {
    local missing
    mapfile -t missing < <(missing_packages "$@")
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq || die "apt-get update failed"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        || die "apt-get install ${missing[*]} failed"
}

binaries_cached() {
    [ -f "$STAMP" ] || return 1
    local b
    for b in "${BINARIES[@]}"; do [ -x "$BIN/$b" ] || return 1; done
}

# The Debian mirror this machine uses (deb822 .sources or one-line .list), deb.debian.org otherwise.
debian_mirror() {
    if [ -n "${CANARY_DEBIAN_MIRROR:-}" ]; then echo "$CANARY_DEBIAN_MIRROR"; return; fi
    local f url
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        url=$(awk '
            /^[[:space:]]*$/ { if (uri != "" && suite) { print uri; exit } uri=""; suite=0; next }
            /^URIs:/ { uri=$2 }
            /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") suite=1 }
            END { if (uri != "" && suite) print uri }' "$f" | head -n1)
        [ -n "$url" ] && { echo "$url"; return; }
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        url=$(awk '$1 == "deb" && / bookworm / { for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) { print $i; exit } }' "$f")
        [ -n "$url" ] && { echo "$url"; return; }
    done
    echo http://deb.debian.org/debian
}

# Download and unpack Debian's source package into $CACHE/src without touching the system's apt lists.
fetch_source() {
    local src="$CACHE/src" apt_dir="$CACHE/src/apt" mirror
    mirror=$(debian_mirror)
    rm -rf "$src"
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$src/dl"
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm main" >"$apt_dir/sources.list"
    local apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache")
    log "fetching Debian source package '$DEB_SOURCE' from $mirror"
    as_root apt-get "${apt_opts[@]}" update -qq || die "apt-get update (private deb-src list) failed"
    (cd "$src/dl" && apt-get "${apt_opts[@]}" source --download-only "$DEB_SOURCE") \
        || die "apt-get source --download-only $DEB_SOURCE failed"
    local dsc
    dsc=$(find "$src/dl" -maxdepth 1 -name "${DEB_SOURCE}_*.dsc" | head -n1)
    [ -n "$dsc" ] || die "no .dsc downloaded for $DEB_SOURCE"
    case "$dsc" in *"really$KUBE_VERSION"* | *"_$KUBE_VERSION"*) ;; *) log "warning: $(basename "$dsc") is not Kubernetes $KUBE_VERSION" ;; esac
    log "unpacking $(basename "$dsc")"
    dpkg-source -x "$dsc" "$src/tree" >/dev/null || die "dpkg-source -x failed"
    rm -rf "$src/dl"
    [ -d "$src/tree/vendor" ] || die "unpacked tree has no vendor/ directory"
}

# reflect2 1.0.1 (vendored) uses runtime internals that changed in Go 1.18; 1.0.2 from Debian works.
patch_reflect2() {
    local dst="$CACHE/src/tree/vendor/github.com/modern-go/reflect2"
    [ -d "$dst" ] || die "vendored reflect2 not found at $dst"
    [ -d "$REFLECT2_SRC" ] || die "$REFLECT2_SRC missing (golang-github-modern-go-reflect2-dev)"
    log "replacing vendored modern-go/reflect2 with Debian's $(dpkg-query -W -f='${Version}' golang-github-modern-go-reflect2-dev)"
    find "$dst" -maxdepth 1 \( -name '*.go' -o -name '*.s' \) -delete
    find "$REFLECT2_SRC" -maxdepth 1 \( -name '*.go' -o -name '*.s' \) ! -name '*_test.go' -exec cp {} "$dst/" \;
}

compile() {
    local tree="$CACHE/src/tree" jobs
    jobs="${CANARY_KUBE_BUILD_JOBS:-$(($(nproc) > 1 ? $(nproc) - 1 : 1))}"
    export PATH="$GO_ROOT/bin:$PATH" CGO_ENABLED=0 GOFLAGS="-p=$jobs"
    export GOCACHE="$CACHE/src/gocache" GOPATH="$CACHE/src/gopath" GOTMPDIR=""
    mkdir -p "$GOCACHE" "$GOPATH"
    log "building with $(go version) (-p=$jobs); this takes several minutes"
    local what
    for what in "${BINARIES[@]}"; do
        local t0=$SECONDS
        log "make WHAT=cmd/$what"
        make -C "$tree" WHAT="cmd/$what" KUBE_VERBOSE=1 || die "make WHAT=cmd/$what failed"
        log "cmd/$what built in $((SECONDS - t0)) s"
    done
    mkdir -p "$BIN"
    for what in "${BINARIES[@]}"; do
        local out
        out=$(find "$tree/_output" -type f -name "$what" -perm -u+x | head -n1)
        [ -n "$out" ] || die "built binary $what not found under $tree/_output"
        install -m 0755 "$out" "$BIN/$what.tmp" && mv "$BIN/$what.tmp" "$BIN/$what"
    done
}

cmd_build() {
    ensure_packages "${RUN_PACKAGES[@]}"
    if binaries_cached; then
        echo "binaries: $BIN (cached)"
        return 0
    fi
    mkdir -p "$CACHE"
    exec 9>"$CACHE/.build.lock"
    flock 9
    if binaries_cached; then # built by a concurrent run while we waited for the lock
        exec 9>&-
        echo "binaries: $BIN (cached)"
        return 0
    fi
    local t0=$SECONDS
    ensure_packages "${BUILD_PACKAGES[@]}"
    fetch_source
    patch_reflect2
    compile
    {
        echo "kubernetes $KUBE_VERSION from Debian source package $DEB_SOURCE"
        echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) with $("$GO_ROOT/bin/go" version) in $((SECONDS - t0)) s"
        for b in "${BINARIES[@]}"; do echo "$b $("$BIN/$b" --version 2>&1 | head -n1)"; done
    } >"$STAMP"
    if [ "${KEEP_SOURCE:-0}" = 1 ]; then
        log "KEEP_SOURCE=1: keeping $CACHE/src"
    else
        chmod -R u+w "$CACHE/src" 2>/dev/null || true
        rm -rf "$CACHE/src"
    fi
    log "built in $((SECONDS - t0)) s"
    exec 9>&-
    echo "binaries: $BIN"
}

# --- running -----------------------------------------------------------------------------------

COMPONENTS=(etcd kube-apiserver kube-controller-manager)

# pid of a component if its pid file names a live process of that component
live_pid() {
    local run="$1" name="$2" pid
    [ -f "$run/$name.pid" ] || return 1
    pid=$(cat "$run/$name.pid")
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$name" || return 1
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
    echo "$pid"
}

stop_component() {
    local run="$1" name="$2" pid i
    if pid=$(live_pid "$run" "$name"); then
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 100); do
            live_pid "$run" "$name" >/dev/null || break
            sleep 0.1
        done
        if live_pid "$run" "$name" >/dev/null; then
            log "$name ($pid) did not stop on SIGTERM, sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.2
        fi
    fi
    rm -f "$run/$name.pid"
}

cmd_stop() {
    local run="$1" i
    [ -d "$run" ] || die "no such run directory: $run"
    for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do stop_component "$run" "${COMPONENTS[$i]}"; done
    echo "stopped: $run"
}

cmd_status() {
    local run="$1" name pid ok=0
    for name in "${COMPONENTS[@]}"; do
        if pid=$(live_pid "$run" "$name"); then echo "$name: running ($pid)"; else echo "$name: not running"; ok=1; fi
    done
    return $ok
}

# start a component detached from this script (own session, no inherited stdio)
launch() {
    local run="$1" name="$2"
    shift 2
    setsid "$@" </dev/null >"$run/$name.log" 2>&1 9>&- &
    echo $! >"$run/$name.pid"
}

fail_start() {
    local run="$1" name="$2" msg="$3"
    echo "control-plane: error: $msg" >&2
    if [ -f "$run/$name.log" ]; then
        echo "---- last lines of $run/$name.log ----" >&2
        tail -n 40 "$run/$name.log" >&2
        echo "----" >&2
    fi
    cmd_stop "$run" >/dev/null 2>&1 || true
    exit 1
}

# wait_for RUN NAME DESCRIPTION COMMAND...: poll COMMAND until it succeeds, the component dies or time is up
wait_for() {
    local run="$1" name="$2" what="$3" deadline=$((SECONDS + READY_TIMEOUT))
    shift 3
    until "$@" >/dev/null 2>&1; do
        live_pid "$run" "$name" >/dev/null || fail_start "$run" "$name" "$name exited while waiting for $what"
        [ $SECONDS -lt $deadline ] || fail_start "$run" "$name" "timed out after ${READY_TIMEOUT}s waiting for $what"
        sleep 0.2
    done
}

free_ports() {
    python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

make_pki() {
    local pki="$1"
    mkdir -p "$pki"
    (
        cd "$pki"
        openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
            -subj "/CN=canary-test-ca" -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
        cat >apiserver.ext <<'EOF'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc
EOF
        openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
            -extfile apiserver.ext -out apiserver.crt 2>/dev/null
        # the aggregator's client identity towards extension API servers (front proxy)
        openssl req -x509 -newkey rsa:2048 -nodes -keyout front-proxy-ca.key -out front-proxy-ca.crt -days 3650 \
            -subj "/CN=canary-test-front-proxy-ca" -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -keyout front-proxy-client.key -out front-proxy-client.csr \
            -subj "/CN=front-proxy-client" 2>/dev/null
        printf '%s\n' basicConstraints=CA:FALSE keyUsage=critical,digitalSignature,keyEncipherment \
            extendedKeyUsage=clientAuth >front-proxy-client.ext
        openssl x509 -req -in front-proxy-client.csr -CA front-proxy-ca.crt -CAkey front-proxy-ca.key \
            -CAcreateserial -days 3650 -extfile front-proxy-client.ext -out front-proxy-client.crt 2>/dev/null
        openssl genrsa -out sa.key 2048 2>/dev/null
        openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
        chmod 600 ./*.key
    ) || die "openssl failed to create certificates in $pki"
}

write_kubeconfig() {
    local file="$1" server="$2" ca="$3" user="$4" token="$5"
    cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: canary-test
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 <"$ca")
users:
- name: $user
  user:
    token: $token
contexts:
- name: canary-test
  context:
    cluster: canary-test
    user: $user
    namespace: default
current-context: canary-test
EOF
    chmod 600 "$file"
}

cmd_start() {
    local run="$1"
    mkdir -p "$run"
    run=$(cd "$run" && pwd)
    local name
    for name in "${COMPONENTS[@]}"; do
        live_pid "$run" "$name" >/dev/null && die "$name is already running for $run (stop it first)"
    done
    binaries_cached || cmd_build
    ensure_packages "${RUN_PACKAGES[@]}"
    local t0=$EPOCHREALTIME ports etcd_port peer_port api_port t_etcd t_api
    ports=$(free_ports 3)
    read -r etcd_port peer_port api_port <<<"$ports"
    local server="https://127.0.0.1:$api_port" pki="$run/pki"

    rm -rf "$pki" "$run/etcd-data"
    make_pki "$pki"
    cp "$pki/ca.crt" "$run/ca.crt"
    local admin_token restricted_token
    admin_token=$(openssl rand -hex 24)
    restricted_token=$(openssl rand -hex 24)
    printf '%s\n' "$admin_token" >"$run/admin.token"
    printf '%s\n' "$restricted_token" >"$run/restricted.token"
    {
        echo "$admin_token,canary-admin,canary-admin-uid,\"system:masters\""
        echo "$restricted_token,canary-restricted,canary-restricted-uid"
    } >"$pki/tokens.csv"
    chmod 600 "$run/admin.token" "$run/restricted.token" "$pki/tokens.csv"
    write_kubeconfig "$run/kubeconfig" "$server" "$pki/ca.crt" canary-admin "$admin_token"
    write_kubeconfig "$run/kubeconfig-restricted" "$server" "$pki/ca.crt" canary-restricted "$restricted_token"

    launch "$run" etcd /usr/bin/etcd --name canary-test --data-dir "$run/etcd-data" \
        --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
        --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
        --initial-cluster "canary-test=http://127.0.0.1:$peer_port" --initial-cluster-state new \
        --logger zap --log-outputs stderr --log-level warn
    wait_for "$run" etcd "etcd health" sh -c "curl -fsS http://127.0.0.1:$etcd_port/health | grep -q '\"health\":\"true\"'"
    t_etcd=$EPOCHREALTIME

    # every request, once, with who made it: tests count the cockpit's requests from this log
    cat >"$run/audit-policy.yaml" <<'POLICY'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
POLICY
    launch "$run" kube-apiserver "$BIN/kube-apiserver" \
        --etcd-servers "http://127.0.0.1:$etcd_port" \
        --advertise-address 127.0.0.1 --bind-address 127.0.0.1 --secure-port "$api_port" --insecure-port 0 \
        --cert-dir "$pki" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
        --client-ca-file "$pki/ca.crt" --token-auth-file "$pki/tokens.csv" \
        --authorization-mode Node,RBAC --allow-privileged=true \
        --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
        --service-account-issuer https://kubernetes.default.svc \
        --service-cluster-ip-range 10.0.0.0/24 --endpoint-reconciler-type none \
        --audit-policy-file "$run/audit-policy.yaml" --audit-log-path "$run/audit.log" \
        --audit-log-format json \
        --requestheader-client-ca-file "$pki/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
        --requestheader-extra-headers-prefix X-Remote-Extra- --requestheader-group-headers X-Remote-Group \
        --requestheader-username-headers X-Remote-User \
        --proxy-client-cert-file "$pki/front-proxy-client.crt" --proxy-client-key-file "$pki/front-proxy-client.key" \
        --enable-aggregator-routing=true
    wait_for "$run" kube-apiserver "kube-apiserver /readyz" sh -c \
        "curl -fsS --cacert '$pki/ca.crt' -H 'Authorization: Bearer $admin_token' '$server/readyz' | grep -qx ok"
    t_api=$EPOCHREALTIME

    write_kubeconfig "$run/controller-manager.kubeconfig" "$server" "$pki/ca.crt" canary-admin "$admin_token"
    launch "$run" kube-controller-manager "$BIN/kube-controller-manager" \
        --kubeconfig "$run/controller-manager.kubeconfig" --leader-elect=false \
        --use-service-account-credentials=true --controllers "$CONTROLLERS" \
        --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
        --cluster-signing-cert-file "$pki/ca.crt" --cluster-signing-key-file "$pki/ca.key" \
        --port 0 --secure-port 0
    # Pods are only admitted once the namespace's default ServiceAccount has its token secret.
    wait_for "$run" kube-controller-manager "the default ServiceAccount and its token" sh -c \
        "curl -fsS --cacert '$pki/ca.crt' -H 'Authorization: Bearer $admin_token' \
            '$server/api/v1/namespaces/default/serviceaccounts/default' | grep -q '\"secrets\"'"

    cat >"$run/env" <<EOF
export KUBECONFIG='$run/kubeconfig'
export CANARY_TEST_APISERVER='$server'
export CANARY_TEST_KUBECONFIG='$run/kubeconfig'
export CANARY_TEST_KUBECONFIG_RESTRICTED='$run/kubeconfig-restricted'
export CANARY_TEST_CA='$run/ca.crt'
export CANARY_TEST_ADMIN_TOKEN='$admin_token'
export CANARY_TEST_RESTRICTED_TOKEN='$restricted_token'
export CANARY_TEST_CONTEXT='canary-test'
export CANARY_TEST_AUDIT_LOG='$run/audit.log'
export CANARY_TEST_RUN_DIR='$run'
EOF
    log "$(awk -v a="$t0" -v e="$t_etcd" -v k="$t_api" -v z="$EPOCHREALTIME" 'BEGIN {
        printf "control plane up in %.1f s (etcd %.1f s, kube-apiserver %.1f s, controller-manager + default token %.1f s)", z - a, e - a, k - e, z - k }')"
    install_crds "$run" "$server" "$pki/ca.crt" "$admin_token"
    log "etcd 127.0.0.1:$etcd_port, kube-apiserver $server, run dir $run"
    echo "ready: $server"
}

# The test CRDs (tests/fixtures/crds/*.yaml, one or more documents each), posted as YAML; then
# wait until every group/version they define is served.
install_crds() {
    local run="$1" server="$2" ca="$3" token="$4" dir file doc n gvs gv
    dir="$(cd "$(dirname "$0")/.." && pwd)/tests/fixtures/crds"
    [ -d "$dir" ] || return 0
    for file in "$dir"/*.yaml; do
        n=0
        while :; do
            doc="$run/crd-$(basename "$file" .yaml)-$n.yaml"
            awk -v want="$n" 'BEGIN { i = 0 } /^---[[:space:]]*$/ { i++; next } i == want' "$file" >"$doc"
            [ -s "$doc" ] || { rm -f "$doc"; break; }
            curl -fsS --cacert "$ca" -H "Authorization: Bearer $token" -H 'Content-Type: application/yaml' \
                --data-binary @"$doc" "$server/apis/apiextensions.k8s.io/v1/customresourcedefinitions" \
                -o "$run/crd-post.out" -w '' || die "cannot create the CRD in $doc: $(cat "$run/crd-post.out" 2>/dev/null)"
            n=$((n + 1))
        done
    done
    gvs=$(awk '/^  group:/ { g = $2 } /^  - name: v/ { print g "/" $3 }' "$dir"/*.yaml | sort -u)
    for gv in $gvs; do
        wait_for "$run" kube-apiserver "CRDs served at $gv" \
            curl -fsS -o /dev/null --cacert "$ca" -H "Authorization: Bearer $token" "$server/apis/$gv"
    done
    log "test CRDs installed: $(echo $gvs)"
}

usage() {
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

case "${1:-}" in
    build) [ $# -eq 1 ] || usage; cmd_build ;;
    start) [ $# -eq 2 ] || usage; cmd_start "$2" ;;
    stop) [ $# -eq 2 ] || usage; cmd_stop "$2" ;;
    status) [ $# -eq 2 ] || usage; cmd_status "$2" ;;
    *) usage ;;
esac
