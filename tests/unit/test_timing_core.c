/* test_timing_core.c — the core limits of the timing model on analytic cases with exact cycle
 * counts: the induction chain of constant-stride loops (induction_latency), the load/store pipes
 * (mem_cpi), the reorder buffer (rob), the store queue (store_queue), prefetches holding the
 * entry level's MSHRs and the page walkers (walkers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "support_timing.h"

#define MEM (-1)

/* The shared analytic machine (support_timing.h). */
static void base_config(mh_config *c)
{
    support_timing_config(c, "test_timing_core");
}

/* Creates a timing model or fails the test. */
static mh_timing *make(const mh_config *c)
{
    return support_timing_make(c);
}

/* Feeds one record. */
static void acc(mh_timing *t, int op, uint64_t addr, uint32_t gap, int served)
{
    mh_rec r = {addr, gap, 8, (uint8_t)op, 0};
    mh_timing_account(t, &r, served);
}

/* Total cycles, checking that the stall components add up to it exactly. */
static double total(mh_timing *t)
{
    mh_time_stats s;
    mh_level_stats lv[3];
    mh_timing_stats(t, &s, lv, 3);
    double sum = s.cycles_compute + s.cycles_tlb + s.cycles_walk + s.cycles_minor_fault + s.cycles_disk +
                 s.cycles_ram + lv[0].cycles + lv[1].cycles + lv[2].cycles;
    assert_true(sum == s.cycles);
    return s.cycles;
}

/* A loop's records one iteration apart (gap 3) wait for the induction add: from the third record
 * (the first two learn the stride) one per induction_latency, however cheap the instructions. */
static void test_induction_chain(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    c.base_cpi = 0.125;
    c.induction_latency = 1;
    mh_timing *t = make(&c);
    const int n = 100;
    for (int i = 0; i < n; i++)
        acc(t, MH_OP_READ, 4096 + 8 * (uint64_t)i, 3, 0);
    /* record k >= 1 issues at 0.875 + (k - 1); the last one's hit completes 4 later */
    assert_true(total(t) == 0.875 + (n - 2) + 4);
    mh_timing_destroy(t);

    c.induction_latency = 0;                          /* off: 4 instructions x 0.125 per record */
    t = make(&c);
    for (int i = 0; i < n; i++)
        acc(t, MH_OP_READ, 4096 + 8 * (uint64_t)i, 3, 0);
    assert_true(total(t) == n * 0.5 - 0.125 + 4);
    mh_timing_destroy(t);
}

/* Records closer than a loop iteration (an unrolled body, gap 1) and two interleaved arrays (a
 * copy loop) follow the chain per sequence, not per record. */
static void test_induction_unrolled_and_copy(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    c.base_cpi = 0.125;
    c.induction_latency = 1;
    mh_timing *t = make(&c);
    const int n = 100;
    for (int i = 0; i < n; i++)
        acc(t, MH_OP_READ, 4096 + 8 * (uint64_t)i, 1, 0);   /* 2 instructions apart: unrolled */
    assert_true(total(t) == n * 0.25 - 0.125 + 4);
    mh_timing_destroy(t);

    t = make(&c);                                      /* a[i] (gap 3), b[i] (gap 1): 6 per iteration */
    for (int i = 0; i < n; i++) {
        acc(t, MH_OP_READ, 1u << 20 | 8 * (uint64_t)i, 3, 0);
        acc(t, MH_OP_WRITE, 2u << 20 | 8 * (uint64_t)i, 1, 0);
    }
    /* iteration k >= 2 starts its load at 1.375 + (k - 1) - 0.5 ... one iteration per cycle */
    double cyc = total(t);
    assert_true(cyc >= n * 1.0 && cyc <= n * 1.0 + 5);
    mh_timing_destroy(t);
}

/* With mem_cpi, records use the load/store pipes beside the ALUs: gap-free records go one per
 * mem_cpi; records whose ALU work covers the pipe time add nothing for their slot. */
static void test_mem_pipes(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    c.mem_cpi = 0.25;
    mh_timing *t = make(&c);
    const int n = 100;
    for (int i = 0; i < n; i++)
        acc(t, MH_OP_READ, 64 * (uint64_t)i, 0, 0);
    /* record k issues at 0.25 (k - 1) for k >= 1 (its access starts before its pipe slot ends),
     * so cycle 0 holds five starts for four pipes: the fifth waits a cycle, and each later cycle
     * passes one on: the last to start (record n - 4, at 0.25 (n - 5) + 1) starts 0.25 after
     * record n - 1 */
    assert_true(total(t) == (n - 2) * 0.25 + 4 + 0.25);
    mh_timing_destroy(t);

    c.base_cpi = 0.5;                                 /* gap 2: 1 cycle of ALU work per record */
    t = make(&c);
    for (int i = 0; i < n; i++)
        acc(t, MH_OP_READ, 64 * (uint64_t)i, 2, 0);
    assert_true(total(t) == n * 1.0 + 4);
    mh_timing_destroy(t);
}

/* Feeds one record with flags. */
static void accf(mh_timing *t, int op, uint64_t addr, uint8_t flags, int served)
{
    mh_rec r = {addr, 0, 8, (uint8_t)op, flags};
    mh_timing_account(t, &r, served);
}

/* Accesses ready in the same cycle share the load/store pipes (1 / mem_cpi of them), oldest
 * first: the one past them starts a cycle later. */
static void test_pipes_per_cycle(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    c.mem_cpi = 0.25;                                 /* 4 pipes */
    for (int extra = 0; extra < 2; extra++) {
        mh_timing *t = make(&c);
        acc(t, MH_OP_READ, 0, 0, 0);                  /* done at 4 */
        accf(t, MH_OP_READ, 64, MH_FLAG_DEP, 0);      /* waits for it: starts at 4 */
        for (int i = 0; i < 3 + extra; i++)           /* dispatched meanwhile: ready at 4 too */
            acc(t, MH_OP_READ, 128 + 64 * (uint64_t)i, 0, 0);
        assert_true(total(t) == (extra ? 9 : 8));     /* the fifth starts at 5 */
        mh_timing_destroy(t);
    }
}

/* The prefetch kernel's walk: per node the jump load (dependent), the prefetch of its target,
 * and two more loads of the node. With 3 pipes, a node's loads and the previous node's prefetch
 * (ready when they are) are four in one cycle: every other node's next pointer comes a cycle
 * late, 4.5 cycles a node. With 4 pipes, the L1 latency alone: 4. */
static void test_pipes_prefetch_walk(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    const double cpi[2] = {1.0 / 3, 0.25}, node[2] = {4.5, 4.0};
    for (int k = 0; k < 2; k++) {
        c.mem_cpi = cpi[k];
        mh_timing *t = make(&c);
        const int n = 1000;
        for (int i = 0; i < n; i++) {
            uint64_t a = 4096 + 64 * (uint64_t)(i % 256);
            accf(t, MH_OP_READ, a + 8, MH_FLAG_DEP, 0);          /* p->jump */
            accf(t, MH_OP_PREFETCH, a + 64 * 8, MH_FLAG_DEP, 0); /* prefetch(jump) */
            accf(t, MH_OP_READ, a + 24, 0, 0);                   /* p->val */
            accf(t, MH_OP_READ, a, 0, 0);                        /* p = p->next */
        }
        double cyc = total(t);
        print_message("mem_cpi %.3f: %.3f cycles per node\n", cpi[k], cyc / n);
        assert_true(cyc >= n * node[k] && cyc <= n * node[k] + 8);
        mh_timing_destroy(t);
    }
}

/* A software prefetch served by L2 (12 cycles) with swpf_extra 8 makes its line usable at 20; a
 * demand meeting it in flight waits for that, but never past its own miss (its start + 12). Five
 * dependent L1 hits after the demand end 20 cycles after it (past the prefetch's fill). */
static void test_swpf_extra(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    c.level[1].swpf_extra = 8;
    mh_config d = c;
    d.level[1].swpf_extra = 0;
    const struct { const mh_config *cfg; double cpi; uint32_t gap; double want; } cs[] = {
        {&c, 0, 0, 12 + 20},   /* the demand at 0: its own miss, 12, before the prefetch's 20 */
        {&c, 1, 10, 20 + 20},  /* at 10: its own would end at 22, the prefetch's line comes at 20 */
        {&d, 1, 10, 14 + 20},  /* no extra: the line came at 12; the hit at 10 ends at 14 */
    };
    for (size_t k = 0; k < sizeof cs / sizeof cs[0]; k++) {
        mh_config e = *cs[k].cfg;
        e.base_cpi = cs[k].cpi;
        mh_timing *t = make(&e);
        acc(t, MH_OP_PREFETCH, 1 << 20, 0, 1);
        acc(t, MH_OP_READ, 1 << 20, cs[k].gap - (cs[k].gap > 0), 0);   /* the prefetch's slot is one */
        for (int i = 1; i <= 5; i++)
            accf(t, MH_OP_READ, (2u << 20) + 64 * (uint64_t)i, MH_FLAG_DEP, 0);
        assert_true(total(t) == cs[k].want);
        mh_timing_destroy(t);
    }
}

/* A full reorder buffer stops issue: independent misses overlap rob at a time (fewer than the
 * MSHRs); stores retire at issue and only the MSHRs bound them. */
static void test_rob(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    c.rob = 8;
    mh_timing *t = make(&c);
    for (int i = 0; i < 32; i++)
        acc(t, MH_OP_READ, 4096 * (uint64_t)i, 0, MEM);
    assert_true(total(t) == 400);                     /* 4 batches of 8 x 100 cycles */
    mh_timing_destroy(t);

    t = make(&c);
    for (int i = 0; i < 32; i++)
        acc(t, MH_OP_WRITE, 4096 * (uint64_t)i, 0, MEM);
    assert_true(total(t) == 200);                     /* 2 batches of 16 MSHRs */
    mh_timing_destroy(t);

    c.rob = 0;                                        /* unbounded: the MSHRs alone */
    t = make(&c);
    for (int i = 0; i < 32; i++)
        acc(t, MH_OP_READ, 4096 * (uint64_t)i, 0, MEM);
    assert_true(total(t) == 200);
    mh_timing_destroy(t);

    c.rob = (1u << 20) + 1;
    mh_error err = {0, ""};
    assert_int_equal(mh_timing_create(&c, &t, &err), MH_ECONFIG);
    assert_non_null(strstr(err.msg, "rob"));
}

/* A full store queue stops issue: a store waits in it until its line is owned, and stores commit
 * in program order. 32 stores to distinct lines in RAM (100 cycles) with 4 entries: batches of 4,
 * 800 cycles (unbounded: the 16 MSHRs alone, 200). A store that hits L1 (4 cycles) behind a RAM
 * miss leaves the queue after it: with 2 entries, a third store waits for the miss (100) and hits,
 * done at 104; a fourth then finds both older entries free. Loads never wait for the queue. */
static void test_store_queue(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    const uint64_t entries[2] = {4, 0};
    const double want[2] = {800, 200};
    for (int k = 0; k < 2; k++) {
        c.store_queue = entries[k];
        mh_timing *t = make(&c);
        for (int i = 0; i < 32; i++)
            acc(t, MH_OP_WRITE, 4096 * (uint64_t)i, 0, MEM);
        assert_true(total(t) == want[k]);
        mh_time_stats st;
        mh_level_stats lv[3];
        mh_timing_stats(t, &st, lv, 3);
        assert_true(st.cycles_ram == want[k]);        /* the waits are for RAM's fills */
        mh_timing_destroy(t);
    }
    c.store_queue = 2;
    mh_timing *t = make(&c);
    acc(t, MH_OP_WRITE, 0x1000, 0, MEM);              /* owned at 100 */
    acc(t, MH_OP_WRITE, 0x2000, 0, 0);                /* owned at 4, commits at 100 */
    acc(t, MH_OP_WRITE, 0x3000, 0, 0);                /* waits until 100, done at 104 */
    assert_true(total(t) == 104);
    acc(t, MH_OP_WRITE, 0x4000, 0, 0);                /* the hit's entry is free by 100: done 104 */
    assert_true(total(t) == 104);
    mh_timing_destroy(t);

    c.store_queue = 1;
    t = make(&c);
    acc(t, MH_OP_WRITE, 0x1000, 0, MEM);
    for (int i = 0; i < 4; i++)
        acc(t, MH_OP_READ, 0x2000 + 64 * (uint64_t)i, 0, 0);
    assert_true(total(t) == 100);                     /* the loads went on: only the store's fill */
    mh_timing_destroy(t);

    c.store_queue = (1u << 16) + 1;
    mh_error err = {0, ""};
    assert_int_equal(mh_timing_create(&c, &t, &err), MH_ECONFIG);
    assert_non_null(strstr(err.msg, "store_queue = 65537"));
}

/* Page walks run `walkers` at a time: eight independent loads to eight pages, each missing the
 * one-entry DTLB (a 50-cycle walk, then RAM, 100), all issued at cycle 0. Unbounded, the walks
 * overlap: done at 150. Two walkers: walks end at 50, 100, 150, 200 (two each), the last load at
 * 300. With one walker, a second independent load's walk waits for the first (50..100, done 200);
 * a dependent load's walk starts when its address is ready, and stalls issue. */
static void test_walkers(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    c.tlb[0] = (mh_tlb_cfg){ 1, 1, 1, 4096, 0 };
    c.walk_latency = 50;
    const unsigned want[3] = {150, 300, 150};
    const uint64_t walkers[3] = {0, 2, 8};
    for (int k = 0; k < 3; k++) {
        c.walkers = walkers[k];
        mh_timing *t = make(&c);
        for (int i = 0; i < 8; i++)
            acc(t, MH_OP_READ, 0x100000 + 4096 * (uint64_t)i, 0, MEM);
        assert_true(total(t) == want[k]);
        mh_timing_destroy(t);
    }
    c.walkers = 1;
    mh_timing *t = make(&c);
    acc(t, MH_OP_READ, 0x100000, 0, MEM);             /* walk 0..50, data 50..150 */
    acc(t, MH_OP_READ, 0x200000, 0, MEM);             /* walk 50..100, data 100..200 */
    mh_rec r = {0x300000, 0, 8, MH_OP_READ, MH_FLAG_DEP}; /* waits for the data (200), */
    mh_timing_account(t, &r, MEM);                    /* walks 200..250, data 250..350 */
    assert_true(total(t) == 350);
    mh_time_stats st;
    mh_level_stats lv[3];
    mh_timing_stats(t, &st, lv, 3);
    assert_true(st.cycles_walk == 50 && st.page_walks == 3);
    mh_timing_destroy(t);

    c.walkers = 65;
    mh_error err = {0, ""};
    assert_int_equal(mh_timing_create(&c, &t, &err), MH_ECONFIG);
    assert_non_null(strstr(err.msg, "walkers = 65"));
}

/* A hardware prefetch into the entry level holds one of its MSHRs until its fill completes: a
 * demand miss behind it waits for that register. */
static void test_prefetch_holds_mshr(void **state)
{
    (void)state;
    mh_config c;
    base_config(&c);
    c.level[0].mshrs = 1;
    mh_timing *t = make(&c);
    mh_timing_prefetch(t, 0, MEM, 0x1000);            /* holds the only MSHR until 100 */
    acc(t, MH_OP_READ, 0x8000, 0, MEM);               /* starts at 100, done at 200 */
    assert_true(total(t) == 200);
    mh_timing_destroy(t);

    t = make(&c);
    mh_timing_prefetch(t, 1, MEM, 0x1000);            /* into L2: no L1 register taken */
    acc(t, MH_OP_READ, 0x8000, 0, MEM);
    assert_true(total(t) == 100);
    mh_timing_destroy(t);
}

/* The core keys parse, default to off, round-trip through the writer, and name themselves
 * in errors. */
static void test_core_keys(void **state)
{
    (void)state;
    static const char ini[] = "[hierarchy]\ndata = D\nifetch = D\n[D]\nsize = 32K\nways = 8\nline = 64\n";
    mh_config *c = NULL;
    mh_error err = {0, ""};
    assert_int_equal(mh_config_parse(ini, "core", &c, &err), MH_OK);
    assert_true(c->induction_latency == 0 && c->mem_cpi == 0 && c->rob == 0 && c->walkers == 0 &&
                c->store_queue == 0);
    assert_int_equal(mh_config_set(c, "hierarchy.induction_latency", "1", &err), MH_OK);
    assert_int_equal(mh_config_set(c, "hierarchy.mem_cpi", "0.25", &err), MH_OK);
    assert_int_equal(mh_config_set(c, "hierarchy.rob", "448", &err), MH_OK);
    assert_int_equal(mh_config_set(c, "hierarchy.walkers", "6", &err), MH_OK);
    assert_int_equal(mh_config_set(c, "hierarchy.store_queue", "64", &err), MH_OK);
    char buf[8192] = "";
    FILE *f = fmemopen(buf, sizeof buf - 1, "w");
    assert_non_null(f);
    assert_int_equal(mh_config_write_ini(c, f), MH_OK);
    fclose(f);
    mh_config *d = NULL;
    assert_int_equal(mh_config_parse(buf, "again", &d, &err), MH_OK);
    assert_true(d->induction_latency == 1 && d->mem_cpi == 0.25 && d->rob == 448 && d->walkers == 6 &&
                d->store_queue == 64);
    assert_int_equal(mh_config_set(c, "hierarchy.mem_cpi", "-1", &err), MH_ECONFIG);
    assert_non_null(strstr(err.msg, "mem_cpi"));
    assert_int_equal(mh_config_set(c, "hierarchy.rob", "x", &err), MH_ECONFIG);
    assert_non_null(strstr(err.msg, "rob"));
    mh_config_free(c);
    mh_config_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_induction_chain),
        cmocka_unit_test(test_induction_unrolled_and_copy),
        cmocka_unit_test(test_mem_pipes),
        cmocka_unit_test(test_pipes_per_cycle),
        cmocka_unit_test(test_pipes_prefetch_walk),
        cmocka_unit_test(test_swpf_extra),
        cmocka_unit_test(test_rob),
        cmocka_unit_test(test_store_queue),
        cmocka_unit_test(test_prefetch_holds_mshr),
        cmocka_unit_test(test_walkers),
        cmocka_unit_test(test_core_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
