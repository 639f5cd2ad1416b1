#!/usr/bin/env bash
# make bench (sweep part): the cost of a 16-size one-pass sweep against one simulation, and the
# parallel efficiency of separate simulations on 2 threads. Medians of BENCH_RUNS runs; wall
# seconds and CPU seconds (user + sys: robust when other work shares the machine).
#   BENCH_SWEEP_RECORDS (default 10M)  BENCH_RUNS (default 5)  MH_BIN (default bin/memhier)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${MH_BIN:-bin/memhier}
records=${BENCH_SWEEP_RECORDS:-10M}
runs=${BENCH_RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# zen3's L1d is inclusive (back-invalidated by L2), which one-pass mode cannot model: sweep a
# non-inclusive L1d. sizes16: 1K .. 32M, 8-way => 2 .. 65536 sets (16 set counts).
base=(-c configs/zen3.ini --set L1d.inclusion=nine)
sizes16=1K,2K,4K,8K,16K,32K,64K,128K,256K,512K,1M,2M,4M,8M,16M,32M
# 12 ways (a 48 KiB L1d's): 1.5K .. 48M, 2 .. 65536 sets
sizes16w12=1536,3K,6K,12K,24K,48K,96K,192K,384K,768K,1536K,3M,6M,12M,24M,48M
cat >"$work/l1.ini" <<'EOF'
; the swept level alone (plus a tiny L1i so instruction fetches go elsewhere, as in zen3)
[hierarchy]
name = l1only
ifetch = L1i
data = L1d
[L1i]
size = 32K
ways = 8
line = 64
policy = lru
[L1d]
size = 32K
ways = 8
line = 64
policy = lru
EOF

echo "sweep benchmark: $records-record mixed trace, medians of $runs runs ($(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg))"
"$bin" gen --pattern mixed --records "$records" "$work/t.mht" >/dev/null

# measure LABEL CMD...: prints "LABEL wall cpu" medians and stores them in W[LABEL], C[LABEL].
declare -A W C
measure() {
    local label=$1; shift
    local walls=() cpus=() line
    for _ in $(seq "$runs"); do   # bash's time: milliseconds (/usr/bin/time rounds to 10 ms, 2-5 % here)
        { TIMEFORMAT='%3R %3U %3S'; time "$@" >/dev/null 2>&1; } 2>"$work/time"
        line=$(tail -1 "$work/time")
        walls+=("$(echo "$line" | awk '{print $1}')")
        cpus+=("$(echo "$line" | awk '{print $2 + $3}')")
    done
    W[$label]=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    C[$label]=$(printf '%s\n' "${cpus[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    printf '  %-58s wall %7.3f s   cpu %7.3f s\n' "$label" "${W[$label]}" "${C[$label]}"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

echo "one pass, many caches:"
measure "one simulation: zen3 count-only, one core (sim --no-3c --no-timing)" \
    "$bin" sim "${base[@]}" --no-3c --no-timing --decode-thread off -f csv "$work/t.mht"
measure "one simulation: the L1d level alone" \
    "$bin" sim -c "$work/l1.ini" --no-3c --no-timing --decode-thread off -f csv "$work/t.mht"
measure "one-pass sweep, 16 sizes of an 8-way L1d (16 set counts)" \
    "$bin" sweep "${base[@]}" --set L1d.size=$sizes16 --one-pass -f csv "$work/t.mht"
measure "one-pass sweep, 16 sizes of a 12-way L1d (16 set counts)" \
    "$bin" sweep "${base[@]}" --set L1d.ways=12 --set L1d.size=$sizes16w12 --one-pass -f csv "$work/t.mht"
measure "one-pass sweep, 16 sizes of a fully associative L1d" \
    "$bin" sweep "${base[@]}" --set L1d.ways=full --set L1d.size=$sizes16 --one-pass -f csv "$work/t.mht"
measure "separate simulations, 16 sizes (--exact --no-timing -j1)" \
    "$bin" sweep "${base[@]}" --set L1d.size=$sizes16 --exact --no-timing -j1 -f csv "$work/t.mht"
z="one simulation: zen3 count-only, one core (sim --no-3c --no-timing)"
l="one simulation: the L1d level alone"
for s in "one-pass sweep, 16 sizes of an 8-way L1d (16 set counts)" "one-pass sweep, 16 sizes of a 12-way L1d (16 set counts)" \
    "one-pass sweep, 16 sizes of a fully associative L1d" \
    "separate simulations, 16 sizes (--exact --no-timing -j1)"; do
    printf '  %-58s %s x zen3 sim, %s x L1d-alone sim (cpu; wall %s x / %s x)\n' "$s" \
        "$(ratio "${C[$s]}" "${C[$z]}")" "$(ratio "${C[$s]}" "${C[$l]}")" \
        "$(ratio "${W[$s]}" "${W[$z]}")" "$(ratio "${W[$s]}" "${W[$l]}")"
done

echo "separate simulations in parallel (2 configs, srrip L1d: not a stack algorithm):"
pe=("$bin" sweep "${base[@]}" --set L1d.policy=srrip --set "L1d.size=16K,64K" --no-timing -f csv "$work/t.mht")
measure "2 configs, -j1" "${pe[@]}" -j1
measure "2 configs, -j2" "${pe[@]}" -j2
printf '  parallel efficiency on 2 threads: %s%% (wall -j1 / (2 x wall -j2))\n' \
    "$(awk -v a="${W[2 configs, -j1]}" -v b="${W[2 configs, -j2]}" 'BEGIN { printf "%.0f", (b > 0 ? 100 * a / (2 * b) : 0) }')"
