#!/usr/bin/env bash
# lib.sh — shell helpers shared by the memhier scripts (source it; it defines functions only).
# Progress goes to stderr only when stderr is a terminal; logs stay quiet.
# shellcheck shell=bash

# Directory of the repository (scripts/..), absolute; used by the scripts that source this file.
# shellcheck disable=SC2034
MH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# mh_say MSG...: one line on stderr, prefixed with the calling script's name.
mh_say() { printf '%s: %s\n' "${MH_PROG:-memhier}" "$*" >&2; }

# mh_die MSG...: prints MSG and exits 1 (runtime failure).
mh_die() { mh_say "$*"; exit 1; }

# mh_usage_die MSG...: prints MSG and exits 2 (bad usage).
mh_usage_die() { mh_say "$*"; exit 2; }

# mh_is_tty: true when progress may be drawn (stderr is a terminal and MH_NO_PROGRESS unset).
mh_is_tty() { [ -t 2 ] && [ -z "${MH_NO_PROGRESS:-}" ]; }

# mh_now: seconds since the epoch.
mh_now() { date +%s; }

# mh_fmt_secs S: "M:SS" (or "H:MM:SS") for S seconds.
mh_fmt_secs() {
    local s=${1:-0}
    [ "$s" -lt 0 ] && s=0
    if [ "$s" -ge 3600 ]; then
        printf '%d:%02d:%02d' $((s / 3600)) $((s % 3600 / 60)) $((s % 60))
    else
        printf '%d:%02d' $((s / 60)) $((s % 60))
    fi
}

# mh_progress STEP K N START_EPOCH REMAINING_SECS: one progress line on a terminal, nothing otherwise.
# REMAINING_SECS may be empty ("estimate unknown").
mh_progress() {
    mh_is_tty || return 0
    local step=$1 k=$2 n=$3 start=$4 rem=${5:-} el est
    el=$(mh_fmt_secs $(($(mh_now) - start)))
    if [ -n "$rem" ]; then est="~$(mh_fmt_secs "$rem") left"; else est="estimate unknown"; fi
    printf '\r\033[K[%d/%d] %-28s elapsed %s, %s' "$k" "$n" "$step" "$el" "$est" >&2
}

# mh_progress_end: ends the progress line (terminal only).
mh_progress_end() { mh_is_tty && printf '\r\033[K' >&2; return 0; }

# mh_atomic_write DEST: copies stdin to DEST through DEST.tmp.<pid> and a rename (no partial files).
mh_atomic_write() {
    local dest=$1 tmp="$1.tmp.$$"
    if ! cat >"$tmp"; then rm -f "$tmp"; mh_say "cannot write $dest"; return 1; fi
    mv -f "$tmp" "$dest"
}

# mh_host: short host name usable in a file name ([A-Za-z0-9._-] only).
mh_host() {
    local h
    h=$(hostname -s 2>/dev/null || uname -n)
    printf '%s' "${h:-host}" | tr -c 'A-Za-z0-9._-' '_'
}

# mh_utc_stamp: UTC time as 20261125T143944Z (no colons: safe in paths).
mh_utc_stamp() { date -u +%Y%m%dT%H%M%SZ; }

# mh_new_run_dir ROOT: prints ROOT/<host>-<UTC time>, suffixed -2, -3 ... if that name exists
# (an earlier run folder is never reused or overwritten). Creates nothing.
mh_new_run_dir() {
    local root=$1 base i=2 d
    base="$root/$(mh_host)-$(mh_utc_stamp)"
    d=$base
    while [ -e "$d" ] || compgen -G "$d.tmp.*" >/dev/null; do d="$base-$i"; i=$((i + 1)); done
    printf '%s' "$d"
}

# mh_csv_get FILE KEY: value of KEY in a key,value CSV (everything after the first comma).
mh_csv_get() {
    [ -r "$1" ] || return 0
    awk -F, -v k="$2" 'NR > 1 && $1 == k { sub(/^[^,]*,/, ""); gsub(/^"|"$/, ""); print; exit }' "$1"
}

# mh_ini_get FILE SECTION KEY: a value from an INI file (comments stripped).
mh_ini_get() {
    awk -v s="$2" -v k="$3" '
        /^[[:space:]]*\[/ { sec = $0; gsub(/^[[:space:]]*\[|\][[:space:]]*$/, "", sec); next }
        sec == s { line = $0; sub(/[;#].*/, "", line); n = index(line, "=")
                   if (n) { key = substr(line, 1, n - 1); v = substr(line, n + 1); gsub(/[[:space:]]/, "", key); gsub(/^[[:space:]]+|[[:space:]]+$/, "", v)
                            if (key == k) { print v; exit } } }' "$1"
}

# mh_csv_escape TEXT: TEXT as one CSV field (quoted when it holds a comma or quote).
mh_csv_escape() {
    local s=$1
    case $s in
        *[,\"]*) s=${s//\"/\"\"}; printf '"%s"' "$s" ;;
        *) printf '%s' "$s" ;;
    esac
}

# mh_have_gnuplot: true when gnuplot runs and has the pngcairo, svg and pdfcairo terminals.
mh_have_gnuplot() {
    command -v gnuplot >/dev/null 2>&1 || return 1
    local t
    t=$(gnuplot -e 'set terminal' 2>&1) || return 1
    grep -q pngcairo <<<"$t" && grep -q pdfcairo <<<"$t" && grep -qw svg <<<"$t"
}

# mh_plot TEMPLATE DATADIR OUTBASE: renders TEMPLATE on DATADIR as OUTBASE.{png,svg,pdf}, each written
# atomically. Returns 3 when the template has no data to plot (nothing written), 1 on a gnuplot error.
mh_plot() {
    local gp=$1 dir=$2 out=$3 fmt tmp rc log
    log=$(mktemp)
    for fmt in png svg pdf; do
        tmp="$out.tmp.$$.$fmt"
        rc=0
        gnuplot -e "dir='$dir'; out='$tmp'; fmt='$fmt'" "$gp" >"$log" 2>&1 || rc=$?
        if grep -q '^MH_NODATA' "$log"; then rm -f "$tmp" "$log"; return 3; fi
        if [ "$rc" -ne 0 ] || [ ! -s "$tmp" ]; then
            rm -f "$tmp"
            mh_say "gnuplot failed on $(basename "$gp") ($fmt): $(grep -v '^ *$' "$log" | tail -3 | tr '\n' ' ')"
            rm -f "$log"
            return 1
        fi
        mv -f "$tmp" "$out.$fmt"
    done
    rm -f "$log"
}

# mh_plateaus RUN_DIR: "level size_bytes ns" lines (then "RAM - ns") from RUN_DIR/ladder.csv and
# caches.csv: the chase plateaus, page-local shuffle (variant page-local or page) when present (fewer
# TLB misses), else global, else the first variant.
mh_plateaus() {
    local run=$1 pd="$MH_ROOT/scripts/plot" var lv
    [ -s "$run/ladder.csv" ] && [ -s "$run/caches.csv" ] || return 0
    _sel() { awk -f "$pd/csv.awk" -f "$pd/select.awk" "$@"; }
    var=$(mh_plateau_variant "$run")
    [ -n "$var" ] || return 0
    lv=$(_sel -v distinct=level,size_bytes "$run/caches.csv" | tr '\n' ' ')
    {
        # Each cache with the size calibrate gave the model, where that is smaller (a cache that holds
        # less on this machine, e.g. an L3 shared with other tenants): its plateau ends there.
        _sel -v distinct=level,size_bytes "$run/caches.csv" | sort -t: -k2,2g | while IFS=: read -r l b; do
            echo "C $b $(mh_size_bytes "$( [ -s "$run/calibrated.ini" ] && mh_ini_get "$run/calibrated.ini" "$l" size)")"
        done
        _sel -v cols=size_bytes,ns_median -v where="kernel,variant=chase:$var" "$run/ladder.csv" | awk '{ print "P", $1, $2 }'
    } | awk -v lv="$lv" -f "$pd/plateaus.awk"
}

# mh_numa_line KERNEL_MIB: "N NUMA node(s) of SIZE (hwloc)" from `lstopo-no-graphics --only numanode`
# lines on stdin, "(hwloc; the kernel: KERNEL_MIB MiB in all)" when the nodes' memory differs from it
# by more than 10 %: hwloc's NUMA memory can be a fraction of a guest's (a Firecracker guest of 125
# GiB read 4443 MB). KERNEL_MIB 0: no comparison.
mh_numa_line() {
    awk -v k="${1:-0}" '
        { n++; s = $4; v = $4; gsub(/[()]/, "", s); u = v; gsub(/[^A-Za-z]/, "", u); gsub(/[^0-9.]/, "", v)
          t += v * (u == "GB" ? 1024 : u == "TB" ? 1048576 : u == "KB" ? 1 / 1024 : 1) }
        END { printf "%d NUMA node(s) of %s (hwloc", n, s
              if (k > 0 && (t < k * 0.9 || t > k * 1.1)) printf "; the kernel: %d MiB in all", k
              printf ")" }'
}

# mh_size_bytes SIZE: 32K / 19200K / 1M / 2G / 4096 as bytes; nothing when SIZE is not a size.
mh_size_bytes() {
    case $1 in
        *[Kk]) echo $((${1%?} * 1024)) ;; *[Mm]) echo $((${1%?} * 1048576)) ;; *[Gg]) echo $((${1%?} * 1073741824)) ;;
        *[!0-9]* | "") ;; *) echo "$1" ;;
    esac
}

# mh_plateau_variant RUN_DIR: the chase variant of RUN_DIR/ladder.csv that mh_plateaus reads (the
# page-local shuffle when there is one, else global, else the first), or nothing.
mh_plateau_variant() {
    local vars v
    [ -s "$1/ladder.csv" ] || return 0
    vars=" $(awk -f "$MH_ROOT/scripts/plot/csv.awk" -f "$MH_ROOT/scripts/plot/select.awk" -v distinct=variant \
        -v where=kernel=chase "$1/ladder.csv" | tr '\n' ' ')"
    for v in page-local page global; do
        case $vars in *" $v "*) echo "$v"; return 0 ;; esac
    done
    awk '{ print $1 }' <<<"$vars"
}

# mh_help FILE: prints FILE's header comment (the lines after the shebang up to the first code line;
# lines holding lint directives left out) as its --help text.
mh_help() {
    awk 'NR == 1 { next } !/^#/ { exit } /^# shellcheck/ { next } { sub(/^# ?/, ""); print }' "$1"
}
