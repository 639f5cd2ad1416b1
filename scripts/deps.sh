#!/usr/bin/env bash
# Installs the Debian packages memhier needs when they are missing (as root, with apt-get);
# otherwise prints the exact command and exits non-zero. --test: the tests' packages too.
set -euo pipefail

pkgs=(build-essential pkg-config libzstd-dev libinih-dev libcmocka-dev libpapi-dev papi-tools
      libhwloc-dev hwloc gnuplot-nox valgrind shellcheck time bc clang libclang-rt-dev)
# slurm-wlm and munge: tests/integration/slurm.sh runs a single-node Slurm on this host
[ "${1:-}" = --test ] && pkgs+=(slurm-wlm munge)
[ "${MH_DEPS_EXTRA:-}" ] && read -r -a extra <<<"$MH_DEPS_EXTRA" && pkgs+=("${extra[@]}")

missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "deps: missing packages: ${missing[*]} (not a Debian system: install their equivalents)" >&2
    exit 1
fi
cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing packages: ${missing[*]}" >&2
    echo "deps: run as root:  sudo apt-get update && sudo $cmd" >&2
    exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086,SC2048
apt-get install -y -qq --no-install-recommends ${missing[*]} >&2
