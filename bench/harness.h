/* harness.h — measures one kernel point: warm-up, repetitions until a minimum time,
 * distribution statistics, cycles and counter medians; and captures it to a trace. */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "kernels.h"

/* How to measure. */
typedef struct bench_harness {
    double min_time;            /* seconds of measured repetitions per point (after warm-up) */
    unsigned min_reps;          /* repetitions at least (>= 1), per event group of ctr */
    ctr_set *ctr;               /* counters read per repetition, or NULL */
    int cyc_event;              /* index of an available PAPI_TOT_CYC in ctr, or -1 */
    double tsc_ghz;             /* time-stamp counter frequency (measured), 0 if none */
    volatile sig_atomic_t *stop; /* set by a signal handler: stop early (may be NULL) */
} bench_harness;

/* Statistics of one measured point. */
typedef struct bench_stats {
    uint64_t reps;              /* measured repetitions */
    double ns_median, ns_min, ns_p10, ns_p90; /* ns per access */
    double cycles_median;       /* cycles per access (PAPI_TOT_CYC's median, else TSC) */
    const char *cycles_source;  /* "PAPI_TOT_CYC" or "TSC" */
    long long *events;          /* per ctr event: median count over the repetitions that counted it
                                   (its group's), CTR_NOT_MEASURED if none */
    size_t nevents;             /* entries in events */
    uint64_t checksum;          /* sunk kernel results (keeps the work alive) */
    char ctr_warning[200];      /* non-empty when counters failed at run time (events then NA) */
} bench_stats;

/* Measures the TSC frequency against CLOCK_MONOTONIC over about 20 ms (0 without a TSC). */
double bench_tsc_ghz(void);
/* Nanoseconds on the monotonic clock (the one clock every probe and the harness time with). */
uint64_t bench_now_ns(void);
/* Runs warm-up and measured repetitions of k on state; st->events is malloc'ed (bench_stats_free).
 * Counters failing at run time do not fail the point: its events read CTR_NOT_MEASURED and
 * st->ctr_warning says why. Returns MH_OK, MH_EINTR when h->stop was set, or MH_ENOMEM. */
int bench_measure(const bench_kernel *k, void *state, const bench_info *info, const bench_harness *h,
                  bench_stats *st, mh_error *err);
/* Frees st->events. */
void bench_stats_free(bench_stats *st);
/* Value at quantile q (0..1) of sorted v[0..n-1], linear interpolation. */
double bench_quantile(const double *v, size_t n, double q);

/* What a capture cost. */
typedef struct bench_capture_cost {
    uint64_t records;   /* records written */
    double ns_hook;     /* wall ns per record of the capture instantiation into a discarding sink */
    double ns_total;    /* kernel thread's wall ns per record with the writer, waits included */
    double ns_drain;    /* wall ns per record spent after the run until the writer thread was done */
} bench_capture_cost;

/* Records one repetition of k (bounded by budget records) into the .mht at path with meta.
 * A first run into a discarding sink measures the recording hook alone (cost->ns_hook). */
int bench_capture_point_cost(const bench_kernel *k, void *state, const char *path, const mh_meta *meta,
                             uint64_t budget, bench_capture_cost *cost, mh_error *err);
/* Same; *ns_per_rec = wall ns per record with the writer, *records = records written. */
int bench_capture_point(const bench_kernel *k, void *state, const char *path, const mh_meta *meta,
                        uint64_t budget, double *ns_per_rec, uint64_t *records, mh_error *err);

#endif
