#!/usr/bin/env bash
# fuzz.sh — builds and runs the libFuzzer harnesses in fuzz/ (clang, ASan + UBSan).
#   scripts/fuzz.sh build                 build every harness into $FUZZ_BUILD
#   scripts/fuzz.sh run [HARNESS...]      fuzz each for $FUZZ_SECONDS (default 600), one after another
#   scripts/fuzz.sh smoke [HARNESS...]    regressions once each, then $FUZZ_SECONDS (default 4) on the seeds
#   scripts/fuzz.sh list                  harness names
# Env: FUZZ_BUILD (default build-fuzz), FUZZ_SECONDS, FUZZ_JOBS (harnesses fuzzed at once,
# default 1), FUZZ_NICE (default 10), CLANG (default clang).
# The library is built with FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION (.mht checksums not enforced).
# Seeds: fuzz/corpus/<h>/ (read only); regressions: fuzz/regressions/<h>/ (read only); inputs
# found while fuzzing go to $FUZZ_BUILD/corpus/<h>/, crashes to $FUZZ_BUILD/crashes/<h>/;
# each run appends "harness seconds executions status" to $FUZZ_BUILD/executions.log.
# Exit: 0 ok, 1 a harness crashed / build failed, 2 usage, 77 clang or libFuzzer missing.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
CLANG=${CLANG:-clang}
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_NICE=${FUZZ_NICE:-10}
FUZZ_JOBS=${FUZZ_JOBS:-1}
HARNESSES=(din xdin lackey mht mhtw config sizes set resident split paths sweep tlog)
SAN=-fsanitize=address,undefined
CFLAGS_COMMON=(-std=c11 -D_GNU_SOURCE -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -g -O1 -fno-omit-frame-pointer
               -Iinclude -Isim -Ibench -Itests/lib "$SAN" -fno-sanitize-recover=all)
WARN=(-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes)
LIBS=(-lzstd -linih -lm -lpthread)

die() { echo "fuzz.sh: $*" >&2; exit "${2:-1}"; }

# have_fuzzer: clang with libFuzzer can link a trivial harness.
have_fuzzer() {
    command -v "$CLANG" >/dev/null 2>&1 || return 1
    local d; d=$(mktemp -d) || return 1
    printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$d/t.c"
    "$CLANG" -fsanitize=fuzzer,address,undefined "$d/t.c" -o "$d/t" >/dev/null 2>&1
    local rc=$?
    rm -rf "$d"
    return $rc
}

# compile SRC OBJ [extra flags]: rebuilds OBJ when SRC or any header is newer.
compile() {
    local src=$1 obj=$2; shift 2
    if [ -f "$obj" ] && [ "$obj" -nt "$src" ] && [ -z "$(find include sim bench fuzz -name '*.h' -newer "$obj" 2>/dev/null | head -1)" ]; then
        return 0
    fi
    mkdir -p "$(dirname "$obj")"
    "$CLANG" "${CFLAGS_COMMON[@]}" "$@" -c "$src" -o "$obj.tmp.$$" && mv -f "$obj.tmp.$$" "$obj"
}

# build: library objects (fuzzer-no-link instrumentation) and one binary per harness.
build() {
    have_fuzzer || die "clang with libFuzzer not found (install clang and libclang-rt-dev)" 77
    mkdir -p "$FUZZ_BUILD"
    exec 9>"$FUZZ_BUILD/.lock"
    flock 9   # parallel test runs share one build directory
    local crc=generic srcs=() objs=() s o
    case $("$CLANG" -dumpmachine) in x86_64-*) crc=x86 ;; aarch64-*) crc=arm ;; esac   # the Makefile's CRC_ARCH
    for s in sim/*.c; do
        case $s in sim/crc32c_*.c) ;; *) srcs+=("$s") ;; esac
    done
    srcs+=("sim/crc32c_$crc.c" bench/sizes.c bench/resident.c sim/cli/set.c)
    for s in "${srcs[@]}"; do
        o="$FUZZ_BUILD/obj/${s%.c}.o"
        objs+=("$o")
        compile "$s" "$o" "${WARN[@]}" -fsanitize=fuzzer-no-link || die "compiling $s failed"
    done
    for h in "${HARNESSES[@]}"; do
        o="$FUZZ_BUILD/obj/fuzz/fuzz_$h.o"
        compile "fuzz/fuzz_$h.c" "$o" "${WARN[@]}" -Werror -fsanitize=fuzzer-no-link || die "compiling fuzz/fuzz_$h.c failed"
        local bin="$FUZZ_BUILD/fuzz_$h" newer=0
        for x in "$o" "${objs[@]}"; do [ "$x" -nt "$bin" ] && newer=1 && break; done
        if [ ! -x "$bin" ] || [ $newer = 1 ]; then
            if ! "$CLANG" "$SAN,fuzzer" "$o" "${objs[@]}" "${LIBS[@]}" -o "$bin.tmp.$$"; then
                rm -f "$bin.tmp.$$"
                die "linking fuzz_$h failed"
            fi
            mv -f "$bin.tmp.$$" "$bin"
        fi
    done
    flock -u 9
}

# check_names NAME...: every name is a harness.
check_names() {
    local n
    for n in "$@"; do
        [[ " ${HARNESSES[*]} " == *" $n "* ]] || die "unknown harness '$n' (known: ${HARNESSES[*]})" 2
    done
}

# fuzz_one H SECONDS [WORKDIR [LOG]]: fuzzes harness H for SECONDS, new inputs into WORKDIR (default
# $FUZZ_BUILD/corpus/H); prints "H SECONDS EXECS STATUS" and appends it to LOG (executions.log).
fuzz_one() {
    local h=$1 secs=$2
    local work=${3:-$FUZZ_BUILD/corpus/$h} xlog=${4:-$FUZZ_BUILD/executions.log}
    local crashes="$FUZZ_BUILD/crashes/$h" stamp log dict=() seeds=()
    stamp=$(date -u +%Y%m%dT%H%M%S)
    log="$FUZZ_BUILD/log/$h.$stamp.$$.log"
    mkdir -p "$work" "$crashes" "$FUZZ_BUILD/log"
    [ -f "fuzz/dict/$h.dict" ] && dict=(-dict="fuzz/dict/$h.dict")
    [ -d "fuzz/corpus/$h" ] && seeds+=("fuzz/corpus/$h")
    [ -d "fuzz/regressions/$h" ] && seeds+=("fuzz/regressions/$h")
    nice -n "$FUZZ_NICE" "$FUZZ_BUILD/fuzz_$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -max_len=8192 -print_final_stats=1 -artifact_prefix="$crashes/" "${dict[@]}" \
        "$work" "${seeds[@]}" >"$log" 2>&1
    local rc=$? execs
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    local status=ok
    [ $rc -ne 0 ] && status="crash(rc=$rc,log=$log)"
    echo "$h $secs ${execs:-0} $status" | tee -a "$xlog"
    [ $rc -eq 0 ]
}

# smoke_one H: runs every regression input once, then fuzzes the seeds alone (a fresh working
# corpus, so the time does not grow with earlier runs) for FUZZ_SECONDS.
smoke_one() {
    local h=$1 regs=() tmp rc
    mapfile -t regs < <(find "fuzz/regressions/$h" -type f ! -name '.*' 2>/dev/null | sort)
    if [ ${#regs[@]} -gt 0 ]; then
        "$FUZZ_BUILD/fuzz_$h" -timeout=10 "${regs[@]}" >"$FUZZ_BUILD/log/$h.regressions.log" 2>&1 ||
            { echo "$h regressions FAILED (log $FUZZ_BUILD/log/$h.regressions.log)"; return 1; }
    fi
    tmp=$(mktemp -d)
    fuzz_one "$h" "${FUZZ_SECONDS:-4}" "$tmp" /dev/null
    rc=$?
    rm -rf "$tmp"
    return $rc
}

cmd=${1:-run}
[ $# -gt 0 ] && shift
names=("$@")
[ ${#names[@]} -eq 0 ] && names=("${HARNESSES[@]}")
case $cmd in
list) printf '%s\n' "${HARNESSES[@]}" ;;
build) build ;;
run|smoke)
    check_names "${names[@]}"
    build
    mkdir -p "$FUZZ_BUILD/log"
    fn=fuzz_one; [ "$cmd" = smoke ] && fn=smoke_one
    secs=${FUZZ_SECONDS:-600}
    fail=0 running=0
    for h in "${names[@]}"; do
        if [ "$fn" = fuzz_one ]; then fuzz_one "$h" "$secs" & else smoke_one "$h" & fi
        running=$((running + 1))
        if [ $running -ge "$FUZZ_JOBS" ]; then wait -n || fail=1; running=$((running - 1)); fi
    done
    while [ $running -gt 0 ]; do wait -n || fail=1; running=$((running - 1)); done
    exit $fail ;;
*) die "usage: scripts/fuzz.sh build|run|smoke|list [HARNESS...]" 2 ;;
esac
