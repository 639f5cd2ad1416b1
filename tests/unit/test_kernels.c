/* test_kernels.c — every kernel's captured trace has its declared loads/stores per iteration
 * and the expected pattern; native and capture instantiations compute the same result;
 * the budget bounds a capture; the harness statistics are ordered; a trace round-trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "kernels.h"
#include "objgraph.h"

/* A captured point: state, info and the in-memory records. */
typedef struct captured {
    const bench_kernel *k;
    const bench_variant *v;
    void *state;
    bench_info info;
    bench_cap *cap;
    uint64_t checksum;
} captured;

/* Spans a kernel's `written` gave (at most 64; more fail the test). */
typedef struct spans {
    uint64_t lo[64], hi[64];   /* each span's bytes [lo, hi) */
    size_t n;                  /* spans given */
} spans;

/* bench_span_fn: keeps the span in ctx (a spans). */
static int collect_span(void *ctx, uint64_t lo, uint64_t hi)
{
    spans *s = ctx;
    assert_true(s->n < 64 && lo < hi);
    s->lo[s->n] = lo;
    s->hi[s->n++] = hi;
    return MH_OK;
}

/* Sets up kernel name/variant at size and captures one repetition into memory. */
static void capture_point(captured *c, const char *kname, const char *vname, size_t size,
                          const bench_params *extra, uint64_t budget)
{
    memset(c, 0, sizeof *c);
    c->k = bench_kernel_find(kname);
    assert_non_null(c->k);
    long param = 0;
    c->v = bench_variant_find(c->k, vname, &param);
    assert_non_null(c->v);
    bench_params p = {.size = size, .variant = c->v, .param = param, .seed = 7,
                      .min_accesses = BENCH_MIN_ACCESSES};
    if (extra) {
        p.frame = extra->frame;
        p.max_free = extra->max_free;
        p.min_accesses = extra->min_accesses ? extra->min_accesses : p.min_accesses;
    }
    mh_error err = {0};
    int rc = c->k->setup(&p, &c->state, &c->info, &err);
    if (rc != MH_OK)
        fail_msg("%s setup: %s", kname, err.msg);
    c->cap = malloc(sizeof *c->cap);
    assert_non_null(c->cap);
    bench_cap_init(c->cap, NULL, 1, budget ? budget : UINT64_MAX);
    c->checksum = c->k->capture(c->state, c->cap);
    assert_int_equal(bench_cap_flush(c->cap), MH_OK);
}

/* Tears a captured point down; the kernel must report no leak. */
static void release_point(captured *c, bench_metrics *m)
{
    bench_metrics tmp;
    mh_error err = {0};
    if (c->k->teardown(c->state, m ? m : &tmp, &err) != MH_OK)
        fail_msg("%s teardown: %s", c->k->name, err.msg);
    bench_cap_free(c->cap);
    free(c->cap);
}

/* Counts records of op in c. */
static uint64_t count_op(const captured *c, int op)
{
    uint64_t n = 0;
    for (size_t i = 0; i < c->cap->mem_n; i++)
        n += c->cap->mem[i].op == op;
    return n;
}

/* Declared loads/stores per iteration match the records. */
static void check_declared(const captured *c)
{
    assert_int_equal(count_op(c, MH_OP_READ), c->v->loads * c->info.iters);
    assert_int_equal(count_op(c, MH_OP_WRITE), c->v->stores * c->info.iters);
    assert_int_equal(count_op(c, MH_OP_READ) + count_op(c, MH_OP_WRITE), c->info.accesses);
}

/* qsort order for uint64_t. */
static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The registry: every entry complete, names unique, lookups work. */
static void test_registry(void **state)
{
    (void)state;
    assert_int_equal(bench_nkernels, 7);
    for (size_t i = 0; i < bench_nkernels; i++) {
        const bench_kernel *k = &bench_kernels[i];
        assert_non_null(k->desc);
        assert_true(k->nvariants >= 1);
        assert_non_null(k->setup), assert_non_null(k->run), assert_non_null(k->capture), assert_non_null(k->teardown);
        assert_ptr_equal(bench_kernel_find(k->name), k);
    }
    long param = -1;
    const bench_kernel *s = bench_kernel_find("stride");
    assert_non_null(bench_variant_find(s, "s256", &param));
    assert_int_equal(param, 256);
    assert_null(bench_variant_find(s, "s", &param));
    assert_null(bench_variant_find(s, "s-8", &param));
    assert_null(bench_kernel_find("nope"));
    char label[32];
    const bench_variant *d4 = bench_variant_find(bench_kernel_find("prefetch"), "d4", &param);
    bench_variant_label(d4, param, label, sizeof label);
    assert_string_equal(label, "d4");
}

/* chase: every line exactly once per lap, the cycle repeats, loads dependent. */
static void check_chase(const char *variant)
{
    captured c;
    capture_point(&c, "chase", variant, 64 * 1024, NULL, 0);
    check_declared(&c);
    size_t n = 1024, laps = c.info.iters / n;
    assert_true(laps >= 2);
    uint64_t *a = malloc(n * sizeof *a);
    for (size_t i = 0; i < n; i++) {
        a[i] = c.cap->mem[i].addr;
        assert_int_equal(c.cap->mem[i].flags & MH_FLAG_DEP, MH_FLAG_DEP);
        assert_int_equal(c.cap->mem[i + n].addr, a[i]); /* the second lap repeats the first */
    }
    qsort(a, n, sizeof *a, cmp_u64);
    for (size_t i = 1; i < n; i++)
        assert_int_equal(a[i] - a[i - 1], BENCH_LINE); /* a permutation of all 1024 lines */
    size_t page_changes = 0;
    for (size_t i = 1; i <= n; i++)
        page_changes += (c.cap->mem[i].addr >> 12) != (c.cap->mem[i - 1].addr >> 12);
    if (!strcmp(variant, "seq"))
        for (size_t i = 1; i < n; i++)
            assert_int_equal(c.cap->mem[i].addr - c.cap->mem[i - 1].addr, BENCH_LINE); /* address order */
    size_t group = variant[0] == 'g' && variant[1] != 'l' ? (size_t)atol(variant + 1) : 0;
    if (group) /* gK: K lines of one page, one after the other, then another group's page */
        for (size_t i = 0; i < n; i++)
            assert_int_equal(c.cap->mem[i].addr >> 12, c.cap->mem[i - i % group].addr >> 12);
    if (!strncmp(variant, "page", 4) || !strcmp(variant, "seq") || group == 64)
        assert_int_equal(page_changes, 16); /* 16 pages, each visited as one run */
    else if (group)
        assert_true(page_changes > n / group / 2 && page_changes <= n / group);
    else
        assert_true(page_changes > 16 * 8);
    free(a);
    uint64_t sum = c.k->run(c.state);
    assert_int_equal(sum, c.checksum); /* native and capture run the same code */
    release_point(&c, NULL);
}

/* Both shufflings and THP. */
/* A chase longer than a repetition (4 M lines, 2 M per repetition): native repetitions walk on
 * along the cycle, two of them close it; a capture always starts at the cycle's first line. */
static void test_chase_partial_laps(void **state)
{
    (void)state;
    captured c;
    capture_point(&c, "chase", "global", (size_t)256 << 20, NULL, 0);
    assert_int_equal(c.info.iters, (uint64_t)1 << 21);
    assert_non_null(strstr(c.info.params, "laps=0.5 "));
    uint64_t first = c.cap->mem[0].addr, r1 = c.k->run(c.state), r2 = c.k->run(c.state);
    assert_true(r1 != first);
    assert_true(r2 == first);
    release_point(&c, NULL);
}

static void test_chase(void **state)
{
    (void)state;
    check_chase("global");
    check_chase("page");
    check_chase("global-thp");
    check_chase("page-thp");
    check_chase("seq");
    check_chase("g1");
    check_chase("g4");
    check_chase("g64");
}

/* stream: consecutive 8-byte addresses, per variant. */
static void test_stream(void **state)
{
    (void)state;
    const char *vs[] = {"read", "write", "copy"};
    for (size_t v = 0; v < 3; v++) {
        captured c;
        capture_point(&c, "stream", vs[v], 8192, NULL, 0);
        check_declared(&c);
        size_t per = v == 2 ? 2 : 1, words = v == 2 ? 512 : 1024;
        for (size_t i = 0; i + per < c.cap->mem_n && i < words * per; i += per) {
            const mh_rec *r = &c.cap->mem[i];
            if (i + per < words * per)
                assert_int_equal(c.cap->mem[i + per].addr, r->addr + 8);
            assert_int_equal(r->op, v == 1 ? MH_OP_WRITE : MH_OP_READ);
            if (v == 2)
                assert_int_equal(c.cap->mem[i + 1].op, MH_OP_WRITE);
        }
        assert_int_equal(c.k->run(c.state), c.checksum);
        release_point(&c, NULL);
    }
}

/* stride: addresses step by the stride; bad strides are refused. */
static void test_stride(void **state)
{
    (void)state;
    captured c;
    capture_point(&c, "stride", "s256", 65536, NULL, 0);
    check_declared(&c);
    for (size_t i = 1; i < 256; i++)
        assert_int_equal(c.cap->mem[i].addr - c.cap->mem[i - 1].addr, 256);
    assert_int_equal(c.cap->mem[256].addr, c.cap->mem[0].addr); /* next pass restarts */
    release_point(&c, NULL);
    const bench_kernel *k = bench_kernel_find("stride");
    long param;
    bench_params p = {.size = 4096, .variant = bench_variant_find(k, "s12", &param), .param = 12};
    void *st = NULL;
    bench_info info;
    mh_error err = {0};
    assert_int_equal(k->setup(&p, &st, &info, &err), MH_EINVAL);
    assert_non_null(strstr(err.msg, "stride = 12"));
}

/* stack: all accesses below the caller's frame; a store then a load of every word. */
static void test_stack(void **state)
{
    (void)state;
    volatile char here = 0;
    uintptr_t caller = (uintptr_t)&here;
    captured c;
    bench_params extra = {.frame = 128};
    capture_point(&c, "stack", "default", 16384, &extra, 0);
    check_declared(&c);
    uint64_t lowest = UINT64_MAX, first = c.cap->mem[0].addr;
    for (size_t i = 0; i < c.cap->mem_n; i++) {
        assert_true(c.cap->mem[i].addr < caller);
        if (c.cap->mem[i].addr < lowest)
            lowest = c.cap->mem[i].addr;
    }
    assert_true(first - lowest >= 16384 - 128); /* 128 frames deep, going down */
    /* the timed and the recorded frames take the same stack bytes (stack_per_frame, set by
     * padding the smaller): the recorded frames' first stores are that far apart */
    const char *f = strstr(c.info.params, "stack_per_frame=");
    assert_non_null(f);
    unsigned long per = strtoul(f + 16, NULL, 10);
    assert_true(per >= 128 + 16 && per % 16 == 0);
    assert_int_equal(c.cap->mem[16].addr - c.cap->mem[32].addr, per); /* frames 2 and 3's first stores */
    assert_int_equal(c.k->run(c.state), c.checksum);
    release_point(&c, NULL);
}

/* Captures one more repetition of c's point into a fresh in-memory recorder; returns the address
 * of its first record. */
static uint64_t recapture_first(const captured *c)
{
    bench_cap cap;
    bench_cap_init(&cap, NULL, 1, 64);
    c->k->capture(c->state, &cap);
    assert_int_equal(bench_cap_flush(&cap), MH_OK);
    assert_true(cap.mem_n > 0);
    uint64_t a = cap.mem[0].addr;
    bench_cap_free(&cap);
    return a;
}

/* recapture_first from a frame ~1 KiB deeper than the caller's. */
static __attribute__((noinline)) uint64_t recapture_deeper(const captured *c)
{
    volatile char pad[1024];
    pad[0] = 1;
    uint64_t a = recapture_first(c);
    return a + (uint64_t)pad[0] - 1;
}

/* Every recursion of a point starts at the same stack address whatever depth it is called from
 * (the recorded one is called deeper than the timed one in validate), so the trace's pages are
 * the pages the timed repetition touched. */
static void test_stack_anchor(void **state)
{
    (void)state;
    captured c;
    capture_point(&c, "stack", "default", 16384, NULL, 0);
    uint64_t first = c.cap->mem[0].addr;
    assert_int_equal(recapture_first(&c), first);
    assert_int_equal(recapture_deeper(&c), first);
    release_point(&c, NULL);
}

/* The stack depth is guarded by RLIMIT_STACK: a too-deep point is refused, with the limit named. */
static void test_stack_guard(void **state)
{
    (void)state;
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_STACK, &rl), 0);
    size_t huge = rl.rlim_cur == RLIM_INFINITY ? ((size_t)4 << 30) : (size_t)rl.rlim_cur * 2;
    const bench_kernel *k = bench_kernel_find("stack");
    long param;
    bench_params p = {.size = huge, .variant = bench_variant_find(k, "default", &param), .frame = 256};
    void *st = NULL;
    bench_info info;
    mh_error err = {0};
    assert_int_equal(k->setup(&p, &st, &info, &err), MH_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "RLIMIT_STACK"));
}

/* Node address of a val record. */
static uint64_t node_of(const mh_rec *r)
{
    return r->addr - offsetof(bench_obj, val);
}

/* heap: two dependent loads per node, the cycle of nodes repeats, nothing leaks. */
static void test_heap(void **state)
{
    (void)state;
    captured c;
    capture_point(&c, "heap", "default", 64 * 1024, NULL, 0);
    check_declared(&c);
    size_t n = 64 * 1024 / BENCH_OBJ_MEAN;
    for (size_t i = 0; i < c.cap->mem_n; i++) /* only a node's first load (val) waits for p->next */
        assert_int_equal(c.cap->mem[i].flags & MH_FLAG_DEP, i % 2 == 0 ? MH_FLAG_DEP : 0);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(c.cap->mem[2 * i + 1].addr, node_of(&c.cap->mem[2 * i]) + offsetof(bench_obj, next));
        if (2 * (i + n) < c.cap->mem_n)
            assert_int_equal(c.cap->mem[2 * (i + n)].addr, c.cap->mem[2 * i].addr);
    }
    assert_int_equal(c.k->run(c.state), c.checksum);
    spans sp = {0};  /* what setup wrote: page-aligned runs in address order, every node inside */
    assert_int_equal(c.k->written(c.state, collect_span, &sp), MH_OK);
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), pages = 0;
    assert_true(sp.n >= 1);
    for (size_t j = 0; j < sp.n; j++) {
        assert_true(sp.lo[j] % page == 0 && sp.hi[j] % page == 0 && (j == 0 || sp.lo[j] > sp.hi[j - 1]));
        pages += (sp.hi[j] - sp.lo[j]) / page;
    }
    assert_true(pages * page >= 64 * 1024 && pages * page <= 4 * 64 * 1024); /* the nodes, not the heap */
    for (size_t i = 0; i < c.cap->mem_n; i++) {
        size_t j = 0;
        while (j < sp.n && !(c.cap->mem[i].addr >= sp.lo[j] && c.cap->mem[i].addr < sp.hi[j]))
            j++;
        assert_true(j < sp.n);
    }
    bench_metrics m;
    release_point(&c, &m);
    assert_int_equal(m.has, 1);
    assert_int_equal(m.live_objects, 0);
    assert_true(m.alloc_rate > 0);
    assert_true(m.peak_rss > 0);
    assert_true(m.fragmentation >= 0 && m.fragmentation <= 1);
}

/* The graph's layout hash: the same for the same places moved by whole pages, another for nodes
 * moved within their page or walked in another order; the heap and prefetch kernels report it. */
static void test_layout(void **state)
{
    (void)state;
    static _Alignas(4096) unsigned char buf[4 * 4096];
    bench_obj *live[3];
    bench_graph g = {.live = live, .n = 3};
    const size_t off[3] = {64, 4096 + 192, 2 * 4096 + 8};
    uint64_t h[5];
    for (int v = 0; v < 5; v++) {
        size_t shift = v == 1 ? 4096 : v == 2 ? 64 : 0; /* 1: a page further; 2: a line further */
        for (int i = 0; i < 3; i++)
            live[i] = (bench_obj *)(void *)(buf + off[v == 3 ? 2 - i : i] + (i == 0 || v != 4 ? 0 : 16) + shift);
        g.head = live[0];
        h[v] = bench_graph_layout(&g);
    }
    assert_true(h[0] == h[1]);                    /* whole pages further: the same layout */
    assert_true(h[0] != h[2] && h[0] != h[3]);    /* a line further; walked backwards */
    assert_true(h[0] != h[4]);                    /* two nodes moved 16 bytes */
    const bench_kernel *heap = bench_kernel_find("heap"), *pf = bench_kernel_find("prefetch");
    assert_non_null(heap->layout);
    assert_non_null(pf->layout);
    assert_null(bench_kernel_find("pool")->layout);
    captured c;
    capture_point(&c, "heap", "default", 16 * 1024, NULL, 0);
    uint64_t a = c.k->layout(c.state);
    assert_true(a != 0 && a == c.k->layout(c.state)); /* a hash of the state, not of the moment */
    bench_metrics m;
    release_point(&c, &m);
}

/* pool: addresses in the slab, released objects reused, free list never above max_free. */
static void test_pool(void **state)
{
    (void)state;
    const size_t bounds[] = {8, 4096};
    for (size_t b = 0; b < 2; b++) {
        captured c;
        bench_params extra = {.max_free = bounds[b]};
        capture_point(&c, "pool", "default", 64 * 1024, &extra, 0);
        check_declared(&c);
        uintptr_t lo, hi;
        size_t max_free, peak;
        uint64_t reused;
        bench_pool_inspect(c.state, &lo, &hi, &max_free, &peak, &reused);
        assert_int_equal(max_free, bounds[b]);
        assert_true(peak <= max_free);
        assert_true(reused > 0);
        for (size_t i = 0; i < c.cap->mem_n; i++) {
            assert_true(c.cap->mem[i].addr >= lo && c.cap->mem[i].addr < hi);
            assert_int_equal((node_of(&c.cap->mem[i & ~(size_t)1]) - lo) % BENCH_OBJ_STEP, 0);
        }
        if (b == 0)
            assert_int_equal(peak, 8); /* the churn frees more than 8 in a row: the bound binds */
        spans sp = {0};             /* what setup wrote: the slab from its start, past every node */
        assert_int_equal(c.k->written(c.state, collect_span, &sp), MH_OK);
        assert_int_equal(sp.n, 1);
        assert_true(sp.lo[0] == lo && sp.hi[0] > lo && sp.hi[0] <= hi);
        for (size_t i = 0; i < c.cap->mem_n; i++)
            assert_true(c.cap->mem[i].addr + c.cap->mem[i].size <= sp.hi[0]);
        bench_metrics m;
        release_point(&c, &m);
        assert_int_equal(m.live_objects, 0);
    }
}

/* prefetch: the prefetch of iteration i targets the node loaded at iteration i + D. */
static void test_prefetch(void **state)
{
    (void)state;
    const long ds[] = {0, 1, 4, 16};
    for (size_t d = 0; d < 4; d++) {
        char name[8];
        snprintf(name, sizeof name, "d%ld", ds[d]);
        captured c;
        capture_point(&c, "prefetch", name, 32 * 1024, NULL, 0);
        check_declared(&c);
        uint64_t pf = count_op(&c, MH_OP_PREFETCH);
        assert_int_equal(pf, ds[d] ? c.info.iters : 0);
        size_t per = ds[d] ? 4 : 3; /* jump, [prefetch], val, next */
        size_t iters = c.cap->mem_n / per;
        for (size_t i = 0; i + (size_t)ds[d] < iters && ds[d]; i++) {
            const mh_rec *p = &c.cap->mem[i * per + 1], *later = &c.cap->mem[(i + (size_t)ds[d]) * per + 2];
            assert_int_equal(p->op, MH_OP_PREFETCH);
            assert_int_equal(p->addr, node_of(later));
        }
        for (size_t i = 0; i < c.cap->mem_n; i++) /* jump waits for p->next, the prefetch for jump */
            assert_int_equal(c.cap->mem[i].flags & MH_FLAG_DEP, i % per < (ds[d] ? 2u : 1u) ? MH_FLAG_DEP : 0);
        assert_int_equal(c.k->run(c.state), c.checksum);
        release_point(&c, NULL);
    }
    const bench_kernel *k = bench_kernel_find("prefetch");
    long param;
    bench_params p = {.size = 4096, .variant = bench_variant_find(k, "d0", &param), .param = -1};
    void *st = NULL;
    bench_info info;
    mh_error err = {0};
    assert_int_equal(k->setup(&p, &st, &info, &err), MH_EINVAL);
    assert_non_null(strstr(err.msg, "distance = -1, must be >= 0"));
}

/* A budget stops the capture at exactly budget records. */
static void test_budget(void **state)
{
    (void)state;
    const char *ks[] = {"chase", "stream", "stride", "stack", "heap", "pool", "prefetch"};
    const char *vs[] = {"global", "copy", "s64", "default", "default", "default", "d2"};
    for (size_t i = 0; i < 7; i++) {
        captured c;
        capture_point(&c, ks[i], vs[i], 256 * 1024, NULL, 1000);
        assert_int_equal(c.cap->mem_n, 1000);
        assert_true(c.cap->full);
        release_point(&c, NULL);
    }
}

/* Harness: repetitions happen, statistics are ordered, quantiles interpolate. */
static void test_harness(void **state)
{
    (void)state;
    double v[] = {1, 2, 3, 4, 5};
    assert_true(bench_quantile(v, 5, 0.5) == 3);
    assert_true(bench_quantile(v, 5, 0.1) > 1.39 && bench_quantile(v, 5, 0.1) < 1.41);
    assert_true(bench_quantile(v, 5, 1.0) == 5);
    const bench_kernel *k = bench_kernel_find("chase");
    long param;
    bench_params p = {.size = 8192, .variant = bench_variant_find(k, "global", &param), .seed = 1,
                      .min_accesses = 4096};
    void *st = NULL;
    bench_info info;
    mh_error err = {0};
    assert_int_equal(k->setup(&p, &st, &info, &err), MH_OK);
    bench_harness h = {.min_time = 0.005, .min_reps = 3, .cyc_event = -1, .tsc_ghz = bench_tsc_ghz()};
    bench_stats s;
    assert_int_equal(bench_measure(k, st, &info, &h, &s, &err), MH_OK);
    assert_true(s.reps >= 3);
    assert_true(s.ns_min <= s.ns_p10 && s.ns_p10 <= s.ns_median && s.ns_median <= s.ns_p90);
    assert_true(s.ns_median > 0 && s.cycles_median > 0);
    bench_stats_free(&s);
    bench_metrics m;
    assert_int_equal(k->teardown(st, &m, &err), MH_OK);
}

/* A captured point written as .mht reads back with its records and metadata. */
static void test_capture_file(void **state)
{
    (void)state;
    const bench_kernel *k = bench_kernel_find("stream");
    long param;
    bench_params p = {.size = 4096, .variant = bench_variant_find(k, "copy", &param), .min_accesses = 1};
    void *st = NULL;
    bench_info info;
    mh_error err = {0};
    assert_int_equal(k->setup(&p, &st, &info, &err), MH_OK);
    char path[] = "/tmp/test_kernels_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    mh_meta meta = {0};
    mh_meta_set(&meta, "kernel", "stream");
    bench_capture_cost cost = {0};
    int rc = bench_capture_point_cost(k, st, path, &meta, 100000, &cost, &err);
    if (rc != MH_OK)
        fail_msg("capture: %s", err.msg);
    assert_int_equal(cost.records, 512);
    mh_trace *t = NULL;
    rc = mh_trace_open(path, &t, &err);
    if (rc != MH_OK)
        fail_msg("reopen: %s", err.msg);
    assert_string_equal(mh_trace_format(t), "mht");
    assert_string_equal(mh_meta_get(mh_trace_meta(t), "kernel"), "stream");
    mh_rec buf[1024];
    size_t n = 0, total = 0;
    while (mh_trace_read(t, buf, 1024, &n, &err) == MH_OK && n) {
        for (size_t i = 0; i < n; i++)
            assert_int_equal(buf[i].op, (total + i) % 2 ? MH_OP_WRITE : MH_OP_READ);
        total += n;
    }
    assert_int_equal(total, 512);
    mh_trace_close(t);
    unlink(path);
    bench_metrics m;
    assert_int_equal(k->teardown(st, &m, &err), MH_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry), cmocka_unit_test(test_chase), cmocka_unit_test(test_chase_partial_laps),   cmocka_unit_test(test_stream),
        cmocka_unit_test(test_stride),   cmocka_unit_test(test_stack),   cmocka_unit_test(test_stack_anchor), cmocka_unit_test(test_stack_guard),
        cmocka_unit_test(test_heap),     cmocka_unit_test(test_layout),  cmocka_unit_test(test_pool),    cmocka_unit_test(test_prefetch),
        cmocka_unit_test(test_budget),   cmocka_unit_test(test_harness), cmocka_unit_test(test_capture_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
