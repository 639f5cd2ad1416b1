#!/usr/bin/env bash
# TAP: `memhier sweep` one-pass mode (stack distances) gives exactly the swept level's rows of
# separate simulations (--exact), chooses itself only when the rule allows, and explains refusals.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
bin=${MH_BIN:-$PWD/bin/memhier}
. tests/lib/tap.sh
if [ ! -x "$bin" ]; then
    echo "1..1"
    echo "ok 1 - sweep one-pass # SKIP memhier binary $bin not built"
    exit 0
fi
echo "1..7"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/base.ini" <<'EOF'
[hierarchy]
name = onepass
ifetch = L1i
data = L1d
[L1i]
size = 1K
ways = 2
line = 64
policy = lru
next = L2
[L1d]
size = 4K
ways = 4
line = 64
policy = lru
write = back
next = L2
[L2]
size = 64K
ways = 8
line = 64
policy = srrip
EOF
"$bin" gen --pattern mixed --records 200000 --seed 7 "$work/m.mht" >/dev/null 2>&1
"$bin" gen --pattern random --records 50000 --span 256K "$work/r.mht" >/dev/null 2>&1
traces=("$work/m.mht" "$work/r.mht")

# compare NAME ARGS...: one-pass CSV vs the same level's rows of --exact --no-timing.
compare() {
    local name=$1 level=$2; shift 2
    "$bin" sweep -c "$work/base.ini" "$@" --one-pass -f csv "${traces[@]}" >"$work/one.csv" 2>"$work/err1" &&
        "$bin" sweep -c "$work/base.ini" "$@" --exact --no-timing -f csv "${traces[@]}" 2>"$work/err2" |
        awk -F, -v l="$level" 'NR == 1 || $4 == l' >"$work/exact.csv"
    if [ -s "$work/one.csv" ] && diff -u "$work/exact.csv" "$work/one.csv" >"$work/diff"; then
        ok "$name: one-pass rows equal separate simulations ($(($(wc -l <"$work/one.csv") - 1)) rows)"
    else
        notok "$name: one-pass rows equal separate simulations"
        sed 's/^/# /' "$work/diff" "$work/err1" "$work/err2" | head -20
    fi
}
compare "L1d.size x8 (sets vary, fixed ways)" L1d --set L1d.size=1K,2K,4K,8K,16K,32K,64K,128K
compare "L1d.ways incl. full (sets vary, FA Fenwick stack)" L1d --set L1d.size=16K --set L1d.ways=1,2,4,8,16,full
compare "L1d.size x L1d.ways" L1d --set L1d.size=2K,8K,32K --set L1d.ways=2,8
compare "L1i (the ifetch entry level)" L1i --set L1i.size=512,1K,2K,4K

"$bin" sweep -c "$work/base.ini" --set L2.size=32K,64K --one-pass -f csv "${traces[@]}" >/dev/null 2>"$work/err"
rc=$?
check "--one-pass on L2 (not an entry level) exits 2 and says why" \
    bash -c "[ $rc -eq 2 ] && grep -q 'not an entry level' '$work/err'"
"$bin" sweep -c "$work/base.ini" --set L1d.size=2K,4K --no-timing -f csv "$work/r.mht" >"$work/auto.csv"
check "--no-timing on an eligible sweep uses one pass (only L1d rows)" \
    bash -c "[ \$(tail -n +2 '$work/auto.csv' | cut -d, -f4 | sort -u) = L1d ]"
"$bin" sweep -c "$work/base.ini" --set L1d.size=2K,4K --set L1d.policy=fifo --no-timing -f csv "$work/r.mht" >"$work/fb.csv"
check "--no-timing with a non-LRU level falls back to separate simulations (all levels)" \
    test "$(tail -n +2 "$work/fb.csv" | cut -d, -f4 | sort -u | wc -l)" -eq 3
