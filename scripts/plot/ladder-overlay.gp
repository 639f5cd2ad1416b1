# ladder-overlay.gp — latency ladders of several runs (machines) on one axis: chase median ns/access
# vs working-set size, p10-p90 band, one colour per run (global shuffle, else the first variant).
# Inputs: ladder.csv and machine.csv of each folder in `dirs` (space-separated; default: dir).
#   gnuplot -e "dirs='results/A results/B'; out='x.png'; fmt='png'" ladder-overlay.gp
here = system("dirname '".ARG0."'")
load here."/common.gpi"
if (!exists("dirs")) dirs = dir
# Keep the folders that have a chase ladder; v[i] is the variant drawn for folder i.
ok = ""; vs = ""
do for [i=1:words(dirs)] {
    D = word(dirs, i)
    vv = distinct(D."/ladder.csv", "variant", "kernel=chase")
    if (words(vv) > 0) { ok = ok." ".D; vs = vs." ".(strstrt(" ".vv." ", " global ") > 0 ? "global" : word(vv, 1)) }
}
if (words(ok) == 0) { why = "no ladder.csv with chase rows in ".dirs; eval nodata }
set print $R
do for [i=1:words(ok)] { print system(sprintf("%s -v where=kernel=chase -v cols=size_bytes,ns_median '%s/ladder.csv'", awkcmd, word(ok, i))) }
unset print
stats $R using 1:2 nooutput
xlo = STATS_min_x; xhi = STATS_max_x; ylo = STATS_min_y; yhi = STATS_max_y
eval size_axis
set logscale y 2
set yrange [ylo / 1.4 : yhi * 1.6]
set ytics format "%g"
# label(D): "<host> (<folder>)" from the folder's machine.csv.
host(D) = system(sprintf("awk -F, '$1 == \"host\" { print $2; exit }' '%s/machine.csv' 2>/dev/null", D))
label(D) = (strlen(host(D)) > 0 ? host(D)." " : "")."(".system(sprintf("basename '%s'", D)).")"
set title "Latency ladders of several runs (chase, median with p10-p90 band)" font ",13"
set xlabel "working-set size (bytes, log2 scale)"
set ylabel "ns per access (log scale)"
set key top left box opaque
set output out
n = words(ok)
plot for [i=1:n] sel(word(ok, i)."/ladder.csv", "kernel,variant=chase:".word(vs, i), "size_bytes,ns_p10,ns_p90") \
        using 1:2:3 with filledcurves lc i fs transparent solid 0.15 noborder notitle, \
     for [i=1:n] sel(word(ok, i)."/ladder.csv", "kernel,variant=chase:".word(vs, i), "size_bytes,ns_median") \
        using 1:2 with linespoints lc i title label(word(ok, i))." ".word(vs, i)
