# patterns.gp — access patterns on one axis: stack vs heap vs pool vs prefetch (every distance), measured
# median ns/access vs working-set size, with cache-size markers.  Inputs: bench.csv, caches.csv.
#   gnuplot -e "dir='RUN'; out='x.png'; fmt='png'" patterns.gp
here = system("dirname '".ARG0."'")
load here."/common.gpi"
B = dir."/bench.csv"
kv = ""
do for [k in "stack heap pool prefetch"] { kv = kv." ".distinct(B, "kernel,variant", "kernel=".k) }
if (words(kv) == 0) { why = "bench.csv has no stack, heap, pool or prefetch rows"; eval nodata }
# Rows of those kernels only, for the axis ranges.
set print $R
do for [k in "stack heap pool prefetch"] { print system(sprintf("%s -v where=kernel=%s -v cols=size_bytes,ns_median '%s'", awkcmd, k, B)) }
unset print
stats $R using 1:2 nooutput
xlo = STATS_min_x; xhi = STATS_max_x; ylo = STATS_min_y; yhi = STATS_max_y
eval size_axis
eval cache_marks
set logscale y 2
set yrange [ylo / 1.4 : yhi * 1.6]
set ytics format "%g"
set title "Patterns: stack vs heap vs pool vs software prefetch (distance D) — measured median" font ",13"
set xlabel "working-set size (bytes, log2 scale)"
set ylabel "ns per access (log scale)"
set key outside right top box opaque spacing 1.1
set output out
dt_of(k) = k eq "prefetch" ? 2 : 1
plot for [i=1:words(kv)] sel(B, "kernel,variant=".word(kv, i), "size_bytes,ns_median") \
        using 1:2 with linespoints lc i dt dt_of(part(word(kv, i), 1)) title part(word(kv, i), 1)." ".part(word(kv, i), 2)
