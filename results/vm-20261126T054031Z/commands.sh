#!/usr/bin/env bash
# Commands run by scripts/run-suite.sh (default mode) for vm-20261126T054031Z, from the repository root.
set -euo pipefail
/work/main/.devlib/memhier detect -o /tmp/devres/vm-20261126T054031Z/host.ini
/work/main/.devlib/memhier calibrate -c /tmp/devres/vm-20261126T054031Z/host.ini -o /tmp/devres/vm-20261126T054031Z/calibrated.ini --csv /tmp/devres/vm-20261126T054031Z/ladder.csv
/work/main/.devlib/memhier validate -c /tmp/devres/vm-20261126T054031Z/calibrated.ini --out /tmp/devres/vm-20261126T054031Z
/work/main/.devlib/memhier sweep -c /tmp/devres/vm-20261126T054031Z/calibrated.ini --set L1d.size=12K,24K,48K,96K,192K /tmp/devres/vm-20261126T054031Z/traces/heap-default-16384.mht -o /tmp/devres/vm-20261126T054031Z/sweep-L1d.csv
/work/main/.devlib/memhier sweep -c /tmp/devres/vm-20261126T054031Z/calibrated.ini --set L2.size=512K,1M,2M,4M,8M /tmp/devres/vm-20261126T054031Z/traces/heap-default-16384.mht -o /tmp/devres/vm-20261126T054031Z/sweep-L2.csv
/work/main/.devlib/memhier compare -c /tmp/devres/vm-20261126T054031Z/calibrated.ini -c configs/zen3.ini -c configs/skylake-client.ini /tmp/devres/vm-20261126T054031Z/traces/heap-default-16384.mht -o /tmp/devres/vm-20261126T054031Z/compare.csv
/work/main/.devlib/memhier counters
scripts/report.sh /tmp/devres/vm-20261126T054031Z
