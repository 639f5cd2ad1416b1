#!/usr/bin/env bash
# compare-configs.sh — runs `memhier compare` for several configs on the same traces and plots the
# result: the side-by-side table on stdout, OUTDIR/compare.csv and OUTDIR/compare.{png,svg,pdf}.
#   scripts/compare-configs.sh [-o OUTDIR] -c A.ini -c B.ini [-c C.ini ...] TRACE...
# OUTDIR defaults to results/compare-<host>-<UTC time> (never an existing folder); it is built as
# OUTDIR.tmp.<pid> and renamed when complete. Without gnuplot: CSV and table only, and one message.
# MH_BIN overrides bin/memhier. Exit: 0 ok, 2 bad usage, 1 memhier compare missing or failing.
set -euo pipefail
MH_PROG=compare-configs
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bin=${MH_BIN:-$MH_ROOT/bin/memhier}
out="" cfgs=() traces=()
usage() { mh_usage_die "usage: scripts/compare-configs.sh [-o OUTDIR] -c A.ini -c B.ini [-c ...] TRACE..."; }
while [ $# -gt 0 ]; do
    case $1 in
        -h | --help) mh_help "$0"; exit 0 ;;
        -o) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
        -c) [ $# -ge 2 ] || usage; [ -r "$2" ] || mh_usage_die "$2: config not readable"; cfgs+=(-c "$2"); shift 2 ;;
        -*) mh_usage_die "unknown option $1 (allowed: -o OUTDIR, -c CONFIG)" ;;
        *) [ -r "$1" ] || mh_usage_die "$1: trace not readable"; traces+=("$1"); shift ;;
    esac
done
[ ${#cfgs[@]} -ge 4 ] || mh_usage_die "need at least two configs (-c A.ini -c B.ini)"
[ ${#traces[@]} -ge 1 ] || mh_usage_die "need at least one trace"
if [ ! -x "$bin" ] || ! "$bin" compare --help >/dev/null 2>&1; then
    mh_die "memhier compare not available ($bin); build it with make"
fi

if [ -z "$out" ]; then
    mkdir -p "$MH_ROOT/results"
    out=$(mh_new_run_dir "$MH_ROOT/results")
    out="$(dirname "$out")/compare-$(basename "$out")"
fi
[ -e "$out" ] && mh_usage_die "$out exists: choose another -o (earlier results are never overwritten)"
work="$out.tmp.$$"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
trap 'rm -rf "$work"; exit 130' INT
trap 'rm -rf "$work"; exit 143' TERM

# memhier writes the CSV with --csv FILE when it has that option, else -o FILE, else on stdout.
if "$bin" compare --help 2>&1 | grep -q -- --csv; then
    "$bin" compare "${cfgs[@]}" --csv "$work/compare.csv" "${traces[@]}" | tee "$work/compare.txt"
elif "$bin" compare --help 2>&1 | grep -q -- ' -o'; then
    "$bin" compare "${cfgs[@]}" -o "$work/compare.csv" "${traces[@]}" | tee "$work/compare.txt"
else
    "$bin" compare "${cfgs[@]}" --format csv "${traces[@]}" >"$work/compare.csv"
fi
[ -s "$work/compare.csv" ] || mh_die "memhier compare wrote no CSV"
{
    echo "#!/usr/bin/env bash"
    printf '%q ' "$bin" compare "${cfgs[@]}" "${traces[@]}"
    echo
} | mh_atomic_write "$work/commands.sh"
if mh_have_gnuplot; then
    mh_plot "$MH_ROOT/scripts/plot/compare.gp" "$work" "$work/compare" || mh_say "plot not drawn"
else
    mh_say "gnuplot (pngcairo, svg, pdfcairo) not found: compare.csv written without plots; install gnuplot-nox"
fi
mv -T "$work" "$out"
trap - EXIT INT TERM
echo "$out/compare.csv"
