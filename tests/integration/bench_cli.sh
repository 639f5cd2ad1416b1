#!/usr/bin/env bash
# bench_cli.sh — `memhier bench` and `memhier capture` from the command line (TAP).
# Bad parameters get exact messages and exit 2; a small run writes the documented CSV;
# --capture writes one trace per point; interrupting leaves no file behind.
set -u
bin=${MH_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/bin/memhier}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; [ $# -gt 1 ] && echo "# $2"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else notok "$1" "got: $2 | want: $3"; fi; }

# expect_usage NAME EXPECTED_STDERR ARGS...: exit 2 and exactly that message.
expect_usage() {
    local name=$1 want=$2; shift 2
    local err rc
    err=$("$bin" "$@" 2>&1 >/dev/null); rc=$?
    check "$name: exit 2" "$rc" 2
    check "$name: message" "$err" "$want"
}

[ -x "$bin" ] || { echo "1..1"; echo "not ok 1 - memhier binary missing at $bin"; exit 1; }

out=$("$bin" bench --list); rc=$?
check "--list exits 0" "$rc" 0
for k in chase stream stride stack heap pool prefetch; do
    if grep -q "^$k " <<<"$out"; then ok "--list shows $k"; else notok "--list shows $k"; fi
done

expect_usage "--sizes 0" 'memhier: --sizes "0": item 1: size must be > 0' bench --sizes 0
expect_usage "--sizes 32" 'memhier: --sizes "32": item 1: size 32 is below one cache line (64 bytes)' bench --sizes 32
expect_usage "--sizes garbage" 'memhier: --sizes "12Q": item 1: "12Q" is not a size (expected e.g. 4096, 64K, 16M, 1G)' bench --sizes 12Q
expect_usage "unknown kernel" "memhier: bench: unknown kernel 'nope' (known: chase, stream, stride, stack, heap, pool, prefetch)" bench --kernel nope
expect_usage "--distance -1" 'memhier: --distance "-1": item 1: -1 must be >= 0 and <= 1048576' bench --kernel prefetch --distance -1
expect_usage "chase group too large" "memhier: bench: variant 'g65': 65 lines per group, must be 1..64" bench --kernel chase --variant g65
expect_usage "unknown variant" "memhier: bench: unknown variant 'sideways' for the selected kernels (memhier bench --list shows them)" bench --kernel chase --variant sideways
expect_usage "--min-time 0" 'memhier: --min-time "0": must be seconds > 0 and <= 3600' bench --min-time 0
expect_usage "--stride 4" 'memhier: --stride "4": item 1: 4 must be >= 8 and <= 1073741824' bench --stride 4
expect_usage "capture without -o" 'memhier: capture: -o OUT is required (memhier capture -o prog.mht -- prog)' capture -- /bin/true
expect_usage "capture without program" "memhier: capture: no program after '--' (memhier capture -o prog.mht -- prog)" capture -o "$tmp/x.mht" --

# A small real run: CSV header, one row per kernel x variant x size, no leaks reported.
csv=$tmp/out.csv
"$bin" bench --kernel chase,heap,prefetch --sizes 4K,64K --distance 0,4 --min-time 0.01 --events none \
    --capture "$tmp/cap" -o "$csv" >"$tmp/summary" 2>&1
rc=$?
check "small run exits 0" "$rc" 0
head -1 "$csv" >"$tmp/h" 2>/dev/null
check "CSV header" "$(cat "$tmp/h")" "kernel,variant,size_bytes,reps,ns_median,ns_min,ns_p10,ns_p90,cycles_median,accesses,loads_per_iter,stores_per_iter,dependent,alloc_rate,peak_rss_bytes,fragmentation,live_objects,core"
check "CSV rows (5 chase + 1 heap + 2 prefetch variants, 2 sizes)" "$(($(wc -l <"$csv") - 1))" 16
check "every row has 18 columns" "$(awk -F, '{print NF}' "$csv" | sort -u)" 18
check "heap rows: live_objects 0" "$(awk -F, '$1=="heap"{print $17}' "$csv" | sort -u)" 0
check "chase rows: heap metrics empty" "$(awk -F, '$1=="chase"{print $14 $15 $16 $17}' "$csv" | sort -u)" ""
check "no temporary CSV left" "$(ls "$tmp" | grep -c '\.tmp\.')" 0
if [ -s "$tmp/cap/heap-default-65536.mht" ] && [ -s "$tmp/cap/prefetch-d4-4096.mht" ] && [ -s "$tmp/cap/chase-page-thp-4096.mht" ] && [ -s "$tmp/cap/chase-seq-65536.mht" ]; then
    ok "--capture writes DIR/<kernel>-<variant>-<size>.mht"
else
    notok "--capture writes DIR/<kernel>-<variant>-<size>.mht" "$(ls "$tmp/cap" 2>&1 | tr '\n' ' ')"
fi
check "one trace per point" "$(ls "$tmp/cap" | grep -c '\.mht$')" 16
if grep -q "capture: .*hook .* native" "$tmp/summary"; then ok "summary prints the capture/native cost ratio"; else notok "summary prints the capture/native cost ratio"; fi
if "$bin" info "$tmp/cap/chase-global-4096.mht" >"$tmp/info" 2>&1; then
    if grep -q "chase" "$tmp/info"; then ok "captured trace metadata names the kernel"; else notok "captured trace metadata names the kernel" "$(head -5 "$tmp/info")"; fi
else
    skip "captured trace metadata names the kernel" "memhier info unavailable"
fi

# Events: one column per requested event; unavailable ones read NA, never 0.
"$bin" bench --kernel stream --variant read --sizes 4K --min-time 0.01 --events PAPI_NO_SUCH_EVENT -o "$tmp/ev.csv" >/dev/null 2>&1
rc=$?
check "--events run exits 0" "$rc" 0
check "event column named after the event" "$(head -1 "$tmp/ev.csv" | awk -F, '{print $NF}')" "PAPI_NO_SUCH_EVENT"
check "unmeasured event reads NA" "$(sed -n 2p "$tmp/ev.csv" | awk -F, '{print $NF}')" "NA"

# CSV to stdout, summary to stderr.
lines=$("$bin" bench --kernel stride --stride 64 --sizes 4K --min-time 0.01 --events none 2>/dev/null | wc -l)
check "CSV on stdout when no -o" "$lines" 2

# Unwritable output: runtime failure, nothing left behind.
"$bin" bench --kernel stream --variant read --sizes 4K --min-time 0.01 --events none -o "$tmp/nodir/x.csv" >/dev/null 2>&1
check "unwritable -o exits 1" "$?" 1

# Interrupt: exit 130, no CSV, no temporary file.
"$bin" bench --kernel chase --sizes 4K --min-time 30 --events none -o "$tmp/int.csv" >/dev/null 2>&1 &
pid=$!
sleep 0.5
kill -INT "$pid"
wait "$pid"
check "SIGINT exits 130" "$?" 130
check "SIGINT leaves no files" "$(ls "$tmp" | grep -c '^int\.csv')" 0

# Stack depth guard: a size beyond RLIMIT_STACK is skipped with a message, not a crash.
"$bin" bench --kernel stack --sizes 64K,64M --min-time 0.01 --events none -o "$tmp/st.csv" >"$tmp/st.out" 2>&1
check "stack over the limit: exit 0" "$?" 0
if grep -q "skipped: stack: size 67108864 .*RLIMIT_STACK" "$tmp/st.out"; then ok "stack over the limit is skipped and says why"; else notok "stack over the limit is skipped and says why" "$(cat "$tmp/st.out")"; fi
check "stack: only the fitting size measured" "$(($(wc -l <"$tmp/st.csv") - 1))" 1

# memhier capture through Valgrind Lackey.
if command -v valgrind >/dev/null 2>&1; then
    "$bin" capture -o "$tmp/true.mht" -- /bin/true >/dev/null 2>"$tmp/cap.err"
    rc=$?
    check "capture /bin/true exits 0" "$rc" 0
    if [ -s "$tmp/true.mht" ] && grep -q "records to" "$tmp/cap.err"; then ok "capture writes a trace"; else notok "capture writes a trace" "$(cat "$tmp/cap.err")"; fi
    "$bin" capture --records 1000 --no-ifetch -o "$tmp/ls.mht" -- /bin/ls / >/dev/null 2>"$tmp/cap2.err"
    check "capture --records 1000 exits 0" "$?" 0
    if grep -q "1000 records to" "$tmp/cap2.err"; then ok "capture stops at the budget"; else notok "capture stops at the budget" "$(cat "$tmp/cap2.err")"; fi
    "$bin" capture --records 2K -o "$tmp/k.mht" -- /bin/ls / >/dev/null 2>"$tmp/cap2k.err"
    if grep -q "^memhier: capture: 2000 records to" "$tmp/cap2k.err"; then ok "capture --records 2K means 2000"
    else notok "capture --records 2K means 2000" "$(cat "$tmp/cap2k.err")"; fi
    # A program that ignores SIGTERM and SIGPIPE (xz catches them; a budget past the shell's start-up,
    # where it sets them): past the budget it is killed, not waited for forever.
    spin='trap "" TERM INT PIPE; while :; do :; done'
    start=$(date +%s)
    timeout -k 5 30 "$bin" capture --records 1000000 -o "$tmp/spin.mht" -- sh -c "$spin" >/dev/null 2>"$tmp/cap3.err"
    rc=$? secs=$(( $(date +%s) - start ))
    [ "$rc" = 0 ] || pkill -KILL -f 'while :; do :; done' 2>/dev/null # a hung capture's program
    check "capture --records 1000000 of a program ignoring SIGTERM exits 0" "$rc" 0
    if [ "$rc" = 0 ] && [ "$secs" -lt 20 ] && grep -q "1000000 records to" "$tmp/cap3.err"; then
        ok "capture stops a program ignoring SIGTERM at the budget (${secs} s)"
    else notok "capture stops a program ignoring SIGTERM at the budget" "rc $rc after ${secs} s: $(cat "$tmp/cap3.err")"; fi
    # SIGTERM to memhier while the program runs: it stops the program, exits 143, leaves no file.
    "$bin" capture -o "$tmp/int.mht" -- sh -c "$spin" >/dev/null 2>"$tmp/cap4.err" &
    cpid=$!
    sleep 2
    kill -TERM "$cpid"
    for _ in $(seq 100); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$cpid" 2>/dev/null; then
        notok "capture interrupted by SIGTERM exits" "still running 10 s after SIGTERM"
        kill -KILL "$cpid"; pkill -KILL -f 'while :; do :; done' 2>/dev/null
    else
        wait "$cpid"; rc=$?
        check "capture interrupted by SIGTERM exits 143" "$rc" 143
    fi
    left=$(ls "$tmp" | grep '^int\.mht' | tr '\n' ' ')
    if [ -z "$left" ] && grep -q "interrupted by signal 15" "$tmp/cap4.err"; then ok "interrupted capture leaves no file and says why"
    else notok "interrupted capture leaves no file and says why" "files: $left; stderr: $(cat "$tmp/cap4.err")"; fi
    # A script: Lackey would trace its interpreter, so capture says so (a pyenv shim is one).
    printf '#!/bin/sh\ntrue\n' >"$tmp/script.sh" && chmod +x "$tmp/script.sh"
    "$bin" capture --records 1000 -o "$tmp/script.mht" -- "$tmp/script.sh" >/dev/null 2>"$tmp/cap5.err"
    if grep -q "warning: .*script.sh is a script: Lackey traces its interpreter" "$tmp/cap5.err" &&
       ! "$bin" capture --records 1000 -o "$tmp/true2.mht" -- /bin/true 2>&1 | grep -q warning
    then ok "capture warns about a script, not about a binary"
    else notok "capture warns about a script, not about a binary" "$(cat "$tmp/cap5.err")"; fi
    expect_usage "capture missing program" "memhier: capture: program 'no-such-prog-xyz' not found or not executable" capture -o "$tmp/y.mht" -- no-such-prog-xyz
else
    skip "capture via lackey" "valgrind not installed"
fi

echo "1..$n"
