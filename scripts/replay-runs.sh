#!/usr/bin/env bash
# replay-runs.sh — replays the validate points of several finished runs (`memhier revalidate`, each
# run on its own calibrated.ini with the same --set changes) and prints, per run, the share of
# timing points within ±15 % as recorded and as replayed, then one row per point with its error %
# on every run and on how many runs it is within ±15 %. One run's figure moves with the machine;
# a model change is judged on many. Nothing runs natively.
#   scripts/replay-runs.sh [--set SEC.KEY=VAL]... [-o FILE] RUN...
# -o FILE: every replayed point as CSV (run, then revalidate's columns: kernel,variant,size_bytes,
# measured,measured_p10,measured_p90,simulated,error_pct), written atomically.
# MH_BIN overrides bin/memhier. Exit: 0 ok, 2 bad usage (a folder without calibrated.ini or
# validation.csv, a bad --set), 1 a replay failed (its message is shown).
set -euo pipefail
MH_PROG=replay-runs
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bin=${MH_BIN:-$MH_ROOT/bin/memhier}
out="" sets=() runs=()
usage() { mh_usage_die "usage: scripts/replay-runs.sh [--set SEC.KEY=VAL]... [-o FILE] RUN..."; }
while [ $# -gt 0 ]; do
    case $1 in
        -h | --help) mh_help "$0"; exit 0 ;;
        -o) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
        --set) [ $# -ge 2 ] || usage; sets+=(--set "$2"); shift 2 ;;
        -*) mh_usage_die "unknown option $1 (allowed: --set SEC.KEY=VAL, -o FILE)" ;;
        *) for f in calibrated.ini validation.csv; do
               [ -s "$1/$f" ] || mh_usage_die "$1: no $f (not a finished memhier run folder?)"
           done
           runs+=("$1"); shift ;;
    esac
done
[ ${#runs[@]} -ge 1 ] || usage
[ -x "$bin" ] || mh_die "$bin not built; run make"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# within CSV COLUMN: "points within%" of ns_per_access rows (validation.csv) or of every row
# (revalidate's CSV), from the error % in COLUMN.
within() {
    awk -F, -v c="$2" 'NR > 1 && (NF < 10 || $4 == "ns_per_access") && $c != "" {
        n++; e = $c < 0 ? -$c : $c; if (e <= 15) w++ } END { printf "%d %.1f", n, n ? 100 * w / n : 0 }' "$1"
}

printf '%-40s %7s %12s %12s\n' run points "recorded %" "replayed %"
i=0
for r in "${runs[@]}"; do
    i=$((i + 1))
    rc=0
    "$bin" revalidate -c "$r/calibrated.ini" "${sets[@]}" -o "$work/$i.csv" "$r" >/dev/null 2>"$work/$i.err" || rc=$?
    if [ "$rc" -ne 0 ]; then
        mh_say "$r: memhier revalidate failed (exit $rc): $(tail -1 "$work/$i.err")"
        exit $((rc == 2 ? 2 : 1))
    fi
    read -r _ rec <<<"$(within "$r/validation.csv" 9)"
    read -r pts rep <<<"$(within "$work/$i.csv" 8)"
    printf '%-40s %7s %12s %12s\n' "$(basename "$(cd "$r" && pwd)")" "$pts" "$rec" "$rep"
done
echo
# One row per point: its error % on each run (in the order given), then runs within ±15 %.
for j in $(seq 1 "$i"); do awk -F, -v j="$j" 'NR > 1 { print $1 "," $2 "," $3 "," j "," $8 }' "$work/$j.csv"; done |
    awk -F, -v runs="$i" '{ k = $1 " " $2 " " $3; if (!(k in seen)) { seen[k] = 1; order[++n] = k }
        e[k, $4] = $5 } END {
        printf "%-9s %-8s %10s", "kernel", "variant", "size"; for (j = 1; j <= runs; j++) printf " %6s", "#" j
        printf "  within\n"
        for (p = 1; p <= n; p++) { k = order[p]; split(k, f, " "); w = 0
            printf "%-9s %-8s %10s", f[1], f[2], f[3]
            for (j = 1; j <= runs; j++) { v = e[k, j]; if (v == "") { printf " %6s", "-"; continue }
                printf " %6.0f", v; if ((v < 0 ? -v : v) <= 15) w++ }
            printf "  %d/%d\n", w, runs } }'
if [ -n "$out" ]; then
    for j in $(seq 1 "$i"); do
        name=$(basename "$(cd "${runs[$((j - 1))]}" && pwd)")
        awk -F, -v n="$name" 'NR == 1 && j == 0 { print "run," $0 } NR > 1 { print n "," $0 }' j=$((j - 1)) "$work/$j.csv"
    done | mh_atomic_write "$out"
fi
