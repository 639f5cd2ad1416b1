#!/usr/bin/env bash
# Commands run by scripts/run-suite.sh (default mode) for vm-20261127T063257Z, from the repository root.
set -euo pipefail
scripts/deps.sh
make --no-print-directory
bin/memhier detect -o results/vm-20261127T063257Z/host.ini
bin/memhier calibrate -c results/vm-20261127T063257Z/host.ini -o results/vm-20261127T063257Z/calibrated.ini --csv results/vm-20261127T063257Z/ladder.csv
ulimit -S -s 262144
bin/memhier validate -c results/vm-20261127T063257Z/calibrated.ini --out results/vm-20261127T063257Z
ulimit -S -s 8192
bin/memhier bench --kernel chase --variant page --sizes 23168,524288,4194304,33554432 --min-time 0.05 --events none -o results/vm-20261127T063257Z/recheck.csv
# added with 0c1ebe9, replaying this run's traces (nothing native):
env MH_BIN=bin/memhier scripts/what-if.sh results/vm-20261127T063257Z
bin/memhier sweep -c results/vm-20261127T063257Z/calibrated.ini --set L1d.size=12K,24K,48K,96K,192K results/vm-20261127T063257Z/traces/heap-default-16384.mht -o results/vm-20261127T063257Z/sweep-L1d.csv
bin/memhier sweep -c results/vm-20261127T063257Z/calibrated.ini --set L2.size=256K,512K,1M,2M,4M results/vm-20261127T063257Z/traces/heap-default-16384.mht -o results/vm-20261127T063257Z/sweep-L2.csv
bin/memhier compare -c results/vm-20261127T063257Z/calibrated.ini -c configs/zen3.ini -c configs/skylake-client.ini results/vm-20261127T063257Z/traces/heap-default-16384.mht -o results/vm-20261127T063257Z/compare.csv
bin/memhier counters
scripts/report.sh results/vm-20261127T063257Z
