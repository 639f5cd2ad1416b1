#!/usr/bin/env bash
# bad_inputs.sh — the bad-input catalogue (tests/bad/): every malformed input or option makes
# memhier print exactly one clear message, exit 2, and write no output file.
#   config-*.ini   sim -c FILE tests/data/small.din
#   trace-*        sim -c configs/small-teaching.ini FILE, and convert FILE OUT.mht
#   topo-*.xml     detect --xml FILE
#   option-*.args  the arguments in the file, one per line (@OUT@ = the output path)
# Each FILE has FILE.err: the message, without the "memhier: " prefix; @OUT@ stands for the
# output path. The first line of stderr must be exactly "memhier: <message>". Output goes
# (-o) into an empty temporary directory that must stay empty.
# Cases listed in KNOWN_BUGS (reported, owned by others) are skipped unless MH_STRICT=1.
# The catalogue runs against MH_BIN and, when it exists, the ASan+UBSan build MH_SAN_BIN too
# (a sanitizer report makes the exit status wrong, so it fails the case).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
BIN=${MH_BIN:-$PWD/bin/memhier}
SAN_BIN=${MH_SAN_BIN:-}
declare -A KNOWN_BUGS=(
)
. tests/lib/tap.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT


if [ ! -x "$BIN" ]; then
    echo "1..0 # SKIP memhier binary $BIN not built"
    exit 0
fi

# check NAME ERRFILE ARGS...: runs memhier ARGS (with @OUT@ replaced) and checks status, message, output.
check() {
    local name=$1 errfile=$2; shift 2
    local dir="$work/$n.out" args=() a want got rc
    mkdir -p "$dir"
    for a in "$@"; do args+=("${a//@OUT@/$dir/out}"); done
    if [ ! -f "$errfile" ]; then notok "$name: no sidecar $errfile"; return; fi
    want="memhier: $(cat "$errfile")"
    want=${want//@OUT@/$dir/out}
    timeout 60 "$BIN" "${args[@]}" </dev/null >"$work/stdout" 2>"$work/stderr"
    rc=$?
    got=$(head -n 1 "$work/stderr")
    local left; left=$(ls -A "$dir")
    if [ -n "${KNOWN_BUGS[$(basename "$errfile" .err)]:-}" ] && [ -z "${MH_STRICT:-}" ]; then
        if [ $rc -eq 2 ] && [ "$got" = "$want" ] && [ -z "$left" ]; then
            ok "$name (known bug fixed: drop it from KNOWN_BUGS)"
        else
            skip "$name" "known bug: ${KNOWN_BUGS[$(basename "$errfile" .err)]}"
        fi
        rm -rf "$dir"; return
    fi
    if [ $rc -ne 2 ]; then
        notok "$name: exit status $rc, want 2 (stderr: $got)"
    elif [ "$got" != "$want" ]; then
        notok "$name: message"
        echo "#   got:  $got"
        echo "#   want: $want"
    elif [ -n "$left" ]; then
        notok "$name: output left behind: $left"
    else
        ok "$name"
    fi
    rm -rf "$dir"
}

shopt -s nullglob
# catalogue LABEL: every case against $BIN; sets count.
catalogue() {
    local l=$1 f
    count=0
    for f in tests/bad/config-*.ini; do
        count=$((count + 1))
        check "${l}config $(basename "$f")" "$f.err" sim -c "$f" -o @OUT@ tests/data/small.din
    done
    for f in tests/bad/trace-*; do
        case $f in *.err) continue ;; esac
        count=$((count + 1))
        check "${l}trace $(basename "$f") (sim)" "$f.err" sim -c configs/small-teaching.ini -o @OUT@ "$f"
        check "${l}trace $(basename "$f") (convert)" "$f.err" convert "$f" @OUT@.mht
    done
    for f in tests/bad/topo-*.xml; do
        count=$((count + 1))
        check "${l}topology $(basename "$f")" "$f.err" detect --xml "$f" -o @OUT@
    done
    for f in tests/bad/option-*.args; do
        count=$((count + 1))
        mapfile -t argv <"$f"
        check "${l}option $(basename "$f" .args): ${argv[*]}" "$f.err" "${argv[@]}"
    done
}
catalogue ""
if [ -n "$SAN_BIN" ] && [ -x "$SAN_BIN" ]; then
    BIN=$SAN_BIN ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 catalogue "asan+ubsan: "
fi
# every catalogue file is used by one of the rules above
for f in tests/bad/*; do
    case $(basename "$f") in
    *.err|config-*.ini|trace-*|topo-*.xml|option-*.args) ;;
    *) notok "tests/bad/$(basename "$f"): not covered by any rule" ;;
    esac
done
if [ "$count" -ge 30 ]; then ok "catalogue holds $count malformed inputs (>= 30)"; else notok "catalogue holds only $count inputs"; fi
echo "1..$n"
[ $fail -eq 0 ]
