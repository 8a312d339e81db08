#!/usr/bin/env bash
# Hostile files given to `canary replay --summary`: how long each takes and the peak memory it
# needs (/usr/bin/time -v), one JSON line per file, then a table.
#
#   scripts/hostile-replay.sh            (release build; CANARY=PATH to measure another binary)
#
# The files: /dev/zero; a 2 GB file without a newline (sparse, no header); a 2 GB line (a header,
# then 2 GB without a line break, written sparse in a temporary directory and deleted after); a zstd bomb of zeros (1 GiB in a few KB); a zstd bomb
# of lines (a header and 1 GiB of empty lines); a zstd bomb of events (a header and 10 million
# tick events); a line of JSON nested 500,000 deep. Goals (issue 25): every file answered within
# 2 s with a peak RSS of at most 64 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/canary-cockpit/target}"
if [ -z "${CANARY:-}" ]; then
    cargo build --release -j"${CARGO_BUILD_JOBS:-2}" --bin canary >/dev/null 2>&1
    CANARY="$CARGO_TARGET_DIR/release/canary"
fi
command -v zstd >/dev/null || { echo "hostile-replay: zstd is needed" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/canary-hostile-replay.XXXXXX")"
trap 'rm -rf "$work"' EXIT

header='{"format":"canary-cockpit-session","version":"1.0","cockpit":"0.1.0","source":{"kind":"demo","scenario":"faulty-v2","seed":1},"started_at":0,"release":"frontend"}'

# 2 GB without a newline at all
truncate -s 2G "$work/no-newline-2g.jsonl"
# a 2 GB line: the header, then a sparse hole of zeros without a line break
printf '%s\n' "$header" >"$work/line-2g.jsonl"
truncate -s 2G "$work/line-2g.jsonl"
# bombs, compressed as streams (nothing held whole)
head -c 1G /dev/zero | zstd -q -19 -o "$work/bomb-zeros.jsonl.zst"
{ printf '%s\n' "$header"; head -c 1G /dev/zero | tr '\0' '\n'; } | zstd -q -19 -o "$work/bomb-blank.jsonl.zst"
python3 - "$header" <<'EOF' | zstd -q -19 -o "$work/bomb-ticks.jsonl.zst"
import sys
out = sys.stdout.buffer
out.write(sys.argv[1].encode() + b"\n")
tick = b'{"t":1,"event":{"type":"tick","at":1}}\n' * 10_000
for _ in range(1_000):
    out.write(tick)
EOF
python3 - "$header" >"$work/deep.jsonl" <<'EOF'
import sys
depth = 500_000
print(sys.argv[1])
print('{"t":1,"x":' + "[" * depth + "]" * depth + ',"event":{"type":"tick","at":1}}')
EOF

files=(/dev/zero "$work/no-newline-2g.jsonl" "$work/line-2g.jsonl" "$work/bomb-zeros.jsonl.zst" "$work/bomb-blank.jsonl.zst"
    "$work/bomb-ticks.jsonl.zst" "$work/deep.jsonl")
names=("/dev/zero" "2 GB without a newline" "2 GB line" "zstd bomb, zeros" "zstd bomb, empty lines" "zstd bomb, 10M events"
    "JSON nested 500,000 deep")
rows=()
for i in "${!files[@]}"; do
    f="${files[$i]}"
    size=$(stat -L -c %s "$f" 2>/dev/null || echo 0)
    set +e
    /usr/bin/time -v -o "$work/time" "$CANARY" --log-file "$work/log" replay "$f" --summary \
        >"$work/out" 2>"$work/err"
    code=$?
    set -e
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (j = 1; j <= n; j++) s = s * 60 + p[j]; print s }' "$work/time")
    rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$work/time")
    said=$({ grep -v '^note:' "$work/err" || true; } | head -n 2 | sed "s|$work/||g" | tr '\n' ' ' | sed 's/ *$//')
    [ -n "$said" ] || said="(nothing on stderr; $(wc -l <"$work/out") lines of summary)"
    python3 -c 'import json, sys; print(json.dumps({"file": sys.argv[1], "bytes": int(sys.argv[2]), "exit": int(sys.argv[3]), "seconds": float(sys.argv[4]), "peak_rss_mb": float(sys.argv[5]), "said": sys.argv[6]}))' \
        "${names[$i]}" "$size" "$code" "$wall" "$rss" "$said"
    rows+=("| ${names[$i]} | $size | $code | $wall | $rss | $said |")
done
echo
echo "| file | bytes | exit | seconds | peak RSS (MB) | said |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
