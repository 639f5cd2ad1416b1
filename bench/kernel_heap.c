/* kernel_heap.c — malloc/free churn, then traversal of the survivors in allocation order.
 * Metrics: allocation rate of the churn, peak RSS, external fragmentation (mallinfo2 after the
 * churn: free bytes held in the main arena / arena bytes; malloc_trim first returns free memory
 * left by earlier points, so holes the churn made dominate), objects live after teardown. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include "objgraph.h"

/* malloc as a bench_allocator. */
static void *heap_acquire(void *ctx, size_t size)
{
    (void)ctx;
    return malloc(size);
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
    bench_rss_reset(); /* also malloc_trim: earlier points' free memory leaves the arena */
    int rc = bench_graph_build(&s->g, p->size, p->seed, &heap_alloc, err, who);
    if (rc != MH_OK) {
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
    free(s);
    if (m->live_objects != 0)
        return mh_error_set(err, MH_EIO, "%s: %lld objects still live after teardown (a leak)", who,
                            (long long)m->live_objects);
    return MH_OK;
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
