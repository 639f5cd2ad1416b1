# missratio.gp — miss-ratio curves from `memhier sweep`: one panel per swept parameter, miss rate per
# level (left axis) and simulated time (right axis, dashed) against the parameter value.
# Input: sweep.csv (trace,param,value,level,miss_rate,mpki,simulated_ns).
#   gnuplot -e "dir='RUN'; out='x.png'; fmt='png'" missratio.gp
here = system("dirname '".ARG0."'")
S = dir."/sweep.csv"
np = int(system(sprintf("[ -r '%s' ] && awk -f '%s/csv.awk' -f '%s/select.awk' -v distinct=param '%s' | wc -l || echo 0", S, here, here, S)))
if (np > 1) { psize = sprintf("%d,620", 700 * (np > 3 ? 3 : np)); pdfsize = sprintf("%din,5in", 6 * (np > 3 ? 3 : np)) }
load here."/common.gpi"
ps = distinct(S, "param", "")
if (words(ps) == 0) { why = "sweep.csv is missing or empty"; eval nodata }
trs = distinct(S, "trace", "")
tname = system(sprintf("basename '%s'", word(trs, 1)))
set output out
set multiplot layout 1, (words(ps) > 3 ? 3 : words(ps)) title "Miss-ratio curves (memhier sweep on ".tname.(words(trs) > 1 ? " and others" : "").")" font ",13"
set key below horizontal box opaque maxrows 2
set ytics nomirror
set y2tics
set ylabel "miss rate (%)"
set y2label "simulated time (ms, dashed)"
set yrange [0:*]; set y2range [0:*]
do for [p=1:(words(ps) > 3 ? 3 : words(ps))] {
    P = word(ps, p)
    lv = distinct(S, "level", "param=".P)
    # Sizes (8K, 1M) are drawn on a log2 axis with size labels; other numbers on a linear axis.
    issize = int(system(sprintf("awk -F, 'NR > 1 && $2 == \"%s\" && $3 ~ /^[0-9.]+[KkMmGg]/ { print 1; exit }' '%s'", P, S))) == 1
    stats selb(S, "param=".P, "value") using 1 nooutput
    if (issize) { xlo = STATS_min; xhi = STATS_max; eval size_axis } else { unset logscale x; set xrange [*:*]; set xtics autofreq }
    set title "sweep of ".P.(issize ? " (log2 axis)" : "")
    unset xlabel
    plot for [i=1:words(lv)] selb(S, "param,level=".P.":".word(lv, i), "value,miss_rate") \
            using 1:($2 * 100) with linespoints lc i axes x1y1 title word(lv, i)." miss rate", \
         selb(S, "param,level=".P.":".word(lv, 1), "value,simulated_ns") \
            using 1:($2 / 1e6) with linespoints lc rgb "#555555" dt 2 pt 6 axes x1y2 title "simulated time"
}
unset multiplot
