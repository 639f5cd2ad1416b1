/* test_timing.c — the timing model on analytic cases with exact expected cycle counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include <cmocka.h>

#include "support_timing.h"

#define MEM (-1)

/* The shared analytic machine (support_timing.h). */
static void base_config(mh_config *c)
{
    support_timing_config(c, "test_timing");
}

/* Creates a timing model or fails the test. */
static mh_timing *make(const mh_config *c)
{
    return support_timing_make(c);
}

/* Feeds one record. */
static void acc(mh_timing *t, int op, uint64_t addr, uint32_t gap, int dep, int served)
{
    mh_rec r = { addr, gap, 8, (uint8_t)op, (uint8_t)(dep ? MH_FLAG_DEP : 0) };
    mh_timing_account(t, &r, served);
}

/* Returns the sum of every stall component: must equal the total. */
static double components(const mh_time_stats *s, const mh_level_stats *lv, size_t n)
{
    double sum = s->cycles_compute + s->cycles_tlb + s->cycles_walk + s->cycles_minor_fault +
                 s->cycles_disk + s->cycles_ram;
    for (size_t i = 0; i < n; i++) sum += lv[i].cycles;
    return sum;
}

/* A dependent chase over N lines served by level X costs exactly N x latency(X). */
static void test_dependent_chase(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    c.base_cpi = 1;   /* the issue slot hides under the wait */
    const int served[4] = { 0, 1, 2, MEM };
    const double lat[4] = { 4, 12, 40, 100 };
    const int n = 1000;
    for (int k = 0; k < 4; k++) {
        mh_timing *t = make(&c);
        for (int i = 0; i < n; i++) acc(t, MH_OP_READ, (uint64_t)i * 4096, 0, i > 0, served[k]);
        mh_time_stats s;
        mh_level_stats lv[3];
        mh_timing_stats(t, &s, lv, 3);
        assert_true(s.cycles == n * lat[k]);
        assert_true(s.ns == n * lat[k]);
        assert_true(components(&s, lv, 3) == s.cycles);
        if (served[k] == MEM) assert_true(s.cycles_ram == s.cycles);
        else assert_true(lv[served[k]].cycles == s.cycles);
        mh_timing_destroy(t);
    }
}

/* Independent RAM misses with M MSHRs cost N x latency / M (exact with base_cpi 0). */
static void test_mshr_overlap(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    const uint32_t ms[3] = { 1, 4, 16 };
    const int n = 1600;
    for (int k = 0; k < 3; k++) {
        c.level[0].mshrs = ms[k];
        mh_timing *t = make(&c);
        for (int i = 0; i < n; i++) acc(t, MH_OP_READ, (uint64_t)i * 64, 0, 0, MEM);
        mh_time_stats s;
        mh_level_stats lv[3];
        mh_timing_stats(t, &s, lv, 3);
        assert_true(s.cycles == (double)n * 100 / ms[k]);
        assert_true(components(&s, lv, 3) == s.cycles);
        mh_timing_destroy(t);
    }
    /* with an issue slot of 1 cycle: about N x latency / M, never below it */
    c.base_cpi = 1;
    c.level[0].mshrs = 16;
    mh_timing *t = make(&c);
    for (int i = 0; i < n; i++) acc(t, MH_OP_READ, (uint64_t)i * 64, 0, 0, MEM);
    mh_time_stats s;
    mh_level_stats lv[3];
    mh_timing_stats(t, &s, lv, 3);
    assert_true(s.cycles >= n * 100.0 / 16);
    assert_true(s.cycles <= n * 100.0 / 16 * 1.02);
    assert_true(components(&s, lv, 3) == s.cycles);
    mh_timing_destroy(t);
}

/* Cycles of n independent line reads from RAM at 2 GB/s and 1 GHz (64 MSHRs), each followed by a
 * dirty line written back when writebacks is set; checks the stall components add up. */
static double ram_walk_cycles(int n, int writebacks)
{
    mh_config c;
    base_config(&c);
    c.level[0].mshrs = 64;
    c.ram.bandwidth_gbs = 2;
    mh_timing *t = make(&c);
    for (int i = 0; i < n; i++) {
        acc(t, MH_OP_READ, (uint64_t)i * 64, 0, 0, MEM);
        if (writebacks) mh_timing_writeback(t, (uint64_t)(n + i) * 64);
    }
    mh_time_stats s;
    mh_level_stats lv[3];
    mh_timing_stats(t, &s, lv, 3);
    assert_true(components(&s, lv, 3) == s.cycles);
    mh_timing_destroy(t);
    return s.cycles;
}

/* Bandwidth bounds throughput: RAM at 2 GB/s and 1 GHz moves 64 bytes in 32 cycles; an L1 link of
 * 16 bytes/cycle moves a line in 4 cycles. Many MSHRs cannot beat those bounds. */
static void test_bandwidth_bound(void **state)
{
    (void)state;
    mh_config c;
    const int n = 1000;
    double cyc = ram_walk_cycles(n, 0);
    assert_true(cyc >= n * 32.0);
    assert_true(cyc <= n * 32.0 + 100);
    mh_time_stats s;
    mh_level_stats lv[3];
    base_config(&c);
    c.level[0].mshrs = 64;
    c.level[0].bandwidth = 16;
    mh_timing *t = make(&c);
    for (int i = 0; i < n; i++) acc(t, MH_OP_READ, (uint64_t)i * 64, 0, 0, 1);
    mh_timing_stats(t, &s, lv, 3);
    assert_true(s.cycles >= n * 4.0);
    assert_true(s.cycles <= n * 4.0 + 12);
    mh_timing_destroy(t);
}

/* Non-memory work costs gap x base_cpi; each record one issue slot; hits overlap. */
static void test_compute_gap(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    c.base_cpi = 0.5;
    mh_timing *t = make(&c);
    const int n = 100;
    for (int i = 0; i < n; i++) acc(t, MH_OP_READ, 64, 10, 0, 0);
    mh_time_stats s;
    mh_level_stats lv[3];
    mh_timing_stats(t, &s, lv, 3);
    assert_int_equal(s.instructions, n * 10);
    assert_true(s.cycles_compute == n * 10 * 0.5);
    /* n x (gap + 1) x cpi, plus the last hit's remaining latency (4 - 0.5) */
    assert_true(s.cycles == n * 11 * 0.5 + 3.5);
    assert_true(components(&s, lv, 3) == s.cycles);
    assert_null(s.defaults_note);
    mh_timing_destroy(t);
}

/* Records without gaps or dependency flags are reported as timed with the defaults. */
static void test_defaults_note(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    mh_timing *t = make(&c);
    mh_time_stats s;
    mh_timing_stats(t, &s, NULL, 0);
    assert_null(s.defaults_note);          /* nothing replayed yet */
    acc(t, MH_OP_READ, 0, 0, 0, 0);
    mh_timing_stats(t, &s, NULL, 0);
    assert_non_null(s.defaults_note);
    acc(t, MH_OP_READ, 64, 0, 1, 0);
    mh_timing_stats(t, &s, NULL, 0);
    assert_null(s.defaults_note);
    mh_timing_destroy(t);
}

/* A demand access that finds its hardware prefetch in flight waits for the rest; a timely one not. */
static void test_late_prefetch(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    c.base_cpi = 1;
    mh_timing *t = make(&c);
    mh_timing_prefetch(t, 0, MEM, 0x1000);           /* completes at 100 */
    acc(t, MH_OP_READ, 0, 10, 0, 0);                 /* issues at 10 */
    assert_int_equal(mh_timing_prefetch_late(t, 0, 0x1000), 1);
    acc(t, MH_OP_READ, 0x1000, 0, 0, 0);             /* L1 hit, but done at 100 */
    acc(t, MH_OP_READ, 0x2000, 0, 1, 0);             /* depends on it: 100 + 4 */
    mh_time_stats s;
    mh_level_stats lv[3];
    mh_timing_stats(t, &s, lv, 3);
    assert_true(s.cycles == 104);
    assert_true(components(&s, lv, 3) == s.cycles);
    assert_int_equal(lv[0].pf_late, 1);              /* counted at the level named */
    assert_int_equal(lv[1].pf_late + lv[2].pf_late, 0);
    assert_int_equal(mh_timing_prefetch_late(t, 0, 0x1000), 0);   /* consumed */
    mh_timing_destroy(t);

    t = make(&c);
    mh_timing_prefetch(t, 0, 1, 0x1000);             /* from L2: completes at 12 */
    acc(t, MH_OP_READ, 0, 50, 0, 0);                 /* issues at 50 */
    assert_int_equal(mh_timing_prefetch_late(t, 0, 0x1000), 0);
    acc(t, MH_OP_READ, 0x1000, 0, 0, 0);             /* issues at 51, done 55 */
    acc(t, MH_OP_READ, 0x2000, 0, 1, 0);             /* waits to 55, done 59 */
    mh_timing_stats(t, &s, lv, 3);
    assert_true(s.cycles == 59);
    assert_int_equal(lv[0].pf_late, 0);              /* timely: not late */
    mh_timing_destroy(t);
}

/* A hit on a line whose demand fill is still in flight completes with that fill, not earlier;
 * software prefetch records fill lines the same way. */
static void test_hit_under_miss(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    c.base_cpi = 1;
    const int first[2] = { MH_OP_READ, MH_OP_PREFETCH };
    for (int k = 0; k < 2; k++) {
        mh_timing *t = make(&c);
        acc(t, first[k], 0x1000, 0, 0, MEM);          /* miss at 0: done 100 */
        acc(t, MH_OP_READ, 0x1008, 0, 0, 0);          /* same line, an L1 hit at 1: done 100 */
        acc(t, MH_OP_READ, 0x2000, 0, 1, 0);          /* depends on it: 100 + 4 */
        mh_time_stats s;
        mh_level_stats lv[3];
        mh_timing_stats(t, &s, lv, 3);
        assert_true(s.cycles == 104);
        assert_true(components(&s, lv, 3) == s.cycles);
        mh_timing_destroy(t);
    }
    mh_timing *t = make(&c);                          /* another line: no wait */
    acc(t, MH_OP_READ, 0x1000, 0, 0, MEM);
    acc(t, MH_OP_READ, 0x1040, 0, 0, 0);              /* done 1 + 4 */
    acc(t, MH_OP_READ, 0x2000, 0, 1, 0);              /* issues at 5, done 9; the miss ends at 100 */
    mh_time_stats s;
    mh_timing_stats(t, &s, NULL, 0);
    assert_true(s.cycles == 100);
    mh_timing_destroy(t);
}

/* A dependent software prefetch starts when the load it depends on completes, without stalling
 * the records after it; a later hit on its line waits for its fill. */
static void test_dependent_prefetch(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    c.base_cpi = 1;
    mh_timing *t = make(&c);
    acc(t, MH_OP_READ, 0x1000, 0, 0, 1);              /* L2 at 0: done 12 */
    acc(t, MH_OP_PREFETCH, 0x8000, 0, 1, MEM);        /* starts at 12: done 112 */
    acc(t, MH_OP_READ, 0x2000, 0, 0, 0);              /* issues at 2, not 12: done 6 */
    acc(t, MH_OP_READ, 0x8008, 0, 0, 0);              /* a hit under the prefetch's fill: 112 */
    acc(t, MH_OP_READ, 0x3000, 0, 1, 0);              /* waits for it: 116 */
    mh_time_stats s;
    mh_level_stats lv[3];
    mh_timing_stats(t, &s, lv, 3);
    assert_true(s.cycles == 116);
    assert_true(components(&s, lv, 3) == s.cycles);
    mh_timing_destroy(t);
}

/* Software prefetch records and stores issue like loads, but a dependent load does not wait for them. */
static void test_nothing_waits(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    const int ops[3] = { MH_OP_PREFETCH, MH_OP_WRITE, MH_OP_READ };
    const double want[3] = { 100, 100, 104 };
    for (int k = 0; k < 3; k++) {
        mh_timing *t = make(&c);
        acc(t, ops[k], 0, 0, 0, MEM);
        acc(t, MH_OP_READ, 4096, 0, 1, 0);
        mh_time_stats s;
        mh_level_stats lv[3];
        mh_timing_stats(t, &s, lv, 3);
        assert_true(s.cycles == want[k]);
        assert_true(components(&s, lv, 3) == s.cycles);
        mh_timing_destroy(t);
    }
}

/* A translation in flight is waited for by the next access to its page, whichever pages come
 * between. Records issue a cycle apart (base_cpi 1). The first load's DTLB and L2 TLB misses
 * stall it 7 + 30 cycles (done 41); the software prefetch issued at 38 translates until 75; the
 * dependent load of another page runs 41..45; the dependent load of the prefetch's page waits 30
 * cycles (TLB time) for that translation, 75..79; the last load (RAM, 100) then ends at 179.
 * Without the wait that load would have run 45..49 and the run ended at 149. */
static void test_tlb_in_flight(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    c.base_cpi = 1;
    c.tlb[0] = (mh_tlb_cfg){ 1, 64, 4, 4096, 1 };
    c.tlb[1] = (mh_tlb_cfg){ 1, 512, 8, 4096, 7 };
    c.walk_latency = 30;
    mh_timing *t = make(&c);
    acc(t, MH_OP_READ, 0x10000, 0, 1, 0);
    acc(t, MH_OP_PREFETCH, 0x20000, 0, 0, 0);
    acc(t, MH_OP_READ, 0x10008, 0, 1, 0);
    acc(t, MH_OP_READ, 0x20008, 0, 1, 0);
    acc(t, MH_OP_READ, 0x10010, 0, 1, MEM);
    mh_time_stats s;
    mh_level_stats lv[3];
    mh_timing_stats(t, &s, lv, 3);
    assert_true(s.cycles_tlb == 7 + 30);
    assert_true(s.cycles_walk >= 30);
    assert_true(s.cycles == 179);
    assert_true(components(&s, lv, 3) == s.cycles);
    assert_true(s.tlb_misses[0] == 2 && s.page_walks == 2);
    mh_timing_destroy(t);
}

/* An instruction fetch that misses stalls the front end; one that hits costs its issue slot. */
static void test_ifetch_stall(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    c.base_cpi = 1;
    mh_timing *t = make(&c);
    for (int i = 0; i < 10; i++) acc(t, MH_OP_IFETCH, (uint64_t)i * 64, 0, 0, 1);
    for (int i = 0; i < 10; i++) acc(t, MH_OP_IFETCH, 0, 0, 0, 0);
    mh_time_stats s;
    mh_level_stats lv[3];
    mh_timing_stats(t, &s, lv, 3);
    assert_true(s.cycles == 10 * 12 + 9 * 1 + 4);   /* last hit: its 4-cycle latency is the tail */
    assert_true(components(&s, lv, 3) == s.cycles);
    mh_timing_destroy(t);
}

/* Write-backs are posted: a dirty line written to memory after every fill leaves the fills' channel
 * time exactly as it was, as on a core whose one-core memory bandwidth, the figure calibrate
 * measures with a read sweep, is bound by its outstanding fills. */
static void test_writeback_posted(void **state)
{
    (void)state;
    assert_true(ram_walk_cycles(1000, 1) == ram_walk_cycles(1000, 0));
}

/* set_gap: misses into one L1 set (64 sets x 64 B: every 4096 bytes) served by L2 start 6 cycles
 * apart, so a walk with a 4096-byte stride takes 6 cycles per load; the same walk at 4160 bytes
 * spreads over every set and runs at the MSHRs' rate (16 per 12 cycles), and the L3, without a
 * gap, serves the 4096-byte walk at that rate too. */
static void test_set_gap(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    c.level[1].set_gap = 6;
    const int n = 1000;
    const struct { uint64_t stride; int served; double lo, hi; } cases[3] = {
        {4096, 1, n * 6.0, n * 6.0 + 20}, {4160, 1, n * 12.0 / 16, n * 12.0 / 16 + 20},
        {4096, 2, n * 40.0 / 16, n * 40.0 / 16 + 50},
    };
    for (int k = 0; k < 3; k++) {
        mh_timing *t = make(&c);
        for (int i = 0; i < n; i++) acc(t, MH_OP_READ, (uint64_t)i * cases[k].stride, 0, 0, cases[k].served);
        mh_time_stats s;
        mh_level_stats lv[3];
        mh_timing_stats(t, &s, lv, 3);
        assert_true(s.cycles >= cases[k].lo);
        assert_true(s.cycles <= cases[k].hi);
        assert_true(components(&s, lv, 3) == s.cycles);
        mh_timing_destroy(t);
    }
}

/* spread: a dependent chase of L3 misses (latency 40) keeps its mean within 2 % (the jitter has
 * zero mean), while a walk that prefetches each node 8 ahead (a software prefetch served by L3,
 * the node's load a hit under its fill) takes 10 % longer with spread 0.4 than with fixed
 * latencies, 5 cycles per node: it waits for its slower fills. Spread 0 is exact. */
static void test_spread(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    c.base_cpi = 1;
    const int n = 4000;
    double chase[2], walk[2];
    mh_time_stats s;
    mh_level_stats lv[3];
    for (int k = 0; k < 2; k++) {
        c.level[2].spread = k ? 0.4 : 0;
        mh_timing *t = make(&c);
        for (int i = 0; i < n; i++) acc(t, MH_OP_READ, (uint64_t)i * 4096, 0, i > 0, 2);
        mh_timing_stats(t, &s, lv, 3);
        chase[k] = s.cycles;
        mh_timing_destroy(t);
        t = make(&c);
        for (int i = 0; i < n; i++) {
            acc(t, MH_OP_READ, (uint64_t)i * 4096, 0, 1, 0);
            acc(t, MH_OP_PREFETCH, (uint64_t)(i + 8) * 4096, 0, 1, 2);
        }
        mh_timing_stats(t, &s, lv, 3);
        walk[k] = s.cycles;
        assert_true(components(&s, lv, 3) == s.cycles);
        mh_timing_destroy(t);
    }
    assert_true(chase[0] == n * 40.0);
    assert_true(fabs(chase[1] - chase[0]) < 0.02 * chase[0]);
    assert_true(walk[0] >= n * 5.0 && walk[0] <= n * 5.0 + 100);
    assert_true(walk[1] > 1.1 * walk[0]);
}

/* Stall components add up on a mixed workload with TLBs, faults, disk, rows and bandwidth. */
static void test_conservation_mixed(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    c.base_cpi = 0.7;
    c.frequency_ghz = 3.2;
    c.level[0].mshrs = 8;
    c.level[1].bandwidth = 32;
    c.ram.bandwidth_gbs = 20;
    c.ram.row_size = 2048;
    c.ram.banks = 8;
    c.ram.row_hit_ns = 40;
    c.ram.page_size = 4096;
    c.ram.capacity = 64 * 4096;
    c.ram.minor_fault_ns = 500;
    c.disk.latency_us = 80;
    c.disk.bandwidth_mbs = 500;
    c.tlb[0] = (mh_tlb_cfg){ 1, 64, 4, 4096, 1 };
    c.tlb[1] = (mh_tlb_cfg){ 1, 512, 8, 4096, 7 };
    c.walk_latency = 30;
    mh_timing *t = make(&c);
    uint64_t x = 12345;
    for (int i = 0; i < 100000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        int served = (int)(x >> 60) % 4 - 1;
        int op = (int)(x >> 56) % 5;
        acc(t, op, (x >> 20) % (100 * 4096), (uint32_t)(x >> 40) % 5, (x >> 33) & 1, served);
        if (i % 97 == 0) mh_timing_prefetch(t, 0, MEM, (x >> 8) & ~63ull);
        if (i % 89 == 0) mh_timing_writeback(t, (x >> 12) & ~63ull);
        if (i % 13 == 0) (void)mh_timing_prefetch_late(t, 0, (x >> 8) & ~63ull);
    }
    mh_time_stats s;
    mh_level_stats lv[3];
    mh_timing_stats(t, &s, lv, 3);
    double sum = components(&s, lv, 3);
    assert_true(s.cycles > 0);
    assert_true(sum > s.cycles * (1 - 1e-9) && sum < s.cycles * (1 + 1e-9));
    assert_true(s.ns * 3.2 > s.cycles * (1 - 1e-12) && s.ns * 3.2 < s.cycles * (1 + 1e-12));
    assert_true(s.minor_faults == 100);
    assert_true(s.major_faults > 0 && s.disk_reads == s.major_faults && s.disk_writes > 0);
    assert_true(s.row_hits > 0 && s.row_misses > 0);
    assert_true(s.tlb_misses[0] > 0 && s.page_walks > 0);
    assert_int_equal(s.records, 100000);
    mh_timing_destroy(t);
}

/* Bad values the model divides by are refused with the key named. */
static void test_bad_config(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    c.frequency_ghz = 0;
    mh_timing *t = NULL;
    mh_error err = { 0, "" };
    assert_int_equal(mh_timing_create(&c, &t, &err), MH_ECONFIG);
    assert_non_null(strstr(err.msg, "frequency_ghz"));
    assert_null(t);
    base_config(&c);
    c.ram.page_size = 3000;
    assert_int_equal(mh_timing_create(&c, &t, &err), MH_ECONFIG);
    assert_non_null(strstr(err.msg, "page_size"));
    base_config(&c);
    c.tlb[0] = (mh_tlb_cfg){ 1, 64, 5, 4096, 1 };
    assert_int_equal(mh_timing_create(&c, &t, &err), MH_ECONFIG);
    assert_non_null(strstr(err.msg, "tlb.L1d"));
    mh_timing_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dependent_chase),
        cmocka_unit_test(test_mshr_overlap),
        cmocka_unit_test(test_bandwidth_bound),
        cmocka_unit_test(test_writeback_posted),
        cmocka_unit_test(test_set_gap),
        cmocka_unit_test(test_spread),
        cmocka_unit_test(test_compute_gap),
        cmocka_unit_test(test_defaults_note),
        cmocka_unit_test(test_late_prefetch),
        cmocka_unit_test(test_nothing_waits),
        cmocka_unit_test(test_hit_under_miss),
        cmocka_unit_test(test_dependent_prefetch),
        cmocka_unit_test(test_tlb_in_flight),
        cmocka_unit_test(test_ifetch_stall),
        cmocka_unit_test(test_conservation_mixed),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
