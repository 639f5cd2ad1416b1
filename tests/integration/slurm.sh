#!/usr/bin/env bash
# TAP: the Slurm side of `memhier sweep --emit-jobs`, on a real single-node Slurm started here:
# munged (own key and socket) + slurmctld + slurmd on this host, from a slurm.conf in a temp dir
# with free ports. sbatch submits the job array, a dependent merge.sh runs with --wait, and the
# merged CSV must equal `memhier sweep --format csv`. Only the daemons this script started are
# stopped (by PID). When Slurm cannot run here, every check is reported as a TAP SKIP with the
# exact reason (install: apt-get install slurm-wlm munge; slurmd needs root).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
bin=${MH_BIN:-$PWD/bin/memhier}
planned=6
. tests/lib/tap.sh
# skip_rest REASON: the remaining planned checks are skipped with REASON.
skip_rest() {
    while [ "$n" -lt "$planned" ]; do
        n=$((n + 1))
        echo "ok $n - slurm job array check # SKIP $1"
    done
    exit 0
}
echo "1..$planned"
[ -x "$bin" ] || skip_rest "memhier binary $bin not built"
for tool in slurmctld slurmd sbatch sinfo; do
    command -v "$tool" >/dev/null 2>&1 ||
        skip_rest "$tool not installed (Debian: apt-get install slurm-wlm munge)"
done
[ "$(id -u)" -eq 0 ] || skip_rest "slurmd must run as root to launch jobs; this test runs as uid $(id -u)"

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT

# free_port: a TCP port nobody listens on.
free_port() {
    local p
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 20000))
        ss -ltn 2>/dev/null | awk '{print $4}' | grep -q ":$p\$" || { echo "$p"; return; }
    done
    echo 0
}
host=$(hostname -s)
mkdir -p "$work/state" "$work/spool"
auth="AuthType=auth/none
CredType=cred/none"
if command -v munged >/dev/null 2>&1; then
    (umask 077 && head -c 1024 /dev/urandom >"$work/munge.key")
    munged -F -f --socket="$work/munge.sock" --key-file="$work/munge.key" --log-file="$work/munged.log" \
        --pid-file="$work/munged.pid" --seed-file="$work/munged.seed" >/dev/null 2>&1 &
    pids+=($!)
    for _ in $(seq 50); do [ -S "$work/munge.sock" ] && break; sleep 0.1; done
    [ -S "$work/munge.sock" ] || skip_rest "munged did not start: $(tail -1 "$work/munged.log" 2>/dev/null)"
    auth="AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge.sock"
fi
cat >"$work/slurm.conf" <<EOF
ClusterName=mhtest$$
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
$auth
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
NodeName=$host CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=mhtest Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$work/slurm.conf
slurmctld -D -f "$SLURM_CONF" >"$work/slurmctld.out" 2>&1 &
pids+=($!)
sleep 1
slurmd -D -f "$SLURM_CONF" >"$work/slurmd.out" 2>&1 &
pids+=($!)
state=
for _ in $(seq 60); do
    state=$(sinfo -h -o %t 2>/dev/null | head -1)
    [ "$state" = idle ] && break
    sleep 0.5
done
if [ "$state" != idle ]; then
    why=$(tail -n 1 "$work/slurmd.log" "$work/slurmctld.log" "$work/slurmd.out" "$work/slurmctld.out" 2>/dev/null |
        grep -v '^==>' | grep -v '^$' | tail -2 | tr '\n' ' ')
    skip_rest "single-node Slurm did not come up (node state '${state:-none}'): $why"
fi
ok "single-node Slurm on $host is up ($(sinfo -V), $(echo "$auth" | head -1))"

cat >"$work/base.ini" <<'EOF'
[hierarchy]
name = slurmtest
ifetch = L1
data = L1
[L1]
size = 2K
ways = 2
line = 64
policy = lru
next = L2
[L2]
size = 16K
ways = 4
line = 64
policy = lru
EOF
"$bin" gen --pattern mixed --records 30000 "$work/a.mht" >/dev/null 2>&1
"$bin" gen --pattern random --records 10000 --span 32K "$work/b.mht" >/dev/null 2>&1
"$bin" sweep -c "$work/base.ini" --set L1.size=1K,4K --format csv "$work/a.mht" "$work/b.mht" >"$work/direct.csv"
"$bin" sweep -c "$work/base.ini" --set L1.size=1K,4K --emit-jobs "$work/jobs" "$work/a.mht" "$work/b.mht" >/dev/null
check "emitted a 4-task array (--array=0-3)" grep -q '^#SBATCH --array=0-3$' "$work/jobs/sweep.sbatch"

array=$(sbatch --parsable "$work/jobs/sweep.sbatch" 2>"$work/sbatch.err")
array=${array%%;*}
check "sbatch accepted the job array (job $array)" test -n "$array"
timeout 180 sbatch --wait --parsable --dependency=afterok:"${array:-0}" "$work/jobs/merge.sh" >/dev/null 2>>"$work/sbatch.err"
rc=$?
check "the dependent merge job ran to completion (sbatch --wait, exit $rc)" test "$rc" -eq 0
if [ "$(ls "$work/jobs/out" 2>/dev/null | wc -l)" -eq 4 ] &&
    logs=("$work/jobs/logs/${array}_"[0-3].out) && [ "${#logs[@]}" -eq 4 ] && [ -f "${logs[3]}" ]; then
    ok "every array task left its CSV (out/) and its log (logs/${array}_N.out)"
else
    notok "every array task left its CSV and its log"
    ls "$work/jobs/out" "$work/jobs/logs" 2>&1 | sed 's/^/# /'
fi
if cut -d, -f1-7 "$work/jobs/sweep.csv" 2>/dev/null | diff -u "$work/direct.csv" - >"$work/diff"; then
    ok "Slurm-merged sweep.csv equals memhier sweep --format csv"
else
    notok "Slurm-merged sweep.csv equals memhier sweep --format csv"
    sed 's/^/# /' "$work/diff" "$work/sbatch.err" | head -20
fi
