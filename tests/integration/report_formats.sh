#!/usr/bin/env bash
# report_formats.sh — the table, CSV and JSON of one timed replay give the same numbers: the golden
# case itlb-lackey (data and instruction TLBs, both second levels) replayed in each format, its
# TLB counts, walks and total cycles compared across them, and the JSON parsed. A config without
# instruction TLBs shows none in any format.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
BIN=${MH_BIN:-$PWD/bin/memhier}
CASE=tests/golden/cases/itlb-lackey
. tests/lib/tap.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

[ -x "$BIN" ] || { echo "1..0 # SKIP memhier binary $BIN not built"; exit 0; }

for fmt in table csv json; do
    "$BIN" sim -c "$CASE/config.ini" -f "$fmt" -o "$work/out.$fmt" "$CASE/trace.lackey" 2>"$work/err" ||
        notok "sim -f $fmt: $(head -1 "$work/err")"
done

# The counts as the config's comment derives them by hand: L1 DTLB 0/1, L1 ITLB 1/7, L2 ITLB 3/4,
# L2 TLB 0/1, 5 walks.
want="0 1 1 7 3 4 0 1 5"
tab=$(sed -n 's/^TLB: L1 DTLB \([0-9]*\) hits \([0-9]*\) misses; L1 ITLB \([0-9]*\) hits \([0-9]*\) misses; L2 ITLB \([0-9]*\) hits \([0-9]*\) misses; L2 TLB \([0-9]*\) hits \([0-9]*\) misses; \([0-9]*\) page walks$/\1 \2 \3 \4 \5 \6 \7 \8 \9/p' "$work/out.table")
if [ "$tab" = "$want" ]; then ok "table: TLB line $tab"; else notok "table: TLB line '$tab', want '$want'"; fi
csv=$(awk -F, '$2 == "total" && $1 ~ /^tlb\./ { v[$1] = $4 " " $5 } $1 == "walk" { w = $3 }
               END { print v["tlb.L1d"], v["tlb.L1i"], v["tlb.L2i"], v["tlb.L2"], w }' "$work/out.csv")
if [ "$csv" = "$want" ]; then ok "csv: tlb.* and walk rows $csv"; else notok "csv: '$csv', want '$want'"; fi
if command -v python3 >/dev/null; then
    js=$(python3 -c 'import json,sys
t = json.load(open(sys.argv[1]))["timing"]
b = t["tlb"]
print(*[b[k][f] for k in ("L1d", "L1i", "L2i", "L2") for f in ("hits", "misses")], t["page_walks"])' "$work/out.json" 2>"$work/err")
    if [ "$js" = "$want" ]; then ok "json: timing.tlb and page_walks $js"; else notok "json: '$js', want '$want' $(tail -1 "$work/err")"; fi
    cyc_json=$(python3 -c 'import json,sys; print("%.0f" % json.load(open(sys.argv[1]))["timing"]["cycles"])' "$work/out.json")
else
    skip "json: timing.tlb and page_walks" "python3 missing"
    cyc_json=
fi
cyc_tab=$(sed -n 's/^simulated time: \([0-9]*\) cycles.*/\1/p' "$work/out.table")
cyc_csv=$(awk -F, '$1 == "all" { printf "%.0f", $(NF - 2) }' "$work/out.csv")
if [ -n "$cyc_tab" ] && [ "$cyc_tab" = "$cyc_csv" ] && { [ -z "$cyc_json" ] || [ "$cyc_json" = "$cyc_tab" ]; }; then
    ok "total cycles agree: $cyc_tab"
else notok "total cycles: table '$cyc_tab', csv '$cyc_csv', json '$cyc_json'"; fi

# Without [tlb.L1i] and [tlb.L2i] no format names them.
awk '/^\[/ { skip = ($0 ~ /^\[tlb\.L[12]i\]/) } !skip' "$CASE/config.ini" >"$work/noi.ini"
for fmt in table csv json; do
    "$BIN" sim -c "$work/noi.ini" -f "$fmt" -o "$work/noi.$fmt" "$CASE/trace.lackey" 2>"$work/err" ||
        notok "sim -f $fmt without ITLBs: $(head -1 "$work/err")"
done
tlbkeys=$(python3 -c 'import json,sys; print(*sorted(json.load(open(sys.argv[1]))["timing"]["tlb"]))' "$work/noi.json" 2>/dev/null)
if ! grep -q 'ITLB' "$work/noi.table" && ! grep -q '^tlb\.L[12]i,' "$work/noi.csv" &&
   { [ "$tlbkeys" = "L1d L2" ] || ! command -v python3 >/dev/null; }; then
    ok "without [tlb.L1i] no format shows instruction TLBs"
else notok "instruction TLBs shown without the sections (json timing.tlb: $tlbkeys)"; fi

echo "1..$n"
[ $fail -eq 0 ]
