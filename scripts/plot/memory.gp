# memory.gp — memory-management metrics of heap vs pool per working-set size: allocation rate,
# external fragmentation, peak resident memory.  Input: bench.csv.
#   gnuplot -e "dir='RUN'; out='x.png'; fmt='png'" memory.gp
psize = "1500,560"; pdfsize = "12in,4.5in"
here = system("dirname '".ARG0."'")
load here."/common.gpi"
B = dir."/bench.csv"
kv = distinct(B, "kernel,variant", "kernel=heap")." ".distinct(B, "kernel,variant", "kernel=pool")
if (words(kv) == 0) { why = "bench.csv has no heap or pool rows"; eval nodata }
set print $R
do for [k in "heap pool"] { print system(sprintf("%s -v where=kernel=%s -v cols=size_bytes '%s'", awkcmd, k, B)) }
unset print
stats $R using 1 nooutput
xlo = STATS_min; xhi = STATS_max
# Narrow panels: a labelled tic every 2nd (or 4th, over a wide range) doubling.
minstep = log(xhi / xlo) / log(2) > 8 ? 4 : 2
set output out
set multiplot layout 1, 3 title "Memory management: heap (malloc/free) vs pool (slab + bounded free list)" font ",13"
eval size_axis
set xlabel "working-set size (log2 scale)"
set key top left box opaque
set offsets 0, 0, graph 0.22, 0
# One panel per metric: column, y label, y format, scale.
array COL[3] = ["alloc_rate", "fragmentation", "peak_rss_bytes"]
array YL[3] = ["allocations per second (millions)", "external fragmentation (fraction of free heap)", "peak resident memory (MiB)"]
array SC[3] = [1e-6, 1.0, 1.0 / 1048576]
array TT[3] = ["allocation rate", "fragmentation", "peak RSS"]
do for [m=1:3] {
    set title TT[m]
    set ylabel YL[m]
    set yrange [0:*]
    plot for [i=1:words(kv)] sel(B, "kernel,variant=".word(kv, i), "size_bytes,".COL[m]) \
        using 1:($2 * SC[m]) with linespoints lc i \
        title part(word(kv, i), 1)." ".part(word(kv, i), 2)
}
unset multiplot
