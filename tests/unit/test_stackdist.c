/* test_stackdist.c — the one-pass miss-ratio curve (sim/stackdist.c) against hand-computed
 * sequences and against a plain per-geometry LRU simulator written here (valid lines kept as
 * a prefix of each set, newest first; a fill takes a free way before evicting), on random
 * traces with straddling accesses, every kind, copy-back and invalidate records; and against
 * the hierarchy itself (sim/hier.c) on one-level and split configs. A straddling access is
 * one access, a miss when any line it covers misses (the hierarchy's and DineroIV's rule). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "memhier.h"
#include "ref_lru.h"

/* ---------- helpers ---------- */

static uint64_t rng_next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Random trace: a hot region, a wider region, sequential runs, straddling sizes, all ops. */
static mh_rec *random_trace(size_t n, uint64_t seed, uint64_t span)
{
    mh_rec *t = calloc(n, sizeof *t);
    uint64_t x = seed, seq = 0;
    assert_non_null(t);
    for (size_t i = 0; i < n; i++) {
        uint64_t r = rng_next(&x);
        switch (r % 4) {
        case 0: t[i].addr = rng_next(&x) % 512; break;
        case 1: t[i].addr = rng_next(&x) % span; break;
        default: t[i].addr = (seq += 8) % (span * 2); break;
        }
        t[i].size = (uint16_t)(r >> 8) % 8 == 0 ? (uint16_t)(1 + (r >> 16) % 130) : 8;
        uint64_t o = (r >> 24) % 100;
        t[i].op = o < 50 ? MH_OP_READ : o < 75 ? MH_OP_WRITE : o < 88 ? MH_OP_IFETCH : o < 93 ? MH_OP_MISC
                : o < 97 ? MH_OP_PREFETCH : o < 99 ? MH_OP_COPYBACK : MH_OP_INVALIDATE;
    }
    return t;
}

/* Turns t's invalidations into reads (a trace that never leaves holes). */
static void drop_invalidations(mh_rec *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].op == MH_OP_INVALIDATE)
            t[i].op = MH_OP_READ;
}

/* Compares every geometry of the curve with the reference on trace t. */
static void check_against_ref(uint32_t line, const mh_mrc_geom *g, size_t ng, unsigned mask, const mh_rec *t,
                              size_t n)
{
    mh_mrc *m = NULL;
    mh_error err = {0};
    assert_int_equal(mh_mrc_create(line, g, ng, mask, &m, &err), MH_OK);
    for (size_t i = 0; i < n; i += 1000) /* in batches, as the CLI does */
        mh_mrc_access(m, t + i, n - i < 1000 ? n - i : 1000);
    for (size_t k = 0; k < ng; k++) {
        ref_cache r;
        mh_counts c[MH_KINDS];
        assert_true(ref_init(&r, (unsigned)__builtin_ctz(line), g[k].sets, g[k].ways));
        ref_access(&r, t, n, mask);
        assert_int_equal(mh_mrc_misses(m, g[k].sets, g[k].ways, c), MH_OK);
        for (int kind = 0; kind < MH_KINDS; kind++) {
            if (c[kind].misses != r.miss[kind] || c[kind].accesses != r.acc[kind])
                fail_msg("sets %u ways %u kind %d: one-pass %llu/%llu misses/accesses, reference %llu/%llu",
                         g[k].sets, g[k].ways, kind, (unsigned long long)c[kind].misses,
                         (unsigned long long)c[kind].accesses, (unsigned long long)r.miss[kind],
                         (unsigned long long)r.acc[kind]);
            assert_int_equal(c[kind].hits + c[kind].misses, c[kind].accesses);
        }
        free(r.slot);
    }
    mh_mrc_destroy(m);
}

/* ---------- tests ---------- */

/* A B A C B A on one set: depths inf inf 1 inf 2 2. */
static void test_hand_sequence(void **state)
{
    (void)state;
    static const uint64_t lines[] = {0, 1, 0, 2, 1, 0};
    mh_rec t[6];
    mh_mrc_geom g[] = {{1, 1}, {1, 2}, {1, 3}};
    mh_mrc *m = NULL;
    mh_counts c[MH_KINDS];
    for (int i = 0; i < 6; i++)
        t[i] = (mh_rec){.addr = lines[i] * 64, .size = 4, .op = MH_OP_READ};
    assert_int_equal(mh_mrc_create(64, g, 3, 1u << MH_OP_READ, &m, NULL), MH_OK);
    mh_mrc_access(m, t, 6);
    assert_int_equal(mh_mrc_misses(m, 1, 1, c), MH_OK);
    assert_int_equal(c[MH_OP_READ].misses, 6);
    assert_int_equal(mh_mrc_misses(m, 1, 2, c), MH_OK);
    assert_int_equal(c[MH_OP_READ].misses, 5); /* only the A at depth 1 hits */
    assert_int_equal(mh_mrc_misses(m, 1, 3, c), MH_OK);
    assert_int_equal(c[MH_OP_READ].misses, 3); /* compulsory only */
    assert_int_equal(c[MH_OP_READ].hits, 3);
    assert_int_equal(mh_mrc_misses(m, 2, 2, c), MH_ENOTFOUND);
    mh_mrc_destroy(m);
}

/* An access straddling two lines is one access (a miss if either line misses); an invalidate
 * frees a way without a victim. */
static void test_straddle_and_invalidate(void **state)
{
    (void)state;
    mh_rec t[] = {
        {.addr = 60, .size = 8, .op = MH_OP_WRITE},       /* lines 0 and 1: 1 access, 1 miss */
        {.addr = 128, .size = 1, .op = MH_OP_READ},       /* line 2: miss, evicts line 0 in 2 ways */
        {.addr = 64, .size = 1, .op = MH_OP_INVALIDATE},  /* drop line 1 */
        {.addr = 0, .size = 1, .op = MH_OP_READ},         /* line 0: miss in 2 ways, fills the hole */
        {.addr = 128, .size = 1, .op = MH_OP_READ},       /* line 2 still there: hit in 2 ways */
    };
    mh_mrc_geom g[] = {{1, 2}};
    mh_mrc *m = NULL;
    mh_counts c[MH_KINDS];
    assert_int_equal(mh_mrc_create(64, g, 1, 0x1f, &m, NULL), MH_OK);
    mh_mrc_access(m, t, 5);
    assert_int_equal(mh_mrc_misses(m, 1, 2, c), MH_OK);
    assert_int_equal(c[MH_OP_WRITE].accesses, 1);
    assert_int_equal(c[MH_OP_WRITE].misses, 1);
    assert_int_equal(c[MH_OP_READ].accesses, 3);
    assert_int_equal(c[MH_OP_READ].misses, 2);
    mh_mrc_destroy(m);
}

/* Stacks exactly 8 deep (the common associativity, which has its own vector path): 8-way and
 * narrower geometries of 1 to 1024 sets. */
static void test_random_vs_reference_8deep(void **state)
{
    (void)state;
    mh_mrc_geom g[64];
    size_t n = 0;
    static const uint32_t ways[] = {1, 3, 8};
    for (uint32_t s = 1; s <= 1024; s *= 4)
        for (size_t w = 0; w < sizeof ways / sizeof ways[0]; w++)
            g[n++] = (mh_mrc_geom){s, ways[w]};
    mh_rec *t = random_trace(80000, 777, 1 << 16);
    check_against_ref(16, g, n, 0x1f, t, 80000);
    for (size_t i = 0; i < 80000; i += 2) /* line numbers equal in their low 32 bits, not above */
        t[i].addr += 1ull << 40;
    check_against_ref(16, g, n, 0x1f, t, 80000);
    free(t);
}

/* The 8-way sweep's fused path (every group 8 deep, no invalidation yet): 1 to 4096 sets of
 * 8 ways, one-line and straddling records, then an invalidation switches to the general path
 * mid-trace; both against the reference. */
static void test_random_vs_reference_8way_sweep(void **state)
{
    (void)state;
    mh_mrc_geom g[16];
    size_t n = 0;
    for (uint32_t s = 1; s <= 4096; s *= 2)
        g[n++] = (mh_mrc_geom){s, 8};
    mh_rec *t = random_trace(120000, 4242, 1 << 17);
    drop_invalidations(t, 120000);
    check_against_ref(32, g, n, 0x1f, t, 120000);
    t[90000].op = MH_OP_INVALIDATE; /* the rest runs on the general path */
    check_against_ref(32, g, n, 0x1f, t, 120000);
    free(t);
}

/* The narrow stacks (32-bit lines: a region index over the low 24 bits of the line number):
 * lines equal in their low 24 bits but in other regions, straddling records across regions,
 * then records spread over 300 regions, so the 256th converts the stacks to 64-bit lines
 * mid-trace. 8-way set counts with 16-byte lines (a region is 256 MiB); 12-way ones (16-deep
 * stacks) with 64-byte lines; 8-, 12-, 16-, 20- and 32-way set counts mixed (8-, 16- and
 * 32-deep groups); and 24-way ones (every group 32 deep, the other fused path). */
static void test_random_vs_reference_8way_regions(void **state)
{
    (void)state;
    mh_mrc_geom g[4][16];
    size_t ng[4] = {0, 0, 0, 0};
    for (uint32_t s = 2, k = 0; s <= 8192; s *= 2, k++) {
        g[0][ng[0]++] = (mh_mrc_geom){s, 8};
        g[1][ng[1]++] = (mh_mrc_geom){s, 12};
        static const uint32_t mix[] = {8, 12, 16, 20, 32};
        g[2][ng[2]++] = (mh_mrc_geom){s, mix[k % 5]};
        g[3][ng[3]++] = (mh_mrc_geom){s, 24};
    }
    static const uint32_t lines[] = {16, 64, 32, 64};
    for (size_t li = 0; li < 4; li++) {
        uint64_t region = (uint64_t)lines[li] << 24, x = 99;
        mh_rec *t = random_trace(150000, 31337 + li, 1 << 18);
        drop_invalidations(t, 150000);
        for (size_t i = 0; i < 150000; i++) {
            uint64_t r = rng_next(&x);
            if (i < 60000) /* three regions, one of them at the top of the address space */
                t[i].addr += r % 3 == 0 ? 0 : r % 3 == 1 ? region : UINT64_MAX - 2 * region;
            else if (i < 70000) /* a record straddling two regions now and then */
                t[i].addr = r % 16 ? t[i].addr + region : region - 8;
            else /* 300 regions, each with lines of the same low bits as the others */
                t[i].addr += (r % 300) * region * 5;
        }
        check_against_ref(lines[li], g[li], ng[li], 0x1f, t, 150000);
        free(t);
    }
}

/* Shallow per-set array stacks: many set counts and associativities at once. */
static void test_random_vs_reference_arrays(void **state)
{
    (void)state;
    mh_mrc_geom g[64];
    size_t n = 0;
    static const uint32_t ways[] = {1, 2, 3, 4, 7, 8, 16};
    for (uint32_t s = 1; s <= 64; s *= 2)
        for (size_t w = 0; w < sizeof ways / sizeof ways[0]; w++)
            g[n++] = (mh_mrc_geom){s, ways[w]};
    mh_rec *t = random_trace(60000, 12345, 1 << 16);
    check_against_ref(16, g, n, 0x1f, t, 60000);
    /* a split L1d: instruction fetches do not reach it */
    check_against_ref(32, g, n, 0x1f & ~(1u << MH_OP_IFETCH), t, 60000);
    free(t);
}

/* Deep fully associative stack (Fenwick tree, hash, holes, compaction) next to set groups. */
static void test_random_vs_reference_fenwick(void **state)
{
    (void)state;
    mh_mrc_geom g[] = {{1, 1}, {1, 5}, {1, 64}, {1, 65}, {1, 100}, {1, 257}, {1, 700}, {4, 9}, {16, 4}};
    mh_rec *t = random_trace(80000, 777, 1 << 14);
    check_against_ref(16, g, sizeof g / sizeof g[0], 0x1f, t, 80000);
    free(t);
    /* deeper: the slot window grows past its first sizes, the hash doubles several times */
    mh_mrc_geom deep[] = {{1, 2500}, {1, 3000}};
    t = random_trace(100000, 31337, 1 << 17);
    check_against_ref(16, deep, 2, 0x1f, t, 100000);
    drop_invalidations(t, 100000); /* and without invalidations: the hole-free fast path */
    check_against_ref(16, deep, 2, 0x1f, t, 100000);
    check_against_ref(16, g, sizeof g / sizeof g[0], 0x1f, t, 100000);
    /* hole-free, the 8 most recent lines sit in front of the tree: ways on both sides of that */
    mh_mrc_geom front[] = {{1, 7}, {1, 8}, {1, 9}, {1, 16}, {1, 100}};
    check_against_ref(16, front, sizeof front / sizeof front[0], 0x1f, t, 100000);
    t[70000].op = MH_OP_INVALIDATE; /* late: the front moves into the tree mid-trace */
    t[70001].op = MH_OP_INVALIDATE;
    check_against_ref(16, front, sizeof front / sizeof front[0], 0x1f, t, 100000);
    check_against_ref(16, deep, 2, 0x1f, t, 100000);
    free(t);
}

/* Duplicated geometries are merged; each still answers. */
static void test_duplicates(void **state)
{
    (void)state;
    mh_mrc_geom g[] = {{8, 4}, {8, 4}, {2, 1}, {8, 2}, {2, 1}};
    mh_rec *t = random_trace(5000, 99, 4096);
    check_against_ref(64, g, 5, 0x1f, t, 5000);
    free(t);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    mh_mrc *m = NULL;
    mh_error err = {0};
    mh_mrc_geom ok = {4, 2}, badsets = {3, 2}, badways = {4, 0};
    assert_int_equal(mh_mrc_create(48, &ok, 1, 0x1f, &m, &err), MH_EINVAL);
    assert_non_null(strstr(err.msg, "line = 48"));
    assert_int_equal(mh_mrc_create(64, &badsets, 1, 0x1f, &m, &err), MH_EINVAL);
    assert_non_null(strstr(err.msg, "sets = 3"));
    assert_int_equal(mh_mrc_create(64, &badways, 1, 0x1f, &m, &err), MH_EINVAL);
    assert_int_equal(mh_mrc_create(64, &ok, 0, 0x1f, &m, &err), MH_EINVAL);
    assert_null(m);
    mh_mrc_destroy(NULL);
}

static const char cfg_text[] =
    "[hierarchy]\nname = t\nifetch = L1i\ndata = L1d\n"
    "[L1i]\nsize = 1K\nways = 2\nline = 64\npolicy = lru\nnext = L2\n"
    "[L1d]\nsize = 2K\nways = 4\nline = 64\npolicy = lru\nnext = L2\n"
    "[L2]\nsize = 8K\nways = 8\nline = 64\npolicy = lru\n";

/* The config glue: which levels qualify, and the curve built from configs. */
static void test_from_configs(void **state)
{
    (void)state;
    mh_config *c = NULL, *v[2] = {NULL, NULL};
    mh_error err = {0};
    mh_mrc *m = NULL;
    mh_counts k[MH_KINDS];
    assert_int_equal(mh_config_parse(cfg_text, "t.ini", &c, &err), MH_OK);
    assert_int_equal(mh_mrc_level_check(c, "L1d", &err), MH_OK);
    assert_int_equal(mh_mrc_level_check(c, "L2", &err), MH_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "entry level"));
    assert_int_equal(mh_mrc_level_check(c, "L9", &err), MH_ENOTFOUND);
    v[0] = mh_config_clone(c);
    v[1] = mh_config_clone(c);
    assert_int_equal(mh_config_set(v[1], "L1d.size", "8K", &err), MH_OK);
    assert_int_equal(mh_mrc_from_configs((const mh_config *const *)v, 2, "L1d", &m, &err), MH_OK);
    mh_rec *t = random_trace(20000, 5, 1 << 15);
    mh_mrc_access(m, t, 20000);
    assert_int_equal(mh_mrc_misses_for(m, v[0], k), MH_OK);
    uint64_t small = k[MH_OP_READ].misses;
    assert_int_equal(k[MH_OP_IFETCH].accesses, 0); /* ifetches go to L1i */
    assert_int_equal(mh_mrc_misses_for(m, v[1], k), MH_OK);
    assert_true(k[MH_OP_READ].misses <= small);
    mh_mrc_destroy(m);
    assert_int_equal(mh_config_set(v[1], "L1d.policy", "fifo", &err), MH_OK);
    assert_int_equal(mh_mrc_from_configs((const mh_config *const *)v, 2, "L1d", &m, &err), MH_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "lru"));
    free(t);
    mh_config_free(v[0]);
    mh_config_free(v[1]);
    mh_config_free(c);
}

/* Replays t through the hierarchy of config c; copies level `li`'s per-kind counts. */
static void hier_counts(const mh_config *c, size_t li, const mh_rec *t, size_t n, mh_counts out[MH_KINDS])
{
    mh_hier_opts o = mh_hier_opts_default();
    mh_hier *h = NULL;
    mh_level_stats st;
    mh_error err = {0};
    o.classify_3c = 0;
    o.timing = 0;
    if (mh_hier_create(c, &o, &h, &err) != MH_OK)
        fail_msg("mh_hier_create: %s", err.msg);
    for (size_t i = 0; i < n; i += 4096)
        mh_hier_access(h, t + i, n - i < 4096 ? n - i : 4096);
    assert_int_equal(mh_hier_level_stats(h, li, &st), MH_OK);
    memcpy(out, st.kind, sizeof st.kind);
    mh_hier_destroy(h);
}

/* Exact equality with separate hierarchy simulations: a unified one-level cache swept over
 * size (sets vary), ways (sets fixed) and full associativity, and the L1d of a split
 * three-level hierarchy (write-back, exclusive and non-inclusive lower levels). */
static void test_equals_hierarchy(void **state)
{
    (void)state;
    static const char one[] = "[hierarchy]\nname = one\nifetch = C\ndata = C\n"
                              "[C]\nsize = 4K\nways = 4\nline = 32\npolicy = lru\nwrite = back\n";
    static const char *const sets[][2] = {
        {"C.size", "1K"}, {"C.size", "2K"}, {"C.size", "8K"}, {"C.size", "32K"}, {"C.ways", "1"},
        {"C.ways", "2"},  {"C.ways", "16"}, {"C.ways", "full"}, {"C.size", "64K"}, {"C.write", "through"},
    };
    enum { NV = sizeof sets / sizeof sets[0] + 1 };
    mh_config *v[NV];
    mh_error err = {0};
    mh_mrc *m = NULL;
    mh_rec *t = random_trace(100000, 4242, 1 << 17);
    assert_int_equal(mh_config_parse(one, "one.ini", &v[0], &err), MH_OK);
    for (size_t i = 1; i < NV; i++) {
        v[i] = mh_config_clone(v[0]);
        if (!strcmp(sets[i - 1][0], "C.size") && !strcmp(sets[i - 1][1], "64K"))
            assert_int_equal(mh_config_set(v[i], "C.ways", "full", &err), MH_OK); /* 2048-deep FA */
        if (mh_config_set(v[i], sets[i - 1][0], sets[i - 1][1], &err) != MH_OK)
            fail_msg("%s", err.msg);
    }
    assert_int_equal(mh_mrc_from_configs((const mh_config *const *)v, NV, "C", &m, &err), MH_OK);
    for (size_t i = 0; i < 100000; i += 4096)
        mh_mrc_access(m, t + i, 100000 - i < 4096 ? 100000 - i : 4096);
    for (size_t i = 0; i < NV; i++) {
        mh_counts a[MH_KINDS], b[MH_KINDS];
        hier_counts(v[i], 0, t, 100000, a);
        assert_int_equal(mh_mrc_misses_for(m, v[i], b), MH_OK);
        for (int k = 0; k < MH_KINDS; k++)
            if (a[k].accesses != b[k].accesses || a[k].misses != b[k].misses)
                fail_msg("variant %zu kind %d: hierarchy %llu/%llu, one-pass %llu/%llu misses/accesses", i, k,
                         (unsigned long long)a[k].misses, (unsigned long long)a[k].accesses,
                         (unsigned long long)b[k].misses, (unsigned long long)b[k].accesses);
        mh_config_free(v[i]);
    }
    mh_mrc_destroy(m);

    static const char split[] = "[hierarchy]\nname = split\nifetch = L1i\ndata = L1d\n"
        "[L1i]\nsize = 1K\nways = 2\nline = 64\npolicy = lru\nnext = L2\n"
        "[L1d]\nsize = 2K\nways = 2\nline = 64\npolicy = lru\ninclusion = exclusive\nnext = L2\n"
        "[L2]\nsize = 16K\nways = 4\nline = 64\npolicy = lru\nnext = L3\n"
        "[L3]\nsize = 64K\nways = 8\nline = 64\npolicy = fifo\n";
    static const char *const sizes[] = {"1K", "2K", "4K", "16K"};
    mh_config *w[4];
    assert_int_equal(mh_config_parse(split, "split.ini", &w[0], &err), MH_OK);
    for (size_t i = 1; i < 4; i++) {
        w[i] = mh_config_clone(w[0]);
        assert_int_equal(mh_config_set(w[i], "L1d.size", sizes[i], &err), MH_OK);
    }
    assert_int_equal(mh_mrc_from_configs((const mh_config *const *)w, 4, "L1d", &m, &err), MH_OK);
    mh_mrc_access(m, t, 100000);
    for (size_t i = 0; i < 4; i++) {
        mh_counts a[MH_KINDS], b[MH_KINDS];
        hier_counts(w[i], 1, t, 100000, a);
        assert_int_equal(mh_mrc_misses_for(m, w[i], b), MH_OK);
        for (int k = 0; k < MH_KINDS; k++)
            if (a[k].accesses != b[k].accesses || a[k].misses != b[k].misses)
                fail_msg("L1d %s kind %d: hierarchy %llu/%llu, one-pass %llu/%llu misses/accesses", sizes[i], k,
                         (unsigned long long)a[k].misses, (unsigned long long)a[k].accesses,
                         (unsigned long long)b[k].misses, (unsigned long long)b[k].accesses);
        mh_config_free(w[i]);
    }
    mh_mrc_destroy(m);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_sequence),
        cmocka_unit_test(test_straddle_and_invalidate),
        cmocka_unit_test(test_random_vs_reference_arrays),
        cmocka_unit_test(test_random_vs_reference_8deep),
        cmocka_unit_test(test_random_vs_reference_8way_sweep),
        cmocka_unit_test(test_random_vs_reference_8way_regions),
        cmocka_unit_test(test_random_vs_reference_fenwick),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_from_configs),
        cmocka_unit_test(test_equals_hierarchy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
