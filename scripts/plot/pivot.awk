# pivot.awk — a long memhier CSV as a wide table for gnuplot histograms and report tables.
#   awk -f csv.awk -f pivot.awk -v row=level -v col=config -v val=miss_rate [-v where=trace=x]
#       [-v scale=100] [-v share=1] [-v header=1] [-v sep=' '] FILE.csv
# One output line per distinct row key (file order): the key, then one value per distinct column key
# (file order); a missing or non-numeric cell is NaN. share=1 turns each line into percentages of its
# sum. header=1 prints the column keys first. row may name several columns (a,b,c): joined with '/'
# (size_bytes shown as 32K/1M/...). maxrows=N keeps at most about N lines, evenly spaced within each
# group of lines sharing the row key's first part (e.g. up to N/groups sizes per kernel/variant).
# drop=COL=VALUE leaves out the rows where COL equals VALUE (e.g. drop=level=all).
BEGIN { FS = "\n"; if (scale == "") scale = 1; if (sep == "") sep = " "; nw = 0 }
NR == 1 {
    nh = csv_split($0, h)
    for (i = 1; i <= nh; i++) ix[h[i]] = i
    nr = split(row, rc, ",")
    for (i = 1; i <= nr; i++) if (!(rc[i] in ix)) bad = 1
    if (!(col in ix) || !(val in ix)) bad = 1
    if (where != "") {
        eq = index(where, "=")
        nw = split(substr(where, 1, eq - 1), wc, ",")
        split(substr(where, eq + 1), wv, ":")
        for (i = 1; i <= nw; i++) if (!(wc[i] in ix)) bad = 1
    }
    if (drop != "") { dc = substr(drop, 1, index(drop, "=") - 1); dv = substr(drop, index(drop, "=") + 1); if (!(dc in ix)) dc = "" }
    if (bad) exit 0
    next
}
{
    csv_split($0, f)
    for (i = 1; i <= nw; i++) if (f[ix[wc[i]]] != wv[i]) next
    if (dc != "" && f[ix[dc]] == dv) next
    r = f[ix[rc[1]]]
    for (i = 2; i <= nr; i++) r = r "/" (rc[i] == "size_bytes" ? short(f[ix[rc[i]]]) : f[ix[rc[i]]])
    c = f[ix[col]]
    if (!(r in sr)) { sr[r] = 1; rk[++nrk] = r }
    if (!(c in sc)) { sc[c] = 1; ck[++nck] = c }
    v[r, c] = f[ix[val]]
}
# short(B): bytes as 32K, 1M, 2G (for compact row labels).
function short(b) {
    if (!csv_is_num(b)) return b
    b += 0
    if (b >= 1073741824) return sprintf("%gG", b / 1073741824)
    if (b >= 1048576) return sprintf("%gM", b / 1048576)
    if (b >= 1024) return sprintf("%gK", b / 1024)
    return b ""
}
# thin(): with maxrows, marks keep[i] for evenly spaced lines of each group (first '/' parts of the key).
function thin(    i, g, ng, per, k, n) {
    for (i = 1; i <= nrk; i++) {
        g = rk[i]; sub(/\/[^\/]*$/, "", g)
        grp[i] = g
        if (!(g in gc)) { gc[g] = 0; ng++ }
        gc[g]++; pos[i] = gc[g]
    }
    per = int(maxrows / (ng > 0 ? ng : 1)); if (per < 1) per = 1
    for (i = 1; i <= nrk; i++) {
        n = gc[grp[i]]
        if (n <= per) { keep[i] = 1; continue }
        keep[i] = 0
        for (k = 0; k < per; k++)
            if (pos[i] == 1 + int(k * (n - 1) / (per > 1 ? per - 1 : 1) + 0.5)) keep[i] = 1
    }
}
END {
    if (bad) exit 0
    for (i = 1; i <= nrk; i++) keep[i] = 1
    if (maxrows > 0 && nrk > maxrows) thin()
    if (header && nrk > 0) { s = "key"; for (j = 1; j <= nck; j++) s = s sep ck[j]; print s }
    for (i = 1; i <= nrk; i++) {
        if (!keep[i]) continue
        tot = 0
        for (j = 1; j <= nck; j++) {
            x = ((rk[i], ck[j]) in v) ? v[rk[i], ck[j]] : ""
            cell[j] = csv_is_num(x) ? x * scale : "NaN"
            if (cell[j] != "NaN") tot += cell[j]
        }
        s = rk[i]
        for (j = 1; j <= nck; j++) {
            x = cell[j]
            if (share && x != "NaN") x = tot > 0 ? 100 * x / tot : 0
            s = s sep x
        }
        print s
    }
}
