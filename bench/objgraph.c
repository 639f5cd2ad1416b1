/* objgraph.c — churn, linking and teardown of the heap/pool/prefetch object graph. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "harness.h"
#include "objgraph.h"

/* Sorts the n survivors in live by seq (< slots): scattered into scratch by seq, then gathered
 * back. Unlike qsort, it allocates nothing from the heap or from fresh pages, so setup faults
 * only the objects' pages. Returns 0, or -1 when the scratch cannot be mapped. */
static int sort_by_seq(bench_obj **live, size_t n, size_t slots)
{
    bench_obj **by = bench_scratch(slots * sizeof *by);
    if (!by)
        return -1;
    for (size_t i = 0; i < n; i++)
        by[live[i]->seq] = live[i];
    size_t k = 0;
    for (size_t s = 0; s < slots; s++)
        if (by[s])
            live[k++] = by[s];
    bench_scratch_free(by, slots * sizeof *by);
    return 0;
}

/* Allocates one object of a random size and fills it. */
static bench_obj *new_obj(const bench_allocator *a, uint64_t *rng, uint32_t seq)
{
    uint32_t size = BENCH_OBJ_MIN +
                    BENCH_OBJ_STEP * (uint32_t)bench_rand_below(rng, (BENCH_OBJ_MAX - BENCH_OBJ_MIN) / BENCH_OBJ_STEP + 1);
    bench_obj *o = a->acquire(a->ctx, size);
    if (!o)
        return NULL;
    o->next = o->jump = NULL;
    o->seq = seq;
    o->size = size;
    o->val = seq;
    memset((char *)o + sizeof *o, (int)(seq & 0xff), size - sizeof *o); /* a real object is initialised */
    return o;
}

/* Churn: 2n acquisitions and n releases of random survivors, interleaved at random. */
int bench_graph_build(bench_graph *g, size_t size, uint64_t seed, const bench_allocator *a,
                      mh_error *err, const char *who)
{
    memset(g, 0, sizeof *g);
    size_t n = size / BENCH_OBJ_MEAN < 2 ? 2 : size / BENCH_OBJ_MEAN;
    uint64_t want_allocs = 2 * (uint64_t)n, want_frees = n, rng = seed;
    g->cap = 2 * n;
    g->live = bench_scratch(g->cap * sizeof *g->live); /* bookkeeping: the walk never reads it */
    if (!g->live)
        return mh_error_set(err, MH_ENOMEM, "%s: out of memory for %zu objects", who, 2 * n);
    double t0 = (double)bench_now_ns() * 1e-9;
    while (g->allocs < want_allocs || g->frees < want_frees) {
        uint64_t ra = want_allocs - g->allocs, rf = want_frees - g->frees;
        int alloc = rf == 0 || g->n == 0 || (ra && bench_rand_below(&rng, ra + rf) < ra);
        if (alloc) {
            bench_obj *o = new_obj(a, &rng, (uint32_t)g->allocs);
            if (!o) {
                bench_graph_destroy(g, a);
                return mh_error_set(err, MH_ENOMEM, "%s: allocation %llu failed", who,
                                    (unsigned long long)g->allocs);
            }
            g->live[g->n++] = o;
            g->allocs++;
        } else {
            size_t i = (size_t)bench_rand_below(&rng, g->n);
            a->release(a->ctx, g->live[i]);
            g->live[i] = g->live[--g->n];
            g->frees++;
        }
    }
    g->churn_s = (double)bench_now_ns() * 1e-9 - t0;
    if (sort_by_seq(g->live, g->n, g->cap) != 0) {
        bench_graph_destroy(g, a);
        return mh_error_set(err, MH_ENOMEM, "%s: out of memory sorting %zu objects", who, g->n);
    }
    for (size_t i = 0; i < g->n; i++)
        g->live[i]->next = g->live[(i + 1) % g->n];
    g->head = g->live[0];
    return MH_OK;
}

/* Sets each object's jump pointer dist objects ahead (itself when dist = 0). */
void bench_graph_set_jump(bench_graph *g, long dist)
{
    for (size_t i = 0; i < g->n; i++)
        g->live[i]->jump = g->live[(i + (size_t)dist) % g->n];
}

/* A hash of where the survivors lie, in walk order, as offsets from the head's page: two builds
 * with equal hashes present the same lines, sets and pages to a cache indexed by address bits
 * below the page and to a TLB. */
uint64_t bench_graph_layout(const bench_graph *g)
{
    uint64_t base = g->head ? (uint64_t)(uintptr_t)g->head & ~(uint64_t)4095 : 0, h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < g->n; i++) {
        h ^= (uint64_t)(uintptr_t)g->live[i] - base;
        h *= 0x100000001b3ull; /* FNV-1a over whole offsets */
        h ^= h >> 29;
    }
    return h ^ g->n;
}

/* Releases every survivor and the bookkeeping array. */
void bench_graph_destroy(bench_graph *g, const bench_allocator *a)
{
    for (size_t i = 0; i < g->n; i++) {
        a->release(a->ctx, g->live[i]);
        g->frees++;
    }
    g->n = 0;
    g->head = NULL;
    bench_scratch_free(g->live, g->cap * sizeof *g->live);
    g->live = NULL;
    g->cap = 0;
}

/* Returns free heap memory to the OS, then resets VmHWM (Linux >= 4.0; silently skipped where
 * not permitted), so the next peak reflects this point and not memory earlier points freed. */
void bench_rss_reset(void)
{
    malloc_trim(0);
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

/* Peak resident bytes since the last reset. */
uint64_t bench_rss_peak(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long kb = 0;
    if (f) {
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "VmHWM: %llu kB", &kb) == 1)
                break;
        fclose(f);
    }
    if (kb == 0) {
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) == 0)
            kb = (unsigned long long)ru.ru_maxrss;
    }
    return (uint64_t)kb * 1024;
}
