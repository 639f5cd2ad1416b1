#!/usr/bin/env bash
# stream-billion.sh — the constant-memory check at scale (issue 8, not part of make test):
# one din line repeated N times (default 10^9) through `memhier sim` from a pipe; prints the
# records counted, wall time and maximum resident memory. Compare with N = 10^7 to see RSS flat.
#   scripts/stream-billion.sh [N] [CONFIG]      env MH_BIN (default bin/memhier)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000000}
cfg=${2:-configs/zen3.ini}
bin=${MH_BIN:-bin/memhier}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s.%N)
set +o pipefail   # yes ends on SIGPIPE; memhier's own status is what counts
yes '0 1000' | head -n "$n" | /usr/bin/time -o "$tmp/time" -f '%M' "$bin" sim -c "$cfg" -f csv - >"$tmp/out.csv"
set -o pipefail
end=$(date +%s.%N)
reads=$(awk -F, '$2 == "read" && $3 > 0 {print $3; exit}' "$tmp/out.csv")
printf 'records %s, counted reads %s, wall %.1f s, max RSS %s KB\n' "$n" "$reads" "$(echo "$end - $start" | bc)" "$(tail -1 "$tmp/time")"
[ "$reads" = "$n" ]
