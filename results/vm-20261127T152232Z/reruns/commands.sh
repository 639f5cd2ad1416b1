#!/usr/bin/env bash
# validate run again on a fresh machine of the same type (one machine, core 14 then core 15), after this run's validate step found
# the core slowed (its probes read 0.30 cycles per independent add against calibrate's 0.158, and
# recheck.csv's 1 MiB chase 18.6 ns against 6.73): the same binary (the bundle of 01a5714), this
# folder's calibrated.ini, no calibration of their own. core14/ ran on the core whose 1 MiB chase
# read fastest of the 16 (a 0.05 s probe of each), core15/ on validate's default, the last core.
# From the bundle's folder, with its lib/ on LD_LIBRARY_PATH:
set -euo pipefail
ulimit -S -s 262144
for core in 14 15; do
    out=reruns/core$core
    mkdir -p "$out"
    bin/memhier validate -c calibrated.ini --out "$out" --core "$core" >"$out/validate.log" 2>&1
    bin/memhier bench --kernel chase --variant page --sizes 23168,1048576,8388608,94906240 \
        --min-time 0.05 --events none --core "$core" -o "$out/recheck.csv"
done

# Then, on another fresh machine of the type, validate of 610c8cb (the bundle of that commit), which
# waits for a quiet core before each measurement and leaves the rounds still measured busy out of
# their point's median, on the default core: busy-wait-1/ with the default --busy-wait 1, then
# busy-wait-0/ with --busy-wait 0 (no waiting; busy rounds still left out). 610c8cb counted the
# probe that found the core busy as waiting even with --busy-wait 0: busy-wait-0/validate.log's
# "38 measurement(s) waited, 2.1 s in all" is that probe's time (fixed since).
for w in 1 0; do
    out=reruns/busy-wait-$w
    mkdir -p "$out"
    bin/memhier validate -c calibrated.ini --out "$out" --busy-wait "$w" >"$out/validate.log" 2>&1
    bin/memhier bench --kernel chase --variant page --sizes 23168,1048576,8388608,94906240 \
        --min-time 0.05 --events none -o "$out/recheck.csv"
done
