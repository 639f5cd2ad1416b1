#!/usr/bin/env bash
# Runs every test tier and prints one summary line: "N passed, N failed, N skipped".
#   tests/run.sh BUILD_DIR SAN_BUILD_DIR
# Unit tests (cmocka) run twice: plain and under ASan+UBSan. Golden and integration
# tests are executables under tests/golden and tests/integration that print TAP.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build} san=${2:-build-san} bin=${3:-bin/memhier}
pass=0 fail=0 skip=0
failed_names=()
log_dir=$(mktemp -d)
trap 'rm -rf "$log_dir"' EXIT

# tally NAME LOGFILE RC: counts TAP lines of one test program.
tally() {
    local name=$1 log=$2 rc=$3 p f s
    p=$(grep -cE '^ok [0-9]+' "$log" | head -1)
    s=$(grep -cE '^ok [0-9]+.*# (SKIP|skip)' "$log" | head -1)
    f=$(grep -cE '^not ok [0-9]+' "$log" | head -1)
    p=$((p - s))
    local planned ran
    planned=$(sed -nE 's/^1\.\.([0-9]+).*/\1/p' "$log" | awk '{ n += $1 } END { print n + 0 }')
    ran=$((p + s + f))
    if [ "$planned" -ne 0 ] && [ "$ran" -ne "$planned" ]; then   # stopped early, or a plan out of date
        echo "not ok - $name: planned $planned tests (TAP 1..N lines), ran $ran" >>"$log"
        f=$((f + 1))
    elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then                  # exited non-zero, no TAP line failing
        f=1
    fi
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    grep -E '^ok [0-9]+.*# (SKIP|skip)' "$log" | sed "s|^|  [$name] |"
    if [ "$f" -ne 0 ]; then
        failed_names+=("$name")
        echo "---- $name failed (exit $rc):"
        grep -vE '^ok ' "$log" | tail -40
    fi
    printf '%-48s %4d passed %3d failed %3d skipped\n' "$name" "$p" "$f" "$s"
}

run_one() {
    local name=$1; shift
    local log="$log_dir/$(echo "$name" | tr '/ ' '__').log" rc
    CMOCKA_MESSAGE_OUTPUT=TAP MH_BIN="$(realpath "$bin")" MH_SAN_BIN="$PWD/$san/memhier" \
        MH_FAKE_PAPI="$PWD/$build/tests/libfakepapi.so" \
        timeout "${MH_TEST_TIMEOUT:-600}" "$@" >"$log" 2>&1
    rc=$?
    tally "$name" "$log" "$rc"
}

for t in "$build"/tests/test_*; do
    [ -x "$t" ] && run_one "unit/$(basename "$t")" "$t"
done
for t in "$san"/tests/test_*; do
    [ -x "$t" ] && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        run_one "asan+ubsan/$(basename "$t")" "$t"
done
for t in tests/golden/*.sh tests/integration/*.sh; do
    [ -x "$t" ] && run_one "${t#tests/}" "$t"
done

[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
