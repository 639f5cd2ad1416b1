#!/usr/bin/env bash
# compare-runs.sh — puts several runs (one per machine, folders brought together under results/) side
# by side: OUTDIR/runs.md (markdown), OUTDIR/runs.csv, and the overlaid latency ladders
# OUTDIR/ladder-overlay.{png,svg,pdf}. The markdown table is also printed on stdout.
#   scripts/compare-runs.sh [-o OUTDIR] results/A results/B [...]
# OUTDIR defaults to results/compare-runs-<host>-<UTC time>; built as OUTDIR.tmp.<pid>, then renamed.
# Exit: 0 ok, 2 bad usage (fewer than two run folders, a folder without machine.csv/ladder.csv).
set -euo pipefail
MH_PROG=compare-runs
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PD="$MH_ROOT/scripts/plot"

out="" runs=()
while [ $# -gt 0 ]; do
    case $1 in
        -h | --help) mh_help "$0"; exit 0 ;;
        -o) [ $# -ge 2 ] || mh_usage_die "-o needs a folder"; out=$2; shift 2 ;;
        -*) mh_usage_die "unknown option $1 (allowed: -o OUTDIR)" ;;
        *) [ -d "$1" ] || mh_usage_die "$1: no such run folder"
           [ -s "$1/machine.csv" ] || [ -s "$1/ladder.csv" ] || mh_usage_die "$1: no machine.csv or ladder.csv (not a memhier run folder?)"
           runs+=("$(cd "$1" && pwd)"); shift ;;
    esac
done
[ ${#runs[@]} -ge 2 ] || mh_usage_die "usage: scripts/compare-runs.sh [-o OUTDIR] RUN_A RUN_B [...]  (at least two run folders)"
if [ -z "$out" ]; then
    mkdir -p "$MH_ROOT/results"
    out=$(mh_new_run_dir "$MH_ROOT/results")
    out="$(dirname "$out")/compare-runs-$(basename "$out")"
fi
[ -e "$out" ] && mh_usage_die "$out exists: choose another -o (earlier results are never overwritten)"
work="$out.tmp.$$"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
trap 'rm -rf "$work"; exit 130' INT
trap 'rm -rf "$work"; exit 143' TERM

# value RUN METRIC: one cell of the comparison.
value() {
    local r=$1 m=$2 v=""
    case $m in
        run) v=$(basename "$r") ;;
        host | cpu_model | cores | topology_summary | kernel | compiler | memhier_version | utc_time | counters_unavailable)
            v=$(mh_csv_get "$r/machine.csv" "$m") ;;
        ns_*) v=$(mh_plateaus "$r" | awk -v l="${m#ns_}" '$1 == l { print $3; exit }')
              [[ $v == not-reached* ]] && v="not reached" ;;
        val_*) [ -s "$r/validation-summary.csv" ] && v=$(awk -f "$PD/csv.awk" -f "$PD/select.awk" \
                   -v cols="${m#val_}" -v where=scope=overall "$r/validation-summary.csv" | awk 'NR == 1') ;;
    esac
    printf '%s' "${v:-n/a}"
}
# Latency rows: every level any run's ladder has a plateau for, in order of first appearance.
mapfile -t levels < <(for r in "${runs[@]}"; do mh_plateaus "$r" | awk '{ print $1 }'; done | awk '!seen[$0]++')
declare -A label=()
lv_metrics=()
for l in "${levels[@]}"; do lv_metrics+=("ns_$l"); label[ns_$l]="$l latency (ns)"; done
metrics=(run host cpu_model cores topology_summary kernel compiler memhier_version utc_time
         "${lv_metrics[@]}" val_points val_median_abs_err_pct val_p90_abs_err_pct val_within15_pct counters_unavailable)
label+=([run]="run folder" [cpu_model]="CPU" [topology_summary]="topology" [memhier_version]="memhier version"
    [utc_time]="UTC time" [val_points]="validation points" [val_median_abs_err_pct]="median abs error %"
    [val_p90_abs_err_pct]="p90 abs error %" [val_within15_pct]="within ±15 %" [counters_unavailable]="counters not measured")
{
    printf 'metric'; for r in "${runs[@]}"; do printf ',%s' "$(mh_csv_escape "$(basename "$r")")"; done; echo
    for m in "${metrics[@]}"; do
        printf '%s' "$m"; for r in "${runs[@]}"; do printf ',%s' "$(mh_csv_escape "$(value "$r" "$m")")"; done; echo
    done
} | mh_atomic_write "$work/runs.csv"
{
    echo "# Runs side by side"
    echo
    printf '| |'; for r in "${runs[@]}"; do printf ' %s |' "$(value "$r" host)"; done; echo
    printf '|---|'; for _ in "${runs[@]}"; do printf -- '---|'; done; echo
    for m in "${metrics[@]}"; do
        printf '| %s |' "${label[$m]:-$m}"
        for r in "${runs[@]}"; do v=$(value "$r" "$m"); printf ' %s |' "${v//|/\\|}"; done; echo
    done
    echo
    echo "Latencies are the chase-ladder plateaus (median of the points well inside each level)."
} | mh_atomic_write "$work/runs.md"
plotted=0
if mh_have_gnuplot; then
    for fmt in png svg pdf; do
        gnuplot -e "dirs='${runs[*]}'; out='$work/ladder-overlay.$fmt'; fmt='$fmt'" "$PD/ladder-overlay.gp" >"$work/gp.log" 2>&1 || true
    done
    if [ -s "$work/ladder-overlay.png" ]; then plotted=1; else mh_say "overlay plot not drawn: $(tail -2 "$work/gp.log" | tr '\n' ' ')"; fi
    rm -f "$work/gp.log"
else
    mh_say "gnuplot (pngcairo, svg, pdfcairo) not found: runs.md and runs.csv written without the overlay plot"
fi
[ "$plotted" -eq 1 ] && printf '\n![latency ladders](ladder-overlay.png)\n' >>"$work/runs.md"
mv -T "$work" "$out"
trap - EXIT INT TERM
cat "$out/runs.md"
echo "$out/runs.md" >&2
