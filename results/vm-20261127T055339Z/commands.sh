#!/usr/bin/env bash
# Commands run by scripts/run-suite.sh (default mode) for vm-20261127T055339Z, from the repository root.
set -euo pipefail
scripts/deps.sh
make --no-print-directory
bin/memhier detect -o results/vm-20261127T055339Z/host.ini
bin/memhier calibrate -c results/vm-20261127T055339Z/host.ini -o results/vm-20261127T055339Z/calibrated.ini --csv results/vm-20261127T055339Z/ladder.csv
ulimit -S -s 262144
bin/memhier validate -c results/vm-20261127T055339Z/calibrated.ini --out results/vm-20261127T055339Z
ulimit -S -s 8192
bin/memhier bench --kernel chase --variant page --sizes 23168,524288,4194304,33554432 --min-time 0.05 --events none -o results/vm-20261127T055339Z/recheck.csv
bin/memhier sweep -c results/vm-20261127T055339Z/calibrated.ini --set L1d.size=12K,24K,48K,96K,192K results/vm-20261127T055339Z/traces/heap-default-16384.mht -o results/vm-20261127T055339Z/sweep-L1d.csv
bin/memhier sweep -c results/vm-20261127T055339Z/calibrated.ini --set L2.size=256K,512K,1M,2M,4M results/vm-20261127T055339Z/traces/heap-default-16384.mht -o results/vm-20261127T055339Z/sweep-L2.csv
bin/memhier compare -c results/vm-20261127T055339Z/calibrated.ini -c configs/zen3.ini -c configs/skylake-client.ini results/vm-20261127T055339Z/traces/heap-default-16384.mht -o results/vm-20261127T055339Z/compare.csv
bin/memhier counters
scripts/report.sh results/vm-20261127T055339Z
