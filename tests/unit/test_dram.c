/* test_dram.c — open-row DRAM: row hits within a row, bank mapping, and the row-hit latency in
 * the timing model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dram_int.h"
#include "timing_int.h"

/* Creates banks x row_size DRAM or fails the test. */
static mh_dram *make_dram(uint32_t banks, uint64_t row)
{
    mh_ram_cfg c = { .latency_ns = 80, .row_hit_ns = 30, .banks = banks, .row_size = row };
    mh_dram *d = NULL;
    mh_error err = { 0, "" };
    if (mh_dram_create(&c, &d, &err) != MH_OK) fail_msg("mh_dram_create: %s", err.msg);
    return d;
}

/* A sequential walk within one row: a row miss, then hits. */
static void test_sequential_row(void **state)
{
    (void)state;
    mh_dram *d = make_dram(8, 8192);
    for (uint64_t a = 0; a < 8192; a += 64) assert_int_equal(mh_dram_access(d, a), a != 0);
    assert_int_equal(mh_dram_access(d, 8192), 0);          /* next row, next bank: miss */
    assert_int_equal(mh_dram_access(d, 100), 1);           /* bank 0 still holds row 0 */
    mh_dram_destroy(d);
}

/* Rows that share a bank (row_size x banks apart) close each other; other banks stay open. */
static void test_bank_conflicts(void **state)
{
    (void)state;
    mh_dram *d = make_dram(4, 2048);
    const uint64_t same = 4 * 2048;
    for (int i = 0; i < 10; i++) assert_int_equal(mh_dram_access(d, (uint64_t)(i & 1) * same), 0);
    mh_dram_destroy(d);
    d = make_dram(4, 2048);
    for (int i = 0; i < 10; i++) assert_int_equal(mh_dram_access(d, (uint64_t)(i & 1) * 2048), i >= 2);
    mh_dram_destroy(d);
}

/* No banks or no row size: no row model. A bad row size is refused. */
static void test_no_model_and_bad(void **state)
{
    (void)state;
    mh_ram_cfg c = { .latency_ns = 80, .banks = 0, .row_size = 8192 };
    mh_dram *d = (mh_dram *)&c;
    assert_int_equal(mh_dram_create(&c, &d, NULL), MH_OK);
    assert_null(d);
    c.banks = 4;
    c.row_size = 3000;
    mh_error err = { 0, "" };
    assert_int_equal(mh_dram_create(&c, &d, &err), MH_ECONFIG);
    assert_non_null(strstr(err.msg, "row_size"));
    mh_dram_destroy(NULL);
}

/* Dependent loads served by memory walking one 8 KiB row: latency_ns + 127 x row_hit_ns. */
static void test_timing_row_hits(void **state)
{
    (void)state;
    mh_config c;
    memset(&c, 0, sizeof c);
    strcpy(c.source, "test_dram");
    c.frequency_ghz = 1;
    c.nlevels = 1;
    c.level[0] = (mh_level_cfg){ .name = "L1d", .size = 32768, .ways = 8, .line = 64, .sets = 64,
                                 .latency = 4, .next = -1, .mshrs = 16 };
    c.ram = (mh_ram_cfg){ .latency_ns = 80, .row_hit_ns = 30, .banks = 8, .row_size = 8192 };
    mh_timing *t = NULL;
    assert_int_equal(mh_timing_create(&c, &t, NULL), MH_OK);
    for (uint64_t a = 0; a < 8192; a += 64) {
        mh_rec r = { a, 0, 8, MH_OP_READ, (uint8_t)(a ? MH_FLAG_DEP : 0) };
        mh_timing_account(t, &r, -1);
    }
    mh_time_stats s;
    mh_timing_stats(t, &s, NULL, 0);
    assert_int_equal(s.row_misses, 1);
    assert_int_equal(s.row_hits, 127);
    assert_true(s.cycles == 80 + 127 * 30.0);
    assert_true(s.cycles_ram == s.cycles);
    mh_timing_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sequential_row),
        cmocka_unit_test(test_bank_conflicts),
        cmocka_unit_test(test_no_model_and_bad),
        cmocka_unit_test(test_timing_row_hits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
