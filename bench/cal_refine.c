/* cal_refine.c — model-consistent main memory, and prefetch across pages (cal_refine_cross, at the
 * end). The analytic fit (calibrate.c) reads RAM latency off the page-local chase at >= 4 x the last level and the walk off global - page-local. But
 * the measured page-local time already includes what the machine's prefetchers save, and the
 * model's own prefetchers save some again when it replays that chase: the calibrated model would
 * be faster than the machine it was calibrated on. Here the chase points behind those medians
 * are captured, replayed through the calibrated config as validation replays them, and RAM
 * latency, then the walk, are rescaled until the replays reproduce the measured medians. Only
 * the chase is used. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calibrate.h"
#include "config_int.h"
#include "validate.h"

#define REFINE_TOL 0.01 /* stop when both replays are within 1 % of the measurements */

/* Median of the first n values of v (copied; v is left as it is). */
static double median_of(const double *v, size_t n)
{
    double t[CAL_REFINE_MAX];
    memcpy(t, v, n * sizeof *t);
    return cal_median(t, n);
}

/* One replay round: model medians for the current x (see cal_refine_fn). */
static int round_of(const cal_refine_model *m, const double x[2], double sim[2], double part[2], mh_error *err)
{
    double ns[2][CAL_REFINE_MAX], pt[2][CAL_REFINE_MAX];
    for (int v = 0; v < 2; v++) {
        for (size_t i = 0; i < m->n; i++) {
            int rc = m->fn(m->ctx, v, i, x, &ns[v][i], &pt[v][i], err);
            if (rc != MH_OK)
                return rc;
        }
        sim[v] = median_of(ns[v], m->n);
        part[v] = median_of(pt[v], m->n);
    }
    return MH_OK;
}

/* Solves for x = {RAM ns, walk ns}; see calibrate.h. */
int cal_refine_solve(const cal_refine_model *m, const double meas[2], const double x0[2], cal_refine_out *out,
                     mh_error *err)
{
    memset(out, 0, sizeof *out);
    double x[2] = {x0[0], x0[1]}, sim[2], part[2];
    out->x0[0] = x0[0];
    out->x0[1] = x0[1];
    out->meas[0] = meas[0];
    out->meas[1] = meas[1];
    if (m->n == 0 || m->n > CAL_REFINE_MAX)
        return mh_error_set(err, MH_EINVAL, "calibrate: %zu refinement points, must be 1..%d", m->n, CAL_REFINE_MAX);
    for (int r = 0; r <= CAL_REFINE_ROUNDS; r++) {
        int rc = round_of(m, x, sim, part, err);
        if (rc != MH_OK)
            return rc;
        if (r == 0)
            memcpy(out->sim0, sim, sizeof sim);
        memcpy(out->sim, sim, sizeof sim);
        memcpy(out->x, x, sizeof x);
        out->rounds = r;
        if (fabs(sim[0] - meas[0]) <= REFINE_TOL * meas[0] && fabs(sim[1] - meas[1]) <= REFINE_TOL * meas[1])
            break;
        if (r == CAL_REFINE_ROUNDS)
            break;
        /* each variable scales the share of the replay it is charged for: RAM from the page-local
           replay, then the walk from the global one, net of what the new RAM value adds there */
        double ram = part[0] > 0 ? x[0] * (part[0] + meas[0] - sim[0]) / part[0] : x[0];
        ram = fmin(fmax(ram, 0.5 * x0[0]), 3 * x0[0]);
        double walk = x[1] > 0 && part[1] > 0 ? x[1] * (part[1] + meas[1] - sim[1] - (ram - x[0])) / part[1] : x[1];
        x[0] = ram;
        x[1] = fmin(fmax(walk, 0), 3 * x0[1]);
    }
    out->done = 1;
    return MH_OK;
}

/* The chase traces and the config the real model replays them through. */
typedef struct refine_ctx {
    mh_config *c;                          /* calibrated config (RAM and walk rewritten per call) */
    char paths[2][CAL_REFINE_MAX][4200];   /* [0] page-local, [1] global */
    int complete[2][CAL_REFINE_MAX];       /* the trace holds a whole repetition */
} refine_ctx;

/* Writes x = {RAM ns, walk ns} into c (RAM latency and open-row hits alike, walk in cycles). */
static int set_x(mh_config *c, const double x[2], mh_error *err)
{
    char v[64];
    snprintf(v, sizeof v, "%.3f", x[0]);
    const int down = x[0] < c->ram.latency_ns; /* row_hit_ns <= latency_ns must hold at every step */
    int rc = mh_config_set(c, down ? "RAM.row_hit_ns" : "RAM.latency_ns", v, err);
    if (rc == MH_OK)
        rc = mh_config_set(c, down ? "RAM.latency_ns" : "RAM.row_hit_ns", v, err);
    snprintf(v, sizeof v, "%.3f", x[1] * c->frequency_ghz);
    return rc == MH_OK ? mh_config_set(c, "hierarchy.walk_latency", v, err) : rc;
}

/* cal_refine_fn on the real model: writes x into the config and replays like validate does. */
static int replay_fn(void *ctx, int variant, size_t i, const double x[2], double *ns, double *part, mh_error *err)
{
    refine_ctx *r = ctx;
    val_sim s;
    int rc = set_x(r->c, x, err);
    if (rc == MH_OK)
        rc = val_replay(r->c, r->paths[variant][i], r->complete[variant][i], &s, err);
    if (rc != MH_OK)
        return rc;
    double a = s.accesses ? (double)s.accesses : 1, ghz = r->c->frequency_ghz;
    *ns = s.ns_per_access;
    *part = (variant ? s.ts.cycles_walk : s.ts.cycles_ram) / a / ghz;
    return MH_OK;
}

/* See calibrate.h. */
int cal_make_tmpdir(char *dir, size_t cap, const char *what, mh_error *err)
{
    const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(dir, cap, "%s/memhier-%s-XXXXXX", tmp, what);
    if (!mkdtemp(dir))
        return mh_error_set(err, MH_EIO, "calibrate: cannot create a temporary directory under %s: %s", tmp,
                            strerror(errno));
    return MH_OK;
}

/* Sorts ladder points by size, largest first. */
static int by_size_desc(const void *a, const void *b)
{
    size_t x = ((const size_t *)a)[0], y = ((const size_t *)b)[0];
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Picks the largest (up to CAL_REFINE_MAX) sizes >= big measured in both ladders; returns how
 * many, with their measured ns in meas[0] (page-local) and meas[1] (global). */
static size_t pick_sizes(const cal_input *in, uint64_t big, size_t *sizes, double meas[2][CAL_REFINE_MAX])
{
    size_t all[64][3], n = 0; /* size, page index, global index */
    for (size_t i = 0; i < in->npage && n < 64; i++)
        for (size_t j = 0; j < in->nglobal && in->page[i].size >= big; j++)
            if (in->global[j].size == in->page[i].size) {
                all[n][0] = in->page[i].size;
                all[n][1] = i;
                all[n++][2] = j;
                break;
            }
    qsort(all, n, sizeof all[0], by_size_desc);
    n = n < CAL_REFINE_MAX ? n : CAL_REFINE_MAX;
    for (size_t k = 0; k < n; k++) {
        sizes[k] = all[k][0];
        meas[0][k] = in->page[all[k][1]].ns;
        meas[1][k] = in->global[all[k][2]].ns;
    }
    return n;
}

/* Captures the chase points, solves, and writes RAM and walk into c; see calibrate.h. */
int cal_refine_memory(mh_config *c, const cal_input *in, const cal_fit_out *fit, uint64_t seed, uint64_t records,
                      cal_refine_out *out, mh_error *err)
{
    memset(out, 0, sizeof *out);
    if (!fit->ram_points || !fit->tlb_points || fit->walk_ns <= 0 || !in->nlevels)
        return MH_OK; /* nothing analytic to refine */
    double meas[2][CAL_REFINE_MAX];
    size_t sizes[CAL_REFINE_MAX];
    size_t n = pick_sizes(in, 4 * in->capacity[in->nlevels - 1], sizes, meas);
    if (!n)
        return MH_OK;
    refine_ctx *r = calloc(1, sizeof *r);
    char dir[4096];
    if (!r)
        return mh_error_set(err, MH_ENOMEM, "calibrate: out of memory");
    if (cal_make_tmpdir(dir, sizeof dir, "refine", err) != MH_OK) {
        free(r);
        return MH_EIO;
    }
    r->c = c;
    static const char *const vars[2] = {"page", "global"};
    const bench_kernel *k = bench_kernel_find("chase");
    int rc = MH_OK;
    for (int v = 0; v < 2 && rc == MH_OK; v++)
        for (size_t i = 0; i < n && rc == MH_OK; i++) {
            cal_measured m;
            snprintf(r->paths[v][i], sizeof r->paths[v][i], "%s/chase-%s-%zu.mht", dir, vars[v], sizes[i]);
            rc = cal_measure_point(k, vars[v], sizes[i], seed, NULL, NULL, r->paths[v][i], records, NULL, &m, err);
            if (rc == MH_OK && m.skipped)
                rc = mh_error_set(err, MH_EUNSUPPORTED, "calibrate: chase %s %zu B: %s", vars[v], sizes[i], m.skip_msg);
            r->complete[v][i] = m.records < records;
        }
    cal_refine_model model = {replay_fn, r, n};
    double target[2] = {median_of(meas[0], n), median_of(meas[1], n)}, x0[2] = {fit->ram_ns, fit->walk_ns};
    if (rc == MH_OK)
        rc = cal_refine_solve(&model, target, x0, out, err);
    mh_error e2;
    if (rc == MH_OK) /* c ends holding the solution (the last replay may have tried other values) */
        rc = set_x(c, out->x, err);
    else
        set_x(c, x0, &e2); /* failure: the analytic values, as before */
    memcpy(out->sizes, sizes, n * sizeof *sizes);
    out->nsizes = n;
    for (int v = 0; v < 2; v++)
        for (size_t i = 0; i < n; i++)
            unlink(r->paths[v][i]);
    rmdir(dir);
    free(r);
    return rc;
}

/* See calibrate.h. */
int cal_cross_choose(double meas, double sim_no, double sim_yes)
{
    return isfinite(meas) && meas > 0 && isfinite(sim_no) && isfinite(sim_yes) &&
           fabs(sim_yes - meas) < fabs(sim_no - meas);
}

/* Sets the data entry level's cross_pages to yes (1) or no (0). */
static int set_cross(mh_config *c, int yes, mh_error *err)
{
    char key[MH_NAME_MAX + 16];
    snprintf(key, sizeof key, "%s.cross_pages", c->level[c->data].name);
    return mh_config_set(c, key, yes ? "yes" : "no", err);
}

/* Captures the chase seq, replays it both ways and sets cross_pages; see calibrate.h. */
int cal_refine_cross(mh_config *c, size_t size, uint64_t seed, uint64_t records, double meas, cal_cross_out *out,
                     mh_error *err)
{
    memset(out, 0, sizeof *out);
    int pf = c->data >= 0 ? c->level[c->data].prefetcher : MH_PF_NONE;
    if (!(meas > 0) || (pf != MH_PF_NEXT_LINE && pf != MH_PF_STRIDE && pf != MH_PF_STREAM))
        return MH_OK;
    char dir[4096], path[4200];
    if (cal_make_tmpdir(dir, sizeof dir, "cross", err) != MH_OK)
        return MH_EIO;
    snprintf(path, sizeof path, "%s/chase-seq-%zu.mht", dir, size);
    int was = c->level[c->data].pf_cross;
    cal_measured m;
    int rc = cal_measure_point(bench_kernel_find("chase"), "seq", size, seed, NULL, NULL, path, records, NULL, &m, err);
    if (rc == MH_OK && m.skipped)
        rc = mh_error_set(err, MH_EUNSUPPORTED, "calibrate: chase seq %zu B: %s", size, m.skip_msg);
    for (int yes = 0; rc == MH_OK && yes < 2; yes++) {
        val_sim sim;
        rc = set_cross(c, yes, err);
        if (rc == MH_OK)
            rc = val_replay(c, path, m.records < records, &sim, err);
        out->sim[yes] = rc == MH_OK ? sim.ns_per_access : 0;
    }
    if (rc == MH_OK) {
        out->cross = cal_cross_choose(meas, out->sim[0], out->sim[1]);
        rc = set_cross(c, out->cross, err);
    }
    mh_error e2;
    if (rc == MH_OK) {
        out->done = 1;
        out->size = size;
        out->meas = meas;
    } else {
        set_cross(c, was, &e2);
    }
    unlink(path);
    rmdir(dir);
    return rc;
}
