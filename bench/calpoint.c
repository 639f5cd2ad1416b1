/* calpoint.c — runs one measured (and optionally captured) kernel point for calibrate and
 * validate, and writes it as a row of the bench CSV format. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "calibrate.h"
#include "counters.h"
#include "resident.h"

/* Counts first-touch minor faults over setup + one native repetition (ft may be NULL). */
static int setup_counted(const bench_kernel *k, const bench_params *p, ctr_set *ft, void **state,
                         cal_measured *out, mh_error *err)
{
    long long v = CTR_NOT_MEASURED;
    int counting = ft && ctr_available(ft, 0) && ctr_start(ft, err) == MH_OK;
    int rc = k->setup(p, state, &out->info, err);
    if (rc == MH_OK && counting) {
        volatile uint64_t sink = k->run(*state);
        (void)sink;
    }
    if (counting && ctr_stop(ft, &v, err) != MH_OK)
        v = CTR_NOT_MEASURED;
    out->first_touch_faults = v;
    return rc;
}

/* Where a kernel's written spans go: the snapshot's setup pages, and the error's context. */
typedef struct written_to {
    bench_pages *snap;   /* pages resident before the setup; gets the setup's */
    mh_error *err;       /* context of a failure */
} written_to;

/* bench_span_fn: the span's pages not resident before the setup are its first touches. */
static int add_span(void *ctx, uint64_t lo, uint64_t hi)
{
    written_to *w = ctx;
    return bench_pages_add_setup(w->snap, lo, hi, w->err);
}

/* Adds the memory k's setup wrote (its `written` spans) to snap's setup pages. */
static int add_written(const bench_kernel *k, void *state, bench_pages *snap, mh_error *err)
{
    written_to w = {snap, err};
    return k->written ? k->written(state, add_span, &w) : MH_OK;
}

/* Measures (and captures) one point; see calibrate.h. */
int cal_measure_point(const bench_kernel *k, const char *variant, size_t size, uint64_t seed,
                      const bench_harness *h, ctr_set *ft, const char *capture_path, uint64_t budget,
                      const mh_meta *meta, cal_measured *out, mh_error *err)
{
    long param = 0;
    memset(out, 0, sizeof *out);
    out->first_touch_faults = CTR_NOT_MEASURED;
    out->v = bench_variant_find(k, variant, &param);
    if (!out->v)
        return mh_error_set(err, MH_EINVAL, "%s: unknown variant '%s'", k->name, variant);
    bench_variant_label(out->v, param, out->label, sizeof out->label);
    bench_params p = {.size = size, .variant = out->v, .param = param, .frame = 256, .max_free = 4096,
                      .seed = seed, .min_accesses = BENCH_MIN_ACCESSES};
    void *state = NULL;
    bench_pages *snap = NULL;
    int rc = MH_OK;
    if (capture_path) { /* what the point finds resident: its first touches are the other pages */
        malloc_trim(0);  /* free heap pages go back first, as the heap kernels' setup does */
        rc = bench_pages_snapshot(&snap, err);
    }
    if (rc == MH_OK)
        rc = setup_counted(k, &p, ft, &state, out, err);
    if (rc == MH_EUNSUPPORTED) {
        out->skipped = 1;
        snprintf(out->skip_msg, sizeof out->skip_msg, "%s", err->msg);
        bench_pages_free(snap);
        return MH_OK;
    }
    if (rc != MH_OK) {
        bench_pages_free(snap);
        return rc;
    }
    if (capture_path)
        rc = add_written(k, state, snap, err);
    out->layout = k->layout ? k->layout(state) : 0;
    if (rc == MH_OK && h && h->min_time > 0)
        rc = bench_measure(k, state, &out->info, h, &out->st, err);
    if (rc == MH_OK && capture_path)
        rc = bench_capture_point(k, state, capture_path, meta, budget, &out->capture_ns_per_rec,
                                 &out->records, err);
    if (rc == MH_OK && capture_path)
        rc = bench_resident_write(snap, capture_path, &out->resident_pages, err);
    bench_pages_free(snap);
    mh_error terr;
    int trc = k->teardown(state, &out->m, &terr);
    if (rc == MH_OK && trc != MH_OK) {
        *err = terr;
        rc = MH_EIO;
    }
    if (rc != MH_OK)
        bench_stats_free(&out->st);
    return rc;
}

/* Bench CSV header. */
void cal_csv_header(FILE *f, const ctr_set *ctr)
{
    fputs("kernel,variant,size_bytes,reps,ns_median,ns_min,ns_p10,ns_p90,cycles_median,accesses,"
          "loads_per_iter,stores_per_iter,dependent,alloc_rate,peak_rss_bytes,fragmentation,live_objects,core",
          f);
    for (size_t i = 0; ctr && i < ctr_count(ctr); i++)
        fprintf(f, ",%s", ctr_name(ctr, i));
    fputc('\n', f);
}

/* One bench CSV row (events: NA when not measured). */
void cal_csv_row(FILE *f, const bench_kernel *k, size_t size, const cal_measured *p, int core)
{
    const bench_stats *st = &p->st;
    fprintf(f, "%s,%s,%zu,%llu,%.4f,%.4f,%.4f,%.4f,%.3f,%llu,%u,%u,%d,", k->name, p->label, size,
            (unsigned long long)st->reps, st->ns_median, st->ns_min, st->ns_p10, st->ns_p90, st->cycles_median,
            (unsigned long long)p->info.accesses, p->v->loads, p->v->stores, p->v->dependent);
    if (p->m.has)
        fprintf(f, "%.0f,%llu,%.4f,%lld,", p->m.alloc_rate, (unsigned long long)p->m.peak_rss,
                p->m.fragmentation, (long long)p->m.live_objects);
    else
        fputs(",,,,", f);
    if (core >= 0)
        fprintf(f, "%d", core);
    for (size_t i = 0; i < st->nevents; i++) {
        if (st->events[i] == CTR_NOT_MEASURED)
            fputs(",NA", f);
        else
            fprintf(f, ",%lld", st->events[i]);
    }
    fputc('\n', f);
}
