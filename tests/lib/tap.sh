# tap.sh — TAP helpers the shell tests source after `cd` to the repository root: a counter of
# test lines (n) and of failures (fail), one line per result, and the usual wrappers.
n=0 fail=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }                         # a passed check
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $*"; } # a failed check
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }                # NAME WHY: not run here
# check WHAT CMD...: ok when CMD succeeds, not ok otherwise.
check() { local what=$1; shift; if "$@"; then ok "$what"; else notok "$what"; fi; }
# known_bug NAME WHY: a reported bug in another owner's file; fails only with MH_STRICT=1.
known_bug() { if [ -n "${MH_STRICT:-}" ]; then notok "$1 ($2)"; else skip "$1" "known bug: $2"; fi; }
