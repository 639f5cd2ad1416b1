# select.awk — pulls columns out of a memhier CSV by header name, for gnuplot and report.sh.
#   awk -f csv.awk -f select.awk -v cols=size_bytes,ns_median [-v where=kernel,variant=chase:global]
#       [-v keep=1] [-v bytes=1] FILE.csv          -> space-separated rows
#   awk -f csv.awk -f select.awk -v distinct=kernel,variant [-v where=...] FILE.csv -> "a:b" per line
# Rows whose selected values are not numbers ("NA", "not measured", empty) are dropped, or printed as
# NaN with keep=1 (so a missing measurement is never a zero). bytes=1 turns 32K/1M suffixes into bytes.
BEGIN { FS = "\n"; nw = 0 }
NR == 1 {
    nh = csv_split($0, h)
    for (i = 1; i <= nh; i++) idx[h[i]] = i
    if (where != "") {
        eq = index(where, "=")
        nw = split(substr(where, 1, eq - 1), wc, ",")
        split(substr(where, eq + 1), wv, ":")
        for (i = 1; i <= nw; i++) if (!(wc[i] in idx)) exit 0
    }
    if (distinct != "") { nd = split(distinct, dc, ","); for (i = 1; i <= nd; i++) if (!(dc[i] in idx)) exit 0 }
    else { nc = split(cols, cc, ","); for (i = 1; i <= nc; i++) if (!(cc[i] in idx)) exit 0 }
    next
}
{
    n = csv_split($0, f)
    for (i = 1; i <= nw; i++) if (f[idx[wc[i]]] != wv[i]) next
    if (distinct != "") {
        k = f[idx[dc[1]]]
        for (i = 2; i <= nd; i++) k = k ":" f[idx[dc[i]]]
        if (!(k in seen)) { seen[k] = 1; print k }
        next
    }
    line = ""
    for (i = 1; i <= nc; i++) {
        v = f[idx[cc[i]]]
        if (bytes) { b = csv_bytes(v); if (b != "") v = b }
        if (!csv_is_num(v)) { if (!keep) next; v = "NaN" }
        line = line (i > 1 ? " " : "") v
    }
    print line
}
