# compare.gp — config comparison from `memhier compare`: miss rate per level as clustered bars (one bar
# per config), and simulated time per config relative to the first.  Input: compare.csv
# (config,trace,level,miss_rate,misses_per_1k,bytes_from_next,simulated_ns,ratio_vs_first).
#   gnuplot -e "dir='RUN'; out='x.png'; fmt='png'" compare.gp
psize = "1400,620"; pdfsize = "11in,5in"
here = system("dirname '".ARG0."'")
load here."/common.gpi"
C = dir."/compare.csv"
cf = distinct(C, "config", "")
if (words(cf) == 0) { why = "compare.csv is missing or empty"; eval nodata }
tr = word(distinct(C, "trace", ""), 1)
# bn(PATH): the file name without folder and .ini/.mht, for legends and labels.
bn(s) = system(sprintf("basename '%s' | sed 's/[.]\\(ini\\|mht\\)$//'", s))
# Pivot: one row per level (first trace), one miss-rate column per config.
pivot = sprintf("< awk -f '%s/csv.awk' -f '%s/pivot.awk' -v row=level -v col=config -v val=miss_rate -v scale=100 -v drop=level=all -v where='trace=%s' '%s'", here, here, tr, C)
set output out
set multiplot layout 1, 2 title "Config comparison on trace ".bn(tr) font ",13"
set title "miss rate per level"
set style data histograms
set style histogram clustered gap 1.5
set style fill solid 0.85 border lc rgb "#333333"
set boxwidth 0.9
set ylabel "miss rate (%)"
set yrange [0:*<110]
set xtics nomirror
set grid ytics
set key top left box opaque
set offsets 0, 0, graph 0.12, 0
plot for [j=1:words(cf)] pivot using (column(j + 1)):xtic(1) lc j title bn(word(cf, j))
set title "simulated time (ratio vs ".bn(word(cf, 1)).")"
set style data boxes
set boxwidth 0.6
set ylabel "simulated time / first config"
set yrange [0:*]
unset key
set xrange [0.3:words(cf) + 0.7]
set xtics () 
do for [j=1:words(cf)] { set xtics add (bn(word(cf, j)) j) }
plot for [j=1:words(cf)] sel(C, "config,trace=".word(cf, j).":".tr, "ratio_vs_first,simulated_ns") every ::0::0 \
        using (j):1 with boxes lc j notitle, \
     for [j=1:words(cf)] sel(C, "config,trace=".word(cf, j).":".tr, "ratio_vs_first,simulated_ns") every ::0::0 \
        using (j):1:(sprintf("%.2f× (%.3g ms)", $1, $2 / 1e6)) with labels offset 0, 1 notitle
unset multiplot
