#!/usr/bin/env bash
# Golden tests: each tests/golden/cases/NAME/ holds a config (config.ini), a trace (trace.*),
# optional extra arguments (args, one per line) and the expected CSV (expected.csv). The
# simulator's CSV output must equal expected.csv byte for byte. Prints TAP.
#   tests/golden/golden.sh            run
#   tests/golden/golden.sh --update   rewrite expected.csv from the current output (review the diff!)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${MH_BIN:-bin/memhier}
update=0
[ "${1:-}" = "--update" ] && update=1
cases=(tests/golden/cases/*/)
echo "1..${#cases[@]}"
i=0
for dir in "${cases[@]}"; do
    i=$((i + 1))
    name=$(basename "$dir")
    trace=$(find "$dir" -maxdepth 1 -name 'trace.*' | head -1)
    args=()
    [ -f "$dir/args" ] && mapfile -t args <"$dir/args"
    out=$(mktemp)
    if ! "$bin" sim -c "$dir/config.ini" --format csv "${args[@]}" "$trace" >"$out" 2>"$out.err"; then
        echo "not ok $i - $name: memhier sim failed: $(head -1 "$out.err")"
    elif [ $update -eq 1 ]; then
        cp "$out" "$dir/expected.csv"
        echo "ok $i - $name (updated)"
    elif diff -u "$dir/expected.csv" "$out" >"$out.diff"; then
        echo "ok $i - $name"
    else
        echo "not ok $i - $name: output differs from expected.csv"
        sed 's/^/# /' "$out.diff" | head -30
    fi
    rm -f "$out" "$out.err" "$out.diff"
done
