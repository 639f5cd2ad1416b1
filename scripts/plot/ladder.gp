# ladder.gp — latency ladder: chase ns/access vs working-set size (measured median with p10-p90 band,
# simulated curve), log2 x axis, vertical markers at the cache sizes.  Inputs: ladder.csv,
# ladder-sim.csv, caches.csv.  gnuplot -e "dir='RUN'; out='x.png'; fmt='png'" ladder.gp
here = system("dirname '".ARG0."'")
load here."/common.gpi"
L = dir."/ladder.csv"; S = dir."/ladder-sim.csv"
vars = distinct(L, "variant", "kernel=chase")
if (words(vars) == 0) { why = "ladder.csv has no chase rows"; eval nodata }

stats sel(L, "kernel=chase", "size_bytes,ns_median") using 1:2 nooutput
xlo = STATS_min_x; xhi = STATS_max_x; ylo = STATS_min_y; yhi = STATS_max_y
eval size_axis
eval cache_marks
set logscale y 2
set yrange [ylo / 1.4 : yhi * 1.6]
set ytics format "%g"
set title "Latency ladder (chase, dependent loads): time per access vs working-set size" font ",13"
set xlabel "working-set size (bytes, log2 scale)"
set ylabel "ns per access (log scale)"
set key outside right top box opaque samplen 4 spacing 1.1
set output out
nv = words(vars)
ns = count(S, "size_bytes,simulated_ns", "kernel=chase") > 0 ? nv : 0   # no ladder-sim.csv: no sim curves
plot for [i=1:nv] sel(L, "kernel,variant=chase:".word(vars, i), "size_bytes,ns_p10,ns_p90") \
        using 1:2:3 with filledcurves lc i fs transparent solid 0.18 noborder title "p10-p90 ".word(vars, i), \
     for [i=1:nv] sel(L, "kernel,variant=chase:".word(vars, i), "size_bytes,ns_median") \
        using 1:2 with linespoints lc i title "measured median, ".word(vars, i), \
     for [i=1:ns] sel(S, "kernel,variant=chase:".word(vars, i), "size_bytes,simulated_ns") \
        using 1:2 with lines lc i dt 2 lw 2.5 title "simulated, ".word(vars, i)
