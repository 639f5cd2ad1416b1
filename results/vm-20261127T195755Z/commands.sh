#!/usr/bin/env bash
# Commands run by scripts/run-suite.sh (default mode) for vm-20261127T195755Z, from the repository root.
set -euo pipefail
/tmp/mh/memhier-d05266b/bin/memhier detect -o /tmp/mh/memhier-d05266b/results/vm-20261127T195755Z/host.ini
/tmp/mh/memhier-d05266b/bin/memhier calibrate -c /tmp/mh/memhier-d05266b/results/vm-20261127T195755Z/host.ini -o /tmp/mh/memhier-d05266b/results/vm-20261127T195755Z/calibrated.ini --csv /tmp/mh/memhier-d05266b/results/vm-20261127T195755Z/ladder.csv
ulimit -S -s 262144
/tmp/mh/memhier-d05266b/bin/memhier validate -c /tmp/mh/memhier-d05266b/results/vm-20261127T195755Z/calibrated.ini --out /tmp/mh/memhier-d05266b/results/vm-20261127T195755Z
ulimit -S -s 8192
/tmp/mh/memhier-d05266b/bin/memhier bench --kernel chase --variant page --sizes 23168,1048576,33554432 --min-time 0.05 --events none -o /tmp/mh/memhier-d05266b/results/vm-20261127T195755Z/recheck.csv
env MH_BIN=/tmp/mh/memhier-d05266b/bin/memhier scripts/what-if.sh -c /tmp/mh/memhier-d05266b/results/vm-20261127T195755Z/calibrated.ini /tmp/mh/memhier-d05266b/results/vm-20261127T195755Z
/tmp/mh/memhier-d05266b/bin/memhier sweep -c /tmp/mh/memhier-d05266b/results/vm-20261127T195755Z/calibrated.ini --set L1d.size=12K,24K,48K,96K,192K /tmp/mh/memhier-d05266b/results/vm-20261127T195755Z/traces/heap-default-16384.mht -o /tmp/mh/memhier-d05266b/results/vm-20261127T195755Z/sweep-L1d.csv
/tmp/mh/memhier-d05266b/bin/memhier sweep -c /tmp/mh/memhier-d05266b/results/vm-20261127T195755Z/calibrated.ini --set L2.size=512K,1M,2M,4M,8M /tmp/mh/memhier-d05266b/results/vm-20261127T195755Z/traces/heap-default-16384.mht -o /tmp/mh/memhier-d05266b/results/vm-20261127T195755Z/sweep-L2.csv
/tmp/mh/memhier-d05266b/bin/memhier compare -c /tmp/mh/memhier-d05266b/results/vm-20261127T195755Z/calibrated.ini -c configs/zen3.ini -c configs/skylake-client.ini /tmp/mh/memhier-d05266b/results/vm-20261127T195755Z/traces/heap-default-16384.mht -o /tmp/mh/memhier-d05266b/results/vm-20261127T195755Z/compare.csv
/tmp/mh/memhier-d05266b/bin/memhier counters
scripts/report.sh /tmp/mh/memhier-d05266b/results/vm-20261127T195755Z
