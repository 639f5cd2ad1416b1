#!/usr/bin/env bash
# kernel_icount.sh — a captured trace carries the instructions the native kernel executes (TAP).
# The timing model charges `instruction gap x base_cpi` between records, so a kernel whose gaps
# miss its loop or frame overhead is simulated too fast. For each point below, the native run
# (`memhier bench`) is counted under Callgrind: the inclusive instructions of the kernel's run
# function over its calls, per access; the capture of the same point gives (records + gaps) per
# demand record (`memhier info`). They must agree within 2 %. Points chosen where overhead outside the
# per-access loop is large: short stride passes (4 loads at s4096 16K), stack frames (prologue,
# VLA, call/return: ~30 instructions per 32-word frame), plus one point of each other kernel.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
bin=${MH_BIN:-$PWD/bin/memhier}
. tests/lib/tap.sh
skip_all() { echo "1..1"; echo "ok 1 - kernel instruction counts # SKIP $*"; exit 0; }

command -v valgrind >/dev/null || skip_all "valgrind not installed"
command -v callgrind_annotate >/dev/null || skip_all "callgrind_annotate not installed"
[ -x "$bin" ] || skip_all "no memhier binary at $bin"
nm "$bin" 2>/dev/null | grep -c " bench_measure$" >/dev/null || skip_all "$bin has no symbols (stripped)"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

points=("stack default 16K" "stack default 256K" "stride s4096 16K" "stride s256 256K" "stride s64 16K"
        "stream read 16K" "stream copy 16K" "heap default 16K" "pool default 16K" "prefetch d4 16K")
echo "1..${#points[@]}"

# native KERNEL VARIANT SIZE: prints instructions per access of the native kernel, or nothing.
native() {
    local fn=bench_$1_run
    valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" --toggle-collect=bench_measure \
        "$bin" bench --kernel "$1" --variant "$2" --sizes "$3" --min-time 0.01 --events none \
        -o "$tmp/k.csv" >/dev/null 2>&1 || return
    local acc
    acc=$(awk -F, 'NR == 2 { print $10 }' "$tmp/k.csv")
    # Callgrind names a function once ("(id) name") and then by id: find fn's id, then sum the
    # calls to it and their inclusive cost (the line after "calls=").
    awk -v fn="$fn" -v acc="$acc" '
        /^c?fn=\([0-9]+\) / { if ($2 == fn) { split($1, q, "="); id = q[2] } }
        /^cfn=/ { split($1, q, "="); hit = (q[2] == id); next }
        hit && /^calls=/ { split($1, a, "="); c += a[2]; getline; ir += $2; hit = 0 }
        END { if (c > 0 && acc > 0) printf "%.4f\n", ir / (c * acc) }' "$tmp/cg"
}

# traced KERNEL VARIANT SIZE: prints (records + gaps) per demand record of the point's capture
# (software prefetches are records but not accesses, as in the native count).
traced() {
    rm -rf "$tmp/cap"
    "$bin" bench --kernel "$1" --variant "$2" --sizes "$3" --min-time 0.01 --events none \
        --capture "$tmp/cap" --records 200000 -o /dev/null >/dev/null 2>&1 || return
    local t
    t=$(ls "$tmp"/cap/*.mht 2>/dev/null | head -1)
    [ -n "$t" ] || return
    "$bin" info "$t" | awk '/^records/ { r = $2 } /^  prefetch/ { r -= $2 } /^instructions/ { i = $2 }
                            END { if (r > 0) printf "%.4f\n", i / r }'
}

for p in "${points[@]}"; do
    set -- $p
    nat=$(native "$1" "$2" "$3")
    tr=$(traced "$1" "$2" "$3")
    if [ -z "$nat" ] || [ -z "$tr" ]; then
        notok "$p: could not count (native '${nat}', trace '${tr}')"
    elif awk -v a="$nat" -v b="$tr" 'BEGIN { d = (b - a) / a; exit !(d <= 0.02 && d >= -0.02) }'; then
        ok "$p: native $nat, trace $tr instructions per access"
    else
        notok "$p: native $nat, trace $tr instructions per access (more than 2 % apart)"
    fi
done
