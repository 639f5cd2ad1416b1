#!/usr/bin/env bash
# memcheck.sh — Valgrind Memcheck on the CLI smoke runs: no errors (invalid reads/writes, use of
# uninitialised values, bad frees) and no leaks of any kind, success and failure paths alike.
# "Still reachable" blocks are errors too, except those of system libraries (dynamic loader,
# hwloc, PAPI, libpfm) listed with reasons in tests/valgrind.supp.
# Env: MH_BIN (default bin/memhier). Skips when valgrind is missing.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
BIN=${MH_BIN:-$PWD/bin/memhier}
. tests/lib/tap.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[ -x "$BIN" ] || { echo "1..0 # SKIP memhier binary $BIN not built"; exit 0; }
command -v valgrind >/dev/null || { echo "1..0 # SKIP valgrind not installed (scripts/deps.sh installs it)"; exit 0; }

VG=(valgrind --tool=memcheck --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all
    --error-exitcode=9 --num-callers=40 --track-fds=no --suppressions=tests/valgrind.supp -q)

# vg NAME WANT_STATUS ARGS...: memhier ARGS under Memcheck; the exit status must be WANT_STATUS.
# Standard input is $VG_IN (default /dev/null).
vg() {
    local name=$1 want=$2; shift 2
    local log="$work/vg.$n.log"
    timeout 300 "${VG[@]}" --log-file="$log" "$BIN" "$@" >"$work/out" 2>"$work/err" <"${VG_IN:-/dev/null}"
    local st=$?
    if [ $st -eq 9 ] || grep -qE 'ERROR SUMMARY: [1-9]|definitely|indirectly|possibly|still reachable' "$log"; then
        notok "memcheck $name: $(grep -m1 -E 'Invalid|uninitialised|definitely|indirectly|possibly|still reachable|Mismatched' "$log")"
        sed 's/^/#   /' "$log" | head -40
    elif [ $st -ne "$want" ]; then
        notok "memcheck $name: exit status $st, want $want: $(head -1 "$work/err")"
    else
        ok "memcheck $name"
    fi
}

C=configs/zen3.ini
"$BIN" gen --records 3000 --pattern mixed "$work/t.mht" 2>/dev/null
"$BIN" gen --records 3000 --pattern random --to din "$work/t.din" 2>/dev/null
vg "sim table (din)" 0 sim -c $C tests/data/small.din
vg "sim csv (mht)" 0 sim -c $C -f csv "$work/t.mht"
vg "sim json -o (lackey, --flush)" 0 sim -c $C -f json --flush -o "$work/o.json" tests/data/small.lackey
vg "sim xdin --no-timing --no-3c" 0 sim -c $C --no-timing --no-3c tests/data/small.xdin
vg "sim --set" 0 sim -c $C --set L1d.size=16K --set L2.policy=random "$work/t.din"
vg "sim --split on (threads, --flush)" 0 sim -c $C --no-timing --no-3c --split on --flush -f csv "$work/t.mht"
vg "sim --split on refused (timing)" 2 sim -c $C --split on "$work/t.mht"
VG_IN=tests/data/small.din vg "sim stdin" 0 sim -c configs/small-teaching.ini -f csv -
if awk -F, '$1 == "L1" && $2 == "total" { exit !($3 > 0) }' "$work/out"; then ok "sim stdin: the din trace was read from standard input"
else notok "sim stdin: no L1 accesses in the output: $(head -2 "$work/out" | tr '\n' ' ')"; fi
vg "convert din -> mht" 0 convert "$work/t.din" "$work/c.mht"
vg "convert mht -> din" 0 convert "$work/t.mht" "$work/c.din"
vg "gen mht" 0 gen --records 5000 --pattern stack "$work/g.mht"
vg "gen din" 0 gen --records 5000 --pattern ifetch --to din "$work/g.din"
vg "info" 0 info "$work/t.mht"
vg "compare" 0 compare -c $C -c configs/small-teaching.ini -j 2 "$work/t.mht" tests/data/small.din
vg "compare -o csv" 0 compare -c $C -c configs/skylake-client.ini -o "$work/cmp.csv" "$work/t.mht"
vg "sweep (timing, threads)" 0 sweep -c $C --set L1d.size=16K,32K -j 2 "$work/t.mht"
vg "sweep one-pass" 0 sweep -c configs/small-teaching.ini --set L1.size=64,128,256 --one-pass -o "$work/sw.csv" "$work/t.mht"
vg "detect (this host)" 0 detect -o "$work/host.ini"
vg "detect --xml" 0 detect --xml tests/topologies/intel-client.xml -o "$work/ic.ini"
vg "counters" 0 counters
# failure paths free what they allocated, too
vg "bad trace (din)" 2 sim -c $C -o "$work/x.csv" tests/bad/trace-din-nonhex.din
vg "bad trace (corrupt mht)" 2 sim -c $C tests/bad/trace-mht-flipped.mht
vg "bad config" 2 sim -c tests/bad/config-next-cycle.ini tests/data/small.din
vg "bad --set" 2 sim -c $C --set L1d.ways=0 tests/data/small.din
vg "bad topology" 2 detect --xml tests/bad/topo-truncated.xml -o "$work/bad.ini"
vg "missing trace" 2 info "$work/no-such.mht"
echo "1..$n"
[ $fail -eq 0 ]
