/* objgraph.h — the object graph shared by the heap, pool and prefetch kernels: a seeded
 * allocate/release churn of 32..256-byte objects through a pluggable allocator, then the
 * survivors linked into a cycle in allocation order and traversed. */
#ifndef BENCH_OBJGRAPH_H
#define BENCH_OBJGRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "kernels.h"

#define BENCH_OBJ_MIN 32    /* smallest object (the header) */
#define BENCH_OBJ_MAX 256   /* largest object */
#define BENCH_OBJ_STEP 16   /* sizes are MIN + k*STEP; also the pool's size-class granule */
#define BENCH_OBJ_MEAN 144  /* mean object size: live objects = size / MEAN */
/* Instruction gaps from objdump -d of the native loops (gcc 12 -O2): the heap/pool loop is
 * `add 0x18(%rax),%rcx; mov (%rax),%rax; sub $1,%rdx; jne` -> 2 non-memory instructions before
 * the first record of an iteration, 0 between its records; the prefetch loop is
 * `mov 0x8(%rax),%rsi; test; jg; add 0x18(%rax),%rcx; prefetcht0 (%rsi); mov (%rax),%rax; sub; je`
 * -> 4 non-memory instructions per iteration, all before the jump load. */
#define BENCH_GRAPH_GAP 2        /* before the val load (heap, pool) */
#define BENCH_GRAPH_GAP_JUMP 4   /* before the jump load (prefetch) */

/* Object header; the rest of the object is payload filled at allocation. */
typedef struct bench_obj {
    struct bench_obj *next;  /* next live object in allocation order (cyclic) */
    struct bench_obj *jump;  /* the object D ahead (prefetch kernel), else NULL */
    uint32_t seq;            /* allocation sequence number: the link order */
    uint32_t size;           /* bytes requested */
    uint64_t val;            /* payload word the traversal sums */
} bench_obj;

/* Allocator the churn goes through (malloc/free or the pool). */
typedef struct bench_allocator {
    void *(*acquire)(void *ctx, size_t size); /* NULL when exhausted */
    void (*release)(void *ctx, void *p);
    void *ctx;
} bench_allocator;

/* A built graph plus the churn's accounting. */
typedef struct bench_graph {
    bench_obj **live;     /* survivors, sorted by seq after the build (bench_scratch) */
    size_t n;             /* survivors */
    size_t cap;           /* slots of live (2 x the target count; seq < cap) */
    bench_obj *head;      /* live[0] */
    uint64_t allocs;      /* acquisitions (churn) */
    uint64_t frees;       /* releases (churn and destroy) */
    double churn_s;       /* wall time of the churn */
} bench_graph;

/* Runs the churn for `size` live bytes and links the survivors; on failure g is empty. */
int bench_graph_build(bench_graph *g, size_t size, uint64_t seed, const bench_allocator *a,
                      mh_error *err, const char *who);
/* Returns a hash of the survivors' places (offsets from the head's page, in walk order). */
uint64_t bench_graph_layout(const bench_graph *g);
/* Points every object's jump at the object dist ahead in the cycle. */
void bench_graph_set_jump(bench_graph *g, long dist);
/* Releases every survivor; afterwards allocs - frees is the leak count. */
void bench_graph_destroy(bench_graph *g, const bench_allocator *a);

/* A built heap point (heap and prefetch kernels share it). */
typedef struct bench_heap_point {
    bench_graph g;        /* the graph, objects from malloc */
    uint64_t steps;       /* nodes visited per repetition */
    long dist;            /* prefetch distance (0 = none) */
    bench_metrics m;      /* alloc rate, peak RSS, fragmentation */
    uint64_t *wlog;       /* per chunk the setup wrote: first page << 1 | 1 when it spans two (scratch) */
    size_t wlog_cap;      /* entries wlog holds (one per allocation of the churn, and the state) */
    size_t wlog_n;        /* entries logged; past wlog_cap nothing is named */
    int wlog_sorted;      /* 1 once written() sorted it */
    unsigned page_shift;  /* log2 of the page size */
} bench_heap_point;

/* Builds a malloc'd graph for p; dist >= 0 sets jump pointers (prefetch kernel). */
int bench_heap_build(const bench_params *p, long dist, void **state, bench_info *info, mh_error *err,
                     const char *who);
/* Frees a heap point; MH_EIO (a runtime failure) when objects are still live afterwards. */
int bench_heap_free(void *state, bench_metrics *m, mh_error *err, const char *who);

/* malloc_trim(0), then resets the peak-RSS watermark when the kernel allows it (writes 5 to
 * /proc/self/clear_refs). */
void bench_rss_reset(void);
/* Peak resident bytes: VmHWM from /proc/self/status, else getrusage's ru_maxrss. */
uint64_t bench_rss_peak(void);

/* The traversal: steps nodes; jump = 1 also loads p->jump and, when dist > 0, prefetches it. */
BENCH_ALWAYS_INLINE uint64_t bench_graph_walk(const bench_obj *head, uint64_t steps, int jump,
                                              long dist, bench_cap *cap)
{
    const bench_obj *p = head;
    uint64_t sum = 0;
    bench_cur cur = bench_cur_begin(cap);
    for (uint64_t i = steps; i > 0; i--) {
        if (jump) {
            BENCH_PUT(cap, cur, &p->jump, 8, MH_OP_READ, MH_FLAG_DEP, BENCH_GRAPH_GAP_JUMP);
            const bench_obj *j = p->jump;
            if (dist > 0) {
                BENCH_PUT(cap, cur, j, 1, MH_OP_PREFETCH, MH_FLAG_DEP, 0); /* its address is the jump load's */
                __builtin_prefetch(j, 0, 3);
            } else {
                BENCH_USE(j); /* D = 0 still loads the jump pointer: same loads at every D */
            }
        }
        /* Only a node's first load depends on the previous load (p->next); the others use the
         * same p and issue in parallel with it. */
        BENCH_PUT(cap, cur, &p->val, 8, MH_OP_READ, jump ? 0 : MH_FLAG_DEP, jump ? 0 : BENCH_GRAPH_GAP);
        sum += p->val;
        BENCH_PUT(cap, cur, &p->next, 8, MH_OP_READ, 0, 0);
        p = p->next;
        if (BENCH_CUR_DONE(cap, cur))
            break;
    }
    bench_cur_end(cap, cur);
    BENCH_BARRIER();
    return sum + (uint64_t)(uintptr_t)p;
}

#endif
