/* kernel_heap.c — malloc/free churn, then traversal of the survivors in allocation order.
 * Metrics: allocation rate of the churn, peak RSS, external fragmentation (mallinfo2 after the
 * churn: free bytes held in the main arena / arena bytes; malloc_trim first returns free memory
 * left by earlier points, so holes the churn made dominate), objects live after teardown. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "objgraph.h"

#define HEAP_HDR_LO 8    /* bytes malloc writes before a block (its chunk's size) */
#define HEAP_HDR_HI 24   /* and after it (the next chunk's header; rounding to 16 included) */

/* Logs [lo, hi) (under a page plus one long) as written by the setup: one store, so the churn's
 * allocation rate is not the log's; sorting and merging wait for bench_heap_written. */
static void heap_mark(bench_heap_point *s, uint64_t lo, uint64_t hi)
{
    uint64_t first = lo >> s->page_shift;
    if (s->wlog_n < s->wlog_cap)
        s->wlog[s->wlog_n] = first << 1 | (((hi - 1) >> s->page_shift) != first);
    s->wlog_n++;
}

/* malloc as a bench_allocator; ctx, when not NULL, is the point whose written pages it marks. */
static void *heap_acquire(void *ctx, size_t size)
{
    void *p = malloc(size);
    bench_heap_point *s = ctx;
    if (p && s && s->wlog)
        heap_mark(s, (uint64_t)(uintptr_t)p - HEAP_HDR_LO, (uint64_t)(uintptr_t)p + size + HEAP_HDR_HI);
    return p;
}

/* free as a bench_allocator. */
static void heap_release(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

static const bench_allocator heap_alloc = {heap_acquire, heap_release, NULL};

/* Builds the malloc'd graph and records its metrics. */
int bench_heap_build(const bench_params *p, long dist, void **state, bench_info *info, mh_error *err,
                     const char *who)
{
    bench_heap_point *s = calloc(1, sizeof *s);
    if (!s)
        return mh_error_set(err, MH_ENOMEM, "%s: out of memory", who);
    s->page_shift = (unsigned)__builtin_ctzl((unsigned long)sysconf(_SC_PAGESIZE));
    /* one log entry per allocation of the churn (2n, as bench_graph_build makes) and the state's */
    s->wlog_cap = 2 * (p->size / BENCH_OBJ_MEAN < 2 ? 2 : p->size / BENCH_OBJ_MEAN) + 1;
    s->wlog = bench_scratch(s->wlog_cap * sizeof *s->wlog);
    if (s->wlog) /* the point's own state is written by the setup too */
        heap_mark(s, (uint64_t)(uintptr_t)s - HEAP_HDR_LO, (uint64_t)(uintptr_t)(s + 1) + HEAP_HDR_HI);
    bench_rss_reset(); /* also malloc_trim: earlier points' free memory leaves the arena */
    bench_allocator a = {heap_acquire, heap_release, s};
    int rc = bench_graph_build(&s->g, p->size, p->seed, &a, err, who);
    if (rc != MH_OK) {
        bench_scratch_free(s->wlog, s->wlog_cap * sizeof *s->wlog);
        free(s);
        return rc;
    }
    struct mallinfo2 mi = mallinfo2();
    s->m.has = 1;
    s->m.alloc_rate = s->g.churn_s > 0 ? (double)s->g.allocs / s->g.churn_s : 0;
    s->m.peak_rss = bench_rss_peak();
    s->m.fragmentation = mi.arena ? (double)mi.fordblks / (double)mi.arena : 0;
    s->dist = dist;
    if (dist >= 0)
        bench_graph_set_jump(&s->g, dist);
    unsigned per = dist >= 0 ? 3 : 2;
    s->steps = s->g.n * bench_laps(per * s->g.n, p->min_accesses);
    info->iters = s->steps;
    info->accesses = per * s->steps;
    char d[32] = ""; /* "distance=D" only for the prefetch kernel */
    if (dist >= 0)
        snprintf(d, sizeof d, " distance=%ld", dist);
    snprintf(info->params, sizeof info->params,
             "objects=%zu sizes=%d..%d allocs=%llu frees=%llu laps=%llu%s seed=%llu", s->g.n,
             BENCH_OBJ_MIN, BENCH_OBJ_MAX, (unsigned long long)s->g.allocs,
             (unsigned long long)s->g.frees, (unsigned long long)(s->steps / s->g.n), d,
             (unsigned long long)p->seed);
    *state = s;
    return MH_OK;
}

/* Frees every object; fails when any is still live. */
int bench_heap_free(void *state, bench_metrics *m, mh_error *err, const char *who)
{
    bench_heap_point *s = state;
    if (!s)
        return MH_OK;
    bench_graph_destroy(&s->g, &heap_alloc);
    *m = s->m;
    m->live_objects = (int64_t)(s->g.allocs - s->g.frees);
    bench_scratch_free(s->wlog, s->wlog_cap * sizeof *s->wlog);
    free(s);
    if (m->live_objects != 0)
        return mh_error_set(err, MH_EIO, "%s: %lld objects still live after teardown (a leak)", who,
                            (long long)m->live_objects);
    return MH_OK;
}

/* qsort order of page keys. */
static int cmp_key(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The pages the point's state and the churn's chunks wrote (malloc's headers beside each block
 * included), as runs in address order: the log sorted (the first call does), its overlapping and
 * adjacent pages merged. Nothing when the log could not be mapped or overflowed (not seen: it
 * holds every allocation the churn makes). */
int bench_heap_written(void *state, bench_span_fn add, void *ctx)
{
    bench_heap_point *s = state;
    if (!s->wlog || s->wlog_n > s->wlog_cap)
        return MH_OK;
    if (!s->wlog_sorted)
        qsort(s->wlog, s->wlog_n, sizeof *s->wlog, cmp_key);
    s->wlog_sorted = 1;
    int rc = MH_OK;
    uint64_t lo = 0, hi = 0; /* the run being merged, in pages [lo, hi); hi = 0: none yet */
    for (size_t i = 0; rc == MH_OK && i <= s->wlog_n; i++) {
        uint64_t f = i < s->wlog_n ? s->wlog[i] >> 1 : UINT64_MAX >> 1;
        uint64_t e = i < s->wlog_n ? f + 1 + (s->wlog[i] & 1) : f;
        if (hi && f <= hi) {
            hi = e > hi ? e : hi;
            continue;
        }
        if (hi)
            rc = add(ctx, lo << s->page_shift, hi << s->page_shift);
        lo = f;
        hi = e;
    }
    return rc;
}

/* bench_kernel.layout of the heap and prefetch points: their graph's. */
uint64_t bench_heap_layout(const void *state)
{
    const bench_heap_point *s = state;
    return bench_graph_layout(&s->g);
}

/* Heap point: graph without jump pointers. */
int bench_heap_setup(const bench_params *p, void **state, bench_info *info, mh_error *err)
{
    return bench_heap_build(p, -1, state, info, err, "heap");
}

/* Native repetition. */
uint64_t bench_heap_run(void *state)
{
    bench_heap_point *s = state;
    return bench_graph_walk(s->g.head, s->steps, 0, 0, NULL);
}

/* Recorded repetition. */
uint64_t bench_heap_capture(void *state, bench_cap *cap)
{
    bench_heap_point *s = state;
    return bench_graph_walk(s->g.head, s->steps, 0, 0, cap);
}

/* Frees the point. */
int bench_heap_teardown(void *state, bench_metrics *m, mh_error *err)
{
    return bench_heap_free(state, m, err, "heap");
}
