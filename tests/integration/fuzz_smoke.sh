#!/usr/bin/env bash
# fuzz_smoke.sh — every libFuzzer harness (fuzz/fuzz_*.c, clang + ASan + UBSan) is built, replays
# its regression inputs (fuzz/regressions/<h>/) once each, and fuzzes its seed corpus
# (fuzz/corpus/<h>/) for a few seconds without a crash, leak or sanitizer report.
# Env: MH_FUZZ_BUILD (default build-fuzz), MH_FUZZ_SECONDS (default 3). `make fuzz` is the long run.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
export FUZZ_BUILD=${MH_FUZZ_BUILD:-build-fuzz}
. tests/lib/tap.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
scripts/fuzz.sh build >"$log" 2>&1
st=$?
if [ $st -eq 77 ]; then
    echo "1..0 # SKIP $(tail -1 "$log") (clang and libclang-rt-14-dev: scripts/deps.sh)"
    exit 0
elif [ $st -ne 0 ]; then
    notok "build the fuzz harnesses: $(tail -3 "$log" | tr '\n' ' ')"
    echo "1..$n"; exit 1
fi
ok "build the fuzz harnesses into $FUZZ_BUILD"
for h in $(scripts/fuzz.sh list); do
    regs=$(find "fuzz/regressions/$h" -type f ! -name '.*' 2>/dev/null | wc -l)
    seeds=$(find "fuzz/corpus/$h" -type f 2>/dev/null | wc -l)
    if line=$(FUZZ_SECONDS=${MH_FUZZ_SECONDS:-3} scripts/fuzz.sh smoke "$h" 2>&1); then
        read -r _ secs execs _ <<<"$line"
        ok "fuzz_$h: $regs regression inputs pass; $execs executions in $secs s on $seeds seeds"
    else
        notok "fuzz_$h: $line"
        # the crash report of the failing run
        f=$(ls -t "$FUZZ_BUILD"/log/"$h".* 2>/dev/null | head -1)
        [ -n "$f" ] && grep -E 'ERROR|SUMMARY|#[0-9]+ 0x' "$f" | head -12 | sed 's/^/#   /'
    fi
done
echo "1..$n"
[ $fail -eq 0 ]
