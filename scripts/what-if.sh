#!/usr/bin/env bash
# what-if.sh — what a finished run's timing misses respond to: replays every validate point of
# RUN_DIR (`memhier revalidate` on RUN_DIR/calibrated.ini, or -c CONFIG: the config validate ran
# on when there was none) once per knob, each knob one change to
# the model that stands for one mechanism of a real core (`--list` prints them), and writes
# RUN_DIR/whatif.csv: knob,setting,kernel,variant,size_bytes,measured,simulated,error_pct,mechanism.
# scripts/report.sh turns it into the report's "What the misses respond to" table: a knob that
# brings a miss within ±15 % names the part of the model the miss points at, and its share of
# all points within says what the change costs elsewhere. Nothing runs natively; the run's traces
# (RUN_DIR/traces) must still be there.
#   scripts/what-if.sh [-j N] [-c CONFIG] RUN_DIR
#   scripts/what-if.sh --list
# whatif.csv is derived from the run's own files, like report.md: a later what-if.sh replaces it
# (atomically). -j N: replays at once (default: the CPUs online). A knob that does not apply to the run's
# config (no such level, or already so) is left out and named on stderr; so is one whose replay
# fails. MH_BIN overrides bin/memhier.
# Exit: 0 whatif.csv written, 2 bad usage (not a finished run folder), 1 no knob could be replayed.
set -euo pipefail
MH_PROG=what-if
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The knobs: name | changes (DATA: the data entry level, NEXT: the level below it; VALUE*K: the
# calibrated value times K) | the mechanism it stands for. One line each.
knobs=(
    "store queue 64|hierarchy.store_queue=64|stores hold one of 64 store-queue entries until their line is owned (calibrated: unbounded)"
    "window 256|hierarchy.rob=256|a 256-instruction reorder window: a miss stalls issue once it is that far behind (calibrated: unbounded)"
    "2 walkers|hierarchy.walkers=2|at most 2 page walks in flight (calibrated: unbounded)"
    "cached walks|hierarchy.walk=cached|page walks read the page tables through the caches (calibrated: fixed walk latency)"
    "2x misses in flight|DATA.mshrs=*2|twice the misses the data entry level keeps in flight"
    "no DATA prefetch|DATA.prefetcher=none|the data entry level's hardware prefetcher off"
    "no NEXT prefetch|NEXT.prefetcher=none|the prefetcher of the level below it off"
    "NEXT prefetch across pages|NEXT.cross_pages=yes|that prefetcher's streams go on into the next 4 KiB page"
)

jobs=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
ini=""
while [ $# -gt 0 ]; do
    case $1 in
        -h | --help) mh_help "$0"; exit 0 ;;
        --list) for k in "${knobs[@]}"; do IFS='|' read -r a b c <<<"$k"; printf '%-28s %-24s %s\n' "$a" "$b" "$c"; done
                exit 0 ;;
        -c) [ $# -ge 2 ] || mh_usage_die "-c needs a config file"
            ini=$2; shift 2 ;;
        -j) if [ $# -lt 2 ] || ! [[ $2 =~ ^[1-9][0-9]?$ ]]; then mh_usage_die "-j needs a count from 1 to 99"; fi
            jobs=$2; shift 2 ;;
        -*) mh_usage_die "unknown option $1 (allowed: -j N, -c CONFIG, --list)" ;;
        *) break ;;
    esac
done
[ $# -eq 1 ] || mh_usage_die "usage: scripts/what-if.sh [-j N] [-c CONFIG] RUN_DIR | --list"
run=${1%/}
[ -s "$run/validation.csv" ] || mh_usage_die "$run: no validation.csv (not a finished memhier run folder?)"
if [ -z "$ini" ]; then
    ini="$run/calibrated.ini"
    [ -s "$ini" ] || mh_usage_die "$run: no calibrated.ini (give the config validate ran on with -c)"
fi
[ -s "$ini" ] || mh_usage_die "-c $ini: no such config"
bin=${MH_BIN:-$MH_ROOT/bin/memhier}
[ -x "$bin" ] || mh_die "$bin not built; run make"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

data=$(mh_ini_get "$ini" hierarchy data)
next=""
[ -n "$data" ] && next=$(mh_ini_get "$ini" "$data" next)

# resolve CHANGE: prints `SEC.KEY=VAL` for one change of the table, or fails saying why not.
resolve() {
    local sec=${1%%.*} rest=${1#*.} key val cur
    key=${rest%%=*} val=${rest#*=}
    case $sec in
        DATA) sec=$data ;;
        NEXT) sec=$next ;;
    esac
    [ -n "$sec" ] || { echo "the config has no such level"; return 1; }
    cur=$(mh_ini_get "$ini" "$sec" "$key")
    if [[ $val == \** ]]; then
        if ! [[ $cur =~ ^[1-9][0-9]*$ ]]; then echo "[$sec] $key is not a positive count (${cur:-absent})"; return 1; fi
        val=$((cur * ${val#\*}))
    fi
    [ "$cur" != "$val" ] || { echo "[$sec] $key is already $val"; return 1; }
    echo "$sec.$key=$val"
}

# Each knob's changes, resolved; knobs that do not apply are named and left out.
names=() settings=() args=() mechs=()
for k in "${knobs[@]}"; do
    IFS='|' read -r name changes mech <<<"$k"
    name=${name//DATA/$data} name=${name//NEXT/$next}
    set_args="" setting="" why=""
    for c in ${changes//;/ }; do
        if ! r=$(resolve "$c"); then why=$r; break; fi
        set_args+=" --set $r"
        setting+="${setting:+;}$r"
    done
    if [ -n "$why" ]; then mh_say "$name: left out: $why"; continue; fi
    names+=("$name") settings+=("$setting") args+=("$set_args") mechs+=("$mech")
done

# The replays, -j at a time; each knob's CSV lands in $work/K.csv, its stderr in $work/K.err.
replay() {
    # shellcheck disable=SC2086  # $2 is a list of --set arguments
    "$bin" revalidate -c "$ini" $2 -o "$work/$1.csv" "$run" >/dev/null 2>"$work/$1.err"
}
pids=()
for i in "${!names[@]}"; do
    replay "$i" "${args[$i]}" &
    pids+=($!)
    if [ ${#pids[@]} -ge "$jobs" ]; then wait "${pids[0]}" || true; pids=("${pids[@]:1}"); fi
done
for p in "${pids[@]}"; do wait "$p" || true; done

done_any=0
for i in "${!names[@]}"; do
    if [ ! -s "$work/$i.csv" ]; then
        mh_say "${names[$i]}: left out: memhier revalidate failed: $(tail -1 "$work/$i.err" 2>/dev/null)"
        continue
    fi
    done_any=1
done
[ "$done_any" -eq 1 ] || mh_die "no knob could be replayed on $run"
{
    echo "knob,setting,kernel,variant,size_bytes,measured,simulated,error_pct,mechanism"
    for i in "${!names[@]}"; do
        [ -s "$work/$i.csv" ] || continue
        awk -F, -v k="$(mh_csv_escape "${names[$i]}")" -v s="$(mh_csv_escape "${settings[$i]}")" \
            -v m="$(mh_csv_escape "${mechs[$i]}")" \
            'NR > 1 { print k "," s "," $1 "," $2 "," $3 "," $4 "," $7 "," $8 "," m }' "$work/$i.csv"
    done
} | mh_atomic_write "$run/whatif.csv"
mh_say "wrote $run/whatif.csv (${#names[@]} knobs)"
