# validation.gp — simulated vs measured ns/access for every held-out kernel and size (log-log, with the
# y = x line and the ±15% band), beside a histogram of the signed errors.  Input: validation.csv.
#   gnuplot -e "dir='RUN'; out='x.png'; fmt='png'" validation.gp
psize = "1400,680"; pdfsize = "11in,5.4in"
here = system("dirname '".ARG0."'")
load here."/common.gpi"
V = dir."/validation.csv"
ks = distinct(V, "kernel", "metric=ns_per_access")
if (words(ks) == 0) { why = "validation.csv has no ns_per_access rows"; eval nodata }
stats sel(V, "metric=ns_per_access", "measured,simulated") using 1:2 nooutput
lo = (STATS_min_x < STATS_min_y ? STATS_min_x : STATS_min_y) / 1.5
hi = (STATS_max_x > STATS_max_y ? STATS_max_x : STATS_max_y) * 1.5
stats sel(V, "metric=ns_per_access", "error_pct") using 1 nooutput
emax = ceil((abs(STATS_min) > abs(STATS_max) ? abs(STATS_min) : abs(STATS_max)) / 5.0) * 5 + 5
emax = emax < 30 ? 30 : emax
npts = STATS_records
set output out
set multiplot layout 1, 2 title sprintf("Validation: simulated vs measured time per access (%d held-out points)", npts) font ",13"

set title "per kernel and size (log-log)"
set logscale xy 2
set xrange [lo:hi]; set yrange [lo:hi]
set format x "%g"; set format y "%g"
set xlabel "measured ns per access (median; bars p10-p90)"
set ylabel "simulated ns per access"
set key top left box opaque
set size ratio -1
plot '+' using 1:($1 * 0.85):($1 * 1.15) with filledcurves lc rgb "#cccccc" fs transparent solid 0.45 noborder title "±15% band", \
     x with lines lc rgb "#555555" dt 2 lw 1.5 title "simulated = measured", \
     for [i=1:words(ks)] sel(V, "kernel,metric=".word(ks, i).":ns_per_access", "measured,simulated,measured_p10,measured_p90") \
        using 1:2:3:4 with xerrorbars lc i pt 7 ps 0.9 title word(ks, i)

unset logscale; set size noratio
unset xrange; unset yrange
set title "error histogram (5% bins; shaded: within ±15%)"
set xlabel "error % = (simulated - measured) / measured × 100"
set ylabel "points"
set xrange [-emax:emax]
set yrange [0:*]
set format x "%g%%"; set format y "%g"
set style fill solid 0.75 border lc rgb "#333333"
set boxwidth 4.6
set object 1 rect from -15, graph 0 to 15, graph 1 fc rgb "#e8f3e8" fs solid 1.0 noborder behind
bin(x) = 5 * floor(x / 5.0) + 2.5
set key top right box opaque
plot sel(V, "metric=ns_per_access", "error_pct") using (bin($1)):(1) smooth frequency with boxes lc 1 title "points per bin"
unset multiplot
