#!/usr/bin/env bash
# Fuzzes the session-recording reader (fuzz/fuzz_targets/read_recording.rs) for a while, then prints
# libFuzzer's final figures. Usage: scripts/fuzz.sh [seconds, default 600] [libFuzzer flags...]
# (for example `scripts/fuzz.sh 300 -len_control=0` to try long inputs from the start).
# Not part of scripts/test.sh: it takes minutes and needs the nightly toolchain.
#
# The corpus grows in fuzz/corpus/read_recording (ignored by git) from the seeds in
# fuzz/seeds/read_recording; crashes land in fuzz/artifacts/read_recording. Reproduce one with
#   cargo +nightly fuzz run read_recording fuzz/artifacts/read_recording/<file>
# and shrink it with `cargo +nightly fuzz tmin read_recording <file>`.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-600}"
shift $(($# > 0 ? 1 : 0))
target=read_recording
# A build cache of its own (override with FUZZ_TARGET_DIR), so that fuzzing never waits for or
# blocks the main build.
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/canary-cockpit/fuzz-target}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"

if ! rustup toolchain list | grep -q '^nightly'; then
    echo "== installing the nightly toolchain"
    rustup toolchain install nightly --profile minimal
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

corpus="fuzz/corpus/$target"
mkdir -p "$corpus"
log="$(mktemp "${TMPDIR:-/tmp}/canary-fuzz-$target.XXXXXX.log")"
echo "== fuzzing $target for ${seconds}s (full log: $log)"
set +e
cargo +nightly fuzz run "$target" "$corpus" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=30 \
    -print_final_stats=1 "$@" 2>&1 |
    tee "$log" |
    grep --line-buffered -E '(INITED|pulse) |ERROR|SUMMARY|Test unit written'
status=${PIPESTATUS[0]}
set -e

echo "== final figures"
grep -E '^#[0-9]+[[:space:]]+DONE|^Done [0-9]+ runs|^stat::' "$log" || true
echo "== corpus: $(find "$corpus" -type f | wc -l) files"
if [ "$status" -ne 0 ]; then
    echo "== the fuzzer stopped with status $status: see $log and fuzz/artifacts/$target/"
fi
exit "$status"
