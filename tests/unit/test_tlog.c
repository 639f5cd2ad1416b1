/* test_tlog.c — timing from a log (mh_hier_access_logged + mh_hier_timing_run): with the caches
 * logged batches ahead of the model, as on two threads, every statistic and every cycle equals
 * the in-order replay's (shipped configs; hardware prefetchers with late fills; a reorder buffer,
 * store queue and load/store pipes; paging to disk; 3C on); the refusals and argument errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "memhier.h"
#include "support_core.h"

#define NREC 60000
#define NLOGS 3 /* logs in flight: the model runs batch k after the caches logged batch k + 2 */
#define LOG_CAP 4096

/* Loads path with the n key/value overrides; fails the test on error. */
static mh_config *load(const char *path, const char *const *kv, size_t n)
{
    mh_config *c = NULL;
    mh_error err = {0};
    assert_int_equal(mh_config_load(path, &c, &err), MH_OK);
    for (size_t i = 0; i < n; i++)
        if (mh_config_set(c, kv[2 * i], kv[2 * i + 1], &err) != MH_OK)
            fail_msg("%s=%s: %s", kv[2 * i], kv[2 * i + 1], err.msg);
    return c;
}

/* A hierarchy with timing (and 3C when classify) for c; fails the test on error. */
static mh_hier *timed(const mh_config *c, int classify)
{
    mh_hier_opts o = mh_hier_opts_default();
    o.timing = 1;
    o.classify_3c = classify;
    mh_hier *h = NULL;
    mh_error err = {0};
    if (mh_hier_create(c, &o, &h, &err) != MH_OK)
        fail_msg("%s", err.msg);
    return h;
}

/* Asserts equal timing statistics, totals and per level (cycles, late prefetches), and equal 3C classes. */
static void same_timing(const mh_hier *a, const mh_hier *b)
{
    mh_time_stats x, y;
    assert_int_equal(mh_hier_time_stats(a, &x), MH_OK);
    assert_int_equal(mh_hier_time_stats(b, &y), MH_OK);
    assert_int_equal(x.records, y.records);
    assert_int_equal(x.instructions, y.instructions);
    assert_true(x.cycles == y.cycles && x.cycles_compute == y.cycles_compute && x.cycles_ram == y.cycles_ram);
    assert_true(x.cycles_tlb == y.cycles_tlb && x.cycles_walk == y.cycles_walk);
    assert_true(x.cycles_minor_fault == y.cycles_minor_fault && x.cycles_disk == y.cycles_disk);
    assert_memory_equal(x.tlb_hits, y.tlb_hits, sizeof x.tlb_hits);
    assert_memory_equal(x.tlb_misses, y.tlb_misses, sizeof x.tlb_misses);
    assert_int_equal(x.page_walks, y.page_walks);
    assert_int_equal(x.minor_faults + 1000 * x.major_faults, y.minor_faults + 1000 * y.major_faults);
    assert_int_equal(x.disk_reads + 1000 * x.disk_writes, y.disk_reads + 1000 * y.disk_writes);
    assert_int_equal(x.row_hits + 1000 * x.row_misses, y.row_hits + 1000 * y.row_misses);
    for (size_t i = 0; i < mh_hier_levels(a); i++) {
        mh_level_stats p, q;
        assert_int_equal(mh_hier_level_stats(a, i, &p), MH_OK);
        assert_int_equal(mh_hier_level_stats(b, i, &q), MH_OK);
        assert_true(p.cycles == q.cycles);
        assert_int_equal(p.pf_issued, q.pf_issued);
        assert_int_equal(p.pf_useful, q.pf_useful);
        assert_int_equal(p.pf_late, q.pf_late);
        for (int k = 0; k < MH_KINDS; k++) { /* the 3C classes, found from the log when logged */
            assert_int_equal(p.kind[k].conflict, q.kind[k].conflict);
            assert_int_equal(p.kind[k].capacity, q.kind[k].capacity);
            assert_int_equal(p.kind[k].compulsory, q.kind[k].compulsory);
        }
    }
}

/* Replays recs[0..n) through b from logs: batch sizes cycle through odd values, and the model
 * runs each batch only after the caches logged the next NLOGS - 1 (then the rest, in order). */
static void replay_logged(mh_hier *b, const mh_rec *recs, size_t n)
{
    static const size_t sizes[] = {1, 777, LOG_CAP, 3, 1000};
    mh_tlog *g[NLOGS];
    const mh_rec *at[NLOGS];
    size_t len[NLOGS];
    mh_error err = {0};
    for (int i = 0; i < NLOGS; i++)
        assert_int_equal(mh_tlog_create(LOG_CAP, &g[i], &err), MH_OK);
    size_t k = 0, i = 0;
    for (; i < n; k++) {
        size_t m = sizes[k % 5] < n - i ? sizes[k % 5] : n - i;
        if (k >= NLOGS) /* the slot's previous batch runs before the slot is logged again */
            assert_int_equal(mh_hier_timing_run(b, at[k % NLOGS], len[k % NLOGS], g[k % NLOGS], &err), MH_OK);
        assert_int_equal(mh_hier_access_logged(b, recs + i, m, g[k % NLOGS], &err), MH_OK);
        at[k % NLOGS] = recs + i;
        len[k % NLOGS] = m;
        i += m;
    }
    for (size_t j = k >= NLOGS ? k - NLOGS : 0; j < k; j++)
        assert_int_equal(mh_hier_timing_run(b, at[j % NLOGS], len[j % NLOGS], g[j % NLOGS], &err), MH_OK);
    for (int j = 0; j < NLOGS; j++)
        mh_tlog_destroy(g[j]);
}

/* Replays a mixed trace (seed) through c in order and from logs; asserts identical results. */
static void check_same(const mh_config *c, int classify, uint64_t seed)
{
    static mh_rec recs[NREC];
    size_t n = support_core_mixed(recs, NREC, seed);
    mh_hier *a = timed(c, classify), *b = timed(c, classify);
    for (size_t i = 0; i < n; i += 4096)
        mh_hier_access(a, recs + i, n - i < 4096 ? n - i : 4096);
    replay_logged(b, recs, n);
    mh_hier_flush(a);
    mh_hier_flush(b);
    support_core_same(a, b);
    same_timing(a, b);
    uint64_t cls[3] = {0, 0, 0}; /* the trace gives every class something to count */
    for (size_t i = 0; classify && i < mh_hier_levels(b); i++) {
        mh_level_stats q;
        assert_int_equal(mh_hier_level_stats(b, i, &q), MH_OK);
        for (int k = 0; k < MH_KINDS; k++) {
            cls[0] += q.kind[k].conflict;
            cls[1] += q.kind[k].capacity;
            cls[2] += q.kind[k].compulsory;
        }
    }
    assert_true(!classify || (cls[0] && cls[1] && cls[2]));
    mh_hier_destroy(a);
    mh_hier_destroy(b);
}

/* The shipped configs, with and without 3C. */
static void test_shipped(void **state)
{
    (void)state;
    const char *files[] = {"configs/zen3.ini", "configs/skylake-client.ini", "configs/small-split.ini",
                           "configs/small-teaching.ini"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        mh_config *c = load(files[i], NULL, 0);
        check_same(c, 0, 11 + i);
        check_same(c, 1, 17 + i);
        mh_config_free(c);
    }
}

/* Small levels, so that lines go to memory, with prefetchers at two levels: prefetches issued,
 * some late, write-backs opening DRAM rows. */
static void test_prefetchers(void **state)
{
    (void)state;
    const char *kv[] = {"L2.size", "64K", "L3.size", "128K", "L1d.prefetcher", "stride",
                        "L2.prefetcher", "stream", "L2.degree", "2"};
    mh_config *c = load("configs/zen3.ini", kv, 5);
    check_same(c, 0, 5);
    check_same(c, 1, 6); /* demand hits on prefetched lines mark them seen in the 3C shadows */
    mh_hier *h = timed(c, 0);
    static mh_rec recs[NREC];
    mh_hier_access(h, recs, support_core_mixed(recs, NREC, 5));
    mh_level_stats s;
    assert_int_equal(mh_hier_level_stats(h, 1, &s), MH_OK); /* the test covers late prefetches */
    assert_true(s.pf_issued > 0 && s.pf_late > 0);
    mh_hier_destroy(h);
    mh_config_free(c);
}

/* The model's other queues and paging: a reorder buffer, a store queue, load/store pipes, RAM of
 * 16 frames (major faults, dirty pages written out). */
static void test_queues_paging(void **state)
{
    (void)state;
    const char *kv[] = {"hierarchy.rob", "64", "hierarchy.store_queue", "16", "hierarchy.mem_cpi", "0.25",
                        "L3.size", "128K", "RAM.capacity", "64K"};
    mh_config *c = load("configs/zen3.ini", kv, 5);
    check_same(c, 0, 9);
    mh_hier *h = timed(c, 0);
    static mh_rec recs[NREC];
    mh_hier_access(h, recs, support_core_mixed(recs, NREC, 9));
    mh_time_stats t;
    assert_int_equal(mh_hier_time_stats(h, &t), MH_OK); /* the test covers paging to disk */
    assert_true(t.major_faults > 0 && t.disk_writes > 0);
    mh_hier_destroy(h);
    mh_config_free(c);
}

/* What cannot run from a log, and bad arguments, are refused with nothing replayed. */
static void test_refusals(void **state)
{
    (void)state;
    mh_error err = {0};
    mh_tlog *g = NULL;
    assert_int_equal(mh_tlog_create(0, &g, &err), MH_EINVAL);
    assert_null(g);
    assert_int_equal(mh_tlog_create(8, &g, &err), MH_OK);
    mh_config *c = load("configs/zen3.ini", NULL, 0);
    mh_hier_opts o = mh_hier_opts_default();
    o.timing = 0;
    mh_hier *h = NULL;
    assert_int_equal(mh_hier_create(c, &o, &h, &err), MH_OK);
    mh_rec r[9] = {{.addr = 0x1000, .size = 8, .op = MH_OP_READ}};
    assert_int_equal(mh_hier_access_logged(h, r, 1, g, &err), MH_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "timing is off"));
    mh_hier_destroy(h);
    const char *kv[] = {"hierarchy.walk", "cached"};
    mh_config *w = load("configs/zen3.ini", kv, 1);
    h = timed(w, 0);
    assert_int_equal(mh_hier_can_log(h, &err), MH_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "walk = cached"));
    mh_hier_destroy(h);
    h = timed(c, 0);
    assert_int_equal(mh_hier_access_logged(h, r, 9, g, &err), MH_EINVAL); /* more than the log holds */
    mh_level_stats s;
    assert_int_equal(mh_hier_level_stats(h, 1, &s), MH_OK);
    assert_int_equal(s.kind[MH_OP_READ].accesses, 0);
    assert_int_equal(mh_hier_access_logged(h, r, 1, g, &err), MH_OK);
    assert_int_equal(mh_hier_timing_run(h, r, 2, g, &err), MH_EINVAL); /* not the logged count */
    assert_int_equal(mh_hier_timing_run(h, r, 1, g, &err), MH_OK);
    mh_time_stats t;
    assert_int_equal(mh_hier_time_stats(h, &t), MH_OK);
    assert_int_equal(t.records, 1);
    mh_hier_destroy(h);
    mh_tlog_destroy(g);
    mh_config_free(w);
    mh_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped),
        cmocka_unit_test(test_prefetchers),
        cmocka_unit_test(test_queues_paging),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
