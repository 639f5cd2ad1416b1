/* harness.c — timing, repetition, statistics and capture of one kernel point. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define HAVE_TSC 1
/* Reads the time-stamp counter. */
static inline uint64_t tsc_now(void)
{
    return __rdtsc();
}
#else
#define HAVE_TSC 0
/* No TSC on this architecture. */
static inline uint64_t tsc_now(void)
{
    return 0;
}
#endif

/* Nanoseconds on the monotonic clock. */
uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* TSC ticks per ns over ~20 ms of wall time. */
double bench_tsc_ghz(void)
{
    if (!HAVE_TSC)
        return 0;
    uint64_t t0 = bench_now_ns(), c0 = tsc_now(), t1;
    do
        t1 = bench_now_ns();
    while (t1 - t0 < 20000000u);
    uint64_t c1 = tsc_now();
    return (double)(c1 - c0) / (double)(t1 - t0);
}

/* qsort order for doubles. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* qsort order for long long. */
static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

/* Quantile q of sorted v with linear interpolation between ranks. */
double bench_quantile(const double *v, size_t n, double q)
{
    if (n == 0)
        return 0;
    double pos = q * (double)(n - 1);
    size_t i = (size_t)pos;
    if (i + 1 >= n)
        return v[n - 1];
    return v[i] + (pos - (double)i) * (v[i + 1] - v[i]);
}

/* Per-repetition samples. */
typedef struct samples {
    double *ns, *cyc;   /* per access */
    long long *ev;      /* reps x nev counts */
    size_t n, cap, nev;
    int ctr_failed;     /* counters failed once: not tried again for this point */
    char ctr_warning[200]; /* why */
} samples;

/* Grows the sample arrays; MH_ENOMEM on failure. */
static int samples_grow(samples *s)
{
    size_t cap = s->cap ? s->cap * 2 : 64;
    double *ns = realloc(s->ns, cap * sizeof *ns);
    if (ns)
        s->ns = ns;
    double *cyc = realloc(s->cyc, cap * sizeof *cyc);
    if (cyc)
        s->cyc = cyc;
    long long *ev = realloc(s->ev, cap * (s->nev ? s->nev : 1) * sizeof *ev);
    if (ev)
        s->ev = ev;
    if (!ns || !cyc || !ev)
        return MH_ENOMEM;
    s->cap = cap;
    return MH_OK;
}

/* Runs one repetition, appending its samples; counters are started/stopped around it. */
static int one_rep(const bench_kernel *k, void *state, const bench_info *info, const bench_harness *h,
                   samples *s, uint64_t *sink, mh_error *err)
{
    if (s->n == s->cap && samples_grow(s) != MH_OK)
        return mh_error_set(err, MH_ENOMEM, "bench: out of memory for samples");
    long long *ev = s->ev + s->n * s->nev;
    mh_error cerr = {0};
    int counting = h->ctr && !s->ctr_failed && ctr_start(h->ctr, &cerr) == MH_OK;
    uint64_t t0 = bench_now_ns(), c0 = tsc_now();
    *sink += k->run(state);
    uint64_t c1 = tsc_now(), t1 = bench_now_ns();
    if (counting && ctr_stop(h->ctr, ev, &cerr) != MH_OK)
        counting = 0;
    if (h->ctr && !counting) { /* counters failing at run time: keep timing, report NA */
        for (size_t e = 0; e < s->nev; e++)
            ev[e] = CTR_NOT_MEASURED;
        if (!s->ctr_failed)
            snprintf(s->ctr_warning, sizeof s->ctr_warning, "%.190s", cerr.msg[0] ? cerr.msg : "counters failed");
        s->ctr_failed = 1;
    }
    (void)err;
    double acc = (double)(info->accesses ? info->accesses : 1);
    s->ns[s->n] = (double)(t1 - t0) / acc;
    s->cyc[s->n] = HAVE_TSC ? (double)(c1 - c0) / acc : s->ns[s->n] * h->tsc_ghz;
    s->n++;
    return MH_OK;
}

/* Turns the samples into statistics (sorts them); acc = accesses per repetition. Each event's
 * median is over the repetitions that counted it (event groups take turns); cycles come from
 * PAPI_TOT_CYC's median where it was counted, else from the TSC. */
static int summarise(samples *s, const bench_harness *h, double acc, bench_stats *st, mh_error *err)
{
    st->reps = s->n;
    memcpy(st->ctr_warning, s->ctr_warning, sizeof st->ctr_warning);
    st->nevents = s->nev;
    st->events = calloc(s->nev ? s->nev : 1, sizeof *st->events);
    long long *col = malloc((s->n ? s->n : 1) * sizeof *col);
    if (!st->events || !col) {
        free(col);
        return mh_error_set(err, MH_ENOMEM, "bench: out of memory for statistics");
    }
    for (size_t e = 0; e < s->nev; e++) {
        size_t m = 0;
        for (size_t r = 0; r < s->n; r++)
            if (s->ev[r * s->nev + e] != CTR_NOT_MEASURED)
                col[m++] = s->ev[r * s->nev + e];
        qsort(col, m, sizeof *col, cmp_ll);
        st->events[e] = m ? col[m / 2] : CTR_NOT_MEASURED;
    }
    free(col);
    qsort(s->ns, s->n, sizeof *s->ns, cmp_double);
    qsort(s->cyc, s->n, sizeof *s->cyc, cmp_double);
    st->ns_median = bench_quantile(s->ns, s->n, 0.5);
    st->ns_min = s->n ? s->ns[0] : 0;
    st->ns_p10 = bench_quantile(s->ns, s->n, 0.1);
    st->ns_p90 = bench_quantile(s->ns, s->n, 0.9);
    st->cycles_median = bench_quantile(s->cyc, s->n, 0.5);
    st->cycles_source = "TSC";
    if (h->ctr && h->cyc_event >= 0 && st->events[h->cyc_event] != CTR_NOT_MEASURED) {
        st->cycles_median = (double)st->events[h->cyc_event] / acc;
        st->cycles_source = "PAPI_TOT_CYC";
    }
    return MH_OK;
}

/* Warm-up (at least one repetition, a tenth of min_time), then repetitions until min_time. */
int bench_measure(const bench_kernel *k, void *state, const bench_info *info, const bench_harness *h,
                  bench_stats *st, mh_error *err)
{
    memset(st, 0, sizeof *st);
    samples warm = {.nev = h->ctr ? ctr_count(h->ctr) : 0}, s = warm;
    uint64_t sink = 0, limit = (uint64_t)(h->min_time * 1e9), t0 = bench_now_ns();
    int rc = MH_OK;
    do {
        rc = one_rep(k, state, info, h, &warm, &sink, err);
        warm.n = 0; /* warm-up samples are discarded */
    } while (rc == MH_OK && bench_now_ns() - t0 < limit / 10 && !(h->stop && *h->stop));
    t0 = bench_now_ns();
    size_t groups = h->ctr && ctr_groups(h->ctr) > 1 ? ctr_groups(h->ctr) : 1;
    size_t min_reps = h->min_reps * groups;   /* each event group counts min_reps of them */
    while (rc == MH_OK && (s.n < min_reps || bench_now_ns() - t0 < limit) && s.n < 1000000) {
        if (h->stop && *h->stop) {
            rc = mh_error_set(err, MH_EINTR, "bench: interrupted");
            break;
        }
        rc = one_rep(k, state, info, h, &s, &sink, err);
    }
    if (rc == MH_OK)
        rc = summarise(&s, h, (double)(info->accesses ? info->accesses : 1), st, err);
    st->checksum = sink;
    free(warm.ns), free(warm.cyc), free(warm.ev);
    free(s.ns), free(s.cyc), free(s.ev);
    return rc;
}

/* Frees the statistics' event medians. */
void bench_stats_free(bench_stats *st)
{
    free(st->events);
    st->events = NULL;
}

/* Runs the capture instantiation into c; returns the kernel thread's wall ns per record: the
 * run, its buffer hand-offs and any wait for a free ring buffer, not the writer thread's drain. */
static double timed_capture(const bench_kernel *k, void *state, bench_cap *c)
{
    uint64_t t0 = bench_now_ns();
    volatile uint64_t sink = c->status == MH_OK ? k->capture(state, c) : 0;
    (void)sink;
    bench_cap_flush(c);
    uint64_t t1 = bench_now_ns();
    return c->recorded ? (double)(t1 - t0) / (double)c->recorded : 0;
}

/* Captures one repetition into path (after one run into a discarding sink, which measures the
 * hook alone); the writer's temporary file is removed on failure. */
int bench_capture_point_cost(const bench_kernel *k, void *state, const char *path, const mh_meta *meta,
                             uint64_t budget, bench_capture_cost *cost, mh_error *err)
{
    bench_cap *c = malloc(sizeof *c);
    if (!c)
        return mh_error_set(err, MH_ENOMEM, "capture: out of memory");
    bench_cap_init(c, NULL, 0, budget);
    cost->ns_hook = timed_capture(k, state, c);
    uint64_t expect = c->recorded; /* sizes the writer's ring: one repetition's records */
    bench_cap_free(c);
    mh_writer *w = NULL;
    int rc = mh_writer_open(path, "mht", meta, &w, err);
    if (rc != MH_OK) {
        free(c);
        return rc;
    }
    bench_cap_init_sized(c, w, 0, budget, expect);
    cost->ns_total = timed_capture(k, state, c);
    cost->records = c->recorded;
    uint64_t t0 = bench_now_ns();
    rc = bench_cap_finish(c); /* waits for the writer thread; its first error, if any */
    cost->ns_drain = c->recorded ? (double)(bench_now_ns() - t0) / (double)c->recorded : 0;
    if (rc != MH_OK) {
        *err = c->err;
        mh_writer_abort(w);
    } else {
        rc = mh_writer_close(w, err);
    }
    bench_cap_free(c);
    free(c);
    return rc;
}

/* Captures one repetition into path; *ns_per_rec = wall ns per record with the writer. */
int bench_capture_point(const bench_kernel *k, void *state, const char *path, const mh_meta *meta,
                        uint64_t budget, double *ns_per_rec, uint64_t *records, mh_error *err)
{
    bench_capture_cost cost = {0};
    int rc = bench_capture_point_cost(k, state, path, meta, budget, &cost, err);
    *ns_per_rec = cost.ns_total;
    *records = cost.records;
    return rc;
}
