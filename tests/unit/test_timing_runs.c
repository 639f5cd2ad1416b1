/* test_timing_runs.c — mh_timing_account_n (the timing thread's runs of records, with their quick
 * path for instruction fetches that hit) against mh_timing_account record by record: random
 * streams of fetches and data records through ITLBs, a page table and a separate L1i, with late
 * hardware prefetches between runs, give the same statistics to the bit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "support_timing.h"

#define MEM (-1)
#define K4 4096ull
#define NREC 200000
#define CODE_PAGES 12          /* fetches jump among these (more than the 4-entry ITLB holds) */
#define DATA_PAGES 64

enum { L1D, L2, L3, L1I };     /* config order of the levels */

/* xorshift64: the test's random numbers. */
static uint64_t next_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* The analytic machine (support_timing.h) with an L1i of its own before L2, TLBs (a 4-entry ITLB
 * of itlb_page pages, or none for 0), a second-level TLB, and 4 KiB pages of unlimited frames. */
static void runs_config(mh_config *c, uint64_t itlb_page, int own_l1i)
{
    support_timing_config(c, "test_timing_runs");
    c->base_cpi = 0.25;
    if (own_l1i) {
        c->nlevels = 4;
        c->level[L1I] = c->level[L1D];
        strcpy(c->level[L1I].name, "L1i");
        c->level[L1I].latency = 3;
        c->level[L1I].next = L2;
        c->ifetch = L1I;
    }
    c->tlb[MH_TLB_L1D] = (mh_tlb_cfg){ 1, 8, 8, K4, 1 };
    c->tlb[MH_TLB_L2] = (mh_tlb_cfg){ 1, 64, 4, K4, 7 };
    if (itlb_page) c->tlb[MH_TLB_L1I] = (mh_tlb_cfg){ 1, 4, 4, itlb_page, 0 };
    c->walk_latency = 30;
    c->ram.page_size = K4;
    c->ram.minor_fault_ns = 50;
}

/* The level a record is served by: its entry level mostly, else a random deeper one. */
static int pick_served(uint64_t *x, int entry)
{
    uint64_t v = next_rand(x) % 16;
    return v < 11 ? entry : v < 13 ? L2 : v < 15 ? L3 : MEM;
}

/* Makes record i of the stream (pc: the fetch address, advanced) and its level in *served. Some
 * data records read code lines just ahead of pc, so fetches meet those lines' fills in flight. */
static mh_rec make_rec(uint64_t *x, uint64_t *pc, uint64_t *line_served, int ientry, int *served)
{
    uint64_t v = next_rand(x);
    mh_rec r = { 0, (uint32_t)(v >> 60) % 4, 4, MH_OP_IFETCH, 0 };
    if (v % 100 < 70) {                      /* a fetch: the next instruction, or a jump */
        *pc += 4;
        if (v % 100 < 3) *pc = 0x400000 + (v >> 20) % CODE_PAGES * K4 + (v >> 40) % 64 * 64;
        if (v % 1000 == 7) *pc = 0x800000 + (v >> 24) % 4096 * K4;   /* far code: a fresh page */
        r.addr = *pc;
        r.flags = (uint8_t)((v >> 8) % 50 == 0 ? MH_FLAG_DEP : 0);
        if ((*pc >> 6) != *line_served) {    /* a new line: its first fetch may miss */
            *line_served = *pc >> 6;
            *served = pick_served(x, ientry);
        } else {
            *served = ientry;                /* later fetches hit, maybe under the line's miss */
        }
        return r;
    }
    const uint8_t ops[6] = { MH_OP_READ, MH_OP_READ, MH_OP_WRITE, MH_OP_MISC, MH_OP_PREFETCH, MH_OP_COPYBACK };
    r.op = ops[(v >> 12) % 6];
    r.addr = 0x10000000 + (v >> 16) % DATA_PAGES * K4 + (v >> 32) % 512 * 8;
    if ((v >> 44) % 10 == 0) r.addr = *pc + 64 + (v >> 50) % 4 * 64;   /* a code line ahead: a fetch */
    r.flags = (uint8_t)((v >> 9) % 5 == 0 ? MH_FLAG_DEP : 0);
    *served = pick_served(x, L1D);
    return r;
}

/* Replays one random stream into a (record by record) and b (in runs of random length, split
 * where hardware prefetches are issued or found late, as the timing thread's log splits them). */
static void replay_both(mh_timing *a, mh_timing *b, uint64_t seed, int ientry)
{
    static mh_rec recs[NREC];
    static int8_t served[NREC];
    uint64_t x = seed, pc = 0x400000, line_served = 0;
    size_t start = 0;
    for (size_t i = 0; i < NREC; i++) {
        int s;
        recs[i] = make_rec(&x, &pc, &line_served, ientry, &s);
        served[i] = (int8_t)s;
        uint64_t v = next_rand(&x);
        int prefetch = v % 40 == 0, late = v % 40 == 1, cut = v % 7 == 0;
        if (prefetch || late || cut) {       /* the runs end here */
            mh_timing_account_n(b, recs + start, served + start, i - start);
            start = i;
        }
        uint64_t line = (pc & ~63ull) + 64;  /* the fetch stream's next line */
        for (int k = 0; k < 2 && prefetch; k++) mh_timing_prefetch(k ? b : a, ientry, L2, line);
        for (int k = 0; k < 2 && late; k++) mh_timing_prefetch_late(k ? b : a, ientry, recs[i].addr & ~63ull);
        if (recs[i].op < MH_KINDS) mh_timing_account(a, &recs[i], s);
    }
    mh_timing_account_n(b, recs + start, served + start, NREC - start);
}

/* Builds two models of c, replays one stream into both, and fails unless their statistics agree
 * to the bit; returns them (for the cases to show what the stream exercised). */
static mh_time_stats check_same(const mh_config *c, uint64_t seed, const char *what)
{
    mh_timing *a = support_timing_make(c), *b = support_timing_make(c);
    replay_both(a, b, seed, c->ifetch);
    mh_time_stats sa, sb;
    mh_level_stats la[MH_MAX_LEVELS], lb[MH_MAX_LEVELS];
    memset(&sa, 0, sizeof sa);
    memset(&sb, 0, sizeof sb);
    memset(la, 0, sizeof la);
    memset(lb, 0, sizeof lb);
    mh_timing_stats(a, &sa, la, c->nlevels);
    mh_timing_stats(b, &sb, lb, c->nlevels);
    if (memcmp(&sa, &sb, sizeof sa) || memcmp(la, lb, sizeof la))
        fail_msg("%s: runs give %.4f cycles (%llu ITLB hits, %llu records), records one by one %.4f (%llu, %llu)",
                 what, sb.cycles, (unsigned long long)sb.tlb_hits[MH_TLB_L1I], (unsigned long long)sb.records,
                 sa.cycles, (unsigned long long)sa.tlb_hits[MH_TLB_L1I], (unsigned long long)sa.records);
    assert_true(sa.records > NREC / 2);
    assert_true(sa.minor_faults > 0 && sa.page_walks > 0);
    mh_timing_destroy(a);
    mh_timing_destroy(b);
    return sa;
}

/* A separate L1i behind a 4-entry ITLB of 4 KiB pages: fetches hit, miss, meet their line's
 * fill in flight, change pages the ITLB holds or not, and wait for late prefetches. */
static void test_runs_itlb(void **state)
{
    (void)state;
    mh_config c;
    runs_config(&c, K4, 1);
    for (uint64_t seed = 1; seed <= 3; seed++)
        assert_true(check_same(&c, seed * 7919, "4 KiB ITLB").tlb_hits[MH_TLB_L1I] > NREC / 4);
}

/* ITLB pages of 2 MiB over a page table of 4 KiB pages: a fetch's page is checked at the smaller. */
static void test_runs_large_itlb_pages(void **state)
{
    (void)state;
    mh_config c;
    runs_config(&c, 2ull << 20, 1);
    assert_true(check_same(&c, 31, "2 MiB ITLB").tlb_hits[MH_TLB_L1I] > NREC / 4);
}

/* No ITLB (fetches untranslated), and an L1 shared by fetches and data. */
static void test_runs_no_itlb_shared_l1(void **state)
{
    (void)state;
    mh_config c;
    runs_config(&c, 0, 1);
    assert_int_equal(check_same(&c, 5, "no ITLB").tlb_hits[MH_TLB_L1I], 0);
    runs_config(&c, K4, 0);
    check_same(&c, 6, "shared L1");
}

/* Physical memory of 48 frames (the stream touches ~80 pages and more): fetches fault and page
 * the code back in, under LRU and clock replacement; a run touches each page as account does. */
static void test_runs_limited_frames(void **state)
{
    (void)state;
    mh_config c;
    runs_config(&c, K4, 1);
    c.ram.capacity = 48 * K4;
    c.disk.latency_us = 0.2;
    for (int policy = MH_PAGE_LRU; policy <= MH_PAGE_CLOCK; policy++) {
        c.ram.page_policy = policy;
        mh_time_stats st = check_same(&c, 21 + (uint64_t)policy, policy ? "48 frames, clock" : "48 frames, LRU");
        assert_true(st.tlb_hits[MH_TLB_L1I] > NREC / 4);
        assert_true(st.major_faults > 100 && st.disk_writes > 0);
    }
}

/* Load/store pipes (fetches take their issue slots from them too), and a reorder buffer (the
 * runs take account's general step throughout). */
static void test_runs_pipes_and_rob(void **state)
{
    (void)state;
    mh_config c;
    runs_config(&c, K4, 1);
    c.mem_cpi = 0.5;
    assert_true(check_same(&c, 12, "mem_cpi 0.5").tlb_hits[MH_TLB_L1I] > NREC / 4);
    c.mem_cpi = 0;
    c.rob = 32;
    check_same(&c, 11, "rob 32");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_itlb),
        cmocka_unit_test(test_runs_large_itlb_pages),
        cmocka_unit_test(test_runs_no_itlb_shared_l1),
        cmocka_unit_test(test_runs_limited_frames),
        cmocka_unit_test(test_runs_pipes_and_rob),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
