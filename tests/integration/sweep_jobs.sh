#!/usr/bin/env bash
# TAP: `memhier sweep --emit-jobs DIR` — the emitted Makefile run with make -j2, and the Slurm
# array script run by hand for every SLURM_ARRAY_TASK_ID, both merge into a CSV equal to
# `memhier sweep --format csv` (plus the job column); a missing job makes the merge fail.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
bin=${MH_BIN:-$PWD/bin/memhier}
. tests/lib/tap.sh
if [ ! -x "$bin" ]; then
    echo "1..1"
    echo "ok 1 - sweep --emit-jobs # SKIP memhier binary $bin not built"
    exit 0
fi
echo "1..12"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/base.ini" <<'EOF'
; sweep_jobs.sh: small two-level config with its own data and instruction L1s
[hierarchy]
name = sweeptest
ifetch = L1i
data = L1d
[L1i]
size = 1K
ways = 2
line = 32
policy = lru
next = L2
[L1d]
size = 2K
ways = 2
line = 32
policy = lru
next = L2
[L2]
size = 16K
ways = 4
line = 32
policy = fifo
EOF
"$bin" gen --pattern mixed --records 40000 --seed 3 "$work/a.mht" >/dev/null 2>&1 &&
    "$bin" gen --pattern random --records 20000 --span 64K "$work/b trace.mht" >/dev/null 2>&1
check "generated two traces (one with a space in its name)" test -s "$work/a.mht" -a -s "$work/b trace.mht"

sets=(--set "L1d.size=1K,4K,8K" --set "L2.ways=2,4")
"$bin" sweep -c "$work/base.ini" "${sets[@]}" --format csv "$work/a.mht" "$work/b trace.mht" >"$work/direct.csv" 2>"$work/err"
check "memhier sweep --format csv runs (12 variant x trace pairs)" test "$(grep -c ',L1d,' "$work/direct.csv")" -eq 12

out=$("$bin" sweep -c "$work/base.ini" "${sets[@]}" --emit-jobs "$work/jobs" "$work/a.mht" "$work/b trace.mht" 2>&1)
check "--emit-jobs writes Makefile, jobs.txt, sweep.sbatch, merge.sh, submit.sh, 6 configs" \
    test -f "$work/jobs/Makefile" -a -f "$work/jobs/jobs.txt" -a -x "$work/jobs/sweep.sbatch" -a \
    -x "$work/jobs/merge.sh" -a -x "$work/jobs/submit.sh" -a "$(ls "$work/jobs/configs" | wc -l)" -eq 6
check "jobs.txt has 12 lines and the array spans 0-11 ($out)" \
    test "$(wc -l <"$work/jobs/jobs.txt")" -eq 12 -a "$(grep -c '^#SBATCH --array=0-11$' "$work/jobs/sweep.sbatch")" -eq 1
check "the scripts parse (bash -n sweep.sbatch, sh -n merge.sh submit.sh)" \
    bash -c "bash -n '$work/jobs/sweep.sbatch' && sh -n '$work/jobs/merge.sh' && sh -n '$work/jobs/submit.sh'"

make -s -C "$work/jobs" -j2 >"$work/make.log" 2>&1
check "make -C DIR -j2 runs every job and the merge" test -s "$work/jobs/sweep.csv" -a "$(ls "$work/jobs/out" | wc -l)" -eq 12
check "the merged CSV has the sweep columns plus job" \
    test "$(head -1 "$work/jobs/sweep.csv")" = "trace,param,value,level,miss_rate,mpki,simulated_ns,job"
cut -d, -f1-7 "$work/jobs/sweep.csv" >"$work/merged.csv"
if diff -u "$work/direct.csv" "$work/merged.csv" >"$work/diff"; then
    ok "merged CSV (make) equals memhier sweep --format csv, row for row"
else
    notok "merged CSV (make) equals memhier sweep --format csv"; sed 's/^/# /' "$work/diff" | head -20
fi

# The Slurm array script, run by hand as Slurm would: one task per index, then the merge.
cp -r "$work/jobs" "$work/byhand"
rm -rf "$work/byhand/out" "$work/byhand/sweep.csv"
fails=0
for i in $(seq 0 11); do
    MH_SWEEP_DIR="$work/byhand" SLURM_ARRAY_TASK_ID=$i bash "$work/byhand/sweep.sbatch" || fails=$((fails + 1))
done
MH_SWEEP_DIR="$work/byhand" sh "$work/byhand/merge.sh" >/dev/null
check "sweep.sbatch run for SLURM_ARRAY_TASK_ID=0..11 then merge.sh: same CSV" \
    bash -c "[ $fails -eq 0 ] && cmp -s '$work/jobs/sweep.csv' '$work/byhand/sweep.csv'"
MH_SWEEP_DIR="$work/byhand" SLURM_ARRAY_TASK_ID=12 bash "$work/byhand/sweep.sbatch" 2>"$work/err12"
check "an index past jobs.txt fails with a message" bash -c "[ $? -ne 0 ] && grep -q 'no line 12' '$work/err12'"

rm -f "$work/byhand/out/j00005.csv" "$work/byhand/sweep.csv"
MH_SWEEP_DIR="$work/byhand" sh "$work/byhand/merge.sh" >/dev/null 2>"$work/merr"
rc=$?
check "a missing job output makes merge.sh fail and write no sweep.csv" \
    bash -c "[ $rc -ne 0 ] && [ ! -e '$work/byhand/sweep.csv' ] && grep -q j00005 '$work/merr'"

"$bin" sweep -c "$work/base.ini" --set L1d.size=1K,2K --emit-jobs "$work/bad" - </dev/null >/dev/null 2>"$work/err"
rc=$?
check "--emit-jobs refuses standard input as a trace (exit 2)" bash -c "[ $rc -eq 2 ] && grep -q 'must be a file' '$work/err'"
