/* test_sizes.c — the --sizes parser: lists, ranges, suffixes, and exact error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sizes.h"

/* Parses text, expecting success; returns the list (caller frees). */
static size_t *ok(const char *text, size_t *n)
{
    size_t *v = NULL;
    mh_error err = {0};
    if (bench_parse_sizes(text, &v, n, &err) != MH_OK)
        fail_msg("'%s': %s", text, err.msg);
    return v;
}

/* Parses text, expecting MH_EINVAL with exactly msg. */
static void bad(const char *text, const char *msg)
{
    size_t *v = NULL, n = 0;
    mh_error err = {0};
    assert_int_equal(bench_parse_sizes(text, &v, &n, &err), MH_EINVAL);
    assert_null(v);
    assert_string_equal(err.msg, msg);
}

/* Plain lists with suffixes keep input order. */
static void test_list(void **state)
{
    (void)state;
    size_t n;
    size_t *v = ok("4K,8K,1M,4096,64,2KiB,3kb,1G, 16M ", &n);
    size_t want[] = {4096, 8192, 1 << 20, 4096, 64, 2048, 3072, 1 << 30, 16 << 20};
    assert_int_equal(n, 9);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(v[i], want[i]);
    free(v);
}

/* A range is a log2 ladder with 4 points per doubling, both ends included. */
static void test_range(void **state)
{
    (void)state;
    size_t n;
    size_t *v = ok("16K:64M", &n);
    assert_int_equal(n, 12 * 4 + 1);
    assert_int_equal(v[0], 16384);
    assert_int_equal(v[4], 32768);
    assert_int_equal(v[n - 1], 64 << 20);
    for (size_t i = 1; i < n; i++) {
        assert_true(v[i] > v[i - 1]);
        assert_int_equal(v[i] % 64, 0);
    }
    free(v);
    v = ok("4K:64K:1", &n);
    assert_int_equal(n, 5);
    assert_int_equal(v[4], 65536);
    free(v);
    v = ok("64:64", &n);
    assert_int_equal(n, 1);
    free(v);
    v = ok("1K:8K:2,1M", &n);
    assert_int_equal(n, 8);
    assert_int_equal(v[7], 1 << 20);
    free(v);
}

/* The ladder helper used for the default 4K..4xLLC ladder. */
static void test_ladder(void **state)
{
    (void)state;
    size_t out[128];
    size_t n = bench_size_ladder(4096, (size_t)128 << 20, 4, out, 128);
    assert_int_equal(n, 15 * 4 + 1);
    assert_int_equal(out[0], 4096);
    assert_int_equal(out[n - 1], (size_t)128 << 20);
    assert_int_equal(bench_size_ladder(4096, 1024, 4, out, 128), 0);
    assert_int_equal(bench_size_ladder(4096, (size_t)1 << 30, 4, out, 3), 3);
}

/* Bad values: exact messages. */
static void test_errors(void **state)
{
    (void)state;
    bad("0", "--sizes \"0\": item 1: size must be > 0");
    bad("32", "--sizes \"32\": item 1: size 32 is below one cache line (64 bytes)");
    bad("4K,0K", "--sizes \"4K,0K\": item 2: size must be > 0");
    bad("abc", "--sizes \"abc\": item 1: \"abc\" is not a size (expected e.g. 4096, 64K, 16M, 1G)");
    bad("4X", "--sizes \"4X\": item 1: \"4X\" is not a size (expected e.g. 4096, 64K, 16M, 1G)");
    bad("-4K", "--sizes \"-4K\": item 1: \"-4K\" is not a size (expected e.g. 4096, 64K, 16M, 1G)");
    bad("", "--sizes \"\": item 1 is empty (expected e.g. 16K:64M or 4K,8K,1M)");
    bad("4K,", "--sizes \"4K,\": item 2 is empty (expected e.g. 16K:64M or 4K,8K,1M)");
    bad("64M:16K", "--sizes \"64M:16K\": item 1: range start 67108864 > end 16384");
    bad("4K:8K:0", "--sizes \"4K:8K:0\": item 1: points per doubling \"0\" must be 1..64");
    bad("4K:8K:x", "--sizes \"4K:8K:x\": item 1: points per doubling \"x\" must be 1..64");
    bad("2T", "--sizes \"2T\": item 1: \"2T\" is too large (at most 1T)");
    bad("4Q", "--sizes \"4Q\": item 1: \"4Q\" is not a size (expected e.g. 4096, 64K, 16M, 1G)");
    bad("2048G", "--sizes \"2048G\": item 1: \"2048G\" is too large (at most 1T)");
    bad("99999999999999999999999", "--sizes \"99999999999999999999999\": item 1: \"99999999999999999999999\" is too large (at most 1T)");
    bad("64:1T:64,64:1T:64,64:1T:64", "--sizes \"64:1T:64,64:1T:64,64:1T:64\": more than 4096 sizes");
    bad("4K:", "--sizes \"4K:\": item 1: \"\" is not a size (expected e.g. 4096, 64K, 16M, 1G)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_ladder),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
