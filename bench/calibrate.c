/* calibrate.c — fits latencies from the chase ladder, writes them into a config, and measures
 * the minor-fault cost. See calibrate.h for the fit's equations. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calibrate.h"
#include "config_int.h"
#include "counters.h"

/* qsort order for doubles. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v (sorted in place). */
double cal_median(double *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double cal_fold_rounds(bench_stats *st, double *med, double *p10, double *p90, int rounds)
{
    if (rounds <= 1)
        return 0;
    double lo = med[0], hi = med[0];
    for (int i = 1; i < rounds; i++) {
        lo = med[i] < lo ? med[i] : lo;
        hi = med[i] > hi ? med[i] : hi;
    }
    st->ns_median = cal_median(med, (size_t)rounds);
    st->ns_p10 = cal_median(p10, (size_t)rounds);
    st->ns_p90 = cal_median(p90, (size_t)rounds);
    return st->ns_median > 0 ? (hi - lo) / st->ns_median * 100 : 0;
}

/* qsort order for points by size. */
static int cmp_size(const void *a, const void *b)
{
    size_t x = ((const cal_point *)a)->size, y = ((const cal_point *)b)->size;
    return (x > y) - (x < y);
}

/* Median ns of points with lo < size <= hi (hi 0 = no bound) and ns > 0; *count gets how many. */
static double window_median(const cal_point *p, size_t n, size_t lo, size_t hi, size_t *count)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    size_t m = 0;
    for (size_t i = 0; v && i < n; i++)
        if (p[i].size > lo && (hi == 0 || p[i].size <= hi) && p[i].ns > 0)
            v[m++] = p[i].ns;
    double med = v ? cal_median(v, m) : 0;
    free(v);
    *count = m;
    return med;
}

/* The points of p with ns > 0, sorted by size (malloc'ed, NULL on no memory); *m gets the count. */
static cal_point *sorted_points(const cal_point *p, size_t n, size_t *m)
{
    cal_point *w = malloc((n ? n : 1) * sizeof *w);
    *m = 0;
    for (size_t i = 0; w && i < n; i++)
        if (p[i].ns > 0)
            w[(*m)++] = p[i];
    if (w)
        qsort(w, *m, sizeof *w, cmp_size);
    return w;
}

/* [*a, *b): the indexes of sorted w with lo < size <= hi. */
static void window_range(const cal_point *w, size_t m, size_t lo, size_t hi, size_t *a, size_t *b)
{
    for (*a = 0; *a < m && w[*a].size <= lo; (*a)++)
        ;
    for (*b = *a; *b < m && w[*b].size <= hi; (*b)++)
        ;
}

/* Median ns of w[a..b) (b > a). */
static double range_median(const cal_point *w, size_t a, size_t b)
{
    double v[256], *d = b - a <= 256 ? v : malloc((b - a) * sizeof *d);
    if (!d)
        return 0;
    for (size_t j = a; j < b; j++)
        d[j - a] = w[j].ns;
    double med = cal_median(d, b - a);
    if (d != v)
        free(d);
    return med;
}

/* Median ns of the points of w[a..b) (sorted by size) within CAL_PLATEAU_NEAR x the median of its
 * smaller half; *used = how many. Capacity contention (a shared or virtualised cache) and noise
 * only add time, more the closer a point is to the level's effective capacity, so the smaller
 * half is the reference: a gradual rise that no single step reveals would otherwise pull the
 * median up. */
static double plateau_median(const cal_point *w, size_t a, size_t b, size_t *used)
{
    double ref = range_median(w, a, a + (b - a + 1) / 2), v[256];
    size_t n = 0;
    for (size_t j = a; j < b && n < 256; j++)
        if (w[j].ns <= CAL_PLATEAU_NEAR * ref)
            v[n++] = w[j].ns;
    *used = n;
    return cal_median(v, n);
}

/* First step in sorted w inside [a, b), b when none. A step is a point dearer than CAL_STEP_RATIO
 * x the point before it or CAL_PLATEAU_JUMP x the window's median so far, confirmed by the next
 * ladder point (a lone outlier is not a step). The window's first point is compared with the
 * ladder point just below the window (CAL_PLATEAU_JUMP) when that one is already past the previous
 * level (size > prev): a step there means the level's plateau lies below its window. */
static size_t find_step(const cal_point *w, size_t m, size_t a, size_t b, size_t prev)
{
    for (size_t k = a; k < b; k++) {
        double lim;
        if (k == a) {
            if (k == 0 || w[k - 1].size <= prev)
                continue;
            lim = CAL_PLATEAU_JUMP * w[k - 1].ns;
        } else {
            lim = CAL_STEP_RATIO * w[k - 1].ns;
            if (k - a >= 2) {
                double med = CAL_PLATEAU_JUMP * range_median(w, a, k);
                lim = med < lim ? med : lim;
            }
        }
        if (w[k].ns > lim && (k + 1 >= m || w[k + 1].ns > lim))
            return k;
    }
    return b;
}

/* Fits one cache level: the median of the plateau window (2 x previous level, level / 2] (else
 * the level's whole range) up to its first step; when the step is at the window's first point,
 * the level's plateau lies below the window (effective capacity far below the nominal one): the
 * ladder point just below the step is the latency (it has the most hits in this level). */
static void fit_level(const cal_input *in, const cal_point *pts, size_t n, size_t i, cal_fit_out *out)
{
    uint64_t prev = i ? in->capacity[i - 1] : 0;
    size_t lo = (size_t)(2 * prev), hi = (size_t)(in->capacity[i] / 2), m, a, b;
    cal_point *w = sorted_points(pts, n, &m);
    if (!w)
        return;
    window_range(w, m, lo, hi, &a, &b);
    if (a == b) { /* no point well inside: use any point inside the level */
        lo = (size_t)prev;
        hi = (size_t)in->capacity[i];
        window_range(w, m, lo, hi, &a, &b);
    }
    out->level_lo[i] = lo;
    out->level_hi[i] = hi;
    size_t k = find_step(w, m, a, b, (size_t)prev);
    if (k < b) { /* k > 0: find_step never stops at the ladder's first point */
        out->level_cut[i] = w[k].size;
        out->level_step_ns[i] = w[k].ns;
    }
    if (k > a) {
        out->level_ns[i] = plateau_median(w, a, k, &out->level_points[i]);
    } else if (k < b) { /* k == a: a step at the window's start, checked only when w[a-1].size > prev */
        out->level_ns[i] = w[a - 1].ns;
        out->level_points[i] = 1;
        out->level_below[i] = w[a - 1].size;
    }
    free(w);
}

/* The capacity level i showed on ladder pts: the first step in (2 x previous level, capacity],
 * when the last point before it is <= capacity / 2 (a smaller effective capacity, not the
 * gradual rise of a cache near its size). */
static void fit_capacity(const cal_input *in, const cal_point *pts, size_t n, size_t i, cal_fit_out *out)
{
    uint64_t prev = i ? in->capacity[i - 1] : 0;
    size_t m, a, b;
    cal_point *w = sorted_points(pts, n, &m);
    if (!w)
        return;
    window_range(w, m, (size_t)(2 * prev), (size_t)in->capacity[i], &a, &b);
    size_t k = find_step(w, m, a, b, (size_t)prev);
    if (k < b && w[k - 1].size <= in->capacity[i] / 2) { /* k > 0: see find_step */
        out->level_end[i] = w[k - 1].size;
        out->level_exit[i] = w[k].size;
        out->level_exit_ns[i] = w[k].ns;
    }
    free(w);
}

/* |a - b|. */
static size_t size_gap(size_t a, size_t b)
{
    return a > b ? a - b : b - a;
}

/* Compares page-local and global medians inside the second level and the DTLB reach, and the
 * sequential chase with the page-local point nearest its size. */
static void detect_prefetch(const cal_input *in, cal_fit_out *out)
{
    if (in->nlevels < 2)
        return;
    size_t lo = (size_t)(2 * in->capacity[0]), hi = (size_t)(in->capacity[1] / 2), np, ng;
    if (in->tlb1_reach && in->tlb1_reach < hi)
        hi = (size_t)in->tlb1_reach;
    double p = window_median(in->page, in->npage, lo, hi, &np);
    double g = window_median(in->global, in->nglobal, lo, hi, &ng);
    if (np && ng && g > 0) {
        out->pf_ratio = p / g;
        out->prefetch_detected = out->pf_ratio < CAL_PF_RATIO;
    }
    const cal_point *near = NULL; /* the page-local point nearest in size to the sequential one */
    for (size_t i = 0; in->seq.size && i < in->npage; i++)
        if (!near || size_gap(in->page[i].size, in->seq.size) < size_gap(near->size, in->seq.size))
            near = &in->page[i];
    if (near && near->ns > 0 && in->seq.ns > 0) {
        out->seq_ratio = in->seq.ns / near->ns;
        out->seq_page_size = near->size;
        out->seq_prefetch = out->seq_ratio < CAL_SEQ_RATIO;
    }
}

/* The translation cost the model charges a global-shuffle load at size: nothing inside the first
 * DTLB's reach, a second-level lookup inside its reach, plus a walk beyond. */
static double tlb_cost(const cal_input *in, const cal_fit_out *f, size_t size)
{
    if (!in->tlb1_reach || size <= in->tlb1_reach)
        return 0;
    if (in->tlb2_reach && size <= in->tlb2_reach)
        return in->tlb2_ns;
    return in->tlb2_ns + f->walk_ns;
}

/* RAM and the TLB-miss cost T from sizes >= 4 x the last level (see calibrate.h). */
static void fit_ram(const cal_input *in, cal_fit_out *out)
{
    size_t big = (size_t)(4 * in->capacity[in->nlevels - 1]);
    double page = window_median(in->page, in->npage, big - 1, 0, &out->ram_points);
    double global = window_median(in->global, in->nglobal, big - 1, 0, &out->tlb_points);
    if (out->ram_points && out->tlb_points) {
        double t = (global - page) * CAL_PAGE_LINES / (CAL_PAGE_LINES - 1);
        out->tlb_miss_ns = t > 0 ? t : 0;
        out->ram_ns = page - out->tlb_miss_ns / CAL_PAGE_LINES;
        out->walk_ns = out->tlb_miss_ns > in->tlb2_ns ? out->tlb_miss_ns - in->tlb2_ns : 0;
    } else if (out->ram_points) {
        out->ram_ns = page;
    }
}

/* Monotonic sanity from the bottom: RAM (many large points, TLB share removed) is the anchor and
 * is never raised to a level; a level dearer than the one below it (or RAM) is lowered to it. */
static void clamp_to_ram(const cal_input *in, cal_fit_out *out)
{
    double ceiling = out->ram_points ? out->ram_ns : 0;
    for (size_t i = in->nlevels; i-- > 0;) {
        if (!out->level_points[i])
            continue;
        if (ceiling > 0 && out->level_ns[i] > ceiling) {
            out->level_unclamped_ns[i] = out->level_ns[i];
            out->level_ns[i] = ceiling;
            out->level_clamped[i] = 2;
        }
        ceiling = out->level_ns[i];
    }
}

/* See calibrate.h. */
int cal_split_fit(const double *lines, const double *t, size_t n, double *r, double *w)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(lines[i] > 0) || !(t[i] > 0) || !isfinite(t[i]))
            return -1;
        double x = 1.0 / lines[i];
        sx += x, sy += t[i], sxx += x * x, sxy += x * t[i];
    }
    double d = (double)n * sxx - sx * sx;
    if (n < 2 || !(d > 1e-12 * (double)n * sxx))
        return -1;
    *w = ((double)n * sxy - sx * sy) / d;
    *r = (sy - *w * sx) / (double)n;
    return 0;
}

/* Fits levels, RAM and the TLB-miss cost. Level plateaus come from the page-local ladder, unless
 * it is prefetcher-assisted (detect_prefetch): then from the global ladder minus the translation
 * cost the model itself adds (tlb_cost), so a replayed global chase reproduces the measurement. */
int cal_fit(const cal_input *in, cal_fit_out *out, mh_error *err)
{
    memset(out, 0, sizeof *out);
    if (!in || in->nlevels == 0 || in->nlevels > CAL_MAX_LEVELS)
        return mh_error_set(err, MH_EINVAL, "calibrate: the config has no cache levels on the data path");
    fit_ram(in, out);
    detect_prefetch(in, out);
    const cal_point *pts = in->page;
    size_t n = in->npage;
    cal_point *adj = NULL;
    if (out->prefetch_detected && in->nglobal && (adj = malloc(in->nglobal * sizeof *adj)) != NULL) {
        for (size_t i = 0; i < in->nglobal; i++) {
            adj[i] = in->global[i];
            adj[i].ns -= tlb_cost(in, out, adj[i].size);
        }
        pts = adj, n = in->nglobal;
        out->levels_from_global = 1;
    }
    double below = 0;
    for (size_t i = 0; i < in->nlevels; i++) {
        fit_level(in, pts, n, i, out);
        /* capacity from the page-local ladder when there is one: one TLB miss per 64 loads, so its
           steps are the caches' (a prefetcher lowers its plateaus, not where they end) */
        fit_capacity(in, in->npage ? in->page : pts, in->npage ? in->npage : n, i, out);
        if (out->level_points[i] && out->level_ns[i] < below) { /* noise: never faster than above */
            out->level_ns[i] = below;
            out->level_clamped[i] = 1;
        }
        if (out->level_points[i])
            below = out->level_ns[i];
    }
    free(adj);
    clamp_to_ram(in, out);
    return MH_OK;
}

/* Bytes as a short human size ("2 MiB", "2.83 MiB", "370 KiB"). */
static void human(size_t b, char *out, size_t n)
{
    if (b >= ((size_t)1 << 20))
        snprintf(out, n, "%.3g MiB", (double)b / (1 << 20));
    else
        snprintf(out, n, "%.3g KiB", (double)b / (1 << 10));
}

/* "(nominal N; size key kept)" or "(nominal N): size = E, ..." for level i. */
static void size_phrase(const cal_input *in, const cal_fit_out *f, size_t i, uint64_t eff, char *out, size_t n)
{
    char nom[32], e[32], end[32], ex[32];
    human((size_t)in->capacity[i], nom, sizeof nom);
    human((size_t)eff, e, sizeof e);
    human(f->level_end[i], end, sizeof end);
    human(f->level_exit[i], ex, sizeof ex);
    if (eff)
        snprintf(out, n, "(nominal %s): size = %s,\n"
                         ";        the largest with its line and ways (or the power of two below them)\n"
                         ";        up to %s, the last %s point\n"
                         ";        before its step to %.2f ns at %s (--keep-sizes: nominal size)",
                 nom, e, end, in->npage ? "page-local" : "ladder", f->level_exit_ns[i], ex);
    else
        snprintf(out, n, "(nominal %s; size key kept)", nom);
}

/* Header lines on how level i's fit deviated from a plain plateau median. */
void cal_fit_note(const cal_input *in, const cal_fit_out *f, size_t i, uint64_t eff, char *buf, size_t n)
{
    char cut[32], below[32], sz[512];
    size_t len = 0;
    buf[0] = 0;
    if (i >= in->nlevels || !n)
        return;
    human(f->level_cut[i], cut, sizeof cut);
    human(f->level_below[i], below, sizeof below);
    size_phrase(in, f, i, eff, sz, sizeof sz);
    if (f->level_below[i])
        len += (size_t)snprintf(buf + len, n - len,
            ";        %s behaves like %s..%s here %s; the ladder steps to %.2f ns\n"
            ";        at %s, before the window starts; latency = the point just below the step (%s)\n",
            in->names[i], below, cut, sz, f->level_step_ns[i], cut, below);
    else if (f->level_cut[i])
        len += (size_t)snprintf(buf + len, n - len,
            ";        plateau cut at the step to %.2f ns at %s: %s behaves like < %s here\n"
            ";        %s\n",
            f->level_step_ns[i], cut, in->names[i], cut, sz);
    else if (eff)
        len += (size_t)snprintf(buf + len, n - len, ";        %s holds less than half its size here %s\n",
                                in->names[i], sz);
    if (len < n && f->level_clamped[i] == 1)
        len += (size_t)snprintf(buf + len, n - len, ";        raised to the level above (noisy: faster than it)\n");
    else if (len < n && f->level_clamped[i] == 2)
        snprintf(buf + len, n - len,
                 ";        lowered from %.2f ns: no level may be dearer than the ones below it or RAM\n",
                 f->level_unclamped_ns[i]);
}

/* The largest size <= end with unit-byte sets in a power-of-two count (fully associative: any
 * number of lines, unit = line). */
static uint64_t fit_sets(uint64_t unit, int full, uint64_t end)
{
    uint64_t sets = 1;
    if (!unit || end < unit)
        return 0;
    while (full ? (sets + 1) * unit <= end : 2 * sets * unit <= end)
        sets = full ? sets + 1 : 2 * sets;
    return sets * unit;
}

/* Effective size of level i and its ways (see calibrate.h). */
static uint64_t effective(const mh_config *c, const cal_input *in, const cal_fit_out *f, size_t i,
                          uint32_t *ways)
{
    int lv = i < in->nlevels ? mh_config_level_index(c, in->names[i]) : -1;
    if (lv < 0 || !f->level_end[i])
        return 0;
    const mh_level_cfg *L = &c->level[lv];
    uint32_t w = L->ways, p2 = 1;
    uint64_t eff = fit_sets(L->fully_assoc ? L->line : (uint64_t)w * L->line, L->fully_assoc, f->level_end[i]);
    while (p2 * 2 < w)
        p2 *= 2;
    /* Ways that are not a power of two (a sliced cache modelled with more ways): the largest power
     * of two below them may hold more (75 ways: 9.4 MiB, 64 ways: 16 MiB, under 16 MiB). */
    uint64_t alt = L->fully_assoc || p2 >= w ? 0 : fit_sets((uint64_t)p2 * L->line, 0, f->level_end[i]);
    if (alt > eff) {
        eff = alt;
        w = p2;
    }
    uint64_t above = i ? in->capacity[i - 1] : 0;
    if (ways)
        *ways = w;
    return eff < in->capacity[i] && eff > above ? eff : 0; /* nominal: the same answer after cal_apply */
}

/* Effective size of level i (see calibrate.h). */
uint64_t cal_effective_size(const mh_config *c, const cal_input *in, const cal_fit_out *f, size_t i)
{
    return effective(c, in, f, i, NULL);
}

/* Ways that go with cal_effective_size (see calibrate.h). */
uint32_t cal_effective_ways(const mh_config *c, const cal_input *in, const cal_fit_out *f, size_t i)
{
    uint32_t w = 0;
    return effective(c, in, f, i, &w) ? w : 0;
}

/* Fills the data path's levels from the config. */
int cal_levels_from_config(const mh_config *c, cal_input *in, mh_error *err)
{
    in->nlevels = 0;
    for (int lv = c->data; lv >= 0 && in->nlevels < CAL_MAX_LEVELS; lv = c->level[lv].next) {
        snprintf(in->names[in->nlevels], sizeof in->names[0], "%s", c->level[lv].name);
        in->capacity[in->nlevels++] = c->level[lv].size;
    }
    in->tlb2_ns = c->tlb[1].present ? c->tlb[1].latency / c->frequency_ghz : 0;
    in->tlb1_reach = c->tlb[0].present ? (uint64_t)c->tlb[0].entries * c->tlb[0].page_size : 0;
    in->tlb2_reach = c->tlb[1].present ? (uint64_t)c->tlb[1].entries * c->tlb[1].page_size : 0;
    if (in->nlevels == 0)
        return mh_error_set(err, MH_ECONFIG, "%s: no cache level on the data path", c->source);
    return MH_OK;
}

/* mh_config_set with a number value. */
static int set_num(mh_config *c, const char *key, double v, mh_error *err)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.3f", v);
    return mh_config_set(c, key, buf, err);
}

/* Writes the fit into c (cycles = ns x frequency). */
int cal_apply(mh_config *c, const cal_input *in, const cal_fit_out *f, double fault_ns, unsigned flags,
              mh_error *err)
{
    char key[64], val[32];
    int rc = MH_OK;
    double ghz = c->frequency_ghz;
    for (size_t i = 0; rc == MH_OK && i < in->nlevels; i++) {
        uint64_t eff = flags & CAL_APPLY_SIZES ? cal_effective_size(c, in, f, i) : 0;
        if (eff) {
            char wkey[64], wval[32];
            const char *keys[2] = {key, wkey}, *vals[2] = {val, wval};
            int lv = mh_config_level_index(c, in->names[i]);
            uint32_t w = cal_effective_ways(c, in, f, i);
            snprintf(key, sizeof key, "%s.size", in->names[i]);
            snprintf(val, sizeof val, "%llu", (unsigned long long)eff);
            snprintf(wkey, sizeof wkey, "%s.ways", in->names[i]);
            snprintf(wval, sizeof wval, "%u", w);
            rc = mh_config_set_many(c, keys, vals, lv >= 0 && !c->level[lv].fully_assoc && w ? 2 : 1, err);
        }
        if (rc != MH_OK || !f->level_points[i])
            continue;
        snprintf(key, sizeof key, "%s.latency", in->names[i]);
        rc = set_num(c, key, f->level_ns[i] * ghz, err);
    }
    if (rc == MH_OK && f->ram_points) { /* rows not calibrated: row hits cost the same (see README) */
        double old_hit = c->ram.row_hit_ns;
        rc = f->ram_ns < old_hit ? set_num(c, "RAM.row_hit_ns", f->ram_ns, err) : MH_OK;
        if (rc == MH_OK) rc = set_num(c, "RAM.latency_ns", f->ram_ns, err);
        if (rc == MH_OK) rc = set_num(c, "RAM.row_hit_ns", f->ram_ns, err);
    }
    if (rc == MH_OK && f->ram_points && f->tlb_points) {
        rc = mh_config_set(c, "hierarchy.walk", "fixed", err);
        if (rc == MH_OK) rc = set_num(c, "hierarchy.walk_latency", f->walk_ns * ghz, err);
    }
    if (rc == MH_OK && fault_ns > 0)
        rc = set_num(c, "RAM.minor_fault_ns", fault_ns, err);
    int any_pf = 0;
    for (int lv = c->data; lv >= 0; lv = c->level[lv].next)
        any_pf |= c->level[lv].prefetcher != MH_PF_NONE;
    if (rc == MH_OK && (flags & CAL_APPLY_PF) && (f->prefetch_detected || f->seq_prefetch) && !any_pf &&
        in->nlevels >= 2) {
        snprintf(key, sizeof key, "%s.prefetcher", in->names[0]);
        rc = mh_config_set(c, key, "stride", err);
        snprintf(key, sizeof key, "%s.prefetcher", in->names[1]);
        if (rc == MH_OK) rc = mh_config_set(c, key, "stream", err);
    }
    return rc;
}

/* Writes the header comment and the INI through a temporary file. */
int cal_write_config(const mh_config *c, const char *header, const char *path, mh_error *err)
{
    char tmp[4200];
    FILE *f = mh_tmpfile_open(path, tmp, sizeof tmp, err);
    if (!f)
        return MH_EIO;
    int ok = fputs(header, f) >= 0 && mh_config_write_ini(c, f) == MH_OK;
    if (!ok)
        mh_error_set(err, MH_EIO, "%s: write failed: %s", tmp, strerror(errno));
    return mh_tmpfile_commit(f, tmp, path, ok, err);
}

/* One first-touch trial: ns per page and faults counted (-1 when not countable). */
static int fault_trial(size_t pages, ctr_set *s, double *ns, long long *faults, mh_error *err)
{
    size_t len = pages * BENCH_PAGE;
    volatile char *p = bench_map(len, 0);
    if (!p)
        return mh_error_set(err, MH_ENOMEM, "calibrate: cannot map %zu bytes for the minor-fault probe", len);
    long long v = CTR_NOT_MEASURED;
    int rc = s ? ctr_start(s, err) : MH_OK;
    double t0 = (double)bench_now_ns();
    for (size_t i = 0; rc == MH_OK && i < pages; i++)
        p[i * BENCH_PAGE] = 1;
    double t1 = (double)bench_now_ns();
    if (rc == MH_OK && s)
        rc = ctr_stop(s, &v, err);
    bench_unmap((void *)p, len);
    *ns = (t1 - t0) / (double)pages;
    *faults = v;
    return rc;
}

/* Times first touches of fresh pages; median over trials. */
int cal_minor_fault(size_t pages, unsigned trials, double *ns_per_page, double *faults_per_page,
                    mh_error *err)
{
    static const char *const ev[] = {"perf::MINOR-FAULTS"};
    ctr_set *s = NULL;
    if (pages == 0 || trials == 0)
        return mh_error_set(err, MH_EINVAL, "calibrate: minor-fault probe needs pages >= 1 and trials >= 1");
    if (ctr_create(ev, 1, &s, err) != MH_OK || !ctr_available(s, 0)) {
        ctr_destroy(s);
        s = NULL;
    }
    double ns[64], fl[64];
    size_t nf = 0;
    int rc = MH_OK;
    if (trials > 64)
        trials = 64;
    for (unsigned t = 0; rc == MH_OK && t < trials; t++) {
        long long f = CTR_NOT_MEASURED;
        rc = fault_trial(pages, s, &ns[t], &f, err);
        if (rc == MH_OK && f != CTR_NOT_MEASURED)
            fl[nf++] = (double)f / (double)pages;
    }
    ctr_destroy(s);
    if (rc != MH_OK)
        return rc;
    *ns_per_page = cal_median(ns, trials);
    *faults_per_page = nf ? cal_median(fl, nf) : -1;
    return MH_OK;
}

/* Current UTC time, ISO 8601. */
void cal_utc_now(char *buf, size_t n)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

#if defined(__x86_64__)
/* ns per add of a dependent chain of 8 x iters adds (one cycle each on every x86-64 core). */
static double chain_ns(uint64_t iters)
{
    uint64_t x = 0;
    double t0 = (double)bench_now_ns();
    for (uint64_t i = 0; i < iters; i++)
        __asm__ volatile("add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\t"
                         "add %1, %0\n\tadd %1, %0\n\tadd %1, %0\n\tadd %1, %0"
                         : "+r"(x) : "r"(i));
    return ((double)bench_now_ns() - t0) / (double)(8 * iters);
}

/* ns per iteration of a loop of 8 independent adds, 8 register moves and i++; cmp+jne:
 * CAL_LOOP_INSTR instructions with no loop-carried chain longer than one add. The moves take no
 * ALU where the core renames them away, so neither the ALUs nor a dependency bound the loop: the
 * time is the front end's issue width, the rate at which a kernel's mix of ALU work, moves, loads
 * and branches between its memory accesses issues. (A loop of 16 adds measures the ALUs' rate
 * instead: 0.19 cycles per instruction against this loop's 0.12 on the development VM.) The loop
 * (65 bytes) starts `skip` bytes past a 64-byte boundary: where it lies matters (the development
 * VM ran it at 0.21 from offsets 0..16 and 0.12 from 20..60), so the probe times four placements. */
#define ISSUE_LOOP(name, skip)                                                                        \
    static double name(uint64_t n)                                                                    \
    {                                                                                                 \
        uint64_t a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, h = 0, i = 0;                       \
        double t0 = (double)bench_now_ns();                                                           \
        __asm__ volatile(".p2align 6\n\t.skip " #skip ", 0x90\n1:\n\t"                              \
                         "add $1, %[a]\n\tadd $1, %[b]\n\tadd $1, %[c]\n\tadd $1, %[d]\n\t"          \
                         "add $1, %[e]\n\tadd $1, %[f]\n\tadd $1, %[g]\n\tadd $1, %[h]\n\t"          \
                         "mov %[n], %[a]\n\tmov %[n], %[b]\n\tmov %[n], %[c]\n\tmov %[n], %[d]\n\t"  \
                         "mov %[n], %[e]\n\tmov %[n], %[f]\n\tmov %[n], %[g]\n\tmov %[n], %[h]\n\t"  \
                         "add $1, %[i]\n\tcmp %[n], %[i]\n\tjne 1b"                                  \
                         : [a] "+r"(a), [b] "+r"(b), [c] "+r"(c), [d] "+r"(d), [e] "+r"(e), [f] "+r"(f), \
                           [g] "+r"(g), [h] "+r"(h), [i] "+r"(i)                                      \
                         : [n] "r"(n) : "cc");                                                        \
        return ((double)bench_now_ns() - t0) / (double)n;                                             \
    }
ISSUE_LOOP(loop_ns_8, 8)
ISSUE_LOOP(loop_ns_24, 24)
ISSUE_LOOP(loop_ns_40, 40)
ISSUE_LOOP(loop_ns_56, 56)

/* ns per iteration of the issue-width loop at its best placement of the four. */
static double loop_ns(uint64_t n)
{
    double t[4] = {loop_ns_8(n), loop_ns_24(n), loop_ns_40(n), loop_ns_56(n)}, best = t[0];
    for (int k = 1; k < 4; k++)
        best = t[k] < best ? t[k] : best;
    return best;
}
#endif

/* Measures the core clock and the minimal loop's cycles per instruction: medians of many short
 * trials (~20 us each), so a time-sliced virtual CPU does not stretch them. */
int cal_core_probe(double *ghz, double *cpi, mh_error *err)
{
#if defined(__x86_64__)
    enum { TRIALS = 401 };
    (void)err;
    double *f = malloc(2 * TRIALS * sizeof *f), *c = f ? f + TRIALS : NULL;
    if (!f)
        return mh_error_set(err, MH_ENOMEM, "calibrate: out of memory");
    for (int t = 0; t < TRIALS; t++) {
        f[t] = 1.0 / chain_ns(8192);
        c[t] = loop_ns(16384);
    }
    *ghz = cal_median(f, TRIALS);
    *cpi = cal_median(c, TRIALS) * *ghz / CAL_LOOP_INSTR;
    free(f);
    return MH_OK;
#else
    (void)ghz, (void)cpi;
    return mh_error_set(err, MH_EUNSUPPORTED, "calibrate: the core probe needs x86-64: frequency_ghz and base_cpi kept");
#endif
}
