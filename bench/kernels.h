/* kernels.h — the benchmark kernel registry and the contract every kernel follows.
 *
 * A kernel is one registry entry (bench_kernels[] in kernel_registry.c). Its body is written
 * once, as an always-inline function taking a `bench_cap *cap`; `run` instantiates it with a
 * constant NULL (no recording code survives), `capture` with a live recorder. */
#ifndef BENCH_KERNELS_H
#define BENCH_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "memhier.h"

#define BENCH_LINE 64              /* bytes per cache line the kernels assume */
#define BENCH_PAGE 4096            /* base page size for page-local shuffling */
#define BENCH_MIN_ACCESSES 65536   /* a repetition makes at least this many accesses */
#define BENCH_ALWAYS_INLINE static inline __attribute__((always_inline))

/* Compiler barrier: memory may have changed, so no access is hoisted or deleted across it. */
#define BENCH_BARRIER() __asm__ volatile("" ::: "memory")
/* Forces x to be computed (its load happens) without touching memory ordering. */
#define BENCH_USE(x) __asm__ volatile("" : : "r"(x))
/* Makes p escape: the compiler must assume the pointed-to memory is read here. */
#define BENCH_ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")

/* One variant of a kernel: what it does per iteration. A name ending in '*' takes a
 * number suffix (stride "s256", prefetch distance "d4"). */
typedef struct bench_variant {
    const char *name;   /* e.g. "read", "global-thp", "s*" */
    const char *help;   /* one line */
    unsigned loads;     /* loads per iteration */
    unsigned stores;    /* stores per iteration */
    unsigned prefetches; /* software prefetches per iteration (when enabled) */
    int dependent;      /* 1: each load's address depends on the previous load */
    int probe;          /* 1: run only when named (--variant), not in a kernel's default set */
} bench_variant;

/* Parameters of one measured point. */
typedef struct bench_params {
    size_t size;                  /* working-set bytes (>= BENCH_LINE) */
    const bench_variant *variant; /* one of the kernel's variants */
    long param;                   /* number suffix of a '*' variant (stride bytes, distance) */
    size_t frame;                 /* stack: bytes of the local array in each frame */
    size_t max_free;              /* pool: bound of the free list */
    uint64_t seed;                /* RNG seed (chase, heap, pool, prefetch) */
    uint64_t min_accesses;        /* accesses a repetition makes at least */
} bench_params;

/* Memory-management metrics (heap and pool); has = 0 for other kernels. */
typedef struct bench_metrics {
    int has;                 /* 1 when the fields below apply */
    double alloc_rate;       /* allocations per second during the churn */
    uint64_t peak_rss;       /* bytes, VmHWM after the churn (reset before setup when allowed) */
    double fragmentation;    /* external fragmentation, 0..1 (see the kernel for the formula) */
    int64_t live_objects;    /* objects still allocated after teardown (must be 0) */
} bench_metrics;

/* What setup tells the harness about a repetition. */
typedef struct bench_info {
    uint64_t iters;          /* iterations per repetition */
    uint64_t accesses;       /* loads + stores per repetition */
    char params[160];        /* "key=value ..." for CSV notes and trace metadata */
} bench_info;

/* Takes bytes [lo, hi) of memory a setup wrote; returns MH_OK or an error code. */
typedef int (*bench_span_fn)(void *ctx, uint64_t lo, uint64_t hi);

/* One registry entry. */
typedef struct bench_kernel {
    const char *name;                 /* "chase", "stream", ... */
    const char *desc;                 /* one-line description for --list */
    const char *params;               /* parameters the kernel reads, for --list */
    const bench_variant *variants;    /* variants; the first is the default */
    size_t nvariants;                 /* entries in variants */
    uint32_t gap;                     /* non-memory instructions between records (objdump estimate) */
    /* Allocates and initialises a point; *state is freed by teardown. */
    int (*setup)(const bench_params *p, void **state, bench_info *info, mh_error *err);
    /* One native repetition; returns a checksum the harness sinks. */
    uint64_t (*run)(void *state);
    /* One repetition with every measured access recorded into cap (stops when cap is full). */
    uint64_t (*capture)(void *state, bench_cap *cap);
    /* Frees the point, filling m (heap/pool metrics); fails when objects leaked. */
    int (*teardown)(void *state, bench_metrics *m, mh_error *err);
    /* Gives add each span of memory the setup wrote, in address order; returns MH_OK or the first
     * error add returned. NULL: setup writes only pages a repetition reads. Validate counts their
     * first touches beside the trace's. */
    int (*written)(void *state, bench_span_fn add, void *ctx);
    /* A hash of where the setup placed what a repetition reads (offsets from its first page), for
     * kernels whose placement depends on the allocator's state (NULL: the same on every setup).
     * Validate measures a point again in later rounds; a round whose hash differs from the
     * captured round's measured another layout. */
    uint64_t (*layout)(const void *state);
} bench_kernel;

extern const bench_kernel bench_kernels[];
extern const size_t bench_nkernels;

/* Returns the kernel called name, or NULL. */
const bench_kernel *bench_kernel_find(const char *name);
/* Finds variant name of k ("s256" matches "s*", setting *param); NULL when none matches. */
const bench_variant *bench_variant_find(const bench_kernel *k, const char *name, long *param);
/* Writes the variant label ("read", "s256", "d4") of v with param into buf. */
void bench_variant_label(const bench_variant *v, long param, char *buf, size_t n);

/* Deterministic 64-bit RNG (splitmix64) — state lives with the caller. */
BENCH_ALWAYS_INLINE uint64_t bench_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
/* Uniform integer in [0, n) (n >= 1). */
BENCH_ALWAYS_INLINE uint64_t bench_rand_below(uint64_t *s, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)bench_rand(s) * n) >> 64);
}

/* Maps len bytes of zeroed anonymous memory aligned to 2 MiB; thp: 1 MADV_HUGEPAGE,
 * 0 MADV_NOHUGEPAGE, -1 leave the system default. NULL on failure. */
void *bench_map(size_t len, int thp);
/* Unmaps a bench_map region. */
void bench_unmap(void *p, size_t len);
/* Zeroed memory for a kernel's setup-only bookkeeping (arrays its measured loop never reads),
 * populated up front so its pages are no first-touch fault of the point (the trace cannot see
 * them), and outside the malloc heap the heap kernels measure. NULL on failure. */
void *bench_scratch(size_t len);
/* Unmaps a bench_scratch region of len bytes; NULL is a no-op. */
void bench_scratch_free(void *p, size_t len);
/* Repetitions of `per` accesses needed to reach min accesses (>= 1). */
uint64_t bench_laps(uint64_t per, uint64_t min);

/* Kernel entry points (one file each: kernel_<name>.c). */
int bench_chase_setup(const bench_params *p, void **state, bench_info *info, mh_error *err);
uint64_t bench_chase_run(void *state);
uint64_t bench_chase_capture(void *state, bench_cap *cap);
int bench_chase_teardown(void *state, bench_metrics *m, mh_error *err);

int bench_stream_setup(const bench_params *p, void **state, bench_info *info, mh_error *err);
uint64_t bench_stream_run(void *state);
uint64_t bench_stream_capture(void *state, bench_cap *cap);
int bench_stream_teardown(void *state, bench_metrics *m, mh_error *err);

int bench_stride_setup(const bench_params *p, void **state, bench_info *info, mh_error *err);
uint64_t bench_stride_run(void *state);
uint64_t bench_stride_capture(void *state, bench_cap *cap);
int bench_stride_teardown(void *state, bench_metrics *m, mh_error *err);

int bench_stack_setup(const bench_params *p, void **state, bench_info *info, mh_error *err);
uint64_t bench_stack_run(void *state);
uint64_t bench_stack_capture(void *state, bench_cap *cap);
int bench_stack_teardown(void *state, bench_metrics *m, mh_error *err);

int bench_heap_setup(const bench_params *p, void **state, bench_info *info, mh_error *err);
uint64_t bench_heap_run(void *state);
uint64_t bench_heap_capture(void *state, bench_cap *cap);
int bench_heap_teardown(void *state, bench_metrics *m, mh_error *err);
int bench_heap_written(void *state, bench_span_fn add, void *ctx);
uint64_t bench_heap_layout(const void *state);

int bench_pool_setup(const bench_params *p, void **state, bench_info *info, mh_error *err);
uint64_t bench_pool_run(void *state);
uint64_t bench_pool_capture(void *state, bench_cap *cap);
int bench_pool_teardown(void *state, bench_metrics *m, mh_error *err);
int bench_pool_written(void *state, bench_span_fn add, void *ctx);
/* Test hook: the pool point's slab [lo, hi), free-list bound, largest free list, reuses. */
void bench_pool_inspect(void *state, uintptr_t *slab_lo, uintptr_t *slab_hi, size_t *max_free,
                        size_t *peak_free, uint64_t *reused);

int bench_prefetch_setup(const bench_params *p, void **state, bench_info *info, mh_error *err);
uint64_t bench_prefetch_run(void *state);
uint64_t bench_prefetch_capture(void *state, bench_cap *cap);
int bench_prefetch_teardown(void *state, bench_metrics *m, mh_error *err);

#endif
