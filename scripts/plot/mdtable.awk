# mdtable.awk — rows of a memhier CSV as a markdown table (for report.sh).
#   awk -f csv.awk -f mdtable.awk -v cols=kernel,size_bytes,ns_median -v heads='kernel|size|ns' \
#       [-v where=kernel=heap] [-v human=size_bytes] [-v nm=measured] [-v sortcol=N] FILE.csv
# human: columns shown as KiB/MiB/GiB; nm: columns whose missing values read "not measured" (others
# "n/a"); numbers get 4 significant digits, large ones k/M/G suffixes. Prints nothing when no row matches.
BEGIN { FS = "\n"; nw = 0 }
function nice(x,    a) {
    x += 0; a = x < 0 ? -x : x
    if (a >= 1e9) return sprintf("%.3g G", x / 1e9)
    if (a >= 1e6) return sprintf("%.3g M", x / 1e6)
    if (a >= 1e4) return sprintf("%.3g k", x / 1e3)
    if (a == int(a)) return sprintf("%d", x)
    return sprintf("%.4g", x)
}
NR == 1 {
    nh = csv_split($0, h)
    for (i = 1; i <= nh; i++) ix[h[i]] = i
    nc = split(cols, cc, ","); split(heads, hd, "|")
    for (i = 1; i <= nc; i++) if (!(cc[i] in ix)) bad = 1
    nhu = split(human, hu, ","); for (i = 1; i <= nhu; i++) ish[hu[i]] = 1
    nnm = split(nm, nmv, ","); for (i = 1; i <= nnm; i++) isnm[nmv[i]] = 1
    if (where != "") {
        eq = index(where, "=")
        nw = split(substr(where, 1, eq - 1), wc, ",")
        split(substr(where, eq + 1), wv, ":")
        for (i = 1; i <= nw; i++) if (!(wc[i] in ix)) bad = 1
    }
    if (bad) exit 0
    next
}
{
    csv_split($0, f)
    for (i = 1; i <= nw; i++) if (f[ix[wc[i]]] != wv[i]) next
    if (!rows++) {
        s = "|"; t = "|"
        for (i = 1; i <= nc; i++) { s = s " " (hd[i] != "" ? hd[i] : cc[i]) " |"; t = t "---|" }
        print s; print t
    }
    s = "|"
    for (i = 1; i <= nc; i++) {
        v = f[ix[cc[i]]]
        if (v == "" || v == "NA" || v == "nan" || v == "NaN" || v == "not measured") v = (cc[i] in isnm) ? "not measured" : "n/a"
        else if ((cc[i] in ish) && csv_is_num(v)) v = csv_human(v)
        else if (csv_is_num(v)) v = nice(v)
        gsub(/\|/, "\\|", v)
        s = s " " v " |"
    }
    print s
}
