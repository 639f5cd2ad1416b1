/* test_tlb.c — TLB geometry, LRU within a set, and TLB/walk costs in the timing model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "timing_int.h"
#include "tlb_int.h"

#define K4 4096ull
#define M2 (2ull << 20)

/* Creates a TLB or fails the test. */
static mh_tlb *make_tlb(uint32_t entries, uint32_t ways, uint64_t page)
{
    mh_tlb_cfg c = { 1, entries, ways, page, 1 };
    mh_tlb *t = NULL;
    mh_error err = { 0, "" };
    if (mh_tlb_create(&c, "tlb.L1d", &t, &err) != MH_OK) fail_msg("mh_tlb_create: %s", err.msg);
    return t;
}

/* 2-way set: exact hit/miss sequence under LRU. */
static void test_lru_in_set(void **state)
{
    (void)state;
    mh_tlb *t = make_tlb(4, 2, K4);   /* 2 sets: even pages in set 0 */
    const uint64_t pages[] = { 0, 2, 0, 4, 2, 0, 4, 4 };
    const int want[] = { 0, 0, 1, 0, 0, 0, 0, 1 };
    for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++)
        assert_int_equal(mh_tlb_lookup(t, pages[i] * K4 + 123), want[i]);
    assert_int_equal(mh_tlb_page_shift(t), 12);
    mh_tlb_destroy(t);
}

/* Non-power-of-two set counts use a modulo index and still work. */
static void test_odd_sets(void **state)
{
    (void)state;
    mh_tlb *t = make_tlb(12, 4, K4);  /* 3 sets */
    for (uint64_t p = 0; p < 12; p++) assert_int_equal(mh_tlb_lookup(t, p * K4), 0);
    for (uint64_t p = 0; p < 12; p++) assert_int_equal(mh_tlb_lookup(t, p * K4), 1);
    mh_tlb_destroy(t);
}

/* Reference LRU TLB: linear scan with use stamps. */
static int ref_lookup(uint64_t *tag, uint64_t *stamp, uint32_t sets, uint32_t ways, uint64_t vpn, uint64_t now)
{
    uint64_t *tg = tag + (vpn % sets) * ways, *st = stamp + (vpn % sets) * ways;
    uint32_t v = 0;
    for (uint32_t w = 0; w < ways; w++) {
        if (tg[w] == vpn + 1) { st[w] = now; return 1; }
        if (st[w] < st[v]) v = w;
    }
    tg[v] = vpn + 1;
    st[v] = now;
    return 0;
}

/* Random lookups agree with the reference, for fully associative, set-associative and odd geometries.
 * Dense page numbers (0 .. 1.5 x entries) hash to distinct index slots; sparse ones (random 36-bit
 * pages) collide, so replacements delete slots inside probe runs and move the runs back. */
static void test_against_reference(void **state)
{
    (void)state;
    const uint32_t geo[4][2] = { { 64, 64 }, { 64, 4 }, { 48, 3 }, { 1536, 12 } };
    static uint64_t pool[2304];
    for (int g = 0; g < 8; g++) {
        uint32_t n = geo[g % 4][0], ways = geo[g % 4][1];
        int sparse = g >= 4;
        mh_tlb *t = make_tlb(n, ways, K4);
        uint64_t tag[1536] = { 0 }, stamp[1536] = { 0 }, x = 99;
        for (uint32_t p = 0; p < n + n / 2; p++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            pool[p] = sparse ? x >> 28 : p;
        }
        for (uint64_t i = 1; i <= 200000; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            uint64_t vpn = pool[(x >> 33) % (n + n / 2)];        /* working set 1.5 x capacity */
            if ((x >> 20) & 1) vpn = pool[(x >> 40) % (n / 2 + 1)]; /* plus a hot half */
            int want = ref_lookup(tag, stamp, n / ways, ways, vpn, i);
            if (mh_tlb_lookup(t, vpn * K4 + 5) != want)
                fail_msg("geometry %u/%u%s: lookup %llu differs", n, ways, sparse ? " (sparse pages)" : "",
                         (unsigned long long)i);
        }
        mh_tlb_destroy(t);
    }
}

/* mh_tlb_find: a miss changes nothing (the next lookup still misses, and nothing was evicted);
 * a hit makes the page its set's MRU, as a lookup does. */
static void test_find(void **state)
{
    (void)state;
    mh_tlb *t = make_tlb(4, 2, K4);   /* 2 sets: even pages in set 0 */
    int64_t *ready = NULL;
    assert_int_equal(mh_tlb_lookup(t, 0), 0);
    assert_int_equal(mh_tlb_lookup(t, 2 * K4), 0);
    assert_int_equal(mh_tlb_find(t, 4 * K4, &ready), 0);    /* absent: page 0, the LRU, stays */
    assert_int_equal(mh_tlb_find(t, 0 + 17, &ready), 1);    /* page 0 becomes the MRU */
    assert_non_null(ready);
    *ready = 1234;
    assert_int_equal(mh_tlb_lookup(t, 4 * K4), 0);          /* evicts page 2, the LRU now */
    assert_int_equal(mh_tlb_lookup_at(t, 0, &ready), 1);
    assert_true(*ready == 1234);                            /* the entry find pointed at */
    assert_int_equal(mh_tlb_find(t, 2 * K4, &ready), 0);
    assert_int_equal(mh_tlb_lookup(t, 2 * K4), 0);
    mh_tlb_destroy(t);
}

/* Bad geometry is refused with the section named. */
static void test_bad_geometry(void **state)
{
    (void)state;
    mh_tlb_cfg c = { 1, 64, 3, K4, 1 };
    mh_tlb *t = NULL;
    mh_error err = { 0, "" };
    assert_int_equal(mh_tlb_create(&c, "tlb.L2", &t, &err), MH_ECONFIG);
    assert_non_null(strstr(err.msg, "[tlb.L2]"));
    c.ways = 4;
    c.page_size = 5000;
    assert_int_equal(mh_tlb_create(&c, "tlb.L2", &t, &err), MH_ECONFIG);
    assert_non_null(strstr(err.msg, "page_size"));
    assert_null(t);
}

/* One level of latency 4 over 100-cycle RAM, L1 DTLB 64 x 4-way and L2 TLB 1536 x 12-way of page
 * size `page`, second-level lookup 7 cycles, walk 30 cycles. */
static void tlb_config(mh_config *c, uint64_t page)
{
    memset(c, 0, sizeof *c);
    strcpy(c->source, "test_tlb");
    c->frequency_ghz = 1;
    c->nlevels = 1;
    c->level[0] = (mh_level_cfg){ .name = "L1d", .size = 32768, .ways = 8, .line = 64, .sets = 64,
                                  .latency = 4, .next = -1, .mshrs = 16 };
    c->ram.latency_ns = 100;
    c->tlb[0] = (mh_tlb_cfg){ 1, 64, 4, page, 1 };
    c->tlb[1] = (mh_tlb_cfg){ 1, 1536, 12, page, 7 };
    c->walk_latency = 30;
}

/* Walks `pages` pages of 4 KiB (one dependent access each, so translations serialise)
 * `rounds` times; returns the stats. */
static mh_time_stats walk_pages(const mh_config *c, uint64_t pages, int rounds)
{
    mh_timing *t = NULL;
    mh_error err = { 0, "" };
    if (mh_timing_create(c, &t, &err) != MH_OK) fail_msg("%s", err.msg);
    for (int r = 0; r < rounds; r++)
        for (uint64_t p = 0; p < pages; p++) {
            mh_rec rec = { p * K4 + 8, 0, 8, MH_OP_READ, MH_FLAG_DEP };
            mh_timing_account(t, &rec, 0);
        }
    mh_time_stats s;
    mh_timing_stats(t, &s, NULL, 0);
    mh_timing_destroy(t);
    return s;
}

/* 128 pages > 64 L1 DTLB entries: every access misses there; the L2 TLB holds them after round 1. */
static void test_dtlb_overflow(void **state)
{
    (void)state;
    mh_config c;
    tlb_config(&c, K4);
    mh_time_stats s = walk_pages(&c, 128, 3);
    assert_int_equal(s.tlb_misses[0], 3 * 128);
    assert_int_equal(s.tlb_hits[0], 0);
    assert_int_equal(s.tlb_misses[1], 128);
    assert_int_equal(s.tlb_hits[1], 2 * 128);
    assert_int_equal(s.page_walks, 128);
    assert_true(s.cycles_walk == 128 * 30.0);
    assert_true(s.cycles_tlb == 3 * 128 * 7.0);
    /* 64 pages fit: misses only in the first round */
    s = walk_pages(&c, 64, 3);
    assert_int_equal(s.tlb_misses[0], 64);
    assert_int_equal(s.tlb_hits[0], 2 * 64);
}

/* The same 128 x 4 KiB span with 2 MiB pages is one page: one miss, then hits. */
static void test_huge_pages(void **state)
{
    (void)state;
    mh_config c;
    tlb_config(&c, M2);
    mh_time_stats s = walk_pages(&c, 128, 3);
    assert_int_equal(s.tlb_misses[0], 1);
    assert_int_equal(s.tlb_hits[0], 3 * 128 - 1);
    assert_int_equal(s.page_walks, 1);
}

/* Without a second-level TLB an L1 DTLB miss walks at once; instruction fetches skip the DTLB. */
static void test_single_tlb_and_ifetch(void **state)
{
    (void)state;
    mh_config c;
    tlb_config(&c, K4);
    c.tlb[1].present = 0;
    mh_time_stats s = walk_pages(&c, 128, 2);
    assert_int_equal(s.page_walks, 256);
    assert_true(s.cycles_tlb == 0);
    assert_true(s.cycles == 256 * (30.0 + 4));   /* base_cpi 0: dependent: walk, then the hit */
    mh_timing *t = NULL;
    assert_int_equal(mh_timing_create(&c, &t, NULL), MH_OK);
    mh_rec rec = { 0, 0, 4, MH_OP_IFETCH, 0 };
    mh_timing_account(t, &rec, 0);
    mh_timing_stats(t, &s, NULL, 0);
    assert_int_equal(s.tlb_hits[0] + s.tlb_misses[0], 0);
    assert_int_equal(s.tlb_hits[2] + s.tlb_misses[2], 0);    /* no [tlb.L1i]: fetches untranslated */
    assert_true(s.cycles_tlb == 0 && s.cycles_walk == 0);
    mh_timing_destroy(t);
}

/* Accounts one record at addr of kind op (independent, gap 0) on t. */
static void one(mh_timing *t, uint64_t addr, int op)
{
    mh_rec rec = { addr, 0, op == MH_OP_IFETCH ? 4 : 8, (uint8_t)op, 0 };
    mh_timing_account(t, &rec, 0);
}

/* The timing model of tlb_config's hierarchy (4 KiB pages) with a fully associative instruction TLB
 * of l1i entries and, where l2i > 0, a second level of its own of l2i entries (5 cycles). */
static mh_timing *itlb_timing(uint32_t l1i, uint32_t l2i)
{
    mh_config c;
    tlb_config(&c, K4);
    c.tlb[MH_TLB_L1I] = (mh_tlb_cfg){ 1, l1i, l1i, K4, 0 };
    if (l2i) c.tlb[MH_TLB_L2I] = (mh_tlb_cfg){ 1, l2i, l2i, K4, 5 };
    mh_timing *t = NULL;
    mh_error err = { 0, "" };
    if (mh_timing_create(&c, &t, &err) != MH_OK) fail_msg("%s", err.msg);
    return t;
}

/* Fetches from `pages` pages in a cycle, `rounds` times, on t; returns t's stats. */
static mh_time_stats fetch_pages(mh_timing *t, uint64_t pages, int rounds)
{
    for (int r = 0; r < rounds; r++)
        for (uint64_t p = 0; p < pages; p++) one(t, p * K4 + 64, MH_OP_IFETCH);
    mh_time_stats s;
    mh_timing_stats(t, &s, NULL, 0);
    return s;
}

/* An instruction TLB of 4 entries (fully associative) before the shared 1536-entry second level:
 * fetches from 8 pages in a cycle miss it every time; the first round walks (7 + 30 cycles each),
 * the second finds the pages in the second level (7 each). The front end waits for each
 * translation, so the fetch stream's time is theirs plus the last fetch's 4-cycle hit. The data
 * TLB sees none of it. */
static void test_itlb(void **state)
{
    (void)state;
    mh_timing *t = itlb_timing(4, 0);
    mh_time_stats s = fetch_pages(t, 8, 2);
    assert_int_equal(s.tlb_misses[2], 16);
    assert_int_equal(s.tlb_hits[2], 0);
    assert_int_equal(s.tlb_misses[1], 8);
    assert_int_equal(s.tlb_hits[1], 8);
    assert_int_equal(s.page_walks, 8);
    assert_int_equal(s.tlb_hits[0] + s.tlb_misses[0], 0);
    assert_true(s.cycles_tlb == 16 * 7.0);
    assert_true(s.cycles_walk == 8 * 30.0);
    assert_true(s.cycles == 16 * 7.0 + 8 * 30.0 + 4);
    /* further fetches from one page: the same-page path, all hits and no time */
    for (int i = 0; i < 100; i++) one(t, 9 * K4 + 4 * (uint64_t)i, MH_OP_IFETCH);
    mh_timing_stats(t, &s, NULL, 0);
    assert_int_equal(s.tlb_misses[2], 17);
    assert_int_equal(s.tlb_hits[2], 99);
    mh_timing_destroy(t);
}

/* The second level is shared: a page a load walked for is found there by the first fetch from it
 * (7 cycles, no walk), and the other way round. */
static void test_itlb_shares_second_level(void **state)
{
    (void)state;
    mh_timing *t = itlb_timing(64, 0);
    one(t, 5 * K4, MH_OP_READ);
    one(t, 5 * K4 + 128, MH_OP_IFETCH);
    one(t, 6 * K4, MH_OP_IFETCH);
    one(t, 6 * K4 + 8, MH_OP_READ);
    mh_time_stats s;
    mh_timing_stats(t, &s, NULL, 0);
    assert_int_equal(s.page_walks, 2);
    assert_int_equal(s.tlb_misses[0], 2);
    assert_int_equal(s.tlb_misses[2], 2);
    assert_int_equal(s.tlb_misses[1], 2);
    assert_int_equal(s.tlb_hits[1], 2);
    mh_timing_destroy(t);
}

/* With [tlb.L2i] the instruction TLB's misses look it up (5 cycles) instead of the data side's
 * [tlb.L2]: 8 fetched pages in a cycle miss the 4-entry ITLB every time, walk in the first round
 * and hit the 8-entry L2 ITLB in the second; the data's second level sees none of them, so a load
 * from a fetched page walks again. */
static void test_l2_itlb(void **state)
{
    (void)state;
    mh_timing *t = itlb_timing(4, 8);
    mh_time_stats s = fetch_pages(t, 8, 2);
    assert_int_equal(s.tlb_misses[MH_TLB_L1I], 16);
    assert_int_equal(s.tlb_misses[MH_TLB_L2I], 8);
    assert_int_equal(s.tlb_hits[MH_TLB_L2I], 8);
    assert_int_equal(s.tlb_hits[MH_TLB_L2] + s.tlb_misses[MH_TLB_L2], 0);
    assert_int_equal(s.page_walks, 8);
    assert_true(s.cycles_tlb == 16 * 5.0);
    assert_true(s.cycles_walk == 8 * 30.0);
    one(t, 3 * K4, MH_OP_READ);
    mh_timing_stats(t, &s, NULL, 0);
    assert_int_equal(s.tlb_misses[MH_TLB_L2], 1);
    assert_int_equal(s.page_walks, 9);
    mh_timing_destroy(t);
}

/* A fake page-table reader: records the addresses, answers "served by level 0" for PD entries
 * and by memory (-1) for PT entries. */
typedef struct walk_log { uint64_t addr[8]; int n; } walk_log;

static int fake_read(void *ctx, uint64_t addr)
{
    walk_log *w = ctx;
    if (w->n < 8) w->addr[w->n] = addr;
    w->n++;
    return ((addr - MH_WALK_PT_BASE) >> 40) == 2 ? 0 : -1;
}

/* A timing model of tlb_config(page) without a second-level TLB, walking as `walk`, whose reader
 * logs to w; returns it after one dependent read of addr, its stats in *s. */
static mh_timing *walk_once(mh_config *c, uint64_t page, enum mh_walk walk, walk_log *w, uint64_t addr, mh_time_stats *s)
{
    tlb_config(c, page);
    c->tlb[1].present = 0;
    c->walk = walk;
    c->ram.capacity = 1ull << 30;
    mh_timing *t = NULL;
    assert_int_equal(mh_timing_create(c, &t, NULL), MH_OK);
    mh_timing_set_walker(t, fake_read, w);
    mh_rec rec = { addr, 0, 8, MH_OP_READ, MH_FLAG_DEP };
    mh_timing_account(t, &rec, 0);
    mh_timing_stats(t, s, NULL, 0);
    return t;
}

/* walk = cached: a walk reads the PD entry then the PT entry through the reader and costs their
 * latencies (4 + 100); without a reader it costs walk_latency; 2M pages read only the PD entry. */
static void test_cached_walk(void **state)
{
    (void)state;
    mh_config c;
    walk_log w = { { 0 }, 0 };
    const uint64_t addr = 0x12345678;
    mh_rec rec = { addr, 0, 8, MH_OP_READ, MH_FLAG_DEP };
    mh_time_stats s;
    mh_timing *t = walk_once(&c, K4, MH_WALK_CACHED, &w, addr, &s);
    assert_int_equal(w.n, 2);
    assert_true(w.addr[0] == MH_WALK_PT_BASE + (2ull << 40) + 8 * (addr >> 21));
    assert_true(w.addr[1] == MH_WALK_PT_BASE + (1ull << 40) + 8 * (addr >> 12));
    assert_int_equal(s.page_walks, 1);
    assert_true(s.cycles_walk == 4 + 100);
    mh_timing_account(t, &rec, 0);             /* TLB hit: no walk */
    assert_int_equal(w.n, 2);
    mh_timing_destroy(t);

    assert_int_equal(mh_timing_create(&c, &t, NULL), MH_OK);   /* no reader: walk_latency */
    mh_timing_account(t, &rec, 0);
    mh_timing_stats(t, &s, NULL, 0);
    assert_true(s.cycles_walk == 30);
    mh_timing_destroy(t);

    w.n = 0;
    t = walk_once(&c, M2, MH_WALK_CACHED, &w, addr, &s);
    assert_int_equal(w.n, 1);
    assert_true(s.cycles_walk == 4);
    mh_timing_destroy(t);
}

/* walk = nested: after the guest's PD and PT entries the walk reads the host's PD and PT entries for
 * the page's guest frame (scattered over [RAM] capacity) and adds walk_latency as its fixed part:
 * 4 (PD in L1) + 3 x 100 (memory) + 30. Neighbouring pages share a guest PT line, not a host one. */
static void test_nested_walk(void **state)
{
    (void)state;
    mh_config c;
    walk_log w = { { 0 }, 0 };
    const uint64_t addr = 0x12345678;
    mh_rec rec = { addr, 0, 8, MH_OP_READ, MH_FLAG_DEP };
    mh_time_stats s;
    mh_timing *t = walk_once(&c, K4, MH_WALK_NESTED, &w, addr, &s);
    assert_int_equal(w.n, 4);
    assert_true(w.addr[1] == MH_WALK_PT_BASE + (1ull << 40) + 8 * (addr >> 12));
    uint64_t pd = w.addr[2] - MH_WALK_PT_BASE - (4ull << 40), pt = w.addr[3] - MH_WALK_PT_BASE - (3ull << 40);
    assert_true(pt < 8 * (c.ram.capacity >> 12) && pt % 8 == 0);
    assert_true(pd == 8 * (pt / 8 >> 9));
    assert_true(s.cycles_walk == 4 + 3 * 100 + 30);
    rec.addr = addr + K4;                      /* the next page: same guest PT line, another host line */
    mh_timing_account(t, &rec, 0);
    assert_int_equal(w.n, 8);
    assert_true(w.addr[5] / 64 == w.addr[1] / 64);
    assert_true(w.addr[7] / 64 != w.addr[3] / 64);
    mh_timing_destroy(t);
}

/* Independent accesses do not wait for each other's walks: the walks overlap, and the stall is
 * what the last one leaves; misses take an MSHR once translated, so 16 MSHRs bound them. */
static void test_walks_overlap(void **state)
{
    (void)state;
    mh_config c;
    tlb_config(&c, K4);
    c.tlb[1].present = 0;
    c.base_cpi = 1;
    for (int miss = 0; miss < 2; miss++) {
        mh_timing *t = NULL;
        assert_int_equal(mh_timing_create(&c, &t, NULL), MH_OK);
        for (uint64_t p = 0; p < 128; p++) {
            mh_rec rec = { p * K4 + 8, 0, 8, MH_OP_READ, 0 };
            mh_timing_account(t, &rec, miss ? -1 : 0);
        }
        mh_time_stats s;
        mh_level_stats lv;
        mh_timing_stats(t, &s, &lv, 1);
        assert_int_equal(s.page_walks, 128);
        if (!miss)   /* issue one per cycle; the last: walk 30 + hit 4 */
            assert_true(s.cycles == 127 + 30 + 4);
        else         /* first walk 30, then 8 waves of 16 misses of 100 each */
            assert_true(s.cycles >= 30 + 8 * 100.0 && s.cycles <= 30 + 8 * 100.0 + 16);
        assert_true(s.cycles_walk + s.cycles_ram + lv.cycles + s.cycles_tlb + s.cycles_compute == s.cycles);
        mh_timing_destroy(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lru_in_set),
        cmocka_unit_test(test_odd_sets),
        cmocka_unit_test(test_against_reference),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_bad_geometry),
        cmocka_unit_test(test_dtlb_overflow),
        cmocka_unit_test(test_huge_pages),
        cmocka_unit_test(test_single_tlb_and_ifetch),
        cmocka_unit_test(test_itlb),
        cmocka_unit_test(test_itlb_shares_second_level),
        cmocka_unit_test(test_l2_itlb),
        cmocka_unit_test(test_cached_walk),
        cmocka_unit_test(test_nested_walk),
        cmocka_unit_test(test_walks_overlap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
