#!/usr/bin/env bash
# run-suite.sh — the main job (`make run`): deps -> build -> detect -> calibrate -> validate (benchmarks,
# counters, capture, simulation) -> sweep/compare on a captured trace -> plots + report, in a new run
# folder results/<host>-<UTC time>/. Prints the report path and a five-line summary.
#   scripts/run-suite.sh            default, about 5-10 minutes
#   QUICK=1 scripts/run-suite.sh    about 1 minute (passes --quick)
#   FULL=1 scripts/run-suite.sh     as long as it needs (passes --full)
# Environment: MH_BIN (memhier binary, default bin/memhier), MH_RESULTS (default results),
# MH_SUITE_NO_BUILD=1 (skip deps and make: tests), MH_NO_PROGRESS=1 (no progress line on a terminal).
# A missing memhier command is skipped and said so; the run goes on with what it has. The folder is
# built as <name>.tmp.<pid> and renamed at the end: an interrupted run (INT/TERM: exit 130/143) leaves
# nothing behind and never touches earlier runs.
set -euo pipefail
MH_PROG=suite
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$MH_ROOT"

case ${1:-} in -h | --help) mh_help "$0"; exit 0 ;; esac
[ $# -eq 0 ] || mh_usage_die "no arguments expected (use QUICK=1 or FULL=1); see scripts/run-suite.sh --help"

mode=default modeflag=""
is_set() { [ -n "${1:-}" ] && [ "$1" != 0 ]; }
if is_set "${QUICK:-}" && is_set "${FULL:-}"; then mh_usage_die "QUICK=1 and FULL=1 together: choose one"; fi
is_set "${QUICK:-}" && mode=quick && modeflag=--quick
is_set "${FULL:-}" && mode=full && modeflag=--full

bin=${MH_BIN:-bin/memhier}
results=${MH_RESULTS:-results}
mkdir -p "$results"
final=$(mh_new_run_dir "$results")
work="$final.tmp.$$"
mkdir -p "$work/logs"
start=$(mh_now)
utc_start=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# ---- interruption: kill the running step, remove the temporary folder, exit 130/143 ---------------
child="" ticker="" done_ok=0
stop_bg() {
    if [ -n "$ticker" ]; then kill "$ticker" 2>/dev/null || true; wait "$ticker" 2>/dev/null || true; ticker=""; fi
    if [ -n "$child" ]; then
        # Steps run in their own session (setsid): the whole group goes, helpers such as valgrind included.
        kill -TERM -- "-$child" 2>/dev/null || kill -TERM "$child" 2>/dev/null || true
        wait "$child" 2>/dev/null || true
        child=""
    fi
}
on_signal() {
    local sig=$1 code=$2
    trap - INT TERM EXIT
    stop_bg
    mh_progress_end
    rm -rf "$work"
    mh_say "interrupted by SIG$sig: removed the unfinished run folder $(basename "$work"); earlier runs untouched"
    exit "$code"
}
on_exit() {
    stop_bg
    if [ "$done_ok" -ne 1 ]; then rm -rf "$work"; fi
}
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap on_exit EXIT

# ---- steps, estimates, progress -------------------------------------------------------------------
steps=(deps build detect calibrate validate whatif sweep compare machine report)
declare -A est
case $mode in
    quick) est=([deps]=2 [build]=20 [detect]=2 [calibrate]=15 [validate]=30 [whatif]=10 [sweep]=5 [compare]=5 [machine]=2 [report]=4) ;;
    full) est=([deps]=2 [build]=20 [detect]=2 [calibrate]=600 [validate]=1800 [whatif]=60 [sweep]=120 [compare]=60 [machine]=2 [report]=6) ;;
    *) est=([deps]=2 [build]=20 [detect]=2 [calibrate]=90 [validate]=240 [whatif]=35 [sweep]=30 [compare]=20 [machine]=2 [report]=5) ;;
esac
nsteps=${#steps[@]}
skipped=()      # "step,reason" CSV lines

# remaining_after K: estimated seconds of the steps after index K (1-based).
remaining_after() {
    local k=$1 s=0 i
    for ((i = k; i < nsteps; i++)); do s=$((s + ${est[${steps[$i]}]})); done
    echo "$s"
}

# begin_step K NAME: starts the progress ticker for step K (terminal only).
begin_step() {
    local k=$1 name=$2 rest t0
    mh_is_tty || return 0
    rest=$(remaining_after "$k")
    t0=$(mh_now)
    (
        trap - INT TERM EXIT
        while :; do
            local_left=$(( ${est[$name]} - ($(mh_now) - t0) ))
            [ "$local_left" -lt 0 ] && local_left=0
            mh_progress "$name" "$k" "$nsteps" "$start" $((rest + local_left))
            sleep 1
        done
    ) &
    ticker=$!
}

end_step() { stop_bg; mh_progress_end; }

# skip STEP REASON: records why STEP did not run (report's "Skipped" table) and says it once.
skip() {
    skipped+=("$(mh_csv_escape "$1"),$(mh_csv_escape "$2")")
    mh_progress_end
    mh_say "$1: $2"
}

# record CMD...: appends CMD to commands.sh (with the final run folder's path) for "Reproduce".
record() {
    local a q=""
    for a in "$@"; do
        if [[ $a =~ ^[A-Za-z0-9_./:=,+@%-]+$ ]]; then q="$q $a"; else q="$q $(printf '%q' "$a")"; fi
    done
    printf '%s\n' "${q# }" | sed "s|$work|$final|g" >>"$work/commands.sh"
}

setsid=""
command -v setsid >/dev/null 2>&1 && setsid=setsid

# run_cmd STEP CMD...: runs CMD (in the background, so signals are handled at once) with its output in
# logs/STEP.log; returns its exit status.
run_cmd() {
    local step=$1 rc=0; shift
    record "$@"
    $setsid "$@" >>"$work/logs/$step.log" 2>&1 </dev/null &
    child=$!
    wait "$child" || rc=$?
    child=""
    return "$rc"
}

# fail_reason STEP RC: "failed (exit RC): <last line of its log>".
fail_reason() {
    local last
    last=$(grep -v '^[[:space:]]*$' "$work/logs/$1.log" 2>/dev/null | tail -1 | cut -c1-200)
    printf 'failed (exit %s)%s' "$2" "${last:+: $last}"
}

# have CMD: true when `memhier CMD --help` works.
have() { [ -x "$bin" ] && "$bin" "$1" --help >/dev/null 2>&1; }

# helps CMD OPTION: true when `memhier CMD --help` mentions OPTION.
helps() { "$bin" "$1" --help 2>&1 | grep -q -- "$2"; }

# mode_flag CMD: --quick/--full when the mode asks for it and CMD takes it.
mode_flag() { [ -n "$modeflag" ] && helps "$1" "$modeflag" && printf '%s' "$modeflag"; return 0; }

# memhier_step K STEP CMD ARGS...: runs `memhier CMD ARGS` as step STEP, or says why it was skipped.
memhier_step() {
    local k=$1 step=$2 cmd=$3 rc=0; shift 3
    if ! have "$cmd"; then skip "$step" "skipped: memhier $cmd not available"; return 1; fi
    begin_step "$k" "$step"
    run_cmd "$step" "$bin" "$cmd" "$@" || rc=$?
    end_step
    if [ "$rc" -ne 0 ]; then skip "$step" "$(fail_reason "$step" "$rc")"; return 1; fi
}

# kfmt BYTES: 8K / 1M style (what the config parser accepts).
kfmt() {
    local b=$1
    if [ $((b % 1048576)) -eq 0 ]; then echo "$((b / 1048576))M"; elif [ $((b % 1024)) -eq 0 ]; then echo "$((b / 1024))K"; else echo "$b"; fi
}

# sweep_values CONFIG LEVEL: size/4 .. 4x size of LEVEL, each a whole number of ways x line (set counts
# stay powers of two), comma-separated; empty when LEVEL has no size.
sweep_values() {
    local sz b ways line out="" f v
    sz=$(mh_ini_get "$1" "$2" size); b=$(mh_size_bytes "$sz")
    [ -n "$b" ] || return 0
    ways=$(mh_ini_get "$1" "$2" ways); line=$(mh_ini_get "$1" "$2" line)
    case $ways in '' | *[!0-9]*) ways=1 ;; esac
    case $line in '' | *[!0-9]*) line=64 ;; esac
    for f in 1/4 1/2 1/1 2/1 4/1; do
        v=$((b * ${f%/*} / ${f#*/}))
        if [ "$v" -lt $((ways * line)) ] || [ $((v % (ways * line))) -ne 0 ]; then continue; fi
        out="$out${out:+,}$(kfmt "$v")"
    done
    printf '%s' "$out"
}

# ---- 1. deps, 2. build ----------------------------------------------------------------------------
if [ -z "${MH_SUITE_NO_BUILD:-}" ]; then
    begin_step 1 deps
    rc=0; run_cmd deps scripts/deps.sh || rc=$?
    end_step
    [ "$rc" -eq 0 ] || skip deps "$(fail_reason deps "$rc") (the build may lack optional parts)"
    begin_step 2 build
    rc=0; run_cmd build "${MAKE:-make}" --no-print-directory || rc=$?
    end_step
    [ "$rc" -eq 0 ] || skip build "$(fail_reason build "$rc")$([ -x "$bin" ] && echo "; using the existing $bin")"
else
    skip deps "skipped: MH_SUITE_NO_BUILD set"
    skip build "skipped: MH_SUITE_NO_BUILD set"
fi
[ -x "$bin" ] || mh_say "$bin not found: every memhier step will be skipped"

# ---- 3. detect, 4. calibrate ----------------------------------------------------------------------
# bench_fallback K STEP WHY ARGS...: when calibrate/validate are missing but `memhier bench` exists,
# measure natively with it (no simulation), and say so in the report's Skipped table.
bench_fallback() {
    local k=$1 step=$2 why=$3 rc=0; shift 3
    begin_step "$k" "$step"
    run_cmd "$step" "$bin" bench "$@" || rc=$?
    end_step
    if [ "$rc" -ne 0 ]; then skip "$step" "$why; the memhier bench fallback $(fail_reason "$step" "$rc")"; return 1; fi
    skip "$step" "$why; measured natively with memhier bench instead (nothing simulated)"
}
memhier_step 3 detect detect -o "$work/host.ini" || true
cfg=""
if have calibrate && [ -s "$work/host.ini" ]; then
    # shellcheck disable=SC2046
    memhier_step 4 calibrate calibrate -c "$work/host.ini" -o "$work/calibrated.ini" --csv "$work/ladder.csv" \
        $(mode_flag calibrate) || true
elif have calibrate; then
    skip calibrate "skipped: needs host.ini from detect"
elif have bench; then
    # shellcheck disable=SC2046
    bench_fallback 4 calibrate "memhier calibrate not available" --kernel chase $(mode_flag bench) -o "$work/ladder.csv" || true
else
    skip calibrate "skipped: memhier calibrate not available"
fi
if [ -s "$work/calibrated.ini" ]; then cfg=$work/calibrated.ini
elif [ -s "$work/host.ini" ]; then cfg=$work/host.ini
elif [ -s configs/zen3.ini ]; then cfg=configs/zen3.ini
fi

# ---- 5. validate ----------------------------------------------------------------------------------
if have validate && [ -n "$cfg" ]; then
    [ "$cfg" = "$work/calibrated.ini" ] || mh_say "validate: using ${cfg#"$work"/} (no calibrated config)"
    # The stack kernel's 64 MiB point recurses through ~96 MiB of stack: validate runs with a soft
    # stack limit of 256 MiB (or the hard limit, if lower), the rest of the suite with the usual one.
    stack_was=$(ulimit -S -s) stack_hard=$(ulimit -H -s) stack_want=262144
    [ "$stack_hard" = unlimited ] || [ "$stack_hard" -ge "$stack_want" ] || stack_want=$stack_hard
    if [ "$stack_was" != unlimited ] && [ "$stack_was" -lt "$stack_want" ] && ulimit -S -s "$stack_want" 2>/dev/null; then
        record ulimit -S -s "$stack_want"
    fi
    # shellcheck disable=SC2046
    memhier_step 5 validate validate -c "$cfg" --out "$work" $(mode_flag validate) || true
    if [ "$(ulimit -S -s)" != "$stack_was" ]; then
        ulimit -S -s "$stack_was" 2>/dev/null || true
        record ulimit -S -s "$stack_was"
    fi
elif have validate; then
    skip validate "skipped: no config (detect and calibrate gave none, configs/zen3.ini missing)"
elif have bench; then
    # Held-out kernels measured natively, and one heap trace captured for sweep/compare.
    # shellcheck disable=SC2046
    if bench_fallback 5 validate "memhier validate not available" \
        --kernel stream,stride,stack,heap,pool,prefetch $(mode_flag bench) -o "$work/bench.csv"; then
        mkdir -p "$work/traces"
        run_cmd validate "$bin" bench --kernel heap --sizes 1M --min-time 0.01 --capture "$work/traces" \
            -o "$work/logs/capture.csv" || skip capture "$(fail_reason validate $?)"
    fi
else
    skip validate "skipped: memhier validate not available"
fi

# ---- the machine since calibration ---------------------------------------------------------------
# A few page-local chase points of ladder.csv measured again after validate, as part of its step
# (chase is the calibration kernel: nothing is fitted to them). A shared machine can lose its L3 to
# a neighbour for minutes; report.sh flags a run whose ladder moved between the two.
# recheck_sizes CONFIG LADDER: for each level of CONFIG's data path the largest page-local ladder
# size well inside it (in (2 x the level above, size / 2], as calibrate fits its plateaus), and
# the smallest at 4 x the last level or more (memory); comma-separated.
recheck_sizes() {
    local lvl prev=0 b out="" last=0 pick
    lvl=$(mh_ini_get "$1" hierarchy data); lvl=${lvl:-L1d}
    for _ in 1 2 3 4 5 6 7 8; do
        [ -n "$lvl" ] || break
        b=$(mh_size_bytes "$(mh_ini_get "$1" "$lvl" size)")
        [ -n "$b" ] || break
        pick=$(awk -F, -v lo=$((2 * prev)) -v hi=$((b / 2)) '$1 == "chase" && $2 == "page" && $3 > lo && $3 <= hi && $3 > m { m = $3 } END { if (m) print m }' "$2")
        [ -z "$pick" ] || out="$out${out:+,}$pick"
        prev=$b last=$b
        lvl=$(mh_ini_get "$1" "$lvl" next)
    done
    pick=$(awk -F, -v lo=$((4 * last)) '$1 == "chase" && $2 == "page" && $3 >= lo && (m == "" || $3 < m) { m = $3 } END { print m }' "$2")
    [ "$last" -eq 0 ] || [ -z "$pick" ] || out="$out${out:+,}$pick"
    printf '%s' "$out"
}
if [ -s "$work/ladder.csv" ] && [ -s "$work/validation.csv" ] && [ -n "$cfg" ] && have bench; then
    sizes=$(recheck_sizes "$cfg" "$work/ladder.csv")
    if [ -n "$sizes" ]; then
        rc=0
        run_cmd validate "$bin" bench --kernel chase --variant page --sizes "$sizes" --min-time 0.05 \
            --events none -o "$work/recheck.csv" || rc=$?
        [ "$rc" -eq 0 ] || skip recheck "the chase after validate $(fail_reason validate "$rc")"
    fi
fi

# ---- 6. what the misses respond to: the validate points replayed with one model change each ------
# (scripts/what-if.sh: nothing runs natively; report.sh tables whatif.csv under the largest errors).
if [ ! -s "$work/validation.csv" ] || [ -z "$cfg" ]; then
    skip whatif "skipped: no validation.csv (validate did not run)"
elif ! have revalidate; then
    skip whatif "skipped: memhier revalidate not available"
else
    begin_step 6 whatif
    rc=0
    run_cmd whatif env MH_BIN="$bin" scripts/what-if.sh -c "$cfg" "$work" || rc=$?
    end_step
    [ "$rc" -eq 0 ] || skip whatif "$(fail_reason whatif "$rc")"
fi

# ---- 7. sweep, 8. compare on a captured trace -----------------------------------------------------
trace=""
if [ -d "$work/traces" ]; then
    for pat in '*heap*' '*pool*' '*stream*' '*'; do
        trace=$(find "$work/traces" -type f -name "$pat" ! -name '*.tmp.*' 2>/dev/null | sort | awk 'NR == 1')
        [ -n "$trace" ] && break
    done
fi
# out_args CMD FILE: how CMD writes CSV to FILE (--csv FILE, or -o FILE); empty: capture stdout.
out_args() { if helps "$1" --csv; then printf -- '--csv\n%s\n' "$2"; elif helps "$1" '-o'; then printf -- '-o\n%s\n' "$2"; fi; }
csv_step() {   # csv_step K STEP CMD OUTFILE ARGS...
    local k=$1 step=$2 cmd=$3 outf=$4 o rc=0; shift 4
    if ! have "$cmd"; then skip "$step" "skipped: memhier $cmd not available"; return 0; fi
    mapfile -t o < <(out_args "$cmd" "$outf")
    begin_step "$k" "$step"
    if [ ${#o[@]} -gt 0 ]; then
        run_cmd "$step" "$bin" "$cmd" "$@" "${o[@]}" || rc=$?
    else
        record "$bin" "$cmd" "$@" --format csv ">$outf"
        $setsid "$bin" "$cmd" "$@" --format csv >"$outf.tmp.$$" 2>>"$work/logs/$step.log" </dev/null &
        child=$!; wait "$child" || rc=$?; child=""
        if [ "$rc" -eq 0 ]; then mv -f "$outf.tmp.$$" "$outf"; else rm -f "$outf.tmp.$$"; fi
    fi
    end_step
    [ "$rc" -eq 0 ] || skip "$step" "$(fail_reason "$step" "$rc")"
    # Paths inside the run folder are named relative to it (the .tmp.<pid> name would go stale).
    if [ -s "$outf" ]; then sed "s|$work/||g" "$outf" | mh_atomic_write "$outf"; fi
}
if [ -z "$trace" ]; then
    skip sweep "skipped: no captured trace (validate wrote none under traces/)"
    skip compare "skipped: no captured trace (validate wrote none under traces/)"
else
    # One sweep per level (several --set in one call would sweep their cross product), merged.
    data=$(mh_ini_get "$cfg" hierarchy data); data=${data:-L1d}
    nxt=$(mh_ini_get "$cfg" "$data" next)
    parts=() tried=0
    for lvl in "$data" "$nxt"; do
        [ -n "$lvl" ] || continue
        v=$(sweep_values "$cfg" "$lvl")
        [ -n "$v" ] || continue
        tried=1
        csv_step 7 sweep sweep "$work/sweep-$lvl.csv" -c "$cfg" --set "$lvl.size=$v" "$trace"
        [ -s "$work/sweep-$lvl.csv" ] && parts+=("$work/sweep-$lvl.csv")
    done
    if [ ${#parts[@]} -gt 0 ]; then
        awk 'FNR > 1 || NR == 1' "${parts[@]}" | mh_atomic_write "$work/sweep.csv"
        rm -f "${parts[@]}"
    elif [ "$tried" -eq 0 ]; then
        skip sweep "skipped: no cache sizes in $(basename "$cfg") to sweep"
    fi
    cfgs=(-c "$cfg")
    for c in configs/zen3.ini configs/skylake-client.ini; do [ -s "$c" ] && cfgs+=(-c "$c"); done
    if [ ${#cfgs[@]} -lt 4 ]; then
        skip compare "skipped: fewer than two configs to compare"
    else
        csv_step 8 compare compare "$work/compare.csv" "${cfgs[@]}" "$trace"
    fi
fi

# ---- 9. machine description (counters_unavailable: "EVENT (reason) | EVENT (reason) ...") -----------------------------------------------------------------------
begin_step 9 machine
cpu_model=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
[ -n "$cpu_model" ] || cpu_model=$(uname -m)
pus=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc)
cores=$(awk -F': *' '/^physical id/ { p = $2 } /^core id/ { c[p ":" $2] = 1 } END { n = 0; for (k in c) n++; print n }' /proc/cpuinfo 2>/dev/null || echo 0)
[ "${cores:-0}" -gt 0 ] || cores=$pus
# sysfs caches of cpu0 (data and unified): "L1d 32768" lines; also caches.csv for the plot markers.
cache_lines=$(for d in /sys/devices/system/cpu/cpu0/cache/index*; do
    [ -r "$d/level" ] || continue
    t=$(cat "$d/type"); [ "$t" = Instruction ] && continue
    s=$(mh_size_bytes "$(cat "$d/size")")
    [ -n "$s" ] && echo "L$(cat "$d/level")$([ "$t" = Data ] && echo d) $s"
done)
if [ -n "$cache_lines" ]; then
    { echo "level,size_bytes"; sort -k2,2n <<<"$cache_lines" | tr ' ' ','; } | mh_atomic_write "$work/caches.csv"
fi
if command -v lstopo-no-graphics >/dev/null 2>&1; then
    cnt() { lstopo-no-graphics --only "$1" 2>/dev/null | wc -l; }
    caches=$(for c in l1dcache l2cache l3cache; do
        lstopo-no-graphics --only "$c" 2>/dev/null | awk '{ n++; s = $3 } END { if (n) { gsub(/[()]/, "", s); printf "%s %s x%d; ", $1, s, n } }'
    done)
    kmem=$(awk '$1 == "MemTotal:" { print int($2 / 1024) }' /proc/meminfo 2>/dev/null || true)
    numa=$(lstopo-no-graphics --only numanode 2>/dev/null | mh_numa_line "${kmem:-0}")
    topo="$(cnt package) package(s), $(cnt core) cores, $(cnt pu) PUs; ${caches% }${caches:+ }$numa"
else
    topo="$cores cores, $pus PUs; $(tr '\n' ' ' <<<"$cache_lines" | sed 's/ $//') (sysfs; lstopo-no-graphics not installed)"
fi
# The binary's own version (what was measured), else the tree's: a binary carried to another
# machine, or built before the tree changed, is not what `git describe` there says.
version=$("$bin" --version 2>/dev/null | awk 'NR == 1 && $NF != "unknown" { print $NF }' || true)
[ -n "$version" ] || version=$(git describe --always --dirty --tags 2>/dev/null || true)
# The compiler that built the binary measured (its --version says), else this machine's cc.
compiler=$("$bin" --version 2>/dev/null | sed -n 's/^built with //p' || true)
[ -n "$compiler" ] || compiler=$(${CC:-cc} --version 2>/dev/null | head -1 || echo unknown)
# Counters: from `memhier counters` when it exists, else from the event columns of bench/ladder CSVs.
avail="" unavail=""
if have counters; then
    "$bin" counters >"$work/counters.txt" 2>&1 </dev/null || true
    record "$bin" counters
    # Table rows "EVENT  yes|no  kind  counted-by  reason"; other shapes: a yes/no word anywhere.
    ev_re='^[[:space:]]*(PAPI_[A-Z0-9_]+|perf::[A-Za-z0-9_:-]+)'
    avail=$(grep -E "$ev_re" "$work/counters.txt" | awk '$2 == "yes" || ($2 != "no" && !/ no |not |unavail|fail|error|cannot/) { print $1 }' | tr '\n' ' ' || true)
    unavail=$(grep -E "$ev_re" "$work/counters.txt" | awk '
        $2 == "no" { r = ""; for (i = 5; i <= NF; i++) r = r (r ? " " : "") $i; printf "%s%s (%s)", (n++ ? " | " : ""), $1, (r ? r : "not available") }
        $2 != "no" && $2 != "yes" && / no |not |unavail|fail|error|cannot/ { printf "%s%s", (n++ ? " | " : ""), $0 }' || true)
else
    for f in "$work/bench.csv" "$work/ladder.csv"; do
        [ -s "$f" ] || continue
        read -r a u < <(awk "$(cat scripts/plot/csv.awk)"'
            NR == 1 { n = csv_split($0, h); next } { csv_split($0, f); for (i = 19; i <= n; i++) if (f[i] != "NA" && f[i] != "") got[i] = 1 }
            END { for (i = 19; i <= n; i++) if (i in got) a = a h[i] "|"; else u = u h[i] "|"; print (a ? a : "-"), (u ? u : "-") }' "$f")
        [ "$a" != - ] && avail="$avail ${a//|/ }"
        [ "$u" != - ] && unavail="$unavail ${u//|/ (no values in $(basename "$f"))|}"
        break
    done
    avail=$(xargs -n1 <<<"$avail" 2>/dev/null | sort -u | tr '\n' ' ' || true)
    unavail=$(tr '|' '\n' <<<"$unavail" | sed 's/^ *//' | sed '/^$/d' | sort -u | awk '{ printf "%s%s", (n++ ? " | " : ""), $0 }')
fi
if [ -z "$avail$unavail" ] && ! have counters && [ ! -s "$work/bench.csv" ] && [ ! -s "$work/ladder.csv" ]; then
    avail=unknown unavail="unknown (memhier counters not available and no benchmark CSV in this run)"
fi
cfg_name=none
[ -n "$cfg" ] && case $cfg in "$work"/*) cfg_name=${cfg#"$work"/} ;; *) cfg_name=$cfg ;; esac
{
    echo "key,value"
    for kv in "host=$(mh_host)" "cpu_model=$cpu_model" "cores=$cores" "topology_summary=$topo" \
        "kernel=$(uname -srm)" "compiler=$compiler" "memhier_version=${version:-unknown}" "config=$cfg_name" \
        "utc_time=$utc_start" "counters_available=${avail:-none}" "counters_unavailable=${unavail:-none}" \
        "mode=$mode"; do
        echo "${kv%%=*},$(mh_csv_escape "${kv#*=}")"
    done
} | mh_atomic_write "$work/machine.csv"
end_step

# ---- 10. report -----------------------------------------------------------------------------------
{
    echo "step,reason"
    for s in "${skipped[@]}"; do echo "$s"; done
} | mh_atomic_write "$work/skipped.csv"
[ ${#skipped[@]} -gt 0 ] || rm -f "$work/skipped.csv"
begin_step 10 report
record scripts/report.sh "$work"
rc=0
MH_RUN_NAME=$(basename "$final") scripts/report.sh "$work" >>"$work/logs/report.log" 2>&1 &
child=$!; wait "$child" || rc=$?; child=""
end_step
if [ "$rc" -ne 0 ]; then
    cat "$work/logs/report.log" >&2
    mh_die "report failed (exit $rc); nothing kept"
fi
grep '^report: ' "$work/logs/report.log" >&2 || true   # e.g. the one "gnuplot not found" message

# commands.sh: a runnable record of this run.
{
    echo "#!/usr/bin/env bash"
    echo "# Commands run by scripts/run-suite.sh ($mode mode) for $(basename "$final"), from the repository root."
    echo "set -euo pipefail"
    cat "$work/commands.sh"
} | mh_atomic_write "$work/commands.sh"
# The report links to files by relative names, so it stays valid after the rename.
# mv -T never moves the folder into one that appeared meanwhile (a run started in the same second).
tries=0
until mv -T "$work" "$final" 2>/dev/null; do
    tries=$((tries + 1))
    [ "$tries" -lt 5 ] || mh_die "cannot rename $work to $final"
    final=$(mh_new_run_dir "$results")
done
done_ok=1
trap - INT TERM
echo "$final/report.md"
cat "$final/summary.txt"
echo "($(mh_fmt_secs $(($(mh_now) - start))) elapsed; $mode mode)" >&2
