#!/usr/bin/env bash
# odd_inputs.sh — large and odd inputs: 64-bit addresses above 4 GiB and near 2^64, accesses
# that straddle the top of the address space, zero-record traces (zeros, never NaN), a trace of
# one line repeated 10M / 100M times streamed in constant memory, odd but loadable topologies.
# Semantics decided here: an access covers its bytes up to the top of the address space and
# never wraps: "r fffffffffffffff8 10" touches only line 0xfffffffffffffff0 (16-byte lines),
# misses on a cold cache, and leaves line 0 untouched.
# Env: MH_BIN; MH_ODD_RECORDS="10000000 100000000" (the two stream lengths compared).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
BIN=${MH_BIN:-$PWD/bin/memhier}
CFG=configs/small-teaching.ini   # L1 4 sets x 2 ways x 16 B, L2 8 x 4 x 16 B, LRU
. tests/lib/tap.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[ -x "$BIN" ] || { echo "1..0 # SKIP memhier binary $BIN not built"; exit 0; }

# l1 TRACE FIELDS: "accesses hits misses bytes_from_next" of L1's total row (csv).
l1() {
    "$BIN" sim -c "$CFG" --no-timing -f csv "$1" 2>"$work/err" |
        awk -F, '$1=="L1" && $2=="total" {print $3, $4, $5, $12}'
}
# expect NAME TRACE WANT: L1 totals of TRACE equal WANT.
expect() {
    local got; got=$(l1 "$2")
    if [ "$got" = "$3" ]; then ok "$1: L1 $got"; else notok "$1: L1 got '$got' want '$3' $(head -1 "$work/err")"; fi
}

# --- above 4 GiB: three tags in one set of a 2-way L1 must not alias (32-bit truncation would) ---
printf '0 100000000\n0 200000000\n0 300000000\n0 100000000\n' >"$work/high.din"
expect "addresses above 4 GiB keep their high bits" "$work/high.din" "4 0 4 64"
printf '0 0\n0 100000000\n0 0\n' >"$work/alias.din"
expect "0x0 and 0x100000000 are different lines" "$work/alias.din" "3 1 2 32"

# --- near 2^64 ---
printf '0 ffffffffffffffc0\n0 fffffffffffffffc\n0 fffffffffffffff0\n0 0\n' >"$work/top.din"
expect "last lines of the address space" "$work/top.din" "4 1 3 48"
printf 'r fffffffffffffff0 10\nr fffffffffffffff0 1\nw ffffffffffffffff 1\n' >"$work/top.xdin"
expect "access ending exactly at 2^64-1" "$work/top.xdin" "3 2 1 16"
printf 'r fffffffffffffff8 10\n' >"$work/wrap1.xdin"
got=$(l1 "$work/wrap1.xdin")
if [ "$got" = "1 0 1 16" ]; then ok "straddling the top of the address space misses on a cold cache"
else notok "straddling the top: got L1 '$got' want '1 0 1 16'"; fi
printf 'r fffffffffffffff8 10\nr 0 1\n' >"$work/wrap2.xdin"
got=$(l1 "$work/wrap2.xdin")
if [ "$got" = "2 0 2 32" ]; then ok "a straddling access does not wrap into line 0"
else notok "wrap into line 0: got L1 '$got' want '2 0 2 32'"; fi

# --- 64-bit addresses survive conversion (zigzag deltas across the whole range) ---
# (din addresses are 4-aligned: the reader aligns down, as DineroIV does)
printf '0 0\n1 ffffffffffffffc0\n0 8\n2 8000000000000000\n0 7ffffffffffffff8\n1 fffffffffffffffc\n0 100000000\n' >"$work/rt.din"
if "$BIN" convert "$work/rt.din" "$work/rt.mht" 2>"$work/err" && "$BIN" convert "$work/rt.mht" "$work/back.din" 2>>"$work/err"; then
    if awk '{print $1, $2}' "$work/back.din" | sed 's/ 0x/ /' | diff -iq - "$work/rt.din" >/dev/null; then
        ok "din -> mht -> din keeps 64-bit addresses"
    else notok "din -> mht -> din changed addresses: $(paste -d' ' "$work/rt.din" "$work/back.din" | head -7 | tr '\n' ';')"; fi
else notok "convert of 64-bit addresses failed: $(head -1 "$work/err")"; fi

# --- --set options are validated together: ways = 3 fits L1 only with size = 192 (4 x 3 x 16) ---
printf '0 0\n0 40\n0 80\n0 0\n0 40\n0 80\n' >"$work/three.din"   # three lines of set 0, twice
got=$("$BIN" sim -c "$CFG" --no-timing -f csv --set L1.ways=3 --set L1.size=192 "$work/three.din" 2>"$work/err" |
      awk -F, '$1=="L1" && $2=="total" {print $3, $4, $5}')
if [ "$got" = "6 3 3" ]; then ok "--set L1.ways=3 --set L1.size=192 apply together (3-way set: 3 hits)"
else notok "--set pair: L1 got '$got' want '6 3 3' $(head -1 "$work/err")"; fi

got=$("$BIN" sweep -c "$CFG" --no-timing -f csv --set L1.ways=3 --set L1.size=192,384 "$work/three.din" 2>"$work/err" |
      awk -F, '$4=="L1" {printf "%s:%s ", $3, $5}')
if [ "$got" = "3;192:0.500000 3;384:0.500000 " ]; then ok "sweep --set L1.ways=3 --set L1.size=192,384: both variants valid together"
else notok "sweep --set pair: got '$got' want '3;192:0.500000 3;384:0.500000 ' $(head -1 "$work/err")"; fi

# --- zero-record traces: zeros, never NaN/inf ---
: >"$work/empty.din"
if "$BIN" convert "$work/empty.din" "$work/empty.mht" 2>"$work/err"; then ok "empty din converts to an empty .mht"
else notok "empty din -> mht: $(head -1 "$work/err")"; fi
for tr in empty.din empty.mht; do
    [ -f "$work/$tr" ] || continue
    for fmt in table csv json; do
        if ! "$BIN" sim -c configs/zen3.ini -f $fmt "$work/$tr" >"$work/out.$fmt" 2>"$work/err"; then
            notok "zero records ($tr, $fmt): exit status $?: $(head -1 "$work/err")"
        elif grep -qiwE 'nan|-?inf(inity)?' "$work/out.$fmt"; then
            notok "zero records ($tr, $fmt): NaN/inf in output: $(grep -iwE 'nan|inf' "$work/out.$fmt" | head -1)"
        else
            ok "zero records ($tr, $fmt): no NaN/inf"
        fi
    done
done
if [ -f "$work/out.csv" ] && awk -F, 'NR>1 && $3 != "" && ($3 != 0 || $6 != "0.000000") {bad=1} END {exit bad}' "$work/out.csv"; then
    ok "zero records: every csv row has 0 accesses and miss_rate 0"
else notok "zero records: csv rows not all zero"; fi
if command -v python3 >/dev/null; then
    if python3 -c 'import json,sys
def bad(x): raise ValueError("non-finite " + x)
json.load(open(sys.argv[1]), parse_constant=bad)' "$work/out.json" 2>"$work/err"; then ok "zero records: json is valid and finite"
    else notok "zero records: json invalid: $(tail -1 "$work/err")"; fi
else skip "zero records: json validity" "python3 missing"; fi
"$BIN" compare -c configs/zen3.ini -c configs/small-teaching.ini -f csv "$work/empty.din" >"$work/cmp.csv" 2>"$work/err"
if [ $? -eq 0 ] && ! grep -qiwE 'nan|-?inf' "$work/cmp.csv"; then ok "zero records: compare csv has no NaN/inf"
else notok "zero records: compare: $(head -1 "$work/err") $(grep -iwE 'nan|inf' "$work/cmp.csv" | head -1)"; fi
# gen --span takes a size as configs do: 4M is 4 MiB (a random walk's addresses spread past 4,000,000).
"$BIN" gen --pattern random --span 4M --records 100000 "$work/span.mht" 2>"$work/err" &&
    "$BIN" convert "$work/span.mht" "$work/span.din" 2>>"$work/err"
range=$(awk '{ v = 0; for (i = 1; i <= length($2); i++) v = v * 16 + index("0123456789abcdef", substr($2, i, 1)) - 1
               if (NR == 1 || v < lo) lo = v; if (v > hi) hi = v } END { print hi - lo }' "$work/span.din" 2>/dev/null)
if [ "${range:-0}" -gt 4000000 ] && [ "$range" -lt 4194304 ]; then ok "gen --span 4M: addresses over 4 MiB ($range bytes apart)"
else notok "gen --span 4M: addresses ${range:-?} bytes apart, want 4,000,000..4,194,303 $(head -1 "$work/err")"; fi
# The compare table's columns stay aligned under a config path longer than the column.
long="$work/a-config-path-longer-than-its-column"
mkdir -p "$long" && cp configs/zen3.ini "$long/zen3.ini"
"$BIN" compare -c configs/small-teaching.ini -c "$long/zen3.ini" tests/data/small.din >"$work/cmp.txt" 2>"$work/err"
if awk 'NR == 2 { col = index($0, "level") } NR > 2 && substr($0, col, 1) !~ /[A-Z]/ { bad = 1 } END { exit bad || !col }' "$work/cmp.txt"
then ok "compare: level names in one column under a long config path"
else notok "compare: columns misaligned: $(sed -n 2,4p "$work/cmp.txt" | tr '\n' '|') $(head -1 "$work/err")"; fi

# --- one line repeated: streaming in constant memory ---
if [ -x /usr/bin/time ]; then
    read -r -a lens <<<"${MH_ODD_RECORDS:-10000000 100000000}"
    rss=()
    for len in "${lens[@]}"; do
        yes '0 1000' | head -n "$len" | /usr/bin/time -o "$work/time" -f %M "$BIN" sim -c configs/zen3.ini -f csv - >"$work/rep.csv" 2>"$work/err"
        st=${PIPESTATUS[2]}
        acc=$(awk -F, '$1=="L1d" && $2=="read" {print $3}' "$work/rep.csv")
        rss+=("$(tail -1 "$work/time")")
        if [ $st -eq 0 ] && [ "$acc" = "$len" ]; then ok "$len repeated records streamed from a pipe (L1d reads $acc, max RSS ${rss[-1]} KB)"
        else notok "$len repeated records: exit $st, L1d reads '$acc': $(head -1 "$work/err")"; fi
    done
    if [ ${#rss[@]} -ge 2 ] && [ "${rss[-1]}" -le $(( ${rss[0]} + ${rss[0]} / 10 + 2048 )) ]; then
        ok "resident memory flat: ${rss[0]} KB at ${lens[0]} records, ${rss[-1]} KB at ${lens[-1]}"
    else notok "resident memory grew: ${rss[*]} KB for ${lens[*]} records"; fi
else skip "constant memory" "/usr/bin/time missing (apt-get install time)"; fi

# --- the decode thread: same results as one thread, same errors, for traces of many batches ---
"$BIN" gen --pattern mixed --records 100000 --seed 3 "$work/pipe.mht" 2>"$work/err"
"$BIN" convert "$work/pipe.mht" "$work/pipe.din" 2>>"$work/err"
for tr in pipe.mht pipe.din; do
    "$BIN" sim -c configs/zen3.ini --decode-thread off -f csv "$work/$tr" >"$work/off.csv" 2>>"$work/err"
    "$BIN" sim -c configs/zen3.ini --decode-thread on --timing-thread off -f csv "$work/$tr" >"$work/on.csv" 2>>"$work/err"
    if [ -s "$work/off.csv" ] && cmp -s "$work/off.csv" "$work/on.csv"; then ok "decode thread: $tr gives the same statistics"
    else notok "decode thread: $tr differs from one thread: $(diff "$work/off.csv" "$work/on.csv" | head -3 | tr '\n' ' ') $(head -2 "$work/err")"; fi
done
# --- the timing model on its own thread: the same statistics and cycles, prefetchers, write-backs,
# --- DRAM rows, a reorder buffer and a store queue included; the same errors ---
"$BIN" gen --pattern seq --records 150000 --seed 7 "$work/stream.mht" 2>>"$work/err"
for tr in pipe.mht pipe.din stream.mht; do
    for extra in "" "--flush --set L1d.prefetcher=stride --set L2.prefetcher=stream --set L2.degree=2" \
                 "--set hierarchy.rob=64 --set hierarchy.store_queue=16 --set hierarchy.mem_cpi=0.25 --set L1d.prefetcher=stride"; do
        # shellcheck disable=SC2086
        "$BIN" sim -c configs/zen3.ini $extra --decode-thread off -f csv "$work/$tr" >"$work/off.csv" 2>>"$work/err"
        # shellcheck disable=SC2086
        "$BIN" sim -c configs/zen3.ini $extra --timing-thread on -f csv "$work/$tr" >"$work/on.csv" 2>>"$work/err"
        late=$(awk -F, '$2=="total" {s += $16} END {print s + 0}' "$work/on.csv")
        if [ -s "$work/off.csv" ] && cmp -s "$work/off.csv" "$work/on.csv"; then ok "timing thread: $tr ${extra:-(as shipped)} gives the same results ($late late prefetches)"
        else notok "timing thread: $tr $extra differs from one thread: $(diff "$work/off.csv" "$work/on.csv" | head -3 | tr '\n' ' ') $(head -2 "$work/err")"; fi
    done
done
for bad in tests/bad/trace-mht-*.mht; do
    a=$("$BIN" sim -c configs/zen3.ini --decode-thread off "$bad" 2>&1 >/dev/null); sa=$?
    b=$("$BIN" sim -c configs/zen3.ini --timing-thread on "$bad" 2>&1 >/dev/null); sb=$?
    if [ "$sa" -ne 0 ] && [ "$sa" -eq "$sb" ] && [ "$a" = "$b" ]; then ok "timing thread: $(basename "$bad") fails the same way ($sa)"
    else notok "timing thread: $(basename "$bad"): off $sa '$a', on $sb '$b'"; fi
done
msg=$("$BIN" sim -c configs/zen3.ini --set hierarchy.walk=cached --timing-thread on "$work/pipe.mht" 2>&1 >/dev/null); st=$?
if [ $st -eq 2 ] && [[ "$msg" == *"walk = cached"* ]]; then ok "timing thread: walk = cached is refused (exit 2): $msg"
else notok "timing thread: walk = cached: exit $st, '$msg'"; fi
"$BIN" sim -c configs/zen3.ini --set hierarchy.walk=cached -f csv "$work/pipe.mht" >"$work/auto.csv" 2>>"$work/err"
"$BIN" sim -c configs/zen3.ini --set hierarchy.walk=cached --decode-thread off -f csv "$work/pipe.mht" >"$work/off.csv" 2>>"$work/err"
if [ -s "$work/off.csv" ] && cmp -s "$work/off.csv" "$work/auto.csv"; then ok "timing thread: auto stays on one thread with walk = cached (same results)"
else notok "timing thread: auto with walk = cached differs: $(head -2 "$work/err")"; fi
# --- the sets split between threads: the same statistics (with --flush too), the same errors ---
"$BIN" gen --pattern random --records 200000 --seed 5 "$work/rand.mht" 2>>"$work/err"
for tr in pipe.mht pipe.din rand.mht; do
    for fl in "" --flush; do
        "$BIN" sim -c configs/zen3.ini --no-3c --no-timing $fl --decode-thread off -f csv "$work/$tr" >"$work/off.csv" 2>>"$work/err"
        "$BIN" sim -c configs/zen3.ini --no-3c --no-timing $fl --split on -f csv "$work/$tr" >"$work/on.csv" 2>>"$work/err"
        if [ -s "$work/off.csv" ] && cmp -s "$work/off.csv" "$work/on.csv"; then ok "split sets: $tr ${fl:-(no flush)} gives the same statistics"
        else notok "split sets: $tr $fl differs from one thread: $(diff "$work/off.csv" "$work/on.csv" | head -3 | tr '\n' ' ') $(head -2 "$work/err")"; fi
        # count-only with the decode thread: the reader strips the batches (mh_strip_run)
        "$BIN" sim -c configs/zen3.ini --no-3c --no-timing $fl --decode-thread on -f csv "$work/$tr" >"$work/on.csv" 2>>"$work/err"
        if [ -s "$work/off.csv" ] && cmp -s "$work/off.csv" "$work/on.csv"; then ok "stripped batches: $tr ${fl:-(no flush)} gives the same statistics"
        else notok "stripped batches: $tr $fl differs from one thread: $(diff "$work/off.csv" "$work/on.csv" | head -3 | tr '\n' ' ') $(head -2 "$work/err")"; fi
    done
done
for bad in tests/bad/trace-mht-flipped.mht tests/bad/trace-mht-truncated.mht tests/bad/trace-mht-no-end.mht; do
    a=$("$BIN" sim -c configs/zen3.ini --no-3c --no-timing --decode-thread off "$bad" 2>&1 >/dev/null); sa=$?
    b=$("$BIN" sim -c configs/zen3.ini --no-3c --no-timing --split on "$bad" 2>&1 >/dev/null); sb=$?
    if [ "$sa" -ne 0 ] && [ "$sa" -eq "$sb" ] && [ "$a" = "$b" ]; then ok "split sets: $(basename "$bad") fails the same way ($sa)"
    else notok "split sets: $(basename "$bad"): off $sa '$a', on $sb '$b'"; fi
done
msg=$("$BIN" sim -c configs/zen3.ini --no-3c --no-timing --set L3.policy=brrip --split on "$work/pipe.mht" 2>&1 >/dev/null); st=$?
if [ $st -eq 2 ] && [[ "$msg" == *"[L3] policy brrip"* ]]; then ok "split sets: a brrip level is refused (exit 2): $msg"
else notok "split sets: brrip level: exit $st, '$msg'"; fi
for bad in tests/bad/trace-mht-*.mht; do
    a=$("$BIN" sim -c configs/zen3.ini --decode-thread off "$bad" 2>&1 >/dev/null); sa=$?
    b=$("$BIN" sim -c configs/zen3.ini --decode-thread on --timing-thread off "$bad" 2>&1 >/dev/null); sb=$?
    if [ "$sa" -ne 0 ] && [ "$sa" -eq "$sb" ] && [ "$a" = "$b" ]; then ok "decode thread: $(basename "$bad") fails the same way ($sa)"
    else notok "decode thread: $(basename "$bad"): off $sa '$a', on $sb '$b'"; fi
done

# --- odd but loadable topologies: warnings, exit 0, a config that simulates ---
cat >"$work/nocache.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE topology SYSTEM "hwloc2.dtd">
<topology version="2.0">
  <object type="Machine" os_index="0" cpuset="0x00000001" complete_cpuset="0x00000001" allowed_cpuset="0x00000001" nodeset="0x00000001" complete_nodeset="0x00000001" allowed_nodeset="0x00000001" gp_index="1">
    <object type="NUMANode" os_index="0" cpuset="0x00000001" complete_cpuset="0x00000001" nodeset="0x00000001" complete_nodeset="0x00000001" gp_index="2" local_memory="1073741824"/>
    <object type="Core" os_index="0" cpuset="0x00000001" complete_cpuset="0x00000001" nodeset="0x00000001" complete_nodeset="0x00000001" gp_index="3">
      <object type="PU" os_index="0" cpuset="0x00000001" complete_cpuset="0x00000001" nodeset="0x00000001" complete_nodeset="0x00000001" gp_index="4"/>
    </object>
  </object>
</topology>
XML
sed 's/cache_size="32768" depth="1" cache_linesize="64" cache_associativity="8"/cache_size="0" depth="1" cache_linesize="48" cache_associativity="8"/' \
    tests/topologies/unknown-assoc.xml >"$work/zero-l1d.xml"
for x in nocache zero-l1d; do
    "$BIN" detect --xml "$work/$x.xml" -o "$work/$x.ini" >"$work/err" 2>&1
    st=$?
    if [ $st -eq 0 ] && grep -q '^warning:' "$work/err" && "$BIN" sim -c "$work/$x.ini" tests/data/small.din >/dev/null 2>>"$work/err"; then
        ok "odd topology $x: warns, writes a usable config"
    else notok "odd topology $x: exit $st: $(grep -v '^warning' "$work/err" | head -2 | tr '\n' ' ')"; fi
done

# --- output to a special file (a FIFO here, like /dev/null): written in place, never replaced by a
# temporary renamed over it ---
for what in "sim -c $CFG -f csv -o" "gen --records 1000 --pattern mixed"; do
    rm -f "$work/fifo" "$work/got"; mkfifo "$work/fifo"
    timeout 30 cat "$work/fifo" >"$work/got" &   # never blocks the run when the FIFO was replaced
    reader=$!
    if [ "${what%% *}" = sim ]; then $BIN $what "$work/fifo" tests/data/small.din 2>"$work/err"; st=$?
    else $BIN $what "$work/fifo" 2>"$work/err"; st=$?; fi
    wait $reader
    if [ $st -eq 0 ] && [ -p "$work/fifo" ] && [ -s "$work/got" ] && ! ls "$work" | grep -q '\.tmp\.'; then
        ok "${what%% *} -o FIFO: written in place ($(wc -c <"$work/got") bytes), still a FIFO"
    else notok "${what%% *} -o FIFO: exit $st, fifo $(stat -c %F "$work/fifo" 2>&1): $(head -1 "$work/err")"; fi
done

echo "1..$n"
[ $fail -eq 0 ]
