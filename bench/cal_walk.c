/* cal_walk.c — which page-walk model fits the global chase. A fixed walk (walk_latency, made
 * model-consistent at the largest sizes by cal_refine_memory) costs the same at 8 MiB as at 2 GiB.
 * Under nested paging a walk also reads the host's entries for the page's guest frame, and what
 * those reads cost grows with the footprint: the global chase then rises from the second-level
 * TLB's reach to the largest size, where a fixed walk is too fast below and too slow above. Here
 * the global chase points past the first-level DTLB's reach are captured and replayed with the
 * fixed walk and with walk = nested (with the fixed part that fits the points best); the closer
 * wins, nested only by a margin. The second-level TLB's size stays as configured: fitted here it
 * took up what the last level's own step does to the chase. Only the chase is used. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calibrate.h"
#include "config_int.h"
#include "validate.h"

#define WALK_BASE_STEP 0.5   /* cycles between the fixed parts tried for a nested candidate */
#define WALK_MARGIN 0.8      /* nested must bring the median |error| below 0.8 x the fixed walk's */

/* The captured points and the config they replay on. */
typedef struct walk_ctx {
    mh_config *c;
    size_t n;                          /* points (largest first) */
    size_t sizes[CAL_WALK_MAX];
    double meas[CAL_WALK_MAX];         /* measured ns per load */
    char paths[CAL_WALK_MAX][4200];
    int complete[CAL_WALK_MAX];        /* the trace holds a whole repetition */
} walk_ctx;

/* Sorts points by size, largest first. */
static int by_size_desc(const void *a, const void *b)
{
    const cal_point *x = a, *y = b;
    return x->size < y->size ? 1 : x->size > y->size ? -1 : 0;
}

/* Picks up to CAL_WALK_MAX global points past the DTLB's reach, evenly over the ladder, the
 * largest always; returns how many (w->sizes, w->meas, largest first). */
static size_t pick_points(const cal_input *in, walk_ctx *w)
{
    cal_point all[64];
    size_t m = 0;
    for (size_t i = 0; i < in->nglobal && m < 64; i++)
        if (in->global[i].size > 2 * in->tlb1_reach && in->global[i].ns > 0)
            all[m++] = in->global[i];
    qsort(all, m, sizeof all[0], by_size_desc);
    size_t n = m < CAL_WALK_MAX ? m : CAL_WALK_MAX;
    for (size_t k = 0; k < n; k++) {
        size_t i = n > 1 ? k * (m - 1) / (n - 1) : 0;
        w->sizes[k] = all[i].size;
        w->meas[k] = all[i].ns;
    }
    return n;
}

/* Replays point i on w->c; *ns per access, *walks per access. */
static int replay(walk_ctx *w, size_t i, double *ns, double *walks, mh_error *err)
{
    val_sim s;
    int rc = val_replay(w->c, w->paths[i], w->complete[i], &s, err);
    if (rc != MH_OK)
        return rc;
    *ns = s.ns_per_access;
    *walks = s.accesses ? (double)s.ts.page_walks / (double)s.accesses : 0;
    return MH_OK;
}

/* Sets key to the number v in w->c. */
static int set_num(walk_ctx *w, const char *key, double v, mh_error *err)
{
    char s[64];
    snprintf(s, sizeof s, "%.3f", v);
    return mh_config_set(w->c, key, s, err);
}

/* The median |error| % and the share within 15 % of cand->sim against the measurements. */
static void grade(const walk_ctx *w, cal_walk_cand *cand)
{
    double e[CAL_WALK_MAX];
    size_t in = 0;
    for (size_t i = 0; i < w->n; i++) {
        e[i] = fabs(cand->sim[i] / w->meas[i] - 1) * 100;
        in += e[i] <= 15;
    }
    cand->median_err = cal_median(e, w->n);
    cand->within = 100.0 * (double)in / (double)w->n;
}

/* Replays every point on the current config into cand->sim and grades them. */
static int score(walk_ctx *w, cal_walk_cand *cand, mh_error *err)
{
    double walks;
    for (size_t i = 0; i < w->n; i++) {
        int rc = replay(w, i, &cand->sim[i], &walks, err);
        if (rc != MH_OK)
            return rc;
    }
    grade(w, cand);
    return MH_OK;
}

/* The fixed part (cycles, 0..hi) whose replays, predicted from one replay at b0 (sim, walks per
 * access: each cycle of it adds walks / GHz ns to a dependent chase), have the lowest median
 * |error| against the measurements. */
static double best_base(const walk_ctx *w, const double *sim, const double *walks, double b0, double hi)
{
    double best = b0, best_err = INFINITY, e[CAL_WALK_MAX];
    for (double b = 0; b <= hi; b += WALK_BASE_STEP) {
        for (size_t i = 0; i < w->n; i++)
            e[i] = fabs((sim[i] + (b - b0) * walks[i] / w->c->frequency_ghz) / w->meas[i] - 1);
        double m = cal_median(e, w->n);
        if (m < best_err) {
            best_err = m;
            best = b;
        }
    }
    return best;
}

/* walk = nested (the second-level TLB's entries as configured): one replay of every point at the
 * fixed part b0, then the fixed part with the lowest predicted median |error| (0..hi cycles);
 * cand holds the predicted replays there (a dependent chase's time is linear in it). */
static int try_nested(walk_ctx *w, uint32_t entries, double b0, double hi, cal_walk_cand *cand, mh_error *err)
{
    double sim[CAL_WALK_MAX], walks[CAL_WALK_MAX];
    int rc = mh_config_set(w->c, "hierarchy.walk", "nested", err);
    if (rc == MH_OK)
        rc = set_num(w, "hierarchy.walk_latency", b0, err);
    for (size_t i = 0; rc == MH_OK && i < w->n; i++)
        rc = replay(w, i, &sim[i], &walks[i], err);
    if (rc != MH_OK)
        return rc;
    cand->nested = 1;
    cand->entries = entries;
    cand->walk_latency = best_base(w, sim, walks, b0, hi);
    for (size_t i = 0; i < w->n; i++)
        cand->sim[i] = sim[i] + (cand->walk_latency - b0) * walks[i] / w->c->frequency_ghz;
    grade(w, cand);
    return MH_OK;
}

/* Writes walk and walk_latency of candidate c into w->c. */
static int apply(walk_ctx *w, const cal_walk_cand *c, mh_error *err)
{
    int rc = mh_config_set(w->c, "hierarchy.walk", c->nested ? "nested" : "fixed", err);
    return rc == MH_OK ? set_num(w, "hierarchy.walk_latency", c->walk_latency, err) : rc;
}

/* See calibrate.h. */
int cal_walk_choose(const cal_walk_out *o)
{
    int best = 0;
    for (int i = 1; i < o->ncand; i++)
        if (o->cand[i].median_err < o->cand[best].median_err)
            best = i;
    return best > 0 && o->cand[best].median_err < WALK_MARGIN * o->cand[0].median_err ? best : 0;
}

/* Captures the points; MH_OK or the capture's error. */
static int capture(walk_ctx *w, const char *dir, uint64_t seed, uint64_t records, mh_error *err)
{
    const bench_kernel *k = bench_kernel_find("chase");
    for (size_t i = 0; i < w->n; i++) {
        cal_measured m;
        snprintf(w->paths[i], sizeof w->paths[i], "%s/chase-global-%zu.mht", dir, w->sizes[i]);
        int rc = cal_measure_point(k, "global", w->sizes[i], seed, NULL, NULL, w->paths[i], records, NULL, &m, err);
        if (rc == MH_OK && m.skipped)
            rc = mh_error_set(err, MH_EUNSUPPORTED, "calibrate: chase global %zu B: %s", w->sizes[i], m.skip_msg);
        if (rc != MH_OK)
            return rc;
        w->complete[i] = m.records < records;
    }
    return MH_OK;
}

/* Runs the candidates on a captured w; out->chosen names the one left in w->c. */
static int compare(walk_ctx *w, cal_walk_out *out, mh_error *err)
{
    cal_walk_cand *fixed = &out->cand[0];
    fixed->entries = w->c->tlb[1].present ? w->c->tlb[1].entries : 0;
    fixed->walk_latency = w->c->walk_latency;
    int rc = score(w, fixed, err);
    out->ncand = 1;
    if (rc == MH_OK)
        rc = try_nested(w, fixed->entries, 0, 3 * fixed->walk_latency, &out->cand[1], err);
    out->ncand += rc == MH_OK;
    out->chosen = rc == MH_OK ? cal_walk_choose(out) : 0;
    mh_error e2;
    int arc = apply(w, &out->cand[out->chosen], rc == MH_OK ? err : &e2);
    if (rc == MH_OK && arc == MH_OK && out->chosen) /* the header shows the chosen one as replayed */
        arc = score(w, &out->cand[out->chosen], err);
    return rc == MH_OK ? arc : rc;
}

/* See calibrate.h. */
int cal_refine_walk(mh_config *c, const cal_input *in, uint64_t seed, uint64_t records, cal_walk_out *out,
                    mh_error *err)
{
    memset(out, 0, sizeof *out);
    if (!in->nlevels || c->walk != MH_WALK_FIXED || c->walk_latency <= 0)
        return MH_OK; /* no fitted fixed walk to compare with */
    walk_ctx *w = calloc(1, sizeof *w);
    if (!w)
        return mh_error_set(err, MH_ENOMEM, "calibrate: out of memory");
    w->c = c;
    w->n = pick_points(in, w);
    uint64_t big = 4 * in->capacity[in->nlevels - 1];
    char dir[4096];
    int rc = MH_OK;
    if (w->n >= 4 && w->sizes[0] >= big && (rc = cal_make_tmpdir(dir, sizeof dir, "walk", err)) == MH_OK) {
        rc = capture(w, dir, seed, records, err);
        if (rc == MH_OK)
            rc = compare(w, out, err);
        out->done = rc == MH_OK;
        out->npoints = w->n;
        memcpy(out->sizes, w->sizes, w->n * sizeof *w->sizes);
        memcpy(out->meas, w->meas, w->n * sizeof *w->meas);
        for (size_t i = 0; i < w->n; i++)
            unlink(w->paths[i]);
        rmdir(dir);
    }
    free(w);
    return rc;
}
