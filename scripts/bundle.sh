#!/usr/bin/env bash
# bundle.sh — packs bin/memhier, the shared libraries it loads beyond the C library, the suite's
# scripts and the shipped configs into one tarball that runs the suite on a machine with neither a
# compiler nor these packages (a compute node, a guest without network): unpack it there and run
# `./run` (QUICK=1 / FULL=1 as with make run); the run folder lands in ./results.
#   scripts/bundle.sh [OUT.tar.gz]     default build/memhier-bundle.tar.gz
# The target needs x86-64 Linux, bash, awk and a C library at least as new as the one named in
# the bundle's BUNDLE.txt; plots need gnuplot there, or run scripts/report.sh on the folder later.
# Exit: 0 ok, 2 bad usage, 1 failure (no partial tarball).
set -euo pipefail
MH_PROG=bundle
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$MH_ROOT"

case ${1:-} in -h | --help) mh_help "$0"; exit 0 ;; esac
[ $# -le 1 ] || mh_usage_die "usage: scripts/bundle.sh [OUT.tar.gz]"
out=${1:-build/memhier-bundle.tar.gz}
bin=${MH_BIN:-bin/memhier}
[ -x "$bin" ] || mh_die "$bin not found: run make first"
command -v ldd >/dev/null 2>&1 || mh_die "ldd not found: cannot list the libraries $bin loads"

version=$("$bin" --version | awk 'NR == 1 { print $NF }')
name=memhier-$version
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/bin" "$stage/$name/lib"
cp "$bin" "$stage/$name/bin/memhier"
# Every library ldd resolves, except the C library's own parts (the target's must be used).
ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | while read -r lib; do
    case $(basename "$lib") in
        libc.so* | libm.so* | libpthread.so* | libdl.so* | librt.so* | ld-linux*) continue ;;
    esac
    cp -L "$lib" "$stage/$name/lib/"
done
cp -R scripts configs "$stage/$name/"
glibc=$(objdump -T "$bin" "$stage/$name"/lib/* 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1 || true)
{
    echo "memhier $version bundle, made $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(mh_host) ($(uname -srm))"
    "$bin" --version | sed -n 2p
    echo "needs: x86-64 Linux, bash, awk, ${glibc:-the C library of the build machine} or newer"
    echo "libraries carried: $(find "$stage/$name/lib" -type f -printf '%f\n' | sort | tr '\n' ' ')"
    echo "run: ./run   (QUICK=1 ./run: seconds to a minute; results in ./results, or MH_RESULTS=DIR)"
} >"$stage/$name/BUNDLE.txt"
cat >"$stage/$name/run" <<'EOF'
#!/usr/bin/env bash
# Runs the memhier suite from this bundle (see BUNDLE.txt): the carried binary and libraries, no build.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export MH_BIN="$here/bin/memhier" MH_SUITE_NO_BUILD=1 MH_RESULTS="${MH_RESULTS:-$PWD/results}"
exec "$here/scripts/run-suite.sh" "$@"
EOF
chmod +x "$stage/$name/run"
mkdir -p "$(dirname "$out")"
tar czf "$out.tmp.$$" -C "$stage" "$name" || { rm -f "$out.tmp.$$"; mh_die "cannot write $out"; }
mv -f "$out.tmp.$$" "$out"
echo "$out: $name ($(du -h "$out" | cut -f1)); unpack and run ./run on the target"
