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
#define HEAP_PAGES_PER 8 /* page-set slots per page of the point's size (the churn writes ~2-3x it) */

/* Adds page key k (page number + 1) to s's set; a set half full stops recording (state 1). */
static void page_add(bench_heap_point *s, uint64_t k)
{
    size_t i = (size_t)((k * 0x9E3779B97F4A7C15ull) >> 32) & (s->pages_cap - 1);
    while (s->pages[i] && s->pages[i] != k)
        i = (i + 1) & (s->pages_cap - 1);
    if (s->pages[i])
        return;
    s->pages[i] = k;
    if (++s->pages_n > s->pages_cap / 2)
        s->pages_state = 1;
}

/* Marks the pages of [lo, hi) as written by the setup (while the set records). */
static void heap_mark(bench_heap_point *s, uint64_t lo, uint64_t hi)
{
    for (uint64_t pg = lo >> s->page_shift; pg <= (hi - 1) >> s->page_shift && s->pages_state == 0; pg++)
        page_add(s, pg + 1);
}

/* malloc as a bench_allocator; ctx, when not NULL, is the point whose written pages it marks. */
static void *heap_acquire(void *ctx, size_t size)
{
    void *p = malloc(size);
    bench_heap_point *s = ctx;
    if (p && s && s->pages)
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
    for (s->pages_cap = 1024; s->pages_cap < HEAP_PAGES_PER * ((p->size >> s->page_shift) + 64);)
        s->pages_cap *= 2;
    s->pages = bench_scratch(s->pages_cap * sizeof *s->pages);
    if (s->pages) /* the point's own state is written by the setup too */
        heap_mark(s, (uint64_t)(uintptr_t)s - HEAP_HDR_LO, (uint64_t)(uintptr_t)(s + 1) + HEAP_HDR_HI);
    bench_rss_reset(); /* also malloc_trim: earlier points' free memory leaves the arena */
    bench_allocator a = {heap_acquire, heap_release, s};
    int rc = bench_graph_build(&s->g, p->size, p->seed, &a, err, who);
    if (rc != MH_OK) {
        bench_scratch_free(s->pages, s->pages_cap * sizeof *s->pages);
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
    bench_scratch_free(s->pages, s->pages_cap * sizeof *s->pages);
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
 * included), as runs in address order. Nothing when the set could not be mapped or filled up
 * (more than HEAP_PAGES_PER / 2 pages per page of the point's size: not seen). The first call
 * sorts the set's keys to its front; it records nothing more after. */
int bench_heap_written(void *state, bench_span_fn add, void *ctx)
{
    bench_heap_point *s = state;
    if (!s->pages || s->pages_state == 1)
        return MH_OK;
    if (s->pages_state == 0) {
        size_t n = 0;
        for (size_t i = 0; i < s->pages_cap; i++)
            if (s->pages[i])
                s->pages[n++] = s->pages[i];
        qsort(s->pages, n, sizeof *s->pages, cmp_key);
        s->pages_state = 2;
    }
    int rc = MH_OK;
    for (size_t i = 0, j; rc == MH_OK && i < s->pages_n; i = j) {
        for (j = i + 1; j < s->pages_n && s->pages[j] == s->pages[j - 1] + 1; j++)
            ;
        rc = add(ctx, (s->pages[i] - 1) << s->page_shift, s->pages[j - 1] << s->page_shift);
    }
    return rc;
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
