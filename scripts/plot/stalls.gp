# stalls.gp — stall breakdown: share of simulated cycles per component (L1d, L2, L3, RAM, TLB, page
# walks, minor faults, disk, compute) as stacked bars per kernel, variant and size (at most ~36 bars,
# evenly spaced sizes per kernel/variant).  Input: stalls.csv (kernel,variant,size_bytes,component,cycles).
#   gnuplot -e "dir='RUN'; out='x.png'; fmt='png'" stalls.gp
psize = "1500,760"; pdfsize = "12in,6in"
here = system("dirname '".ARG0."'")
load here."/common.gpi"
T = dir."/stalls.csv"
comps = distinct(T, "component", "")
if (words(comps) == 0) { why = "stalls.csv is missing or empty"; eval nodata }
pv = sprintf("< awk -f '%s/csv.awk' -f '%s/pivot.awk' -v row=kernel,variant,size_bytes -v col=component -v val=cycles -v share=1 -v maxrows=36 '%s'", here, here, T)
set output out
set title "Stall breakdown: where the simulated time goes (share of cycles per kernel / variant / size)" font ",13"
set style data histograms
set style histogram rowstacked
set style fill solid 0.9 border lc rgb "#ffffff"
set boxwidth 0.8
set ylabel "share of simulated cycles (%)"
set yrange [0:100]
set xtics rotate by -60 nomirror font ",9"
set grid ytics
set key outside right top box opaque title "component"
set bmargin 8
plot for [j=1:words(comps)] pv using (column(j + 1)):xtic(1) lc j title word(comps, j)
