#!/bin/sh
# sim-arch.sh CC: prints the compiler flags for the simulator library's vector unit on this
# machine (the Makefile's SIM_ARCH): -march=x86-64-v3 when the CPU has every feature of that
# level and CC accepts it, else nothing (the portable build).
cc=${1:-cc}
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null) || exit 0
for f in avx avx2 bmi1 bmi2 f16c fma abm movbe xsave; do
    case " ${flags#*:} " in
    *" $f "*) ;;
    *) exit 0 ;;
    esac
done
echo 'int x;' | "$cc" -march=x86-64-v3 -ffp-contract=off -x c -c -o /dev/null - 2>/dev/null &&
    echo "-march=x86-64-v3 -ffp-contract=off"
exit 0
