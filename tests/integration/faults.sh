#!/usr/bin/env bash
# faults.sh — interrupted and failing runs lose nothing:
#  - SIGINT/SIGTERM mid-run (sim, convert reading an endless pipe; gen of a huge trace; compare and
#    sweep on a 20M-record trace): exit 130/143, no output file, no temporary file, an existing
#    output file untouched;
#  - a full disk (a 256 KiB tmpfs when we may mount one, else `ulimit -f` with SIGXFSZ ignored):
#    a clear message, exit 1, no partial file, an existing file untouched (MH_FAULT_DISK=ulimit
#    forces the second way);
#  - `-o FILE` replaces FILE atomically (rename: a new inode) on success and never on failure;
#  - run-suite.sh: two runs started in the same second get two different run folders.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
BIN=${MH_BIN:-$PWD/bin/memhier}
CFG=configs/zen3.ini
. tests/lib/tap.sh
work=$(mktemp -d)
mnt=""
cleanup() { [ -n "$mnt" ] && umount "$mnt" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

[ -x "$BIN" ] || { echo "1..0 # SKIP memhier binary $BIN not built"; exit 0; }

# stopped NAME DIR PID SIG WANT [KEEP]: sends SIG after the process has run a while, then checks
# the exit status, that DIR holds nothing but KEEP (a file that must keep its checksum).
stopped() {
    local name=$1 dir=$2 pid=$3 sig=$4 want=$5 keep=${6:-} sum="" st left
    [ -n "$keep" ] && sum=$(md5sum <"$dir/$keep")
    sleep "${MH_FAULT_DELAY:-1}"
    kill -"$sig" "$pid" 2>/dev/null
    wait "$pid"
    st=$?
    left=$(cd "$dir" && ls -A | grep -vxF "${keep:-//}" | tr '\n' ' ')
    if [ "$st" -ne "$want" ]; then notok "$name: exit status $st, want $want"
    elif [ -n "$left" ]; then notok "$name: left behind: $left"
    elif [ -n "$keep" ] && [ "$(md5sum <"$dir/$keep")" != "$sum" ]; then notok "$name: existing $keep changed"
    else ok "$name: exit $st, nothing left behind${keep:+, existing $keep untouched}"; fi
}

# endless PID-VAR CMD...: runs `yes '0 1000' | memhier CMD...` in the background; sets PID to memhier's pid.
endless() {
    local var=$1; shift
    yes '0 1000' | "$BIN" "$@" 2>/dev/null >/dev/null &
    printf -v "$var" '%s' "$!"
}

# --- signals ---
for sig in INT TERM; do
    want=$([ $sig = INT ] && echo 130 || echo 143)
    d=$work/sim-$sig; mkdir -p "$d"
    endless p sim -c $CFG -f csv -o "$d/out.csv" -
    stopped "sim -o out.csv on an endless pipe, SIG$sig" "$d" "$p" $sig "$want"
    echo "earlier result" >"$d/out.csv"
    endless p sim -c $CFG -f csv -o "$d/out.csv" -
    stopped "sim -o onto an existing out.csv, SIG$sig" "$d" "$p" $sig "$want" out.csv
    d=$work/conv-$sig; mkdir -p "$d"
    endless p convert - "$d/out.mht"
    stopped "convert - out.mht on an endless pipe, SIG$sig" "$d" "$p" $sig "$want"
    d=$work/gen-$sig; mkdir -p "$d"
    "$BIN" gen --records 4G "$d/big.mht" 2>/dev/null &
    stopped "gen --records 4G big.mht, SIG$sig" "$d" $! $sig "$want"
    "$BIN" gen --records 100 "$d/big.mht" 2>/dev/null
    "$BIN" gen --records 4G --to din "$d/big.mht" 2>/dev/null &
    stopped "gen over an existing big.mht, SIG$sig" "$d" $! $sig "$want" big.mht
done
"$BIN" gen --records 20M --pattern mixed "$work/t20m.mht" 2>/dev/null
d=$work/cmp; mkdir -p "$d"
"$BIN" compare -c $CFG -c configs/skylake-client.ini -j 1 -o "$d/cmp.csv" "$work/t20m.mht" >/dev/null 2>&1 &
stopped "compare -o cmp.csv, SIGINT" "$d" $! INT 130
d=$work/sweep; mkdir -p "$d"
"$BIN" sweep -c $CFG --set L2.size=256K,512K,1M --exact -j 1 -o "$d/sweep.csv" "$work/t20m.mht" >/dev/null 2>&1 &
stopped "sweep --exact -o sweep.csv, SIGTERM" "$d" $! TERM 143

# --- -o replaces atomically on success, never on failure ---
d=$work/replace; mkdir -p "$d"
echo "earlier result" >"$d/out.csv"
ino=$(stat -c %i "$d/out.csv")
if "$BIN" sim -c $CFG -f csv -o "$d/out.csv" tests/data/small.din 2>/dev/null && head -1 "$d/out.csv" | grep -q '^level,kind' \
    && [ "$(stat -c %i "$d/out.csv")" != "$ino" ] && [ "$(ls -A "$d")" = out.csv ]; then
    ok "sim -o onto an existing file replaces it atomically (new inode, no temporary left)"
else notok "sim -o onto an existing file: not replaced atomically: $(ls -A "$d" | tr '\n' ' ')"; fi
cp "$d/out.csv" "$d/before"
"$BIN" sim -c $CFG -f csv -o "$d/out.csv" tests/bad/trace-din-nonhex.din 2>/dev/null
st=$?
if [ $st -eq 2 ] && cmp -s "$d/out.csv" "$d/before" && [ "$(ls -A "$d" | tr '\n' ' ')" = "before out.csv " ]; then
    ok "a failing sim leaves the existing -o file untouched"
else notok "a failing sim: exit $st, existing file changed or temporary left: $(ls -A "$d" | tr '\n' ' ')"; fi

# --- full disk ---
d=$work/full; mkdir -p "$d"
mode=""
if [ "${MH_FAULT_DISK:-}" != ulimit ] && [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=256k memhier-fault-test "$d" 2>/dev/null; then
    mnt=$d mode=tmpfs
fi
# full_run NAME FILE CMD...: CMD must fail with exit 1 and a "space"/"too large" message, leaving no FILE.
# KNOWN (env): why an unclear message is a reported, known bug.
full_run() {
    local name=$1 file=$2; shift 2
    if [ $mode = tmpfs ]; then "$BIN" "$@" >/dev/null 2>"$work/full.err"
    else   # stderr through a pipe: a file would be cut by the limit too
        (trap '' XFSZ; ulimit -f "${LIMIT:-64}"; exec "$BIN" "$@" 2>&1 >/dev/null) | cat >"$work/full.err"
        (exit "${PIPESTATUS[0]}")
    fi
    local st=$? msg; msg=$(head -1 "$work/full.err")
    if [ $st -ne 1 ]; then notok "$name ($mode): exit $st, want 1 ($msg)"
    elif ! grep -qiE 'no space left|file too large' <<<"$msg" || ! grep -qF "$file" <<<"$msg"; then
        if [ -n "${KNOWN:-}" ]; then known_bug "$name ($mode): unclear message: $msg" "$KNOWN"
        else notok "$name ($mode): unclear message: $msg"; fi
    elif [ -e "$file" ] || compgen -G "$file.tmp*" >/dev/null; then notok "$name ($mode): partial file left: $(ls -A "$d" | tr '\n' ' ')"
    else ok "$name ($mode): exit 1, '$msg', no partial file"; fi
}
[ -n "$mode" ] || mode=ulimit
full_run "gen 1M records onto a full disk" "$d/big.mht" gen --records 1M "$d/big.mht"
full_run "gen --to din onto a full disk" "$d/big.din" gen --records 1M --to din "$d/big.din"
full_run "convert onto a full disk" "$d/conv.din" convert "$work/t20m.mht" "$d/conv.din"
if [ $mode = tmpfs ]; then
    echo "earlier result" >"$d/keep.json"
    dd if=/dev/zero of="$d/fill" bs=4k 2>/dev/null   # fills what is left
    full_run "sim -o onto a full disk" "$d/out.json" sim -c $CFG -f json -o "$d/out.json" tests/data/small.din
    if [ "$(cat "$d/keep.json")" = "earlier result" ]; then ok "full disk: an existing result stays untouched"
    else notok "full disk: existing result changed"; fi
    "$BIN" sim -c $CFG -f json -o "$d/keep.json" tests/data/small.din >/dev/null 2>&1
    if [ $? -eq 1 ] && [ "$(cat "$d/keep.json")" = "earlier result" ] && ! compgen -G "$d/keep.json.tmp*" >/dev/null; then
        ok "full disk: a failed replacement of an existing result leaves it untouched"
    else notok "full disk: failed replacement damaged keep.json or left a temporary"; fi
else
    LIMIT=0 full_run "sim -o past the file-size limit" "$d/out.json" sim -c $CFG -f json -o "$d/out.json" tests/data/small.din
    echo "earlier result" >"$d/keep.json"
    (trap '' XFSZ; ulimit -f 0; exec "$BIN" sim -c $CFG -f json -o "$d/keep.json" tests/data/small.din) >/dev/null 2>&1
    if [ $? -eq 1 ] && [ "$(cat "$d/keep.json")" = "earlier result" ] && ! compgen -G "$d/keep.json.tmp*" >/dev/null; then
        ok "file-size limit: a failed replacement of an existing result leaves it untouched"
    else notok "file-size limit: failed replacement damaged keep.json or left a temporary"; fi
fi

# --- run folders: two suite runs in the same second get different folders ---
if [ -x scripts/run-suite.sh ]; then
    fake=$work/fake-memhier
    printf '#!/bin/sh\necho "memhier: unknown command %s" >&2\nexit 2\n' "'\$1'" >"$fake"
    chmod +x "$fake"
    res=$work/results
    mkdir -p "$res"
    for i in 1 2 3; do
        MH_BIN=$fake MH_RESULTS=$res MH_SUITE_NO_BUILD=1 MH_NO_PROGRESS=1 QUICK=1 scripts/run-suite.sh >"$work/suite$i.out" 2>&1 &
    done
    wait
    dirs=$(find "$res" -mindepth 1 -maxdepth 1 -type d | sort)
    nd=$(wc -l <<<"$dirs")
    tmpleft=$(find "$res" -maxdepth 1 -name '*.tmp.*' | wc -l)
    if [ "$nd" -eq 3 ] && [ "$tmpleft" -eq 0 ] && [ -z "$(find "$res" -mindepth 2 -maxdepth 2 -type d -name "$(hostname -s)*")" ]; then
        ok "three suite runs started together: three run folders, none nested, no temporary left"
    else notok "three concurrent suite runs: $nd folders, $tmpleft temporaries: $(echo $dirs | sed "s|$res/||g")"; fi
    before=$(find "$res" -type f -exec md5sum {} + | sort)
    MH_BIN=$fake MH_RESULTS=$res MH_SUITE_NO_BUILD=1 MH_NO_PROGRESS=1 QUICK=1 scripts/run-suite.sh >/dev/null 2>&1
    after=$(find "$res" -type f -exec md5sum {} + | sort)
    if [ "$(comm -23 <(echo "$before") <(echo "$after"))" = "" ] && [ "$(find "$res" -mindepth 1 -maxdepth 1 -type d | wc -l)" -eq 4 ]; then
        ok "a later suite run adds a folder and changes no file of the earlier runs"
    else notok "a later suite run changed earlier run folders"; fi
else
    skip "suite run folders" "scripts/run-suite.sh missing"
fi

cd "$ROOT" || exit 1
echo "1..$n"
[ $fail -eq 0 ]
