#!/usr/bin/env bash
# make bench: replay speed of the simulator (records/s, medians of several runs), resident
# memory, trace size, and the other speed figures of the kernels when available.
#   BENCH_RECORDS (default 20M)  BENCH_RUNS (default 5)  BENCH_CONFIG (default configs/zen3.ini)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${MH_BIN:-bin/memhier}
records=${BENCH_RECORDS:-20M}
runs=${BENCH_RUNS:-5}
config=${BENCH_CONFIG:-configs/zen3.ini}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# count_records SPEC: "20M" -> 20000000
count_records() { python3 -c "import sys; s=sys.argv[1]; m={'K':1e3,'M':1e6,'G':1e9}; print(int(float(s[:-1])*m[s[-1]]) if s[-1] in m else int(float(s)))" "$1"; }
n=$(count_records "$records")

echo "generating a $records-record mixed trace (sequential, random within 4 MiB, stack, ifetch)..."
"$bin" gen --pattern mixed --records "$records" "$work/mixed.mht"
"$bin" convert "$work/mixed.mht" "$work/mixed.din"
printf '  .mht %s bytes (%.3f bytes/record), din %s bytes\n' "$(stat -c %s "$work/mixed.mht")" \
    "$(echo "$(stat -c %s "$work/mixed.mht") / $n" | bc -l)" "$(stat -c %s "$work/mixed.din")"

# median_rate LABEL CMD...: runs CMD $runs times, prints the median records/s and max RSS.
median_rate() {
    local label=$1; shift
    local rates=() rss=0 t0 t1 r
    for _ in $(seq "$runs"); do
        t0=$(date +%s.%N)
        r=$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1)
        t1=$(date +%s.%N)
        rates+=("$(echo "$n / ($t1 - $t0)" | bc -l)")
        [ "$r" -gt "$rss" ] && rss=$r
    done
    printf '%s\n' "${rates[@]}" | sort -g | awk -v l="$label" -v rss="$rss" '
        { a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2;
          printf "  %-44s %8.1f M records/s (median of %d; min %.1f max %.1f)  max RSS %d KiB\n",
                 l, m / 1e6, NR, a[1] / 1e6, a[NR] / 1e6, rss }'
}

echo "replay on $config ($runs runs each); one core = --decode-thread off; the defaults on 2+ CPUs: +decode thread (count-only), +timing thread (timing)"
median_rate "decode only (.mht, memhier info)" "$bin" info "$work/mixed.mht"
median_rate "count-only from .mht, one core" "$bin" sim -c "$config" --no-3c --no-timing --decode-thread off -f csv "$work/mixed.mht"
median_rate "count-only from .mht, +decode thread" "$bin" sim -c "$config" --no-3c --no-timing --decode-thread on -f csv "$work/mixed.mht"
median_rate "count-only from .mht, sets split (--split on)" "$bin" sim -c "$config" --no-3c --no-timing --split on -f csv "$work/mixed.mht"
median_rate "count-only from din text, one core" "$bin" sim -c "$config" --no-3c --no-timing --decode-thread off -f csv "$work/mixed.din"
median_rate "count-only from din text, +decode thread" "$bin" sim -c "$config" --no-3c --no-timing --decode-thread on -f csv "$work/mixed.din"
median_rate "timing mode from .mht (--no-3c), one core" "$bin" sim -c "$config" --no-3c --decode-thread off -f csv "$work/mixed.mht"
median_rate "timing mode from .mht, +decode thread" "$bin" sim -c "$config" --no-3c --decode-thread on --timing-thread off -f csv "$work/mixed.mht"
median_rate "timing mode from .mht, +timing thread" "$bin" sim -c "$config" --no-3c --timing-thread on -f csv "$work/mixed.mht"
median_rate "full (3C + timing) from .mht, +timing thread" "$bin" sim -c "$config" --timing-thread on -f csv "$work/mixed.mht"

echo "a trace that misses the L1d at almost every record ($records random reads within 4 MiB), count-only from .mht:"
"$bin" gen --pattern random --span 4M --records "$records" "$work/random.mht"
median_rate "one core" "$bin" sim -c "$config" --no-3c --no-timing --decode-thread off -f csv "$work/random.mht"
median_rate "+decode thread" "$bin" sim -c "$config" --no-3c --no-timing --decode-thread on -f csv "$work/random.mht"
median_rate "sets split (--split on)" "$bin" sim -c "$config" --no-3c --no-timing --split on -f csv "$work/random.mht"

# Real programs: their traces, captured through Valgrind Lackey, mostly hit (about 3 in 4 records
# are instruction fetches), so decoding weighs more than on the mixed trace.
real=${BENCH_REAL_RECORDS:-20M}
echo "real programs, $real records each captured through Lackey (memhier capture), on $config:"
if command -v valgrind >/dev/null 2>&1; then
    for _ in 1 2 3 4; do cat sim/*.c bench/*.c; done >"$work/src.txt"
    progs=("xz -6 -c $work/src.txt" "gzip -9 -c $work/src.txt" "sort $work/src.txt")
    cc1=$(${CC:-gcc} -print-prog-name=cc1 2>/dev/null || true)
    if [ -x "$cc1" ] && ${CC:-gcc} -E -std=c11 -D_GNU_SOURCE -Iinclude -Isim sim/hier.c -o "$work/hier.i" 2>/dev/null; then
        progs+=("$cc1 -fpreprocessed -quiet -O2 $work/hier.i -o /dev/null")
    fi
    for p in "${progs[@]}"; do
        name=$(basename "${p%% *}")
        # shellcheck disable=SC2086 # the program and its arguments, split on purpose
        "$bin" capture --records "$real" -o "$work/$name.mht" -- $p >/dev/null 2>"$work/$name.err" ||
            { echo "  $name: capture failed: $(tail -1 "$work/$name.err")"; continue; }
        n=$("$bin" info "$work/$name.mht" | awk '/^records/ { print $2 }')
        l1=$("$bin" sim -c "$config" --no-3c --no-timing -f csv "$work/$name.mht" |
             awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
                      $c["level"] == "L1d" && $c["kind"] == "total" { printf "%.1f", 100 * $c["misses"] / $c["accesses"] }')
        echo "  $name: $n records, $("$bin" info "$work/$name.mht" | awk '/^bytes\/rec/ { print $2 }') bytes/record, L1d misses $l1 % of its accesses"
        median_rate "decode only (memhier info)" "$bin" info "$work/$name.mht"
        median_rate "count-only, one core" "$bin" sim -c "$config" --no-3c --no-timing --decode-thread off -f csv "$work/$name.mht"
        median_rate "count-only, +decode thread" "$bin" sim -c "$config" --no-3c --no-timing --decode-thread on -f csv "$work/$name.mht"
        median_rate "timing mode, +timing thread" "$bin" sim -c "$config" --no-3c --timing-thread on -f csv "$work/$name.mht"
    done
    n=$(count_records "$records")
else
    echo "  skipped: valgrind not installed (apt-get install valgrind)"
fi

echo "resident memory vs trace length (count-only, .mht):"
for len in 2M 20M; do
    "$bin" gen --pattern mixed --records "$len" "$work/len.mht"
    printf '  %-6s records: max RSS %s KiB\n' "$len" "$( { /usr/bin/time -f %M "$bin" sim -c "$config" --no-3c --no-timing -f csv "$work/len.mht" >/dev/null; } 2>&1 | tail -1)"
done

echo "capture cost per access, relative to the native kernel (hook alone; hook + .mht writer):"
"$bin" bench --kernel chase,stream,stride,stack,heap,pool,prefetch --variant global,read,write,copy,s64,s4096,default,d4 \
    --sizes 16K,8M --min-time 0.05 --events none --records 1000000 --capture "$work/cap" -o "$work/cap.csv" 2>&1 |
    grep -iE 'capture|ratio|cost|x native' || true
"$bin" bench --kernel stream --variant read,write,copy --sizes 64M --min-time 0.05 --events none --records 1000000 \
    --capture "$work/cap" -o "$work/cap64.csv" 2>&1 | grep -iE 'capture|ratio|cost|x native' || true
printf '  .mht bytes per record of the captured kernel traces:\n'
for t in "$work"/cap/*.mht; do
    "$bin" info "$t" | awk -v f="$(basename "$t")" '/^bytes\/rec/ { printf "    %-28s %s\n", f, $2 }'
done

# A walk that misses at every level: one lap of the chase kernel over 64 MiB, as captured (lap
# blocks), and the same records without them (convert --mht-laps off).
echo "a walk that misses at every level (the chase kernel's lap over 64 MiB, captured):"
"$bin" bench --kernel chase --variant global --sizes 64M --min-time 0.05 --events none --records 1000000 \
    --capture "$work/walk" -o "$work/walk.csv" >/dev/null 2>&1
walk=$(ls "$work"/walk/chase-global-*.mht)
"$bin" convert --mht-laps off "$walk" "$work/walk-nolaps.mht"
n=$("$bin" info "$walk" | awk '/^records/ { print $2 }')
printf '  %s records, %s bytes/record (lap blocks), %s without them\n' "$n" \
    "$("$bin" info "$walk" | awk '/^bytes\/rec/ { print $2 }')" "$("$bin" info "$work/walk-nolaps.mht" | awk '/^bytes\/rec/ { print $2 }')"
median_rate "decode only, lap blocks" "$bin" info "$walk"
median_rate "decode only, without lap blocks" "$bin" info "$work/walk-nolaps.mht"
median_rate "count-only, +decode thread, lap blocks" "$bin" sim -c "$config" --no-3c --no-timing -f csv "$walk"
median_rate "count-only, +decode thread, without" "$bin" sim -c "$config" --no-3c --no-timing -f csv "$work/walk-nolaps.mht"
median_rate "full (3C + timing), one thread" "$bin" sim -c "$config" --timing-thread off -f csv "$work/walk-nolaps.mht"
median_rate "full (3C + timing), +timing thread" "$bin" sim -c "$config" --timing-thread on -f csv "$work/walk-nolaps.mht"

if [ -x scripts/bench-sweep.sh ]; then
    echo "one-pass sweep cost and parallel efficiency:"
    MH_BIN="$bin" scripts/bench-sweep.sh
fi
