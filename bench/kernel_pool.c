/* kernel_pool.c — the heap kernel's object graph (same seed, same churn) from an object pool.
 * acquire: reuse a released object of the same size class (16-byte classes, as the graph's
 * sizes), else bump-allocate the next bytes of one contiguous slab. release: push the object
 * onto its class's free list (intrusive, LIFO) while the pool holds fewer than max_free free
 * objects in total; beyond that the object is abandoned until the pool is destroyed.
 * Fragmentation = bytes free-listed or abandoned / slab bytes handed out, after the churn. */
#include <stdio.h>
#include <stdlib.h>

#include "objgraph.h"

#define POOL_MAX_FREE_DEFAULT 4096
#define POOL_CLASSES ((BENCH_OBJ_MAX + BENCH_OBJ_STEP - 1) / BENCH_OBJ_STEP + 1)

/* The pool allocator. */
typedef struct bench_pool {
    char *slab;                   /* contiguous bytes (bench_map: untouched pages cost nothing) */
    size_t slab_bytes;            /* mapped bytes */
    size_t next;                  /* bytes handed out from the slab so far */
    void *free_head[POOL_CLASSES]; /* per size class: released objects, linked through their first word */
    size_t nfree;                 /* free-listed objects, all classes (<= max_free) */
    size_t max_free;              /* bound on nfree */
    size_t peak_free;             /* largest nfree seen (tests: <= max_free) */
    uint64_t reused;              /* acquisitions served from a free list */
    uint64_t abandoned;           /* releases dropped because the free lists were full */
    uint64_t free_bytes;          /* bytes free-listed or abandoned right now */
} bench_pool;

/* One pool point. */
typedef struct pool_point {
    bench_pool pool;     /* the allocator */
    bench_graph g;       /* the graph built through it */
    uint64_t steps;      /* nodes visited per repetition */
    bench_metrics m;     /* churn metrics */
} pool_point;

/* Size class of a request (16-byte granules). */
static size_t pool_class(size_t size)
{
    return (size + BENCH_OBJ_STEP - 1) / BENCH_OBJ_STEP;
}

/* Acquire: the class's free list first, else the next slab bytes. */
static void *pool_acquire(void *ctx, size_t size)
{
    bench_pool *p = ctx;
    size_t c = pool_class(size), bytes = c * BENCH_OBJ_STEP;
    if (size == 0 || c >= POOL_CLASSES)
        return NULL;
    if (p->free_head[c]) {
        void *o = p->free_head[c];
        p->free_head[c] = *(void **)o;
        p->nfree--;
        p->reused++;
        p->free_bytes -= bytes;
        return o;
    }
    if (p->slab_bytes - p->next < bytes)
        return NULL;
    void *o = p->slab + p->next;
    p->next += bytes;
    return o;
}

/* Release: onto the class's free list while under max_free, else abandoned. */
static void pool_release(void *ctx, void *obj)
{
    bench_pool *p = ctx;
    size_t c = pool_class(((bench_obj *)obj)->size);
    p->free_bytes += c * BENCH_OBJ_STEP;
    if (p->nfree < p->max_free) {
        *(void **)obj = p->free_head[c];
        p->free_head[c] = obj;
        if (++p->nfree > p->peak_free)
            p->peak_free = p->nfree;
    } else {
        p->abandoned++;
    }
}

/* Builds the pool (slots for every acquisition of the churn) and the graph. */
int bench_pool_setup(const bench_params *p, void **state, bench_info *info, mh_error *err)
{
    pool_point *s = calloc(1, sizeof *s);
    if (!s)
        return mh_error_set(err, MH_ENOMEM, "pool: out of memory");
    size_t n = p->size / BENCH_OBJ_MEAN < 2 ? 2 : p->size / BENCH_OBJ_MEAN;
    bench_pool *pl = &s->pool;
    pl->max_free = p->max_free ? p->max_free : POOL_MAX_FREE_DEFAULT;
    pl->slab_bytes = 2 * n * BENCH_OBJ_MAX; /* the churn acquires 2n objects: enough with no reuse */
    pl->slab = bench_map(pl->slab_bytes, -1);
    if (!pl->slab) {
        size_t bytes = pl->slab_bytes;
        free(s);
        return mh_error_set(err, MH_ENOMEM, "pool: cannot map a %zu-byte slab", bytes);
    }
    bench_allocator a = {pool_acquire, pool_release, pl};
    bench_rss_reset();
    int rc = bench_graph_build(&s->g, p->size, p->seed, &a, err, "pool");
    if (rc != MH_OK) {
        bench_unmap(pl->slab, pl->slab_bytes);
        free(s);
        return rc;
    }
    s->m.has = 1;
    s->m.alloc_rate = s->g.churn_s > 0 ? (double)s->g.allocs / s->g.churn_s : 0;
    s->m.peak_rss = bench_rss_peak();
    s->m.fragmentation = pl->next ? (double)pl->free_bytes / (double)pl->next : 0;
    s->steps = s->g.n * bench_laps(2 * s->g.n, p->min_accesses);
    info->iters = s->steps;
    info->accesses = 2 * s->steps;
    snprintf(info->params, sizeof info->params,
             "objects=%zu max_free=%zu slab_bytes_used=%zu reused=%llu abandoned=%llu seed=%llu",
             s->g.n, pl->max_free, pl->next, (unsigned long long)pl->reused,
             (unsigned long long)pl->abandoned, (unsigned long long)p->seed);
    *state = s;
    return MH_OK;
}

/* Native repetition. */
uint64_t bench_pool_run(void *state)
{
    pool_point *s = state;
    return bench_graph_walk(s->g.head, s->steps, 0, 0, NULL);
}

/* Recorded repetition. */
uint64_t bench_pool_capture(void *state, bench_cap *cap)
{
    pool_point *s = state;
    return bench_graph_walk(s->g.head, s->steps, 0, 0, cap);
}

/* Releases every object, then frees the slab; fails when any object is still live. */
int bench_pool_teardown(void *state, bench_metrics *m, mh_error *err)
{
    pool_point *s = state;
    if (!s)
        return MH_OK;
    bench_allocator a = {pool_acquire, pool_release, &s->pool};
    bench_graph_destroy(&s->g, &a);
    *m = s->m;
    m->live_objects = (int64_t)(s->g.allocs - s->g.frees);
    bench_unmap(s->pool.slab, s->pool.slab_bytes);
    free(s);
    if (m->live_objects != 0)
        return mh_error_set(err, MH_EIO, "pool: %lld objects still live after teardown (a leak)",
                            (long long)m->live_objects);
    return MH_OK;
}

/* The slab bytes handed out: the churn wrote every object it acquired, also those it released
 * before the walk, whose pages the walk may never read. */
int bench_pool_written(void *state, bench_span_fn add, void *ctx)
{
    pool_point *s = state;
    uint64_t lo = (uint64_t)(uintptr_t)s->pool.slab;
    return s->pool.next ? add(ctx, lo, lo + s->pool.next) : MH_OK;
}

/* Test hook: slab bounds and free-list statistics of a pool point. */
void bench_pool_inspect(void *state, uintptr_t *slab_lo, uintptr_t *slab_hi, size_t *max_free,
                        size_t *peak_free, uint64_t *reused)
{
    pool_point *s = state;
    *slab_lo = (uintptr_t)s->pool.slab;
    *slab_hi = (uintptr_t)s->pool.slab + s->pool.slab_bytes;
    *max_free = s->pool.max_free;
    *peak_free = s->pool.peak_free;
    *reused = s->pool.reused;
}
