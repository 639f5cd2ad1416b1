/* test_prefetch.c — hardware prefetchers driven directly through mh_pf_observe: the fraction of a
 * pattern's new-line accesses (its demand misses without prefetching) whose line was proposed
 * before the access, and the fraction of proposals never used. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "prefetch_int.h"

#define SET_BITS 20

/* A set of line numbers (open addressing); value = 1 proposed, 2 proposed and later demanded. */
typedef struct lineset { uint64_t *key; uint8_t *val; } lineset;

/* Returns the slot of line in s. */
static size_t slot(const lineset *s, uint64_t line)
{
    size_t i = (size_t)(((line + 1) * 0x9E3779B97F4A7C15ull) >> (64 - SET_BITS));
    while (s->key[i] && s->key[i] != line + 1) i = (i + 1) & ((1u << SET_BITS) - 1);
    return i;
}

/* Outcome of one pattern. */
typedef struct result {
    uint64_t new_lines;   /* accesses to a line not accessed before */
    uint64_t predicted;   /* of those, proposed earlier */
    uint64_t proposals;   /* distinct lines proposed */
    uint64_t useless;     /* proposed lines never accessed afterwards */
} result;

/* Pattern generators: line number of access i. */
typedef uint64_t (*pattern_fn)(uint64_t i);

/* Runs n accesses of pattern through prefetcher kind (degree, distance), whose proposals may leave
 * the 4 KiB page when cross is 1 (cross_pages = yes). */
static result run_x(int kind, uint32_t degree, uint32_t distance, int cross, pattern_fn pat, uint64_t n)
{
    mh_level_cfg lc = { .name = "L1d", .line = 64, .prefetcher = kind, .pf_degree = degree,
                        .pf_distance = distance, .pf_cross = cross };
    mh_pf *p = NULL;
    mh_error err = { 0, "" };
    if (mh_pf_create(&lc, &p, &err) != MH_OK) fail_msg("mh_pf_create: %s", err.msg);
    assert_non_null(p);
    lineset seen = { calloc(1u << SET_BITS, 8), calloc(1u << SET_BITS, 1) };
    lineset prop = { calloc(1u << SET_BITS, 8), calloc(1u << SET_BITS, 1) };
    assert_true(seen.key && seen.val && prop.key && prop.val);
    result r = { 0, 0, 0, 0 };
    uint64_t out[16];
    for (uint64_t i = 0; i < n; i++) {
        uint64_t line = pat(i);
        size_t s = slot(&seen, line);
        int miss = !seen.key[s];
        if (miss) {
            seen.key[s] = line + 1;
            r.new_lines++;
            size_t q = slot(&prop, line);
            if (prop.key[q]) { r.predicted++; prop.val[q] = 2; }
        }
        size_t k = mh_pf_observe(p, line, miss, out, 16);
        assert_true(k <= 16);
        for (size_t j = 0; j < k; j++) {
            size_t q = slot(&prop, out[j]);
            if (prop.key[q]) continue;
            prop.key[q] = out[j] + 1;
            prop.val[q] = 1;
            r.proposals++;
        }
    }
    for (size_t q = 0; q < (1u << SET_BITS); q++) r.useless += prop.val[q] == 1;
    free(seen.key); free(seen.val); free(prop.key); free(prop.val);
    mh_pf_destroy(p);
    return r;
}

/* run_x with proposals kept inside the page (cross_pages = no, the default). */
static result run(int kind, uint32_t degree, uint32_t distance, pattern_fn pat, uint64_t n)
{
    return run_x(kind, degree, distance, 0, pat, n);
}

static uint64_t pat_stride3(uint64_t i) { return 1000 + 3 * i; }
static uint64_t pat_lines(uint64_t i) { return 4096 + i; }             /* every line in address order */
static uint64_t pat_stride2(uint64_t i) { return 1024 + 2 * i; }       /* 32 accesses per 4 KiB page */
static uint64_t pat_words(uint64_t i) { return 5000 + i / 8; }          /* 8-byte elements, 64-byte lines */
static uint64_t pat_down(uint64_t i) { return 1000000 - i / 4; }
static uint64_t pat_page_stride(uint64_t i) { return 64 * i; }           /* one line per 4 KiB page */
static uint64_t pat_two(uint64_t i) { return (i & 1 ? 1ull << 30 : 0) + i / 2; }
/* A random chase over 2^36 lines (a hash of i; repeats are negligible). */
static uint64_t pat_random(uint64_t i)
{
    uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return (x ^ (x >> 31)) >> 28;
}

/* Asserts at least pct% of new-line accesses were predicted. */
static void want_coverage(result r, double pct)
{
    if (r.predicted * 100.0 < pct * r.new_lines)
        fail_msg("predicted %llu of %llu new lines", (unsigned long long)r.predicted,
                 (unsigned long long)r.new_lines);
}

/* Stride patterns under the stride prefetcher: >= 90% of demand misses predicted. */
static void test_stride_patterns(void **state)
{
    (void)state;
    want_coverage(run(MH_PF_STRIDE, 2, 1, pat_stride2, 20000), 90);  /* misses 1 line per page */
    want_coverage(run(MH_PF_STRIDE, 2, 2, pat_words, 80000), 90);  /* distance 8 would miss 8 of 64 lines a page */
    want_coverage(run(MH_PF_STRIDE, 1, 2, pat_down, 40000), 90);
    want_coverage(run(MH_PF_STRIDE, 1, 4, pat_two, 20000), 90);
    /* prefetches never cross a 4 KiB page: a stride of 3 lines loses the first 1-2 accesses of
     * each 64-line page (about 1 in 21 per crossing plus warm-up), one line per page gets nothing */
    want_coverage(run(MH_PF_STRIDE, 1, 4, pat_stride3, 20000), 75);
    assert_true(run(MH_PF_STRIDE, 1, 1, pat_page_stride, 10000).predicted == 0);
    result r = run(MH_PF_STRIDE, 2, 1, pat_stride2, 20000);
    assert_true(r.useless == 0);              /* in-page proposals are all used */
}

/* cross_pages = yes: next-line, stride and stream proposals go past the 4 KiB page (each
 * page's first `distance` lines are predicted too); region stays inside its page either way. */
static void test_cross_pages(void **state)
{
    (void)state;
    result in = run(MH_PF_STRIDE, 1, 8, pat_lines, 64000), out = run_x(MH_PF_STRIDE, 1, 8, 1, pat_lines, 64000);
    assert_true(in.predicted * 100 < 89 * in.new_lines);       /* 8 of every 64 lines lost: 87.5 % */
    want_coverage(out, 99.9);
    assert_true(run(MH_PF_STRIDE, 1, 1, pat_page_stride, 10000).predicted == 0);
    want_coverage(run_x(MH_PF_STRIDE, 1, 1, 1, pat_page_stride, 10000), 99.9);   /* a page's line each */
    assert_true(run(MH_PF_STREAM, 1, 8, pat_lines, 64000).predicted < run_x(MH_PF_STREAM, 1, 8, 1, pat_lines, 64000).predicted);
    assert_true(run(MH_PF_NEXT_LINE, 1, 8, pat_lines, 64000).predicted <
                run_x(MH_PF_NEXT_LINE, 1, 8, 1, pat_lines, 64000).predicted);
    result r0 = run(MH_PF_REGION, 4, 16, pat_lines, 64000), r1 = run_x(MH_PF_REGION, 4, 16, 1, pat_lines, 64000);
    assert_true(r0.predicted == r1.predicted && r0.proposals == r1.proposals && r0.useless == r1.useless);
}

/* Sequential patterns under next-line and stream. */
static void test_sequential_prefetchers(void **state)
{
    (void)state;
    want_coverage(run(MH_PF_NEXT_LINE, 1, 1, pat_words, 80000), 90);
    want_coverage(run(MH_PF_STREAM, 2, 4, pat_words, 80000), 90);
    want_coverage(run(MH_PF_STREAM, 1, 4, pat_down, 40000), 90);
    want_coverage(run(MH_PF_STREAM, 1, 4, pat_two, 20000), 90);
    /* stream does not learn strides beyond its window; next-line not strides at all */
    result r = run(MH_PF_NEXT_LINE, 1, 1, pat_stride3, 20000);
    assert_true(r.predicted == 0);
}

/* A random chase: predictions useless, counted as such. */
static void test_random_chase(void **state)
{
    (void)state;
    const int kinds[3] = { MH_PF_NEXT_LINE, MH_PF_STRIDE, MH_PF_STREAM };
    for (int k = 0; k < 3; k++) {
        result r = run(kinds[k], 2, 4, pat_random, 200000);
        assert_true(r.predicted * 100 <= r.new_lines);           /* <= 1% predicted */
        assert_true(r.useless == r.proposals);                   /* every proposal wasted */
    }
    result r = run(MH_PF_NEXT_LINE, 1, 1, pat_random, 200000);
    assert_true(r.proposals > 100000);        /* next-line proposes on every new line ... */
    assert_true(r.useless == r.proposals);    /* ... all wasted */
}

/* Degree: the first trigger proposes degree lines, distance ahead. */
static void test_degree_distance(void **state)
{
    (void)state;
    mh_level_cfg lc = { .name = "L2", .prefetcher = MH_PF_STRIDE, .pf_degree = 4, .pf_distance = 3 };
    mh_pf *p = NULL;
    assert_int_equal(mh_pf_create(&lc, &p, NULL), MH_OK);
    uint64_t out[8];
    assert_int_equal(mh_pf_observe(p, 100, 1, out, 8), 0);
    assert_int_equal(mh_pf_observe(p, 102, 1, out, 8), 0);   /* stride 2 learnt */
    assert_int_equal(mh_pf_observe(p, 104, 1, out, 8), 4);   /* confirmed */
    const uint64_t want[4] = { 110, 112, 114, 116 };
    for (int i = 0; i < 4; i++) assert_int_equal(out[i], want[i]);
    assert_int_equal(mh_pf_observe(p, 106, 0, out, 8), 1);   /* only the new one */
    assert_int_equal(out[0], 118);
    assert_int_equal(mh_pf_observe(p, 106, 0, out, 8), 0);   /* same line: nothing */
    assert_int_equal(mh_pf_observe(p, 108, 0, out, 2), 1);
    mh_pf_destroy(p);
    /* a descending stream near line 0 stops at 0 instead of wrapping around */
    lc.pf_degree = 1;
    lc.pf_distance = 4;
    assert_int_equal(mh_pf_create(&lc, &p, NULL), MH_OK);
    size_t total = 0;
    for (uint64_t line = 10; line != UINT64_MAX; line--) {
        size_t k = mh_pf_observe(p, line, 1, out, 8);
        for (size_t j = 0; j < k; j++) assert_true(out[j] < 10);
        total += k;
    }
    assert_int_equal(total, 5);   /* confirmed at line 8: lines 4 .. 0 */
    mh_pf_destroy(p);
}

/* Page-local random order: lines of one 4 KiB page (64 lines) in a fixed scrambled order, then
 * the next page (i * 37 mod 64 visits every line of the page once). */
static uint64_t pat_page_local(uint64_t i) { return 64 * (i / 64) + (i * 37) % 64; }
/* Eight random lines of each page, then another page (the same scramble). */
static uint64_t pat_page_sparse(uint64_t i) { return 64 * (i / 8) + (i * 37) % 64; }

/* region: nothing until distance lines of a page were touched; then up to degree untouched,
 * unproposed lines of that page per access, in address order; never past the page, and a page
 * touched less than distance times fetches nothing. */
static void test_region(void **state)
{
    (void)state;
    mh_level_cfg lc = { .name = "L3", .line = 64, .prefetcher = MH_PF_REGION, .pf_degree = 2, .pf_distance = 3 };
    mh_pf *p = NULL;
    assert_int_equal(mh_pf_create(&lc, &p, NULL), MH_OK);
    uint64_t out[8];
    assert_int_equal(mh_pf_observe(p, 640 + 5, 1, out, 8), 0);
    assert_int_equal(mh_pf_observe(p, 640 + 9, 1, out, 8), 0);
    assert_int_equal(mh_pf_observe(p, 640 + 9, 0, out, 8), 0);   /* the same line: still two */
    assert_int_equal(mh_pf_observe(p, 640 + 0, 1, out, 8), 2);   /* the third line: triggered */
    assert_int_equal(out[0], 641), assert_int_equal(out[1], 642);
    assert_int_equal(mh_pf_observe(p, 640 + 1, 0, out, 8), 2);   /* 641 was proposed: skipped */
    assert_int_equal(out[0], 643), assert_int_equal(out[1], 644);
    assert_int_equal(mh_pf_observe(p, 640 + 63, 1, out, 1), 1);  /* max bounds the proposals */
    assert_int_equal(out[0], 646);
    size_t total = 0;
    for (int k = 0; k < 100; k++)
        total += mh_pf_observe(p, 640 + 63, 0, out, 8);
    assert_int_equal(total, 64 - 5 - 4);   /* the rest: not the 5 lines touched nor the 4 proposed */
    mh_pf_destroy(p);
    lc.line = 128;                                               /* 32 lines a page */
    lc.pf_degree = 64, lc.pf_distance = 1;
    assert_int_equal(mh_pf_create(&lc, &p, NULL), MH_OK);
    assert_int_equal(mh_pf_observe(p, 32 * 7 + 3, 1, out, 8), 8);
    total = 8;
    for (size_t k; (k = mh_pf_observe(p, 32 * 7 + 3, 0, out, 8)) > 0; total += k)
        for (size_t j = 0; j < k; j++) assert_true(out[j] / 32 == 7);
    assert_int_equal(total, 31);
    mh_pf_destroy(p);
    /* a page-local walk is mostly predicted, eight lines a page never */
    result r = run(MH_PF_REGION, 64, 16, pat_page_local, 64 * 500);
    assert_true(r.predicted * 100 >= r.new_lines * 70);          /* 48 of each 64 */
    assert_int_equal(r.useless, 0);
    r = run(MH_PF_REGION, 64, 16, pat_page_sparse, 8 * 500);
    assert_int_equal(r.proposals, 0);
}

/* The registry: names round-trip, unknown names are -1, none creates nothing. */
static void test_registry(void **state)
{
    (void)state;
    const char *names[5] = { "none", "next-line", "stride", "stream", "region" };
    for (int i = 0; i < 5; i++) {
        assert_int_equal(mh_pf_lookup(names[i]), i);
        assert_string_equal(mh_pf_name(i), names[i]);
        assert_true(strlen(mh_pf_help(i)) > 0);
    }
    assert_int_equal(mh_pf_lookup("bogus"), -1);
    assert_string_equal(mh_pf_name(9), "?");
    mh_level_cfg lc = { .name = "L1d", .prefetcher = MH_PF_NONE };
    mh_pf *p = (mh_pf *)&lc;
    assert_int_equal(mh_pf_create(&lc, &p, NULL), MH_OK);
    assert_null(p);
    lc.prefetcher = 42;
    mh_error err = { 0, "" };
    assert_int_equal(mh_pf_create(&lc, &p, &err), MH_ECONFIG);
    assert_non_null(strstr(err.msg, "prefetcher"));
    mh_pf_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stride_patterns),
        cmocka_unit_test(test_sequential_prefetchers),
        cmocka_unit_test(test_random_chase),
        cmocka_unit_test(test_degree_distance),
        cmocka_unit_test(test_region),
        cmocka_unit_test(test_cross_pages),
        cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
