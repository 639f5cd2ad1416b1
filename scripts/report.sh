#!/usr/bin/env bash
# report.sh — rebuilds the plots (plots/*.png|svg|pdf) and report.md of a run folder from the CSV
# files in that folder alone, and writes summary.txt (the five-line summary the suite prints).
#   scripts/report.sh [--no-plots] RUN_DIR
# Without gnuplot the report is still written (tables, no plots) and one message says why.
# Exit: 0 ok, 2 bad usage / not a run folder, 1 failure writing the report.

# The awk programs below are single-quoted on purpose ($0, $1 are awk fields).
# shellcheck disable=SC2016
set -euo pipefail
MH_PROG=report
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PLOTDIR="$MH_ROOT/scripts/plot"

want_plots=1
case ${1:-} in
    --no-plots) want_plots=0; shift ;;
    -h | --help) mh_help "$0"; exit 0 ;;
esac
[ $# -eq 1 ] || mh_usage_die "usage: scripts/report.sh [--no-plots] RUN_DIR"
run=${1%/}
[ -d "$run" ] || mh_usage_die "$run: no such run folder"
compgen -G "$run/*.csv" >/dev/null || mh_usage_die "$run: no CSV files (not a memhier run folder?)"
run=$(cd "$run" && pwd)
name=${MH_RUN_NAME:-$(basename "$run")}   # the suite reports on <name>.tmp.<pid> before renaming it

# awk helpers over this folder's CSVs.
sel() { awk -f "$PLOTDIR/csv.awk" -f "$PLOTDIR/select.awk" "$@"; }
mdt() { awk -f "$PLOTDIR/csv.awk" -f "$PLOTDIR/mdtable.awk" "$@"; }
pivot() { awk -f "$PLOTDIR/csv.awk" -f "$PLOTDIR/pivot.awk" "$@"; }
has() { [ -s "$run/$1" ] && [ "$(wc -l <"$run/$1")" -gt 1 ]; }
mget() { local v; v=$(mh_csv_get "$run/machine.csv" "$1"); printf '%s' "${v:-unknown}"; }
# awkc PROGRAM ARGS...: awk running PROGRAM with the csv.awk functions available.
awkc() { local prog=$1; shift; awk "$(cat "$PLOTDIR/csv.awk")"$'\n'"$prog" "$@"; }
human() { awk -v b="$1" "$(cat "$PLOTDIR/csv.awk")"$'\n''BEGIN { print csv_human(b) }'; }
# ini_size LEVEL: the size key of [LEVEL] in the run's calibrated.ini, "-" when there is none.
ini_size() {
    local v=""
    [ -s "$run/calibrated.ini" ] && v=$(awk -v sec="[$1]" '$1 == sec { on = 1; next } /^\[/ { on = 0 }
        on && $1 == "size" && $2 == "=" { print $3; exit }' "$run/calibrated.ini")
    echo "${v:--}"
}

# whatif_md: the "What the misses respond to" table from whatif.csv (scripts/what-if.sh): each
# point validation.csv has off by more than 15 %, its error as calibrated and with each knob
# (bold: within ±15 %), then every knob's share of all points within, and what each knob stands for.
whatif_md() {
    echo "### What the misses respond to"
    echo
    echo "Each column replays every point with one change to the config validate ran on (\`scripts/what-if.sh\`,"
    echo "whatif.csv); bold: within ±15 % with that change. A change that brings a miss in names the"
    echo "mechanism the model lacks or mis-sizes there; the last row says what it costs elsewhere. These"
    echo "are diagnoses, not fits: the calibrated config keeps its values."
    echo
    awkc 'FNR == 1 { file++; n = csv_split($0, h); delete ix; for (i = 1; i <= n; i++) ix[h[i]] = i; next }
        { csv_split($0, f); p = f[ix["kernel"]] SUBSEP f[ix["variant"]] SUBSEP f[ix["size_bytes"]] }
        file == 1 { if (f[ix["metric"]] != "ns_per_access" || !csv_is_num(f[ix["error_pct"]])) next
                    e = f[ix["error_pct"]] + 0; base[p] = e; npts++; if ((e < 0 ? -e : e) <= 15) bin++
                    if ((e < 0 ? -e : e) > 15) { miss[++nm] = p; kn[p] = f[ix["kernel"]]; va[p] = f[ix["variant"]]; sz[p] = csv_human(f[ix["size_bytes"]])
                        m = f[ix["measured"]] + 0; q = f[ix["measured_p10"]] + 0; sm = f[ix["simulated"]] + 0   # two speeds, as above
                        if (m > 0 && q > 0 && (m - q) / m > 0.15 && (sm - q) / q <= 0.15 && (q - sm) / q <= 0.15) sz[p] = sz[p] " (two speeds)" }
                    next }
        { k = f[ix["knob"]]; if (!(k in seenk)) { seenk[k] = 1; knob[++nk] = k; set[k] = f[ix["setting"]]; mech[k] = f[ix["mechanism"]] }
          if (!csv_is_num(f[ix["error_pct"]])) next
          e = f[ix["error_pct"]] + 0; err[k, p] = e; pts[k]++; if ((e < 0 ? -e : e) <= 15) win[k]++ }
        function cell(e, has) { if (!has) return "-"; return (e < 0 ? -e : e) <= 15 ? sprintf("**%+.1f**", e) : sprintf("%+.1f", e) }
        END {
            if (!nm) { print "Every point is within ±15 % as calibrated: no miss to explain."; print ""; exit }
            for (i = 2; i <= nm; i++) { t = miss[i]; a = base[t] < 0 ? -base[t] : base[t]
                for (j = i - 1; j >= 1 && (base[miss[j]] < 0 ? -base[miss[j]] : base[miss[j]]) < a; j--) miss[j + 1] = miss[j]; miss[j + 1] = t }
            printf "| kernel | variant | size | as calibrated %%"; for (j = 1; j <= nk; j++) printf " | %s", knob[j]; print " |"
            printf "|---|---|---|---"; for (j = 1; j <= nk; j++) printf "|---"; print "|"
            for (i = 1; i <= nm; i++) { p = miss[i]
                printf "| %s | %s | %s | %+.1f", kn[p], va[p], sz[p], base[p]
                for (j = 1; j <= nk; j++) printf " | %s", cell(err[knob[j], p], ((knob[j], p) in err))
                print " |" }
            printf "| all points within ±15 %% | | | %.1f", npts ? 100 * bin / npts : 0
            for (j = 1; j <= nk; j++) printf " | %.1f", pts[knob[j]] ? 100 * win[knob[j]] / pts[knob[j]] : 0
            print " |"; print ""
            for (j = 1; j <= nk; j++) printf "- **%s** (`%s`): %s\n", knob[j], set[knob[j]], mech[knob[j]]
            print "" }' "$run/validation.csv" "$run/whatif.csv"
}

# ---- plots ---------------------------------------------------------------------------------------
# Each template: name, title shown in the report.
plot_names=(ladder validation patterns memory stalls missratio compare)
declare -A plot_title=(
    [ladder]="Latency ladder (chase): measured vs simulated"
    [validation]="Validation: simulated vs measured, error histogram"
    [patterns]="Patterns: stack vs heap vs pool vs prefetch"
    [memory]="Heap vs pool: allocation rate, fragmentation, peak RSS"
    [stalls]="Stall breakdown"
    [missratio]="Miss-ratio curves (sweep)"
    [compare]="Config comparison"
)
declare -A plot_state=()   # made | nodata | failed
plots_note=""
if [ "$want_plots" -eq 1 ]; then
    if mh_have_gnuplot; then
        mkdir -p "$run/plots"
        for p in "${plot_names[@]}"; do
            rc=0
            mh_plot "$PLOTDIR/$p.gp" "$run" "$run/plots/$p" || rc=$?
            case $rc in
                0) plot_state[$p]=made ;;
                3) plot_state[$p]=nodata; rm -f "$run/plots/$p".{png,svg,pdf} ;;
                *) plot_state[$p]=failed ;;
            esac
        done
        rmdir "$run/plots" 2>/dev/null || true
    else
        plots_note="gnuplot (with the pngcairo, svg and pdfcairo terminals) not found: plots skipped; install gnuplot-nox (scripts/deps.sh) and rerun scripts/report.sh $name"
        mh_say "$plots_note"
    fi
else
    plots_note="plots not requested (--no-plots)"
fi

# plot_md NAME: the markdown image of plot NAME when it was made, else a line saying why not.
plot_md() {
    local p=$1
    case ${plot_state[$p]:-} in
        made) printf '![%s](plots/%s.png)\n\n(also [SVG](plots/%s.svg), [PDF](plots/%s.pdf))\n\n' \
                  "${plot_title[$p]}" "$p" "$p" "$p" ;;
        nodata) printf '_Plot %s: no data in this run._\n\n' "$p" ;;
        failed) printf '_Plot %s: gnuplot failed (see the message of scripts/report.sh)._\n\n' "$p" ;;
        *) printf '_Plot %s not drawn: %s._\n\n' "$p" "${plots_note:-skipped}" ;;
    esac
}

# ---- derived numbers -----------------------------------------------------------------------------
plateaus() { mh_plateaus "$run"; }

overall=""
has validation-summary.csv && overall=$(sel -v cols=points,median_abs_err_pct,p90_abs_err_pct,within15_pct \
    -v where=scope=overall "$run/validation-summary.csv" | awk 'NR == 1')
worst=""
has validation.csv && worst=$(awkc 'NR == 1 { n = csv_split($0, h); for (i = 1; i <= n; i++) ix[h[i]] = i; next }
        { csv_split($0, f); if (f[ix["metric"]] != "ns_per_access" || !csv_is_num(f[ix["error_pct"]])) next
          e = f[ix["error_pct"]] + 0; a = e < 0 ? -e : e
          if (a > best) { best = a; w = f[ix["kernel"]] " " f[ix["variant"]] " at " csv_human(f[ix["size_bytes"]]) sprintf(" (%+.1f%%)", e)
                          k = f[ix["kernel"]] SUBSEP f[ix["variant"]] SUBSEP f[ix["size_bytes"]] } }
        END { if (w == "" || best <= 15 || wi == "") { if (w != "") print w; exit }
              while ((getline line < wi) > 0) { if (++r == 1) { m = csv_split(line, h); for (i = 1; i <= m; i++) jx[h[i]] = i; continue }
                  csv_split(line, g); if (g[jx["kernel"]] SUBSEP g[jx["variant"]] SUBSEP g[jx["size_bytes"]] != k || !csv_is_num(g[jx["error_pct"]])) continue
                  e = g[jx["error_pct"]] + 0; if ((e < 0 ? -e : e) <= 15) ks = ks (ks ? ", " : "") g[jx["knob"]] }
              print w (ks ? "; within ±15% with " ks " (whatif.csv)" : "") }' \
        wi="$(has whatif.csv && echo "$run/whatif.csv")" "$run/validation.csv")
# recheck_rows: "size calibration_ns recheck_ns ratio" for each page-local chase size that both
# ladder.csv (calibrate) and recheck.csv (the suite, after validate) measured.
recheck_rows() {
    has recheck.csv && has ladder.csv || return 0
    awkc 'FNR == 1 { n = csv_split($0, h); for (i = 1; i <= n; i++) ix[FILENAME, h[i]] = i; next }
        { csv_split($0, f); if (f[ix[FILENAME, "kernel"]] != "chase" || f[ix[FILENAME, "variant"]] != "page") next
          sz = f[ix[FILENAME, "size_bytes"]]; v = f[ix[FILENAME, "ns_median"]]; if (!csv_is_num(v)) next
          if (FILENAME ~ /ladder\.csv$/) cal[sz] = v; else if (sz in cal && cal[sz] > 0 && v > 0) printf "%s %s %s %.3f\n", sz, cal[sz], v, v / cal[sz] }' \
        "$run/ladder.csv" "$run/recheck.csv"
}
# moved: the recheck point furthest from calibration, when it moved by more than 1.5x either way.
moved=$(recheck_rows | awk '{ r = $4 >= 1 ? $4 : 1 / $4; if (r > best) { best = r; w = $0 } }
    END { if (best > 1.5) { split(w, a, " "); printf "%s %s %s", a[1], a[2], a[3] } }')
[ -z "$moved" ] || moved=$(read -r sz a b <<<"$moved"; printf 'the machine moved since calibration (chase at %s: %.3g ns then, %.3g ns after validate)' "$(human "$sz")" "$a" "$b")
unmeasured=$(mget counters_unavailable)
skipped_list=""
has skipped.csv && skipped_list=$(awkc 'NR > 1 { csv_split($0, f); s = s (s ? ", " : "") f[1] } END { print s }' "$run/skipped.csv")

summary_lines() {
    local pl
    echo "machine: $(mget cpu_model), $(mget cores) cores; $(mget topology_summary)"
    pl=$(plateaus | awk '{ s = s (s ? ", " : "") $1 " " ($3 ~ /^not/ ? "not reached" : $3 " ns") } END { print s }')
    echo "ladder${pl:+ (chase $(mh_plateau_variant "$run"))}: ${pl:-no chase ladder in this run}"
    if [ -n "$overall" ]; then
        read -r pts med p90 w15 <<<"$overall"
        echo "validation: $pts timing points, median |error| $med%, p90 |error| $p90%, $w15% within ±15%${worst:+; worst: $worst}${moved:+; $moved}"
    else
        echo "validation: not run (no validation-summary.csv)"
    fi
    echo "skipped: ${skipped_list:-nothing}${plots_note:+; plots: $plots_note}"
    local names
    names=$(awk -v s="$unmeasured" 'BEGIN { n = split(s, a, / \| /); for (i = 1; i <= n; i++) { split(a[i], w, " "); o = o (o ? ", " : "") w[1] } print o }')
    case $unmeasured in
        unknown* | none | "") echo "counters not measured: ${unmeasured:-none recorded}" ;;
        *) echo "counters not measured: $names (reasons in report.md)" ;;
    esac
}

# ---- report.md -----------------------------------------------------------------------------------
write_report() {
    echo "# memhier run \`$name\`"
    echo
    echo "Generated by \`scripts/report.sh\` from the CSV files in this folder only (UTC time of the run: $(mget utc_time))."
    echo
    echo "## Summary"
    echo
    summary_lines | sed 's/^/- /'
    echo
    echo "## Machine"
    echo
    if has machine.csv; then
        mdt -v cols=key,value -v heads='item|value' "$run/machine.csv"
    else
        echo "_No machine.csv in this folder._"
    fi
    echo
    echo "### Counters"
    echo
    echo "- Available: $(mget counters_available)"
    echo "- Not measured (with the reason PAPI gave):"
    awk -v s="$unmeasured" 'BEGIN { n = split(s, a, / \| /); for (i = 1; i <= n; i++) print "  - " a[i] }' 
    if has counters.txt && grep -q 'groups, counted in turn' "$run/counters.txt"; then
        echo "- $(sed -n 's/.*(more hardware events than counters: \([0-9]*\) groups.*/\1/p' "$run/counters.txt") groups of"\
             "hardware events took turns, one group per repetition (more events than the PMU has counters):"
        echo "  each event's median is over the repetitions its group counted."
    fi
    if has validation.csv; then
        local nm
        nm=$(sel -v distinct=metric -v where=measured="not measured" "$run/validation.csv" | tr '\n' ' ')
        [ -n "$nm" ] && echo "- Validation cells marked \"not measured\" (never zero): ${nm% }"
    fi
    echo
    echo "## Latency ladder"
    echo
    plot_md ladder
    if has ladder.csv; then
        echo "Plateaus of the chase $(mh_plateau_variant "$run") ladder (median of the points well inside each level; model"
        echo "size: the level's size key in calibrated.ini, smaller where calibrate found the cache holding less"
        echo "here). A page-local shuffle past the LLC is sped up by a spatial prefetcher where the machine has one:"
        echo "its RAM plateau is then below a single miss's latency (the chase gN variants split it, see the README):"
        echo
        echo "| level | size | model size | ns per access |"
        echo "|---|---|---|---|"
        plateaus | while read -r lvl sz ns; do
            if [ "$sz" = - ]; then
                case $ns in not-reached*) ns="not reached (largest point $(human "${ns//[^0-9]/}"); RAM needs > 4x the last cache)" ;; esac
                echo "| $lvl | - | - | $ns |"
            else echo "| $lvl | $(human "$sz") | $(ini_size "$lvl") | $ns |"; fi
        done
        echo
    fi
    echo "## Validation"
    echo
    if has validation-summary.csv; then
        mdt -v cols=scope,points,median_abs_err_pct,p90_abs_err_pct,within15_pct \
            -v heads='scope|points|median abs error %|p90 abs error %|within ±15 %' "$run/validation-summary.csv"
        echo
    else
        echo "_No validation in this run (see Skipped)._"
        echo
    fi
    plot_md validation
    if [ -n "$(recheck_rows)" ]; then
        echo "The machine since calibration: page-local chase points of the ladder measured again after"
        echo "validate (recheck.csv). On a shared machine a neighbour can take the L3 or the memory"
        echo "channel for minutes; a run whose ladder moved by more than 1.5x was validated on another"
        echo "machine than the one calibrated."
        echo
        echo "| size | calibration ns | after validate ns | ratio |"
        echo "|---|---|---|---|"
        recheck_rows | while read -r sz a b r; do echo "| $(human "$sz") | $a | $b | $r |"; done
        echo
    fi
    if has clock.csv; then # the clock validate's replays turned cycles into ns at
        cfgf=$(awk -F' *= *' '$1 == "frequency_ghz" { print $2; exit }' "$run/calibrated.ini" 2>/dev/null)
        awk -F, -v cfg="${cfgf:-?}" 'NR > 1 { g[++n] = $2; b += ($4 == 1) }
            END { if (!n) exit; for (i = 2; i <= n; i++) { t = g[i]; for (j = i - 1; j >= 1 && g[j] > t; j--) g[j + 1] = g[j]; g[j + 1] = t }
                  printf "Clock: %d core probes during validate (clock.csv) read %s..%s GHz; the replays turned\n", n, g[1], g[n]
                  printf "simulated cycles into ns at their median, %s GHz,\n",
                         n % 2 ? g[(n + 1) / 2] : (g[n / 2] + g[n / 2 + 1]) / 2
                  printf "unless validate ran with --config-clock (calibrated.ini says %s).", cfg
                  if (b) printf "\n%d of the probes still read a busy core (a neighbour on it: the issue rate under 80 %%\nof calibration'"'"'s) after validate waited for it; the rounds measured then are left out of\ntheir points'"'"' medians (validate.log says which).", b
                  printf "\n\n" }' "$run/clock.csv"
    fi
    if has validation.csv; then
        echo "Pairings (what each simulated count is compared with):"
        echo
        echo "| metric | pairing | points | measured | median abs error % |"
        echo "|---|---|---|---|---|"
        awkc 'NR == 1 { n = csv_split($0, h); for (i = 1; i <= n; i++) ix[h[i]] = i; next }
            { csv_split($0, f); m = f[ix["metric"]]; if (!(m in np)) { ord[++no] = m; pr[m] = f[ix["pairing"]] }
              np[m]++; if (csv_is_num(f[ix["measured"]])) nmz[m]++
              if (csv_is_num(f[ix["error_pct"]])) { e = f[ix["error_pct"]] + 0; err[m, ++ne[m]] = e < 0 ? -e : e } }
            END { for (k = 1; k <= no; k++) { m = ord[k]; n = ne[m]
                for (i = 2; i <= n; i++) { t = err[m, i]; for (j = i - 1; j >= 1 && err[m, j] > t; j--) err[m, j + 1] = err[m, j]; err[m, j + 1] = t }
                md = n ? sprintf("%.2f", n % 2 ? err[m, (n + 1) / 2] : (err[m, n / 2] + err[m, n / 2 + 1]) / 2) : "not measured"
                printf "| %s | %s | %d | %s | %s |\n", m, pr[m], np[m], nmz[m] ? nmz[m] "" : "not measured", md } }' "$run/validation.csv"
        echo
        echo "Largest timing errors, with where each point's simulated time went (stalls.csv, parts of at"
        echo "least 5 %): the parts of the model a miss points at. \"two speeds\": the machine ran the point"
        echo "at two speeds, its p10 far below its median, and the model is within 15 % of the faster."
        echo
        echo "| kernel | variant | size | measured ns | simulated ns | error % | simulated time went to |"
        echo "|---|---|---|---|---|---|---|"
        local stalls=/dev/null
        has stalls.csv && stalls="$run/stalls.csv"
        awkc 'FNR == 1 { n = csv_split($0, h); delete ix; for (i = 1; i <= n; i++) ix[h[i]] = i; st = ("component" in ix); next }
            st { csv_split($0, f); k = f[ix["kernel"]] SUBSEP f[ix["variant"]] SUBSEP f[ix["size_bytes"]]
                        c = f[ix["cycles"]] + 0; if (c <= 0) next
                        tot[k] += c; nc[k]++; comp[k, nc[k]] = f[ix["component"]]; cyc[k, nc[k]] = c; next }
            { csv_split($0, f); if (f[ix["metric"]] != "ns_per_access" || !csv_is_num(f[ix["error_pct"]])) next
              k = f[ix["kernel"]] SUBSEP f[ix["variant"]] SUBSEP f[ix["size_bytes"]]; parts = "-"
              if (tot[k] > 0) { parts = ""
                  for (r = 1; r <= 3; r++) { b = 0; for (j = 1; j <= nc[k]; j++) if (!used[k, j] && (!b || cyc[k, j] > cyc[k, b])) b = j
                      if (!b || cyc[k, b] < 0.05 * tot[k]) break
                      used[k, b] = 1; parts = parts (r > 1 ? ", " : "") sprintf("%s %.0f%%", comp[k, b], 100 * cyc[k, b] / tot[k]) } }
              e = f[ix["error_pct"]] + 0; m = f[ix["measured"]] + 0; p = f[ix["measured_p10"]] + 0; sm = f[ix["simulated"]] + 0
              meas = sprintf("%.4g", m)   # two speeds (validate.h): p10 far below the median, the model near p10
              if (m > 0 && p > 0 && (m - p) / m > 0.15 && (sm - p) / p <= 0.15 && (p - sm) / p <= 0.15)
                  meas = meas sprintf(" (p10 %.4g: two speeds)", p)
              printf "%s\t| %s | %s | %s | %s | %.4g | %+.1f | %s |\n", (e < 0 ? -e : e), f[ix["kernel"]], f[ix["variant"]], csv_human(f[ix["size_bytes"]]), meas, sm, e, parts }' \
            "$stalls" "$run/validation.csv" | sort -t"$(printf '\t')" -k1,1gr | awk 'NR <= 10' | cut -f2-
        echo
        has whatif.csv && whatif_md
    fi
    echo "## Per-kernel results"
    echo
    plot_md patterns
    if has bench.csv; then
        local k n
        for k in $(sel -v distinct=kernel "$run/bench.csv"); do
            n=$(sel -v cols=size_bytes -v where=kernel="$k" "$run/bench.csv" | wc -l)
            echo "<details><summary><b>$k</b> ($n points)</summary>"
            echo
            mdt -v cols=variant,size_bytes,reps,ns_median,ns_p10,ns_p90,ns_min,cycles_median,dependent \
                -v heads='variant|size|reps|ns/access median|p10|p90|min|cycles median|dependent' \
                -v human=size_bytes -v where=kernel="$k" "$run/bench.csv"
            echo
            echo "</details>"
            echo
        done
    else
        echo "_No bench.csv in this run._"
        echo
    fi
    echo "## Heap vs pool (memory management)"
    echo
    plot_md memory
    if has bench.csv && [ -n "$(sel -v distinct=kernel -v where=kernel=heap "$run/bench.csv")$(sel -v distinct=kernel -v where=kernel=pool "$run/bench.csv")" ]; then
        {
            mdt -v cols=kernel,variant,size_bytes,alloc_rate,fragmentation,peak_rss_bytes,live_objects,ns_median \
                -v heads='kernel|variant|size|allocations/s|fragmentation|peak RSS|live objects at end|ns/access' \
                -v human=size_bytes,peak_rss_bytes -v nm=alloc_rate,fragmentation,peak_rss_bytes -v where=kernel=heap "$run/bench.csv"
            mdt -v cols=kernel,variant,size_bytes,alloc_rate,fragmentation,peak_rss_bytes,live_objects,ns_median \
                -v heads='kernel|variant|size|allocations/s|fragmentation|peak RSS|live objects at end|ns/access' \
                -v human=size_bytes,peak_rss_bytes -v nm=alloc_rate,fragmentation,peak_rss_bytes -v where=kernel=pool "$run/bench.csv"
        } | awk 'NR > 2 && /^\| kernel \|/ { getline; next } { print }'
        echo
    else
        echo "_No heap or pool rows in bench.csv._"
        echo
    fi
    echo "## Stall breakdown"
    echo
    plot_md stalls
    if has stalls.csv; then
        echo "Share of simulated cycles per component, all sizes of each kernel together (%):"
        echo
        pivot -v row=kernel -v col=component -v val=cycles -v header=1 -v sep='|' "$run/stalls.csv" \
            | awk -F'|' 'NR == 1 { s = "| kernel |"; t = "|---|"; for (i = 2; i <= NF; i++) { s = s " " $i " |"; t = t "---|" } print s; print t; next }
                 { t = 0; for (i = 2; i <= NF; i++) if ($i != "NaN") t += $i
                   s = "| " $1 " |"; for (i = 2; i <= NF; i++) s = s sprintf(" %.1f |", ($i == "NaN" || t == 0) ? 0 : 100 * $i / t); print s }'
        echo
    fi
    echo "## Miss-ratio curves (sweep)"
    echo
    plot_md missratio
    if has sweep.csv; then
        mdt -v cols=trace,param,value,level,miss_rate,mpki,simulated_ns \
            -v heads='trace|parameter|value|level|miss rate|MPKI|simulated ns' "$run/sweep.csv"
        echo
    fi
    echo "## Config comparison"
    echo
    plot_md compare
    if has compare.csv; then
        mdt -v cols=config,trace,level,miss_rate,misses_per_1k,bytes_from_next,simulated_ns,ratio_vs_first \
            -v heads='config|trace|level|miss rate|misses per 1k|bytes from next|simulated ns|ratio vs first' "$run/compare.csv"
        echo
    fi
    echo "## Plots"
    echo
    local p any=0
    for p in "${plot_names[@]}"; do
        if [ "${plot_state[$p]:-}" = made ]; then
            any=1
            echo "- ${plot_title[$p]}: [PNG](plots/$p.png), [SVG](plots/$p.svg), [PDF](plots/$p.pdf)"
        fi
    done
    [ "$any" -eq 1 ] || echo "- none: ${plots_note:-no plot had data}"
    echo
    echo "## Reproduce"
    echo
    local m
    m=$(mget mode)
    case $m in
        quick) echo "Whole run: \`QUICK=1 make run\` (or \`QUICK=1 scripts/run-suite.sh\`)." ;;
        full) echo "Whole run: \`FULL=1 make run\` (or \`FULL=1 scripts/run-suite.sh\`)." ;;
        default) echo "Whole run: \`make run\` (or \`scripts/run-suite.sh\`)." ;;
    esac
    echo
    echo "The commands this run executed (from \`commands.sh\` in this folder), from the repository root:"
    echo
    echo '```sh'
    if [ -s "$run/commands.sh" ]; then grep -v '^#' "$run/commands.sh" | grep -v '^set ' | sed '/^$/d'; else echo "# (no commands.sh: this folder was not written by scripts/run-suite.sh)"; fi
    grep -q 'scripts/report.sh' "$run/commands.sh" 2>/dev/null \
        || echo "scripts/report.sh results/$name   # rebuild plots and this report from the CSVs"
    echo '```'
    echo
    echo "## Skipped"
    echo
    if has skipped.csv; then
        mdt -v cols=step,reason -v heads='step|why' "$run/skipped.csv"
    else
        echo "Nothing was skipped."
    fi
    [ -n "$plots_note" ] && printf '\nPlots: %s.\n' "$plots_note"
    for p in "${plot_names[@]}"; do
        case ${plot_state[$p]:-} in
            nodata) printf -- '- plot %s: no data in this run\n' "$p" ;;
            failed) printf -- '- plot %s: gnuplot failed\n' "$p" ;;
        esac
    done
    echo
    echo "## Files"
    echo
    (cd "$run" && find . -maxdepth 1 -type f ! -name '*.tmp.*' ! -name report.md | sed 's|^\./||' | sort | sed 's/^/- `/; s/$/`/')
    [ -d "$run/traces" ] && echo "- \`traces/\` ($(find "$run/traces" -name "*.mht" -type f | wc -l) traces and the pages each found resident; not committed)"
    return 0
}

summary_lines | mh_atomic_write "$run/summary.txt"
write_report | mh_atomic_write "$run/report.md"
echo "$run/report.md"
