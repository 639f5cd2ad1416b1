/* kernel_registry.c — THE kernel registry (one table) and helpers shared by the kernels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kernels.h"

static const bench_variant chase_variants[] = {
    {.name = "global", .help = "one random cycle over all lines, huge pages off", .loads = 1, .dependent = 1},
    {.name = "page", .help = "random page order, lines shuffled within each 4 KiB page (TLB-friendly)",
     .loads = 1, .dependent = 1},
    {.name = "global-thp", .help = "global, transparent huge pages (madvise)", .loads = 1, .dependent = 1},
    {.name = "page-thp", .help = "page-local, transparent huge pages (madvise)", .loads = 1, .dependent = 1},
    {.name = "seq", .help = "lines in address order (a hardware prefetcher hides its misses)", .loads = 1,
     .dependent = 1},
    {.name = "g*", .help = "groups of N lines (1..64) of one 4 KiB page loaded one after the other, the groups in "
                           "random order over all lines (g1 = global, g64 = page); only when named",
     .loads = 1, .dependent = 1, .probe = 1},
};
static const bench_variant stream_variants[] = {
    {.name = "read", .help = "sum of 8-byte words", .loads = 1},
    {.name = "write", .help = "store 8-byte words", .stores = 1},
    {.name = "copy", .help = "b[i] = a[i] + 1 over two arrays of size/2", .loads = 1, .stores = 1},
};
static const bench_variant stride_variants[] = {
    {.name = "s*", .help = "8-byte loads every N bytes (--stride N, default 64,256,4096)", .loads = 1},
};
static const bench_variant stack_variants[] = {
    {.name = "default", .help = "store each word of a frame's local array going down, load it coming up",
     .loads = 1, .stores = 1},
};
static const bench_variant heap_variants[] = {
    {.name = "default", .help = "per node: load val, load next (malloc'd, churned)", .loads = 2, .dependent = 1},
};
static const bench_variant pool_variants[] = {
    {.name = "default", .help = "per node: load val, load next (pool slab, bounded free list)",
     .loads = 2, .dependent = 1},
};
static const bench_variant prefetch_variants[] = {
    {.name = "d*", .help = "per node: load jump, val, next; prefetch the node D ahead (D=0: none)",
     .loads = 3, .prefetches = 1, .dependent = 1},
};

#define NV(a) (sizeof(a) / sizeof((a)[0]))

/* The registry. gap = non-memory instructions per record, from objdump -d of each native
 * loop (instructions in the loop body minus memory instructions, divided by records per
 * iteration, rounded); the kernel files put the exact per-record gaps into the records. */
const bench_kernel bench_kernels[] = {
    {.name = "chase",
     .desc = "pointer chase over a random cyclic permutation, one element per line: latency",
     .params = "size; variant global|page[-thp]|seq|gN (N lines per page group); seed",
     .variants = chase_variants, .nvariants = NV(chase_variants), .gap = 2,
     .setup = bench_chase_setup, .run = bench_chase_run, .capture = bench_chase_capture,
     .teardown = bench_chase_teardown},
    {.name = "stream",
     .desc = "sequential read, write or copy of 8-byte words: bandwidth",
     .params = "size; variant read|write|copy",
     .variants = stream_variants, .nvariants = NV(stream_variants), .gap = 3,
     .setup = bench_stream_setup, .run = bench_stream_run, .capture = bench_stream_capture,
     .teardown = bench_stream_teardown},
    {.name = "stride",
     .desc = "strided 8-byte reads: prefetcher and line/page utilisation",
     .params = "size; --stride N (bytes, multiple of 8)",
     .variants = stride_variants, .nvariants = NV(stride_variants), .gap = 4,
     .setup = bench_stride_setup, .run = bench_stride_run, .capture = bench_stride_capture,
     .teardown = bench_stride_teardown},
    {.name = "stack",
     .desc = "recursion with local arrays touched down and up: LIFO reuse of the real stack",
     .params = "size (= depth x frame); --frame N bytes (default 256); depth capped by RLIMIT_STACK",
     .variants = stack_variants, .nvariants = NV(stack_variants), .gap = 3,
     .setup = bench_stack_setup, .run = bench_stack_run, .capture = bench_stack_capture,
     .teardown = bench_stack_teardown},
    {.name = "heap",
     .desc = "malloc/free churn of 32..256 B objects, then traversal in allocation order: scattered",
     .params = "size (live bytes); seed",
     .variants = heap_variants, .nvariants = NV(heap_variants), .gap = 1,
     .setup = bench_heap_setup, .run = bench_heap_run, .capture = bench_heap_capture,
     .teardown = bench_heap_teardown, .written = bench_heap_written, .layout = bench_heap_layout},
    {.name = "pool",
     .desc = "the heap kernel's object graph from a slab pool with a bounded free list: contiguous",
     .params = "size (live bytes); --max-free N (default 4096); seed",
     .variants = pool_variants, .nvariants = NV(pool_variants), .gap = 1,
     .setup = bench_pool_setup, .run = bench_pool_run, .capture = bench_pool_capture,
     .teardown = bench_pool_teardown, .written = bench_pool_written},
    {.name = "prefetch",
     .desc = "the heap traversal with __builtin_prefetch D nodes ahead via jump pointers",
     .params = "size (live bytes); --distance D list (default 0,1,2,4,8,16); seed",
     .variants = prefetch_variants, .nvariants = NV(prefetch_variants), .gap = 1,
     .setup = bench_prefetch_setup, .run = bench_prefetch_run, .capture = bench_prefetch_capture,
     .teardown = bench_prefetch_teardown, .written = bench_heap_written, .layout = bench_heap_layout},
};
const size_t bench_nkernels = NV(bench_kernels);

/* Returns the kernel called name, or NULL. */
const bench_kernel *bench_kernel_find(const char *name)
{
    for (size_t i = 0; i < bench_nkernels; i++)
        if (!strcmp(bench_kernels[i].name, name))
            return &bench_kernels[i];
    return NULL;
}

/* Parses a non-negative decimal suffix; -1 when s is not one. */
static long parse_suffix(const char *s)
{
    if (!*s || strlen(s) > 9)
        return -1;
    for (const char *c = s; *c; c++)
        if (*c < '0' || *c > '9')
            return -1;
    return strtol(s, NULL, 10);
}

/* Finds variant name of k; "s256" matches "s*" with *param = 256. */
const bench_variant *bench_variant_find(const bench_kernel *k, const char *name, long *param)
{
    for (size_t i = 0; i < k->nvariants; i++) {
        const char *v = k->variants[i].name;
        size_t len = strlen(v);
        if (len && v[len - 1] == '*') {
            long x;
            if (!strncmp(v, name, len - 1) && (x = parse_suffix(name + len - 1)) >= 0) {
                *param = x;
                return &k->variants[i];
            }
        } else if (!strcmp(v, name)) {
            *param = 0;
            return &k->variants[i];
        }
    }
    return NULL;
}

/* Writes "read", or "s256" for a numbered variant. */
void bench_variant_label(const bench_variant *v, long param, char *buf, size_t n)
{
    size_t len = strlen(v->name);
    if (len && v->name[len - 1] == '*')
        snprintf(buf, n, "%.*s%ld", (int)(len - 1), v->name, param);
    else
        snprintf(buf, n, "%s", v->name);
}

#define HUGE_2M ((size_t)2 << 20)

/* Maps len bytes (rounded up to 2 MiB, 2 MiB-aligned) and applies the THP advice. */
void *bench_map(size_t len, int thp)
{
    size_t want = (len + HUGE_2M - 1) & ~(HUGE_2M - 1);
    char *raw = mmap(NULL, want + HUGE_2M, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    uintptr_t a = ((uintptr_t)raw + HUGE_2M - 1) & ~(uintptr_t)(HUGE_2M - 1);
    char *p = (char *)a;
    if (p > raw)
        munmap(raw, (size_t)(p - raw));                    /* trim the unaligned head */
    size_t tail = (size_t)((raw + want + HUGE_2M) - (p + want));
    if (tail)
        munmap(p + want, tail);
    if (thp >= 0)
        madvise(p, want, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE); /* advice only: ignore failure */
    return p;
}

/* Unmaps a bench_map region of len bytes (same rounding as bench_map). */
void bench_unmap(void *p, size_t len)
{
    if (p)
        munmap(p, (len + HUGE_2M - 1) & ~(HUGE_2M - 1));
}

/* Populated anonymous memory: the kernel populates the pages (no page fault is taken, so
 * perf::MINOR-FAULTS does not count them) and they live outside the malloc heap. */
void *bench_scratch(size_t len)
{
    void *p = mmap(NULL, len ? len : 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Unmaps a bench_scratch region of len bytes. */
void bench_scratch_free(void *p, size_t len)
{
    if (p)
        munmap(p, len ? len : 1);
}

/* Repetitions of per accesses needed to make at least min accesses. */
uint64_t bench_laps(uint64_t per, uint64_t min)
{
    if (per == 0)
        return 1;
    uint64_t l = (min + per - 1) / per;
    return l ? l : 1;
}
