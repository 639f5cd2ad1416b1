#!/usr/bin/env bash
# scripts.sh — integration tests (TAP) of the suite scripts: shellcheck on every script, every gnuplot
# template on the fixture run (tests/fixtures/run) in PNG, SVG and PDF, report.sh, the missing-gnuplot
# path, run-suite.sh end to end with a stand-in memhier (all commands; some missing; interrupted),
# compare-runs.sh, compare-configs.sh, run-folder naming; and, when the real bin/memhier has
# `validate`, a real QUICK=1 run.
# ok/notok always succeed, so `cond && ok || notok` is a safe if-then-else here.
# shellcheck disable=SC2015,SC2001
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
FIX=$ROOT/tests/fixtures/run
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; [ $# -lt 2 ] || sed 's/^/#   /' <<<"$2"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check() { local what=$1; shift; if "$@" >"$tmp/check.log" 2>&1; then ok "$what"; else notok "$what" "$(tail -15 "$tmp/check.log")"; fi; }
have_gnuplot() { command -v gnuplot >/dev/null 2>&1; }

# ---- shellcheck ------------------------------------------------------------------------------------
if command -v shellcheck >/dev/null 2>&1; then
    for s in scripts/*.sh tests/integration/scripts.sh; do
        check "shellcheck $s" shellcheck -x "$s"
    done
else
    skip "shellcheck scripts/*.sh" "shellcheck not installed"
fi

# ---- each template on the fixtures -------------------------------------------------------------------
magic_ok() {   # FILE FMT: non-empty file of that format
    local f=$1 fmt=$2
    [ -s "$f" ] || return 1
    case $fmt in
        png) [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = "211PNG" ] ;;
        svg) grep -q '<svg' "$f" ;;
        pdf) [ "$(head -c 4 "$f")" = "%PDF" ] ;;
    esac
}
if have_gnuplot; then
    for gp in scripts/plot/*.gp; do
        name=$(basename "$gp" .gp)
        for fmt in png svg pdf; do
            out="$tmp/tpl-$name.$fmt"
            if gnuplot -e "dir='$FIX'; out='$out'; fmt='$fmt'" "$gp" >"$tmp/gp.log" 2>&1 && magic_ok "$out" "$fmt" \
                && ! grep -qiE 'warning|error' "$tmp/gp.log"; then
                ok "template $name on fixtures makes a non-empty $fmt"
            else
                notok "template $name on fixtures makes a non-empty $fmt" "$(tail -5 "$tmp/gp.log")"
            fi
        done
    done
    # A folder without the template's data: nothing written, MH_NODATA said.
    mkdir -p "$tmp/empty-run"
    echo "key,value" >"$tmp/empty-run/machine.csv"
    gnuplot -e "dir='$tmp/empty-run'; out='$tmp/none.png'; fmt='png'" scripts/plot/ladder.gp >"$tmp/gp.log" 2>&1 || true
    if grep -q MH_NODATA "$tmp/gp.log" && [ ! -e "$tmp/none.png" ]; then ok "template without data writes nothing and says MH_NODATA"
    else notok "template without data writes nothing and says MH_NODATA" "$(cat "$tmp/gp.log")"; fi
else
    skip "gnuplot templates on fixtures" "gnuplot not installed"
fi

# ---- report.sh on the fixture folder -------------------------------------------------------------------
cp -r "$FIX" "$tmp/fx"
if scripts/report.sh "$tmp/fx" >"$tmp/rep.out" 2>"$tmp/rep.err"; then ok "report.sh on fixtures exits 0"
else notok "report.sh on fixtures exits 0" "$(cat "$tmp/rep.err")"; fi
[ -s "$tmp/fx/report.md" ] && ok "report.md written" || notok "report.md written"
if have_gnuplot; then
    missing=""
    for p in ladder validation patterns memory stalls missratio compare; do
        for fmt in png svg pdf; do [ -s "$tmp/fx/plots/$p.$fmt" ] || missing="$missing $p.$fmt"; done
        grep -q "(plots/$p.png)" "$tmp/fx/report.md" || missing="$missing link:$p.png"
    done
    [ -z "$missing" ] && ok "report.md references every plot (7 plots x PNG/SVG/PDF)" || notok "report.md references every plot" "missing:$missing"
fi
for sec in "## Machine" "## Validation" "## Per-kernel results" "## Heap vs pool" "## Reproduce" "## Skipped" "not measured"; do
    grep -q "$sec" "$tmp/fx/report.md" && ok "report.md has '$sec'" || notok "report.md has '$sec'"
done
# The plateau table's model size column: calibrated.ini's size key ("-" without that file); a level
# whose model size is smaller ends its plateau there (page-local points in (1 MiB, 16 MiB]: median
# 15.4 ns; in (1 MiB, 4 MiB]: 14.6 ns).
grep -qE '^\| L3 \| 32 MiB \| - \| 15.4 \|' "$tmp/fx/report.md" && ok "plateau table: no calibrated.ini, model size '-'" \
    || notok "plateau table: no calibrated.ini, model size '-'" "$(grep -E '^\| L3 ' "$tmp/fx/report.md")"
cp -r "$FIX" "$tmp/fx-cal"
printf '[hierarchy]\nname = t\n[L2]\nsize = 512K\n[L3]\nways = 16\nsize = 8M\n' >"$tmp/fx-cal/calibrated.ini"
scripts/report.sh "$tmp/fx-cal" >/dev/null 2>&1 || true
if grep -qE '^\| L3 \| 32 MiB \| 8M \| 14.6 \|' "$tmp/fx-cal/report.md" && grep -qE '^\| L2 \| 512 KiB \| 512K \|' "$tmp/fx-cal/report.md" &&
    grep -q 'L3 14.6 ns' "$tmp/fx-cal/summary.txt"; then
    ok "plateau table and summary: model size from calibrated.ini (L3 8M of 32 MiB), the plateau inside it"
else notok "plateau table: model size from calibrated.ini" "$(grep -E '^\| L[23] ' "$tmp/fx-cal/report.md")"; fi
# The clock validate's replays used: clock.csv's median (three rounds; even counts average the middle two).
printf 'round,frequency_ghz,base_cpi\n1,3.10,0.16\n2,2.90,0.16\n3,3.00,0.16\n' >"$tmp/fx-cal/clock.csv"
scripts/report.sh --no-plots "$tmp/fx-cal" >/dev/null 2>&1 || true
if grep -q "^Clock: 3 core probes during validate (clock.csv) read 2.90..3.10 GHz; the replays turned" "$tmp/fx-cal/report.md" &&
    grep -q "^simulated cycles into ns at their median, 3.00 GHz," "$tmp/fx-cal/report.md" &&
    grep -q "(calibrated.ini says ?)" "$tmp/fx-cal/report.md" && ! grep -q "^Clock:" "$tmp/fx/report.md"; then
    ok "report names validate's clock: clock.csv's probes, their range and median (none without clock.csv)"
else notok "report names validate's clock" "$(grep -A2 '^Clock' "$tmp/fx-cal/report.md")"; fi
# The machine since calibration: recheck.csv's chase points against ladder.csv's; a 1.5x move is named.
cp -r "$FIX" "$tmp/fx-rc"
printf 'kernel,variant,size_bytes,reps,ns_median\nchase,page,1048576,3,2.0\nchase,page,4194304,3,10.0\nchase,global,4194304,3,20.0\n' >"$tmp/fx-rc/ladder.csv"
printf 'kernel,variant,size_bytes,reps,ns_median\nchase,page,1048576,3,2.1\nchase,page,4194304,3,30.0\n' >"$tmp/fx-rc/recheck.csv"
scripts/report.sh --no-plots "$tmp/fx-rc" >/dev/null 2>&1 || true
if grep -q '^validation: .*; the machine moved since calibration (chase at 4 MiB: 10 ns then, 30 ns after validate)$' "$tmp/fx-rc/summary.txt" &&
    grep -qF '| 4 MiB | 10.0 | 30.0 | 3.000 |' "$tmp/fx-rc/report.md" && grep -qF '| 1 MiB | 2.0 | 2.1 | 1.050 |' "$tmp/fx-rc/report.md"; then
    ok "report: a chase point that moved 3x since calibration is named in the summary and the table"
else notok "report: a chase point that moved 3x since calibration is named" "$(cat "$tmp/fx-rc/summary.txt")"; fi
printf 'kernel,variant,size_bytes,reps,ns_median\nchase,page,1048576,3,2.1\nchase,page,4194304,3,11.0\n' >"$tmp/fx-rc/recheck.csv"
scripts/report.sh --no-plots "$tmp/fx-rc" >/dev/null 2>&1 || true
if ! grep -q 'moved since calibration' "$tmp/fx-rc/summary.txt" && grep -qF '| 4 MiB | 10.0 | 11.0 | 1.100 |' "$tmp/fx-rc/report.md" &&
    ! grep -q '^The machine since calibration' "$tmp/fx/report.md"; then
    ok "report: chase points within 1.5x of calibration are tabled, not named; no recheck.csv, no table"
else notok "report: chase points within 1.5x of calibration" "$(cat "$tmp/fx-rc/summary.txt")"; fi
# What the misses respond to (whatif.csv): the fixture's one miss (stride 256 at 16 MiB, -21.3 %)
# with each knob, bold where a knob brings it within 15 %, and each knob's share of points within.
cp -r "$FIX" "$tmp/fx-wi"
awk -F, 'BEGIN { print "knob,setting,kernel,variant,size_bytes,measured,simulated,error_pct,mechanism" }
    $4 == "ns_per_access" { e = $9; if ($1 == "stride" && $3 == 16777216) e = -5; if ($1 == "heap" && $3 == 1048576) e = -20
        print "knob A,L1d.mshrs=32," $1 "," $2 "," $3 "," $5 "," $8 "," e ",\"more misses, in flight\""
        print "knob B,hierarchy.rob=256," $1 "," $2 "," $3 "," $5 "," $8 "," $9 ",a window" }' \
    "$FIX/validation.csv" >"$tmp/fx-wi/whatif.csv"
scripts/report.sh --no-plots "$tmp/fx-wi" >/dev/null 2>&1 || true
pts=$(grep -c ',ns_per_access,' "$FIX/validation.csv")
within=$(awk -v n="$pts" 'BEGIN { printf "%.1f", 100 * (n - 1) / n }')
if grep -qF '| kernel | variant | size | as calibrated % | knob A | knob B |' "$tmp/fx-wi/report.md" &&
    grep -qF '| stride | 256 | 16 MiB | -21.3 | **-5.0** | -21.3 |' "$tmp/fx-wi/report.md" &&
    grep -qF "| all points within ±15 % | | | $within | $within | $within |" "$tmp/fx-wi/report.md" &&
    grep -qF -- "- **knob A** (\`L1d.mshrs=32\`): more misses, in flight" "$tmp/fx-wi/report.md" &&
    [ "$(grep -c '^| heap ' <(sed -n '/^### What the misses/,/^## /p' "$tmp/fx-wi/report.md"))" -eq 0 ] &&
    ! grep -q 'What the misses respond to' "$tmp/fx/report.md" &&
    grep -q '; worst: stride 256 at 16 MiB (-21.3%); within ±15% with knob A (whatif.csv)$' "$tmp/fx-wi/summary.txt" &&
    grep -q '; worst: stride 256 at 16 MiB (-21.3%)$' "$tmp/fx/summary.txt"; then
    ok "report: what the misses respond to (whatif.csv): each miss with every knob, bold within 15 %, shares within, the knobs that bring the worst in named in the summary; no whatif.csv, neither"
else notok "report: what the misses respond to" "$(sed -n '/^### What the misses/,/^## /p' "$tmp/fx-wi/report.md")"; fi
# "not measured" cells are never shown as 0.
# fixture stalls.csv for stride 256 at 16 MiB: L1d 53.5M, L3 53.5M, L2 40.1M of 206.0M cycles (26.0,
# 26.0, 19.5 %; compute 13 % and the rest come after the three largest)
if grep -qF '| stride | 256 | 16 MiB | 10.02 | 7.887 | -21.3 | L1d 26%, L3 26%, L2 19% |' "$tmp/fx/report.md"; then
    ok "largest errors name where the simulated time went (stalls.csv)"
else notok "largest errors name where the simulated time went" "$(grep -F '| stride | 256 | 16 MiB' "$tmp/fx/report.md")"; fi
# Two speeds: the same point with its p10 at 7.5 ns (25 % below the median, the model 5 % above it).
cp -r "$FIX" "$tmp/fx-2s"
sed -i 's/^stride,256,16777216,ns_per_access,10.022,9.911,/stride,256,16777216,ns_per_access,10.022,7.5,/' "$tmp/fx-2s/validation.csv"
scripts/report.sh --no-plots "$tmp/fx-2s" >/dev/null 2>&1
if grep -qF '| stride | 256 | 16 MiB | 10.02 (p10 7.5: two speeds) | 7.887 | -21.3 |' "$tmp/fx-2s/report.md" &&
    ! grep -qF 'two speeds) |' "$tmp/fx/report.md"; then
    ok "largest errors: a point whose p10 lies far below its median, the model near p10, is marked two speeds"
else notok "largest errors: two speeds" "$(grep -F '| stride | 256 | 16 MiB' "$tmp/fx-2s/report.md")"; fi
cp -r "$FIX" "$tmp/fx-nost" && rm "$tmp/fx-nost/stalls.csv"
scripts/report.sh --no-plots "$tmp/fx-nost" >/dev/null 2>&1
if grep -qF '| stride | 256 | 16 MiB | 10.02 | 7.887 | -21.3 | - |' "$tmp/fx-nost/report.md"; then
    ok "without stalls.csv the largest errors are still listed, their parts '-'"
else notok "without stalls.csv the largest errors are still listed" "$(grep -F '| stride | 256 |' "$tmp/fx-nost/report.md")"; fi
if grep -E '^\| PAPI_L1_DCM \|' "$tmp/fx/report.md" | grep -q 'not measured'; then ok "unmeasured counter shown as 'not measured'"
else notok "unmeasured counter shown as 'not measured'" "$(grep PAPI_L1_DCM "$tmp/fx/report.md")"; fi
[ "$(wc -l <"$tmp/fx/summary.txt")" -eq 5 ] && ok "summary.txt has five lines" || notok "summary.txt has five lines" "$(cat "$tmp/fx/summary.txt")"
if grep -q '^ladder (chase page-local): L1d ' "$tmp/fx/summary.txt" && grep -q '^Plateaus of the chase page-local ladder' "$tmp/fx/report.md"; then
    ok "summary and report name the chase shuffle the plateaus come from"
else notok "summary and report name the chase shuffle the plateaus come from" "$(sed -n 2p "$tmp/fx/summary.txt")"; fi
compgen -G "$tmp/fx/*.tmp.*" >/dev/null || compgen -G "$tmp/fx/plots/*.tmp.*" >/dev/null \
    && notok "report.sh leaves no temporary files" || ok "report.sh leaves no temporary files"
code=0; scripts/report.sh "$tmp/nonexistent" >/dev/null 2>&1 || code=$?
[ "$code" -eq 2 ] && ok "report.sh on a missing folder exits 2" || notok "report.sh on a missing folder exits 2" "exit $code"

# ---- missing gnuplot: CSVs + report without plots, one clear message --------------------------------
mkdir -p "$tmp/nognuplot"
for d in /usr/local/bin /usr/bin /bin; do
    [ -d "$d" ] || continue
    for f in "$d"/*; do
        b=$(basename "$f")
        case $b in gnuplot*) continue ;; esac
        [ -e "$tmp/nognuplot/$b" ] || ln -s "$f" "$tmp/nognuplot/$b"
    done
done
cp -r "$FIX" "$tmp/fx-nogp"
code=0
PATH="$tmp/nognuplot" scripts/report.sh "$tmp/fx-nogp" >/dev/null 2>"$tmp/nogp.err" || code=$?
if [ "$code" -eq 0 ] && [ -s "$tmp/fx-nogp/report.md" ] && [ ! -e "$tmp/fx-nogp/plots" ] \
    && [ "$(wc -l <"$tmp/nogp.err")" -eq 1 ] && grep -q 'gnuplot' "$tmp/nogp.err"; then
    ok "without gnuplot: report.md, no plots, one message ($(cat "$tmp/nogp.err"))"
else
    notok "without gnuplot: report.md, no plots, one message" "exit $code; stderr: $(cat "$tmp/nogp.err")"
fi
grep -q '!\[' "$tmp/fx-nogp/report.md" && notok "report without gnuplot links no images" || ok "report without gnuplot links no images"

# ---- a stand-in memhier for the suite ---------------------------------------------------------------
# FAKE_CMDS lists the commands it has; FAKE_SLEEP makes validate slow (interruption test).
fake=$tmp/fake-memhier
cat >"$fake" <<EOF
#!/usr/bin/env bash
set -euo pipefail
FIX='$FIX'
cmd=\${1:-}; shift || true
[ "\$cmd" = --version ] && { echo "memhier fake-1"; echo "built with testcc 9.9"; exit 0; }
case " \${FAKE_CMDS:-detect calibrate validate revalidate sweep compare counters} " in *" \$cmd "*) ;; *) echo "memhier: unknown command '\$cmd'" >&2; exit 2 ;; esac
for a in "\$@"; do [ "\$a" = --help ] && { echo "usage: memhier \$cmd [--quick] [--csv FILE] [-o FILE]"; exit 0; }; done
arg() { local k=\$1; shift; while [ \$# -gt 0 ]; do [ "\$1" = "\$k" ] && { echo "\$2"; return; }; shift; done; }
case \$cmd in
    detect) printf '[hierarchy]\ndata = L1d\n[L1d]\nsize = 32K\nways = 8\nline = 64\nnext = L2\n[L2]\nsize = 512K\nways = 8\nline = 64\n' >"\$(arg -o "\$@")" ;;
    calibrate) cp "\$(arg -c "\$@")" "\$(arg -o "\$@")"; cp "\$FIX/ladder.csv" "\$(arg --csv "\$@")" ;;
    validate) sleep "\${FAKE_SLEEP:-0}"; o=\$(arg --out "\$@"); ulimit -S -s >"\$o/stack-limit.txt"; for f in bench validation validation-summary stalls ladder-sim; do cp "\$FIX/\$f.csv" "\$o/"; done
              mkdir -p "\$o/traces"; echo trace >"\$o/traces/heap-1M.mht" ;;
    sweep) echo "\$*" >>"\$(dirname "\$(arg --csv "\$@")")/sweep-args.txt"; ulimit -S -s >"\$(dirname "\$(arg --csv "\$@")")/sweep-stack.txt"; cp "\$FIX/sweep.csv" "\$(arg --csv "\$@")" ;;
    compare) cp "\$FIX/compare.csv" "\$(arg --csv "\$@")"; echo "side-by-side table" ;;
    revalidate) { echo kernel,variant,size_bytes,measured,measured_p10,measured_p90,simulated,error_pct
                  awk -F, '\$4 == "ns_per_access" { print \$1 "," \$2 "," \$3 "," \$5 "," \$6 "," \$7 "," \$8 "," \$9 }' "\$FIX/validation.csv"; } >"\$(arg -o "\$@")" ;;
    counters) echo "event available kind counted-by reason"; echo "PAPI_L1_DCM  no  preset  -  Event does not exist"; echo "perf::MINOR-FAULTS  yes  software  perf_event" ;;
esac
EOF
chmod +x "$fake"
suite() { MH_BIN="$fake" MH_RESULTS="$tmp/res-$1" MH_SUITE_NO_BUILD=1 QUICK=1 scripts/run-suite.sh; }

code=0; suite all >"$tmp/suite.out" 2>"$tmp/suite.err" || code=$?
run=$(head -1 "$tmp/suite.out"); run=${run%/report.md}
if [ "$code" -eq 0 ] && [ -s "$run/report.md" ] && [ "$(wc -l <"$tmp/suite.out")" -eq 6 ]; then
    ok "run-suite (stand-in memhier) prints the report path and a five-line summary"
else
    notok "run-suite (stand-in memhier) prints the report path and a five-line summary" "exit $code; $(cat "$tmp/suite.out" "$tmp/suite.err")"
fi
missing=""
for f in machine.csv caches.csv host.ini calibrated.ini ladder.csv bench.csv validation.csv validation-summary.csv \
    stalls.csv ladder-sim.csv whatif.csv sweep.csv compare.csv commands.sh summary.txt report.md; do
    [ -s "$run/$f" ] || missing="$missing $f"
done
[ -z "$missing" ] && ok "run folder holds every expected file" || notok "run folder holds every expected file" "missing:$missing"
if have_gnuplot; then
    c=$(find "$run/plots" -name '*.png' 2>/dev/null | wc -l)
    [ "$c" -eq 7 ] && ok "run folder has all 7 PNG plots" || notok "run folder has all 7 PNG plots" "$c found"
fi
for k in host cpu_model cores topology_summary kernel compiler memhier_version config utc_time counters_available counters_unavailable; do
    grep -q "^$k," "$run/machine.csv" || missing="$missing $k"
done
[ -z "$missing" ] && ok "machine.csv has every key" || notok "machine.csv has every key" "missing:$missing"
soft=$(ulimit -S -s) hard=$(ulimit -H -s) want=262144
[ "$hard" = unlimited ] || [ "$hard" -ge "$want" ] || want=$hard
[ "$soft" = unlimited ] || [ "$soft" -lt "$want" ] || want=$soft
if [ "$(cat "$run/stack-limit.txt" 2>/dev/null)" = "$want" ] && [ "$(cat "$run/sweep-stack.txt" 2>/dev/null)" = "$soft" ] &&
    { [ "$want" = "$soft" ] || grep -q "^ulimit -S -s $want\$" "$run/commands.sh"; }; then
    ok "validate runs with a 256 MiB soft stack limit (or the hard one), the next steps with the usual $soft"
else
    notok "validate's stack limit" "validate $(cat "$run/stack-limit.txt" 2>&1), sweep $(cat "$run/sweep-stack.txt" 2>&1), want $want then $soft"
fi
grep -q '^memhier_version,fake-1$' "$run/machine.csv" && ok "machine.csv names the binary's version (its --version), not the tree's" \
    || notok "machine.csv names the binary's version" "$(grep '^memhier_version' "$run/machine.csv")"
grep -q '^compiler,testcc 9.9$' "$run/machine.csv" && ok "machine.csv names the compiler that built the binary (its --version)" \
    || notok "machine.csv names the binary's compiler" "$(grep '^compiler' "$run/machine.csv")"
grep -q '^counters_unavailable,.*PAPI_L1_DCM' "$run/machine.csv" && ok "machine.csv lists unavailable counters from memhier counters" \
    || notok "machine.csv lists unavailable counters" "$(cat "$run/machine.csv")"
grep -q -- '--set L1d.size=8K,16K,32K,64K,128K' "$run/sweep-args.txt" && ok "sweep gets valid L1d sizes around the configured one" \
    || notok "sweep gets valid L1d sizes" "$(cat "$run/sweep-args.txt" 2>/dev/null)"
compgen -G "$tmp/res-all/*.tmp.*" >/dev/null && notok "no temporary folder left after a run" || ok "no temporary folder left after a run"
[ -s "$tmp/suite.err" ] && grep -q $'\r' "$tmp/suite.err" && notok "no progress line when stderr is not a terminal" || ok "no progress line when stderr is not a terminal"
case $(basename "$run") in *-[0-9]*T[0-9]*Z) ok "run folder named <host>-<UTC time>" ;; *) notok "run folder named <host>-<UTC time>" "$run" ;; esac

# Missing commands: skipped, said, the run goes on.
code=0; FAKE_CMDS="detect" suite some >"$tmp/some.out" 2>"$tmp/some.err" || code=$?
run2=$(head -1 "$tmp/some.out"); run2=${run2%/report.md}
if [ "$code" -eq 0 ] && grep -q 'skipped: memhier calibrate not available' "$tmp/some.err" && grep -q 'memhier validate not available' "$run2/report.md"; then
    ok "missing memhier commands are skipped and named in the report"
else
    notok "missing memhier commands are skipped and named in the report" "exit $code; $(cat "$tmp/some.err")"
fi

# Interrupted: exit 130/143, nothing left behind, earlier runs untouched.
for sig in TERM INT; do
    want=$([ $sig = TERM ] && echo 143 || echo 130)
    mkdir -p "$tmp/res-int"
    before=$(find "$tmp/res-int" | sort | md5sum)
    set -m
    FAKE_SLEEP=31.7 MH_BIN="$fake" MH_RESULTS="$tmp/res-int" MH_SUITE_NO_BUILD=1 QUICK=1 scripts/run-suite.sh >/dev/null 2>"$tmp/int.err" &
    pid=$!
    set +m
    for _ in $(seq 100); do compgen -G "$tmp/res-int/*.tmp.*/logs/validate.log" >/dev/null && break; sleep 0.1; done
    kill -"$sig" "$pid"
    code=0; wait "$pid" || code=$?
    after=$(find "$tmp/res-int" | sort | md5sum)
    if [ "$code" -eq "$want" ] && [ "$before" = "$after" ]; then ok "SIG$sig during validate: exit $want, nothing left, earlier runs untouched"
    else notok "SIG$sig during validate: exit $want, nothing left" "exit $code; $(ls -R "$tmp/res-int"; cat "$tmp/int.err")"; fi
    # A finished run there first, for the next round's "earlier runs untouched".
    MH_BIN="$fake" MH_RESULTS="$tmp/res-int" MH_SUITE_NO_BUILD=1 QUICK=1 scripts/run-suite.sh >/dev/null 2>&1
done
sleep 0.3
pgrep -f "$fake|sleep 31.7" >/dev/null && notok "no stand-in memhier (or its children) left running after interruption" "$(pgrep -af "$fake|sleep 31.7")" \
    || ok "no stand-in memhier (or its children) left running after interruption"

# ---- run-folder naming never reuses a folder ---------------------------------------------------------
NAMES=$tmp/names bash -c '. scripts/lib.sh; a=$(mh_new_run_dir "$NAMES"); mkdir -p "$a"; b=$(mh_new_run_dir "$NAMES"); [ "$a" != "$b" ] && [ ! -e "$b" ]' \
    && ok "mh_new_run_dir never returns an existing folder" || notok "mh_new_run_dir never returns an existing folder"

# ---- the machine line's NUMA memory: the kernel's beside hwloc's when they differ by more than 10 % --
a=$(printf 'NUMANode L#0 (P#0 4443MB)\n' | bash -c '. scripts/lib.sh; mh_numa_line 128000')
b=$(printf 'NUMANode L#0 (P#0 62GB)\nNUMANode L#1 (P#1 62GB)\n' | bash -c '. scripts/lib.sh; mh_numa_line 128000')
c=$(printf 'NUMANode L#0 (P#0 4443MB)\n' | bash -c '. scripts/lib.sh; mh_numa_line 0')
[ "$a" = "1 NUMA node(s) of 4443MB (hwloc; the kernel: 128000 MiB in all)" ] && [ "$b" = "2 NUMA node(s) of 62GB (hwloc)" ] && [ "$c" = "1 NUMA node(s) of 4443MB (hwloc)" ] \
    && ok "mh_numa_line names the kernel's memory only where hwloc's NUMA nodes hold 10 % more or less" \
    || notok "mh_numa_line names the kernel's memory only where hwloc's NUMA nodes hold 10 % more or less" "$a | $b | $c"

# ---- compare-runs, compare-configs --------------------------------------------------------------------
cp -r "$FIX" "$tmp/other"
sed -i 's/fixture-vm/other-box/' "$tmp/other/machine.csv"
code=0; scripts/compare-runs.sh -o "$tmp/cmp-runs" "$FIX" "$tmp/other" >"$tmp/cr.out" 2>&1 || code=$?
if [ "$code" -eq 0 ] && grep -q 'other-box' "$tmp/cmp-runs/runs.md" && grep -q 'fixture-vm' "$tmp/cmp-runs/runs.csv" \
    && { ! have_gnuplot || magic_ok "$tmp/cmp-runs/ladder-overlay.png" png; }; then
    ok "compare-runs.sh: side-by-side table and overlay ladder"
else
    notok "compare-runs.sh: side-by-side table and overlay ladder" "exit $code; $(cat "$tmp/cr.out")"
fi
code=0; scripts/compare-runs.sh "$FIX" >/dev/null 2>&1 || code=$?
[ "$code" -eq 2 ] && ok "compare-runs.sh with one folder exits 2" || notok "compare-runs.sh with one folder exits 2" "exit $code"
code=0; MH_BIN="$fake" scripts/compare-configs.sh -o "$tmp/cmp-cfg" -c "$tmp/res-all"/*/host.ini -c "$tmp/res-all"/*/calibrated.ini \
    "$tmp/res-all"/*/traces/heap-1M.mht >"$tmp/cc.out" 2>&1 || code=$?
if [ "$code" -eq 0 ] && [ -s "$tmp/cmp-cfg/compare.csv" ] && { ! have_gnuplot || magic_ok "$tmp/cmp-cfg/compare.png" png; }; then
    ok "compare-configs.sh: CSV and plot"
else
    notok "compare-configs.sh: CSV and plot" "exit $code; $(cat "$tmp/cc.out")"
fi

# ---- the real thing: QUICK=1 with bin/memhier, through a bundle unpacked outside the repository ------
real=${MH_BIN:-$ROOT/bin/memhier}
if [ -x "$real" ] && { "$real" validate --help >/dev/null 2>&1 || "$real" bench --help >/dev/null 2>&1; }; then
    code=0
    MH_BIN="$real" scripts/bundle.sh "$tmp/bundle.tar.gz" >"$tmp/bundle.out" 2>&1 || code=$?
    mkdir -p "$tmp/unpacked"
    [ "$code" -eq 0 ] && tar xzf "$tmp/bundle.tar.gz" -C "$tmp/unpacked" || code=1
    b=$(find "$tmp/unpacked" -mindepth 1 -maxdepth 1 -type d | head -1)
    if [ "$code" -eq 0 ] && [ -x "$b/run" ] && [ -x "$b/bin/memhier" ] && [ -s "$b/BUNDLE.txt" ] &&
        ! compgen -G "$b/lib/libc.so*" >/dev/null && { ! ldd "$real" | grep -q libzstd || [ -s "$b/lib/libzstd.so.1" ]; }; then
        ok "bundle.sh: binary, its libraries but not the C library, scripts, configs, run, BUNDLE.txt"
    else
        notok "bundle.sh" "exit $code; $(cat "$tmp/bundle.out"); $(find "$tmp/unpacked" -maxdepth 3 2>&1 | head -20)"
    fi
    code=0
    (cd "$tmp" && MH_RESULTS="$tmp/res-real" QUICK=1 timeout 300 "$b/run") >"$tmp/real.out" 2>"$tmp/real.err" || code=$?
    r=$(head -1 "$tmp/real.out")
    if [ "$code" -eq 0 ] && [ -s "$r" ] && [ -s "$(dirname "$r")/ladder.csv" ] && { ! have_gnuplot || [ -s "$(dirname "$r")/plots/ladder.png" ]; } &&
        grep -q "^memhier_version,$("$real" --version | awk 'NR == 1 { print $NF }')\$" "$(dirname "$r")/machine.csv"; then
        ok "QUICK=1 suite from the unpacked bundle with the real memhier: ladder, report ($(sed -n 3p "$tmp/real.out" | cut -c1-80))"
    else
        notok "QUICK=1 suite from the unpacked bundle" "exit $code; $(tail -20 "$tmp/real.err")"
    fi
else
    skip "bundle.sh" "$real has neither validate nor bench yet"
    skip "QUICK=1 suite from the unpacked bundle" "$real has neither validate nor bench yet"
fi

# ---- deps.sh: what a user without root is told ---------------------------------------------------------
mkdir -p "$tmp/fakebin"   # every package missing, not root, apt-get present
printf '#!/bin/sh\nexit 1\n' >"$tmp/fakebin/dpkg-query"
printf '#!/bin/sh\necho 1000\n' >"$tmp/fakebin/id"
printf '#!/bin/sh\nexit 0\n' >"$tmp/fakebin/apt-get"
chmod +x "$tmp/fakebin/"*
code=0; PATH="$tmp/fakebin:$PATH" scripts/deps.sh >"$tmp/deps.out" 2>"$tmp/deps.err" || code=$?
code2=0; PATH="$tmp/fakebin:$PATH" scripts/deps.sh --test >"$tmp/deps2.out" 2>"$tmp/deps2.err" || code2=$?
cmd=$(grep 'run as root' "$tmp/deps.err" || true); cmd2=$(grep 'run as root' "$tmp/deps2.err" || true)
if [ "$code" -eq 1 ] && [ "$code2" -eq 1 ] && grep -q 'sudo apt-get install -y --no-install-recommends build-essential .*libpapi-dev.*gnuplot-nox' <<<"$cmd" &&
    ! grep -q slurm-wlm <<<"$cmd" && grep -q 'gnuplot-nox.* slurm-wlm munge$' <<<"$cmd2"; then
    ok "deps.sh without root prints the exact apt-get command and exits 1; --test adds slurm-wlm munge"
else
    notok "deps.sh without root" "exit $code/$code2; $(cat "$tmp/deps.err" "$tmp/deps2.err")"
fi

echo "1..$n"
