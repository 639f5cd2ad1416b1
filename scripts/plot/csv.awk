# csv.awk — CSV helpers for awk (mawk/gawk): quoted fields, header lookup, size suffixes.

# csv_split(LINE, ARR): splits one CSV line into ARR[1..n] (double-quoted fields may hold commas); returns n.
function csv_split(line, arr,    n, i, c, f, q) {
    n = 0; f = ""; q = 0
    sub(/\r$/, "", line)
    for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (q) {
            if (c == "\"") {
                if (substr(line, i + 1, 1) == "\"") { f = f "\""; i++ } else q = 0
            } else f = f c
        } else if (c == "\"") q = 1
        else if (c == ",") { arr[++n] = f; f = "" }
        else f = f c
    }
    arr[++n] = f
    return n
}

# csv_is_num(S): true when S is a plain decimal or scientific number.
function csv_is_num(s) {
    return s ~ /^[ ]*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?[ ]*$/
}

# csv_bytes(S): "32K"/"1M"/"2G" (or "32KiB") as bytes; plain numbers unchanged; "" when not a size.
function csv_bytes(s,    u, m) {
    if (csv_is_num(s)) return s + 0
    if (s !~ /^[0-9.]+[KkMmGg](i?B)?$/) return ""
    u = s; sub(/^[0-9.]+/, "", u); u = toupper(substr(u, 1, 1))
    m = (u == "K") ? 1024 : (u == "M") ? 1048576 : 1073741824
    return (s + 0) * m
}

# csv_human(B): bytes as "32 KiB", "1.5 MiB", "2 GiB" (or "512 B").
function csv_human(b) {
    b += 0
    if (b >= 1073741824) return sprintf("%.4g GiB", b / 1073741824)
    if (b >= 1048576) return sprintf("%.4g MiB", b / 1048576)
    if (b >= 1024) return sprintf("%.4g KiB", b / 1024)
    return sprintf("%g B", b)
}
