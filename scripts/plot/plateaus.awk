# plateaus.awk — latency plateaus from a chase ladder: for each cache level, the median ns/access of
# the points between twice the previous cache's size and half this cache's size (or half its model
# size, when smaller); RAM: the points at 4x the last cache or more ("not-reached(largest:N)" when
# none). Input lines: "C size [model_size]" (cache sizes) and "P size ns" (ladder points); -v
# lv="L1d:32768 L2:524288 ..." names the levels.
# Output: "level size ns" per level, then "RAM - ns".
function med(arr, n,    i, j, t) {
    for (i = 2; i <= n; i++) { t = arr[i]; for (j = i - 1; j >= 1 && arr[j] > t; j--) arr[j + 1] = arr[j]; arr[j + 1] = t }
    return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
}
BEGIN { n = split(lv, t, " "); for (i = 1; i <= n; i++) { split(t[i], kv, ":"); name[kv[2] + 0] = kv[1] } }
$1 == "C" { c[++nc] = $2 + 0; e[nc] = ($3 + 0 > 0 && $3 + 0 < $2 + 0) ? $3 + 0 : $2 + 0; next }
$1 == "P" { ps[++np] = $2 + 0; pn[np] = $3 + 0; if ($2 + 0 > big) big = $2 + 0 }
END {
    prev = 0
    for (k = 1; k <= nc; k++) {
        m = 0; split("", a)
        for (i = 1; i <= np; i++) if (ps[i] > 2 * prev && ps[i] <= e[k] / 2) a[++m] = pn[i]
        if (m) printf "%s %d %.3g\n", (c[k] in name ? name[c[k]] : "L" k), c[k], med(a, m)
        prev = c[k]
    }
    m = 0; split("", a)
    for (i = 1; i <= np; i++) if (nc && ps[i] >= 4 * c[nc]) a[++m] = pn[i]
    if (m) printf "RAM - %.3g\n", med(a, m)
    else if (np && nc) printf "RAM - not-reached(largest:%d)\n", big
}
