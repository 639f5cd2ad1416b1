/* test_timing_hier.c — the timing model driven by the real hierarchy (config text -> mh_hier):
 * analytic cycle counts end to end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "memhier.h"

/* Two levels (latency 4 and 12 cycles) over 100 ns RAM at 1 GHz; no TLB sections; %s = extra keys. */
static const char config_fmt[] =
    "[hierarchy]\nname = t\nifetch = L1\ndata = L1\nfrequency_ghz = 1\nbase_cpi = 1\n"
    "[L1]\nsize = 4K\nways = 4\nline = 64\nlatency = 4\nnext = L2\n"
    "[L2]\nsize = 64K\nways = 8\nline = 64\nlatency = 12\n"
    "[RAM]\nlatency_ns = 100\nrow_hit_ns = 100\nbandwidth_gbs = 0\nminor_fault_ns = %s\n";

/* Builds a hierarchy from the template or fails the test. */
static mh_hier *make(const char *minor_ns)
{
    char text[1024];
    snprintf(text, sizeof text, config_fmt, minor_ns);
    mh_config *c = NULL;
    mh_error err = { 0, "" };
    if (mh_config_parse(text, "test_timing_hier", &c, &err) != MH_OK) fail_msg("config: %s", err.msg);
    mh_hier *h = NULL;
    mh_hier_opts o = mh_hier_opts_default();
    o.timing = 1;
    if (mh_hier_create(c, &o, &h, &err) != MH_OK) fail_msg("hier: %s", err.msg);
    mh_config_free(c);
    return h;
}

/* Fills recs with a dependent chase over n lines (a fixed odd-step cyclic order) starting at base. */
static void chase(mh_rec *recs, size_t n, uint64_t base)
{
    for (size_t i = 0; i < n; i++)
        recs[i] = (mh_rec){ base + ((i * 37) % n) * 64, 0, 8, MH_OP_READ, MH_FLAG_DEP };
}

/* A dependent chase over lines resident in L2 (8x the L1) costs N x 12 cycles per pass;
 * resident in L1, N x 4. */
static void test_chase_levels(void **state)
{
    (void)state;
    static mh_rec recs[512];
    const size_t ns[2] = { 512, 32 };
    const double lat[2] = { 12, 4 };
    for (int k = 0; k < 2; k++) {
        mh_hier *h = make("0");
        chase(recs, ns[k], 1 << 20);
        mh_time_stats a, b;
        assert_int_equal(mh_hier_access(h, recs, ns[k]), MH_OK);   /* warm-up pass */
        assert_int_equal(mh_hier_time_stats(h, &a), MH_OK);
        assert_int_equal(mh_hier_access(h, recs, ns[k]), MH_OK);
        assert_int_equal(mh_hier_time_stats(h, &b), MH_OK);
        assert_true(b.cycles - a.cycles == ns[k] * lat[k]);
        mh_hier_destroy(h);
    }
}

/* Replays 1000 reads spread over the 100 pages from address 0 on h; returns the time statistics. */
static mh_time_stats hundred_pages(mh_hier *h)
{
    static mh_rec recs[1000];
    for (size_t i = 0; i < 1000; i++)
        recs[i] = (mh_rec){ (i % 100) * 4096 + (i / 100) * 8, 0, 8, MH_OP_READ, 0 };
    assert_int_equal(mh_hier_access(h, recs, 1000), MH_OK);
    mh_time_stats s;
    assert_int_equal(mh_hier_time_stats(h, &s), MH_OK);
    return s;
}

/* Minor faults through the hierarchy: one per distinct 4 KiB page, minor_fault_ns each. */
static void test_minor_faults(void **state)
{
    (void)state;
    mh_hier *h = make("250");
    mh_time_stats s = hundred_pages(h);
    assert_int_equal(s.minor_faults, 100);
    assert_true(s.cycles_minor_fault == 100 * 250.0);
    assert_non_null(s.defaults_note);   /* no gaps, no dependency flags */
    mh_hier_destroy(h);
}

/* A page-table call (fn) on a hierarchy without timing is refused, saying why. */
static void refused_untimed(int (*fn)(mh_hier *, uint64_t, uint64_t, mh_error *))
{
    mh_config *c = NULL;
    mh_hier *h = NULL;
    mh_error err = { 0, "" };
    char text[1024];
    snprintf(text, sizeof text, config_fmt, "250");
    assert_int_equal(mh_config_parse(text, "t", &c, &err), MH_OK);
    mh_hier_opts o = mh_hier_opts_default();
    o.timing = 0;
    assert_int_equal(mh_hier_create(c, &o, &h, &err), MH_OK);
    assert_int_equal(fn(h, 0, 4096, &err), MH_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "timing is off"));
    mh_hier_destroy(h);
    mh_config_free(c);
}

/* Resident pages (a warm start): pages marked before replay cost no fault; the others still do.
 * Pages 10..29 of the 100 are marked (one unaligned range), so 80 faults remain. Timing off:
 * refused. */
static void test_resident_pages(void **state)
{
    (void)state;
    mh_hier *h = make("250");
    mh_error err = { 0, "" };
    assert_int_equal(mh_hier_resident(h, 10 * 4096 + 100, 20 * 4096 - 200, &err), MH_OK);
    assert_int_equal(mh_hier_resident(h, 12 * 4096, 0, &err), MH_OK); /* empty range: nothing */
    mh_time_stats s = hundred_pages(h);
    assert_int_equal(s.minor_faults, 80);
    assert_true(s.cycles_minor_fault == 80 * 250.0);
    mh_hier_destroy(h);
    refused_untimed(mh_hier_resident);
}

/* Pages touched outside the trace (a setup's first touches): pages 10..29 touched before replay
 * count 20 minor faults there, with no cycles; touching 25..34 again counts only 30..34; the
 * trace then faults on the other 75 of its 100 pages, and its fault cycles are those 75's.
 * Timing off: refused. */
static void test_touched_pages(void **state)
{
    (void)state;
    mh_hier *h = make("250");
    mh_error err = { 0, "" };
    mh_time_stats s;
    assert_int_equal(mh_hier_touch_pages(h, 10 * 4096 + 100, 20 * 4096 - 200, &err), MH_OK);
    assert_int_equal(mh_hier_time_stats(h, &s), MH_OK);
    assert_int_equal(s.minor_faults, 20);
    assert_true(s.cycles == 0 && s.cycles_minor_fault == 0);
    assert_int_equal(mh_hier_touch_pages(h, 25 * 4096, 10 * 4096, &err), MH_OK);
    assert_int_equal(mh_hier_touch_pages(h, 40 * 4096, 0, &err), MH_OK); /* empty range: nothing */
    assert_int_equal(mh_hier_time_stats(h, &s), MH_OK);
    assert_int_equal(s.minor_faults, 25);
    s = hundred_pages(h);
    assert_int_equal(s.minor_faults, 25 + 75);
    assert_true(s.cycles_minor_fault == 75 * 250.0);
    mh_hier_destroy(h);
    refused_untimed(mh_hier_touch_pages);
}

/* walk = cached: page walks read their page-directory and page-table entries through the data
 * caches. With a one-entry DTLB, dependent loads touching page P, then Q, then P again walk three
 * times; the first walk finds both entries in RAM (2 x 100 cycles), the third finds them in L1
 * (2 x 4). The walker's reads count as `misc` reads, not as demand reads. */
static void test_walk_cached(void **state)
{
    (void)state;
    static const char text[] =
        "[hierarchy]\nname = w\nifetch = L1\ndata = L1\nfrequency_ghz = 1\nbase_cpi = 1\n"
        "walk = cached\nwalk_latency = 30\n"
        "[L1]\nsize = 32K\nways = 8\nline = 64\nlatency = 4\nnext = L2\n"
        "[L2]\nsize = 256K\nways = 8\nline = 64\nlatency = 12\n"
        "[tlb.L1d]\nentries = 1\nways = full\npage_size = 4K\nlatency = 0\n"
        "[RAM]\nlatency_ns = 100\nrow_hit_ns = 100\nbandwidth_gbs = 0\nminor_fault_ns = 0\n";
    mh_config *c = NULL;
    mh_error err = { 0, "" };
    if (mh_config_parse(text, "test_walk_cached", &c, &err) != MH_OK) fail_msg("config: %s", err.msg);
    mh_hier *h = NULL;
    mh_hier_opts o = mh_hier_opts_default();
    o.timing = 1;
    o.classify_3c = 0;
    if (mh_hier_create(c, &o, &h, &err) != MH_OK) fail_msg("hier: %s", err.msg);
    mh_config_free(c);
    /* vpn 0x12345 and 0x54321: their PT and PD entries fall in four different L1 sets */
    const mh_rec recs[3] = {
        { 0x12345040, 0, 8, MH_OP_READ, MH_FLAG_DEP }, { 0x54321040, 0, 8, MH_OP_READ, MH_FLAG_DEP },
        { 0x12345080, 0, 8, MH_OP_READ, MH_FLAG_DEP },   /* dependent: each walk stalls the core */
    };
    mh_time_stats s[3];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mh_hier_access(h, &recs[i], 1), MH_OK);
        assert_int_equal(mh_hier_time_stats(h, &s[i]), MH_OK);
    }
    assert_int_equal(s[2].page_walks, 3);
    assert_true(s[0].cycles_walk == 200);                  /* PD and PT entry from RAM */
    assert_true(s[1].cycles_walk - s[0].cycles_walk == 200);
    assert_true(s[2].cycles_walk - s[1].cycles_walk == 8); /* both entries hit in L1 */
    mh_level_stats l1;
    assert_int_equal(mh_hier_level_stats(h, 0, &l1), MH_OK);
    assert_int_equal(l1.kind[MH_OP_READ].accesses, 3);     /* the trace's loads only */
    assert_int_equal(l1.kind[MH_OP_MISC].accesses, 6);     /* two entries per walk */
    assert_int_equal(l1.kind[MH_OP_MISC].misses, 4);
    mh_hier_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chase_levels),
        cmocka_unit_test(test_minor_faults),
        cmocka_unit_test(test_resident_pages),
        cmocka_unit_test(test_touched_pages),
        cmocka_unit_test(test_walk_cached),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
