#!/usr/bin/env bash
# Installs what the test suite needs, then runs the format check, clippy and the whole test suite.
# The build cache lives outside the repository (CARGO_TARGET_DIR) so later runs start warm.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/canary-cockpit/target}"
export INSTA_UPDATE=no
jobs="${CARGO_BUILD_JOBS:-2}"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# tmux drives the real binary in the smoke test
if ! command -v tmux >/dev/null 2>&1; then
    echo "== installing tmux"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux
fi
# a real kubectl runs the binary as its plugin (`kubectl canary`); Debian's kubernetes-client
# when no kubectl is installed
if ! command -v kubectl >/dev/null 2>&1; then
    echo "== installing kubectl"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client
fi
# iproute2: the tests put servers the API server must reach in network namespaces of their own
if ! command -v ip >/dev/null 2>&1; then
    echo "== installing iproute2"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2
fi
# a real Prometheus for the metrics tests (Debian's package; the tests start their own on a free
# loopback port, so a packaged service left running does not matter)
if ! command -v prometheus >/dev/null 2>&1 && [ ! -x /usr/bin/prometheus ]; then
    echo "== installing prometheus"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus
fi
# R, the reference the judge's statistics are tested against (tests/it/judge_reference.rs:
# wilcox.test, prop.test, pnorm, qnorm); Debian's package
if ! command -v Rscript >/dev/null 2>&1; then
    echo "== installing r-base-core"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends r-base-core
fi
for component in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
        echo "== installing $component"
        rustup component add "$component"
    fi
done

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy -j"$jobs" --all-targets -- -D warnings
# a real control plane (etcd, kube-apiserver, kube-controller-manager) on loopback for the
# cluster tests; built once from Debian's source package and cached (see docs/control-plane.md)
echo "== control plane"
scripts/control-plane.sh build
run_dir="$(mktemp -d "${TMPDIR:-/tmp}/canary-control-plane.XXXXXX")"
trap 'scripts/control-plane.sh stop "$run_dir" >/dev/null 2>&1 || true' EXIT
scripts/control-plane.sh start "$run_dir"
# shellcheck source=/dev/null
source "$run_dir/env"

echo "== cargo test"
cargo test -j"$jobs" --all-targets
