#!/usr/bin/env bash
# counters_pmu.sh — the hardware-counter path of bin/memhier end to end (TAP), on the simulated PMU of
# tests/lib/fake_papi.c preloaded in place of libpapi (this machine has no PMU): `counters`, `bench`
# and `validate` with the presets available, too few counters (groups in turn), an absent preset and
# PAPI failing to start. The fake's counts are made up from the thread's CPU time with known ratios
# (TOT_INS = 2 TOT_CYC, L1_DCM = TOT_CYC / 16), so each value can be traced to its column; its
# software events count for real. Needs MH_BIN and MH_FAKE_PAPI (tests/run.sh sets both).
# The awk programs are single-quoted on purpose.
# shellcheck disable=SC2016
set -u
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/lib/tap.sh
. tests/lib/tap.sh
bin=${MH_BIN:-bin/memhier}
so=${MH_FAKE_PAPI:-build/tests/libfakepapi.so}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..16"
if [ ! -f "$so" ]; then
    for i in $(seq 1 16); do echo "ok $i - hardware-counter path # SKIP $so not built (make test builds it)"; done
    exit 0
fi
so=$(realpath "$so")
fake() { env LD_PRELOAD="$so" "$@"; }

# 1-5: memhier counters
fake "$bin" counters >"$tmp/c4" 2>&1
check "4 counters: the 9 default events available, in 2 groups counted in turn" \
    grep -qx '9 of 9 events available (more hardware events than counters: 2 groups, counted in turn, one per repetition)' "$tmp/c4"
check "4 counters: each preset listed as hardware counted by papi, with its group" \
    bash -c "[ \$(grep -cE '^PAPI_(L1_DCM|L2_DCM|L3_TCM|TOT_CYC) +yes +hardware +papi, group 1 ' '$tmp/c4') -eq 4 ] && grep -qE '^PAPI_TOT_INS +yes +hardware +papi, group 2 ' '$tmp/c4'"
FAKE_PAPI_COUNTERS=8 fake "$bin" counters >"$tmp/c8" 2>&1
check "8 counters: one set, no groups" grep -qx '9 of 9 events available' "$tmp/c8"
FAKE_PAPI_COUNTERS=8 FAKE_PAPI_ABSENT=PAPI_L3_TCM fake "$bin" counters >"$tmp/cna" 2>&1
check "a preset the CPU lacks: not available, with PAPI's reason; the others are" \
    bash -c "grep -qE '^PAPI_L3_TCM +no +hardware +none +PAPI_query_named_event: Event does not exist \(-7\); no hardware PMU event' '$tmp/cna' && grep -qx '8 of 9 events available' '$tmp/cna'"
FAKE_PAPI_INIT_FAIL=1 fake "$bin" counters >"$tmp/cif" 2>&1
check "PAPI_library_init failing: no preset available, each naming it" \
    bash -c "[ \$(grep -cE '^PAPI_[A-Z0-9_]+ +no +hardware +none +PAPI_library_init: ' '$tmp/cif') -eq 5 ]"

# 6: the run report says so (a fixture run folder with this counters.txt)
cp -r tests/fixtures/run "$tmp/fixrun" && cp "$tmp/c4" "$tmp/fixrun/counters.txt"
scripts/report.sh "$tmp/fixrun" >/dev/null 2>&1
check "report.md says the hardware events took turns in 2 groups" \
    grep -q '^- 2 groups of hardware events took turns, one group per repetition' "$tmp/fixrun/report.md"

# 7-9: memhier bench: every value in its own column
fake "$bin" bench --kernel stream --variant read --sizes 16K --min-time 0.01 -o "$tmp/b.csv" >"$tmp/b.out" 2>&1; rc=$?
check "bench exits 0 and says the events take turns in 2 groups and cycles come from PAPI_TOT_CYC" \
    bash -c "[ $rc -eq 0 ] && grep -q '^events in 2 groups, counted in turn' '$tmp/b.out' && grep -q 'cycles from PAPI_TOT_CYC' '$tmp/b.out'"
check "bench.csv (2 groups): every event's median measured, from its group's repetitions" \
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i ~ /^perf::/) ev[i] = 1; if ($i ~ /^PAPI_/) ev[i] = 2 }; next }
             { for (i in ev) if ($i !~ /^[0-9]+$/ || (ev[i] == 2 && $i <= 0)) bad = 1 }
             END { exit !(NR == 2 && !bad && length(ev) == 9) }' "$tmp/b.csv"
FAKE_PAPI_COUNTERS=8 fake "$bin" bench --kernel stream --variant read --sizes 16K --min-time 0.01 -o "$tmp/b8.csv" >/dev/null 2>&1
check "bench.csv (one set): each event's median in its own column (TOT_INS = 2 TOT_CYC, L1_DCM = TOT_CYC / 16)" \
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
             { cyc = $c["PAPI_TOT_CYC"]; ok = cyc > 0 && $c["PAPI_TOT_INS"] == 2 * cyc && $c["PAPI_L1_DCM"] == int(cyc / 16) }
             END { exit !(NR == 2 && ok) }' "$tmp/b8.csv"

# 10-16: memhier validate
if ! "$bin" detect -o "$tmp/host.ini" >/dev/null 2>&1; then
    for i in $(seq 10 16); do echo "ok $i - validate with hardware counters # SKIP memhier detect fails here"; done
    exit 0
fi
fake "$bin" validate -c "$tmp/host.ini" --out "$tmp/run" --quick --kernels stream --sizes 16K \
    --min-time 0.005 >"$tmp/v.out" 2>"$tmp/v.err"; rc=$?
v=$tmp/run/validation.csv
check "validate exits 0 and says the hardware events take turns in 2 groups, none unmeasured" \
    bash -c "[ $rc -eq 0 ] && grep -q '^counters: the PMU cannot count the 5 hardware events at once: 2 groups' '$tmp/v.err' && ! grep -q 'not measured' '$tmp/v.err'"
check "validation.csv: 5 preset rows (stream read, --quick's one variant), none 'not measured'" \
    bash -c "[ \$(grep -cE '^stream,read,16384,PAPI_' '$v') -eq 5 ] && ! grep -q 'not measured' '$v'"
check "every preset row: a measured count > 0 and an error % = (simulated - measured) / measured" \
    awk -F, '$4 ~ /^PAPI_/ { n++; e = ($8 - $5) / $5 * 100; if (!($5 > 0) || $9 == "" || (e - $9) > 0.01 || ($9 - e) > 0.01) bad = 1 }
             END { exit !(n == 5 && !bad) }' "$v"
check "validation.csv: the presets named next to their simulated counterparts" \
    bash -c "grep -q ',PAPI_L1_DCM <-> L1d demand misses' '$v' && grep -q ',PAPI_TOT_CYC <-> simulated cycles' '$v'"
check "first-touch minor faults measured (the fake's software events count for real)" \
    awk -F, '$4 == "perf::MINOR-FAULTS:first-touch" { n++; if ($5 !~ /^[0-9]+$/) bad = 1 } END { exit !(n == 1 && !bad) }' "$v"
check "validation-summary.csv: a row per preset, its median |error| that of its one point" \
    awk -F, 'FNR == NR { if ($4 ~ /^PAPI_/) err[$4] = $9 < 0 ? -$9 : $9; next }
             $1 ~ /^PAPI_/ { n++; d = $3 - err[$1]; if ($2 != 1 || d > 0.006 || d < -0.006) bad = 1 }
             END { exit !(n == 5 && !bad) }' "$v" "$tmp/run/validation-summary.csv"
check "bench.csv of the run: cycles_median = PAPI_TOT_CYC's median / accesses" \
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
             { n++; e = $c["PAPI_TOT_CYC"] / $c["accesses"] - $c["cycles_median"]; if (!($c["PAPI_TOT_CYC"] > 0) || e > 0.001 || e < -0.001) bad = 1 }
             END { exit !(n == 1 && !bad) }' "$tmp/run/bench.csv"
exit 0
