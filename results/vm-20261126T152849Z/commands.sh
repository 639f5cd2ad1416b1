#!/usr/bin/env bash
# Commands run by scripts/run-suite.sh (default mode) for vm-20261126T152849Z, from the repository root.
set -euo pipefail
/tmp/memhier-7da33ac/bin/memhier detect -o /tmp/res/vm-20261126T152849Z/host.ini
/tmp/memhier-7da33ac/bin/memhier calibrate -c /tmp/res/vm-20261126T152849Z/host.ini -o /tmp/res/vm-20261126T152849Z/calibrated.ini --csv /tmp/res/vm-20261126T152849Z/ladder.csv
ulimit -S -s 262144
/tmp/memhier-7da33ac/bin/memhier validate -c /tmp/res/vm-20261126T152849Z/calibrated.ini --out /tmp/res/vm-20261126T152849Z
ulimit -S -s 8192
/tmp/memhier-7da33ac/bin/memhier bench --kernel chase --variant page --sizes 23168,1048576,8388608,67108864 --min-time 0.05 --events none -o /tmp/res/vm-20261126T152849Z/recheck.csv
/tmp/memhier-7da33ac/bin/memhier sweep -c /tmp/res/vm-20261126T152849Z/calibrated.ini --set L1d.size=12K,24K,48K,96K,192K /tmp/res/vm-20261126T152849Z/traces/heap-default-16384.mht -o /tmp/res/vm-20261126T152849Z/sweep-L1d.csv
/tmp/memhier-7da33ac/bin/memhier sweep -c /tmp/res/vm-20261126T152849Z/calibrated.ini --set L2.size=512K,1M,2M,4M,8M /tmp/res/vm-20261126T152849Z/traces/heap-default-16384.mht -o /tmp/res/vm-20261126T152849Z/sweep-L2.csv
/tmp/memhier-7da33ac/bin/memhier compare -c /tmp/res/vm-20261126T152849Z/calibrated.ini -c configs/zen3.ini -c configs/skylake-client.ini /tmp/res/vm-20261126T152849Z/traces/heap-default-16384.mht -o /tmp/res/vm-20261126T152849Z/compare.csv
/tmp/memhier-7da33ac/bin/memhier counters
scripts/report.sh /tmp/res/vm-20261126T152849Z
