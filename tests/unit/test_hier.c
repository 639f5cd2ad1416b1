/* test_hier.c — hierarchy semantics with exact, hand-computed numbers: write modes, inclusion
 * (inclusive back-invalidation, exclusive victim behaviour), 3C classification, straddling
 * accesses, flush, copy-back / invalidate records, timing on/off, independence of handles.
 * Records are written as din text ("label hexaddr", size 4): 0 read, 1 write, 2 ifetch,
 * 4 copy-back, 5 invalidate. A, B, C are lines 0x00, 0x10, 0x20 (16-byte lines). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "hier_int.h"
#include "support_core.h"

/* One level, 1 set x 2 ways x 16 B, with the given write modes. */
static mh_hier *one_level(int write_back, int allocate)
{
    mh_config c;
    support_core_config(&c);
    support_core_level(&c, "L1", 32, 2, 16);
    c.level[0].write_back = write_back;
    c.level[0].allocate = allocate;
    return support_core_hier(&c);
}

/* Write-back + allocate: W A (fill 16), R B (fill 16), R C evicts dirty A (write back 16). */
static void test_wb_alloc(void **state)
{
    (void)state;
    mh_hier *h = one_level(1, 1);
    support_core_run(h, "1 0\n0 10\n0 20\n");
    mh_level_stats s = support_core_stats(h, 0);
    assert_int_equal(s.kind[MH_OP_WRITE].misses, 1);
    assert_int_equal(s.kind[MH_OP_READ].misses, 2);
    assert_int_equal(s.bytes_from_next, 48);
    assert_int_equal(s.bytes_to_next, 16);
    assert_int_equal(s.writebacks, 1);
    assert_int_equal(s.evictions, 1);
    uint64_t rd, wr;
    mh_hier_mem_traffic(h, &rd, &wr);
    assert_int_equal(rd, 48);
    assert_int_equal(wr, 16);
    mh_hier_destroy(h);
}

/* Write-through + no-allocate: W A misses without a fill (4 B down); R A fills; W A hits (4 B
 * down, line stays clean); R B, R C evicts clean A: no write-back. */
static void test_wt_noalloc(void **state)
{
    (void)state;
    mh_hier *h = one_level(0, 0);
    support_core_run(h, "1 0\n0 0\n1 0\n0 10\n0 20\n");
    mh_level_stats s = support_core_stats(h, 0);
    assert_int_equal(s.kind[MH_OP_WRITE].accesses, 2);
    assert_int_equal(s.kind[MH_OP_WRITE].misses, 1);
    assert_int_equal(s.kind[MH_OP_WRITE].hits, 1);
    assert_int_equal(s.kind[MH_OP_READ].misses, 3);
    assert_int_equal(s.bytes_from_next, 48);
    assert_int_equal(s.bytes_to_next, 8);
    assert_int_equal(s.writebacks, 0);
    assert_int_equal(s.evictions, 1);
    mh_hier_destroy(h);
}

/* Write-through + allocate: W A fills (16) and writes 4; W A+4 hits and writes 4. */
static void test_wt_alloc(void **state)
{
    (void)state;
    mh_hier *h = one_level(0, 1);
    support_core_run(h, "1 0\n1 4\n");
    mh_level_stats s = support_core_stats(h, 0);
    assert_int_equal(s.kind[MH_OP_WRITE].misses, 1);
    assert_int_equal(s.bytes_from_next, 16);
    assert_int_equal(s.bytes_to_next, 8);
    mh_hier_flush(h); /* nothing dirty in a write-through cache */
    s = support_core_stats(h, 0);
    assert_int_equal(s.bytes_to_next, 8);
    mh_hier_destroy(h);
}

/* Write-back + no-allocate: W A misses (4 B down), R A fills, W A hits (dirty), flush (16). */
static void test_wb_noalloc(void **state)
{
    (void)state;
    mh_hier *h = one_level(1, 0);
    support_core_run(h, "1 0\n0 0\n1 0\n");
    mh_hier_flush(h);
    mh_level_stats s = support_core_stats(h, 0);
    assert_int_equal(s.kind[MH_OP_WRITE].misses, 1);
    assert_int_equal(s.bytes_from_next, 16);
    assert_int_equal(s.bytes_to_next, 20);
    assert_int_equal(s.writebacks, 1);
    mh_hier_destroy(h);
}

/* Flush writes back once and keeps the lines; a second flush does nothing. */
static void test_flush(void **state)
{
    (void)state;
    mh_hier *h = one_level(1, 1);
    support_core_run(h, "1 0\n1 10\n");
    mh_hier_flush(h);
    mh_hier_flush(h);
    support_core_run(h, "0 0\n");
    mh_level_stats s = support_core_stats(h, 0);
    assert_int_equal(s.writebacks, 2);
    assert_int_equal(s.bytes_to_next, 32);
    assert_int_equal(s.kind[MH_OP_READ].misses, 0);
    mh_hier_destroy(h);
}

/* COPYBACK writes a dirty line back and keeps it; INVALIDATE writes back and drops it. */
static void test_copyback_invalidate(void **state)
{
    (void)state;
    mh_hier *h = one_level(1, 1);
    support_core_run(h, "1 0\n4 0\n4 0\n0 0\n");
    mh_level_stats s = support_core_stats(h, 0);
    assert_int_equal(s.writebacks, 1);
    assert_int_equal(s.kind[MH_OP_READ].misses, 0);
    support_core_run(h, "1 0\n5 0\n0 0\n");
    s = support_core_stats(h, 0);
    assert_int_equal(s.writebacks, 2);
    assert_int_equal(s.bytes_to_next, 32);
    assert_int_equal(s.kind[MH_OP_READ].misses, 1);
    assert_int_equal(s.kind[MH_OP_READ].accesses, 2); /* copy-back/invalidate are not accesses */
    mh_hier_destroy(h);
}

/* L1 (1 set x 2 ways) over L2 (1 set x 2 ways), 16-byte lines. */
static mh_hier *two_levels(int inclusion)
{
    mh_config c;
    support_core_config(&c);
    support_core_level(&c, "L1", 32, 2, 16);
    support_core_level(&c, "L2", 32, 2, 16);
    c.level[0].next = 1;
    c.level[0].inclusion = inclusion;
    return support_core_hier(&c);
}

/* R A, R B, R A (L1 hit: L2 still has A as LRU), R C: L2 evicts A. Inclusive: A is
 * back-invalidated from L1, so the final R A misses; nine: it hits. */
static void test_inclusive_vs_nine(void **state)
{
    (void)state;
    const char *trace = "0 0\n0 10\n0 0\n0 20\n0 0\n";
    mh_hier *h = two_levels(MH_INC_NINE);
    support_core_run(h, trace);
    mh_level_stats s = support_core_stats(h, 0);
    assert_int_equal(s.kind[MH_OP_READ].misses, 3);
    assert_int_equal(s.back_invalidations, 0);
    mh_hier_destroy(h);

    h = two_levels(MH_INC_INCLUSIVE);
    support_core_run(h, trace);
    s = support_core_stats(h, 0);
    assert_int_equal(s.kind[MH_OP_READ].misses, 4);
    assert_int_equal(s.back_invalidations, 1);
    mh_hier_destroy(h);
}

/* Inclusive, dirty upper copy: W A (L1 hit, dirty) before L2 evicts A: L1 writes A back along
 * with L2's victim, which goes to memory dirty. */
static void test_inclusive_dirty(void **state)
{
    (void)state;
    mh_hier *h = two_levels(MH_INC_INCLUSIVE);
    support_core_run(h, "0 0\n0 10\n1 0\n0 20\n");
    mh_level_stats l1 = support_core_stats(h, 0), l2 = support_core_stats(h, 1);
    assert_int_equal(l1.back_invalidations, 1);
    assert_int_equal(l1.writebacks, 1);
    assert_int_equal(l2.writebacks, 1);
    uint64_t rd, wr;
    mh_hier_mem_traffic(h, &rd, &wr);
    assert_int_equal(rd, 48);
    assert_int_equal(wr, 16);
    mh_hier_destroy(h);
}

/* Exclusive (victim cache): misses fill L1 only; L1 victims move to L2; an L2 hit moves the line
 * up and out of L2. R A, R B, R C (A -> L2), R A (L2 hit: A up, B -> L2), R B (L2 hit). */
static void test_exclusive(void **state)
{
    (void)state;
    mh_hier *h = two_levels(MH_INC_EXCLUSIVE);
    support_core_run(h, "0 0\n0 10\n0 20\n0 0\n0 10\n");
    mh_level_stats l1 = support_core_stats(h, 0), l2 = support_core_stats(h, 1);
    assert_int_equal(l1.kind[MH_OP_READ].misses, 5);
    assert_int_equal(l1.evictions, 3);
    assert_int_equal(l1.bytes_to_next, 48); /* three victims moved down */
    assert_int_equal(l2.kind[MH_OP_READ].accesses, 5);
    assert_int_equal(l2.kind[MH_OP_READ].hits, 2);
    assert_int_equal(l2.kind[MH_OP_READ].misses, 3);
    uint64_t rd;
    mh_hier_mem_traffic(h, &rd, NULL);
    assert_int_equal(rd, 48);
    /* dirty data survives the trip down and up and reaches memory at flush */
    support_core_run(h, "1 10\n0 20\n0 0\n0 30\n");
    mh_hier_flush(h);
    uint64_t wr;
    mh_hier_mem_traffic(h, NULL, &wr);
    assert_int_equal(wr, 16);
    mh_hier_destroy(h);
}

/* 3C on a direct-mapped 2-set cache (lines 0, 2 -> set 0; line 1 -> set 1; shadow = 2 lines):
 * 0 comp, 2 comp, 0 conflict (hit in the 2-line shadow), 1 comp, 2 capacity (shadow holds 1, 0). */
static void test_3c(void **state)
{
    (void)state;
    mh_config c;
    support_core_config(&c);
    support_core_level(&c, "L1", 32, 1, 16);
    mh_hier *h = support_core_hier(&c);
    support_core_run(h, "0 0\n0 20\n0 0\n0 10\n0 20\n");
    mh_counts k = support_core_stats(h, 0).kind[MH_OP_READ];
    assert_int_equal(k.misses, 5);
    assert_int_equal(k.compulsory, 3);
    assert_int_equal(k.conflict, 1);
    assert_int_equal(k.capacity, 1);
    mh_hier_destroy(h);

    mh_hier_opts o = {0, 0, 0}; /* 3C off: misses identical, classes zero */
    assert_int_equal(mh_hier_create(&c, &o, &h, NULL), MH_OK);
    support_core_run(h, "0 0\n0 20\n0 0\n0 10\n0 20\n");
    k = support_core_stats(h, 0).kind[MH_OP_READ];
    assert_int_equal(k.misses, 5);
    assert_int_equal(k.compulsory + k.conflict + k.capacity, 0);
    mh_hier_destroy(h);
}

/* A straddling access touches both lines (two fills) but counts one access and one miss. */
static void test_straddle(void **state)
{
    (void)state;
    mh_config c;
    support_core_config(&c);
    support_core_level(&c, "L1", 256, 2, 16);
    mh_hier *h = support_core_hier(&c);
    mh_rec r[3] = {{14, 0, 4, MH_OP_READ, 0}, {16, 0, 4, MH_OP_READ, 0}, {12, 0, 4, MH_OP_READ, 0}};
    mh_hier_access(h, r, 3);
    mh_level_stats s = support_core_stats(h, 0);
    assert_int_equal(s.kind[MH_OP_READ].accesses, 3);
    assert_int_equal(s.kind[MH_OP_READ].misses, 1);
    assert_int_equal(s.kind[MH_OP_READ].compulsory, 1);
    assert_int_equal(s.bytes_from_next, 32);
    mh_hier_destroy(h);
}

/* Split entry levels: ifetch goes to L1i, data to L1d, both over L2. */
static void test_split(void **state)
{
    (void)state;
    mh_config c;
    support_core_config(&c);
    support_core_level(&c, "L1i", 32, 2, 16);
    support_core_level(&c, "L1d", 32, 2, 16);
    support_core_level(&c, "L2", 256, 4, 16);
    c.level[0].next = c.level[1].next = 2;
    c.ifetch = 0;
    c.data = 1;
    mh_hier *h = support_core_hier(&c);
    assert_int_equal(mh_hier_levels(h), 3);
    support_core_run(h, "2 0\n0 0\n2 4\n0 4\n");
    mh_level_stats i = support_core_stats(h, 0), d = support_core_stats(h, 1), l2 = support_core_stats(h, 2);
    assert_int_equal(i.kind[MH_OP_IFETCH].accesses, 2);
    assert_int_equal(i.kind[MH_OP_IFETCH].misses, 1);
    assert_int_equal(d.kind[MH_OP_READ].accesses, 2);
    assert_int_equal(d.kind[MH_OP_READ].misses, 1);
    assert_int_equal(l2.kind[MH_OP_IFETCH].accesses, 1); /* a fill keeps the ifetch kind */
    assert_int_equal(l2.kind[MH_OP_READ].accesses, 1);
    assert_int_equal(l2.kind[MH_OP_READ].hits, 1);
    assert_string_equal(d.name, "L1d");
    mh_hier_destroy(h);
}

/* Software prefetch records count as kind prefetch and fill like reads. */
static void test_sw_prefetch(void **state)
{
    (void)state;
    mh_hier *h = one_level(1, 1);
    mh_rec r[2] = {{0, 0, 4, MH_OP_PREFETCH, 0}, {0, 0, 4, MH_OP_READ, 0}};
    mh_hier_access(h, r, 2);
    mh_level_stats s = support_core_stats(h, 0);
    assert_int_equal(s.kind[MH_OP_PREFETCH].accesses, 1);
    assert_int_equal(s.kind[MH_OP_PREFETCH].misses, 1);
    assert_int_equal(s.kind[MH_OP_READ].hits, 1);
    assert_int_equal(s.bytes_from_next, 16);
    mh_hier_destroy(h);
}

/* Timing off: time stats unsupported; on: the model sees every demand record. */
static void test_timing_switch(void **state)
{
    (void)state;
    mh_config c;
    support_core_config(&c);
    support_core_level(&c, "L1", 32, 2, 16);
    mh_hier *h = support_core_hier(&c);
    mh_time_stats ts;
    assert_int_equal(mh_hier_time_stats(h, &ts), MH_EUNSUPPORTED);
    mh_hier_destroy(h);
    mh_hier_opts o = mh_hier_opts_default();
    assert_int_equal(o.classify_3c, 1);
    assert_int_equal(o.timing, 1);
    assert_int_equal(mh_hier_create(&c, &o, &h, NULL), MH_OK);
    support_core_run(h, "0 0\n1 0\n4 0\n0 10\n");
    assert_int_equal(mh_hier_time_stats(h, &ts), MH_OK);
    assert_int_equal(ts.records, 3);
    mh_hier_destroy(h);
}

/* Two hierarchies in one process are independent (random policy, interleaved batches). */
static void test_independent(void **state)
{
    (void)state;
    mh_config c;
    support_core_config(&c);
    support_core_level(&c, "L1", 64, 4, 16);
    c.level[0].policy = MH_POL_RANDOM;
    c.level[0].seed = 7;
    mh_rec recs[500];
    for (int i = 0; i < 500; i++)
        recs[i] = (mh_rec){(uint64_t)((i * 13) % 11) * 16, 0, 4, MH_OP_READ, 0};
    mh_hier *a = support_core_hier(&c), *b = support_core_hier(&c), *alone = support_core_hier(&c);
    for (int i = 0; i < 500; i += 50) {
        mh_hier_access(a, recs + i, 50);
        mh_hier_access(b, recs + i, 50);
    }
    mh_hier_access(alone, recs, 500);
    uint64_t ma = support_core_stats(a, 0).kind[0].misses, mb = support_core_stats(b, 0).kind[0].misses;
    assert_int_equal(ma, mb);
    assert_int_equal(ma, support_core_stats(alone, 0).kind[0].misses);
    mh_hier_destroy(a);
    mh_hier_destroy(b);
    mh_hier_destroy(alone);
}

/* Hardware next-line prefetcher (degree 1, distance 1) on a 1-set 4-way L1:
 * R0 miss, pf 1 -> [1 0]; R1 hits the prefetched line (useful), pf 2 -> [2 1 0];
 * R4 miss [4 2 1 0], pf 5 evicts 0 -> [5 4 2 1]; R8 miss evicts 1 (used), pf 9 evicts 2 (never
 * used: useless). Demand fills 3 x 16, prefetch fills 4 x 16, both from memory. */
static void test_hw_prefetch(void **state)
{
    (void)state;
    mh_config c;
    support_core_config(&c);
    support_core_level(&c, "L1", 64, 4, 16);
    c.level[0].prefetcher = MH_PF_NEXT_LINE;
    c.level[0].pf_degree = 1;
    c.level[0].pf_distance = 1;
    mh_hier *h = support_core_hier(&c);
    support_core_run(h, "0 0\n0 10\n0 40\n0 80\n");
    mh_level_stats s = support_core_stats(h, 0);
    assert_int_equal(s.kind[MH_OP_READ].accesses, 4);
    assert_int_equal(s.kind[MH_OP_READ].misses, 3);
    assert_int_equal(s.pf_issued, 4);
    assert_int_equal(s.pf_fill_bytes, 64);
    assert_int_equal(s.pf_useful, 1);
    assert_int_equal(s.pf_useless, 1);
    assert_int_equal(s.bytes_from_next, 48);
    assert_int_equal(s.evictions, 3);
    uint64_t rd;
    mh_hier_mem_traffic(h, &rd, NULL);
    assert_int_equal(rd, 112);
    mh_hier_destroy(h);
}

/* wb_bypass (Cachegrind's model): dirty victims go to memory without touching L2. */
static void test_wb_bypass(void **state)
{
    (void)state;
    mh_config c;
    support_core_config(&c);
    support_core_level(&c, "L1", 32, 2, 16);
    support_core_level(&c, "L2", 256, 2, 16);
    c.level[0].next = 1;
    mh_hier_opts o = {1, 0, 1};
    mh_hier *h = NULL;
    assert_int_equal(mh_hier_create(&c, &o, &h, NULL), MH_OK);
    support_core_run(h, "1 0\n0 10\n0 20\n1 30\n");
    mh_hier_flush(h);
    mh_level_stats l1 = support_core_stats(h, 0), l2 = support_core_stats(h, 1);
    assert_int_equal(l1.writebacks, 2);         /* A evicted dirty, D flushed */
    assert_int_equal(l2.kind[MH_OP_WRITE].accesses, 0);
    assert_int_equal(l2.kind[MH_OP_READ].accesses, 4);
    uint64_t rd, wr;
    mh_hier_mem_traffic(h, &rd, &wr);
    assert_int_equal(rd, 64);
    assert_int_equal(wr, 32);
    mh_hier_destroy(h);
}

/* Returns 1 when level li of h holds line (in its own line units). */
static int holds(const mh_hier *h, int li, uint64_t line)
{
    const mh_level *L = &h->lv[li];
    return mh_level_find(L, (uint32_t)(line & L->set_mask), line) >= 0;
}

/* Random configurations and traces (every op, straddling sizes) under the sanitizers; checks
 * the invariants: inclusive L1 lines are in L2, exclusive ones are not, 3C classes add up,
 * flush leaves nothing dirty, and the same seed replays identically. */
static void test_stress(void **state)
{
    (void)state;
    uint64_t x = 12345;
    for (int cfgi = 0; cfgi < 24; cfgi++) {
        mh_config c;
        support_core_config(&c);
        support_core_level(&c, "L1", 256, 2, 16);
        support_core_level(&c, "L2", 1024, 4, 16);
        support_core_level(&c, "L3", 4096, 8, 32);
        c.level[0].next = 1;
        c.level[1].next = 2;
        c.level[0].inclusion = cfgi % 3;
        c.level[1].inclusion = (cfgi / 3) % 2 ? MH_INC_INCLUSIVE : MH_INC_NINE;
        for (int l = 0; l < 3; l++) {
            c.level[l].policy = (cfgi + l) % 6;
            c.level[l].write_back = (cfgi / 6 + l) % 2;
            c.level[l].allocate = (cfgi / 12 + l) % 2 || l > 0;
        }
        c.level[0].prefetcher = cfgi % 4 == 0 ? MH_PF_NEXT_LINE : MH_PF_NONE;
        c.level[0].pf_degree = 2;
        mh_hier *h[2];
        mh_hier_opts o = {cfgi % 2, 1, 0};
        assert_int_equal(mh_hier_create(&c, &o, &h[0], NULL), MH_OK);
        assert_int_equal(mh_hier_create(&c, &o, &h[1], NULL), MH_OK);
        mh_rec recs[4000];
        for (int i = 0; i < 4000; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            static const uint8_t ops[] = {0, 0, 0, 1, 1, 2, 3, 4, 5, 6};
            recs[i] = (mh_rec){(x >> 8) % 8192, 1, (uint16_t)(1 + (x >> 40) % 40), ops[(x >> 50) % 10], 0};
        }
        for (int k = 0; k < 2; k++) {
            mh_hier_access(h[k], recs, 4000);
            for (size_t li = 0; li < 3; li++) {
                mh_level_stats st = support_core_stats(h[k], li);
                for (int kind = 0; kind < MH_KINDS; kind++) {
                    mh_counts ct = st.kind[kind];
                    assert_int_equal(ct.hits + ct.misses, ct.accesses);
                    if (o.classify_3c)
                        assert_int_equal(ct.compulsory + ct.capacity + ct.conflict, ct.misses);
                }
            }
        }
        const mh_level *L1 = &h[0]->lv[0];
        for (size_t i = 0; i < (size_t)L1->sets * L1->ways; i++) {
            uint64_t v = L1->slot[i];
            if (!v)
                continue;
            if (c.level[0].inclusion == MH_INC_INCLUSIVE)
                assert_true(holds(h[0], 1, mh_slot_line(v)));
            if (c.level[0].inclusion == MH_INC_EXCLUSIVE)
                assert_false(holds(h[0], 1, mh_slot_line(v)));
        }
        mh_hier_flush(h[0]);
        for (int li = 0; li < 3; li++) {
            const mh_level *L = &h[0]->lv[li];
            for (size_t i = 0; i < (size_t)L->sets * L->ways; i++)
                assert_false(L->slot[i] & MH_SL_DIRTY);
        }
        assert_int_equal(support_core_stats(h[1], 2).kind[0].misses, support_core_stats(h[0], 2).kind[0].misses);
        mh_hier_destroy(h[0]);
        mh_hier_destroy(h[1]);
    }
}

/* L1 (64 B, 4 ways, 16 B lines) over L2 (256 B), both with a next-line prefetcher one line ahead. */
static mh_hier *two_next_line_levels(void)
{
    mh_config c;
    support_core_config(&c);
    support_core_level(&c, "L1", 64, 4, 16);
    support_core_level(&c, "L2", 256, 4, 16);
    c.level[0].next = 1;
    for (int l = 0; l < 2; l++) {
        c.level[l].prefetcher = MH_PF_NEXT_LINE;
        c.level[l].pf_degree = 1;
        c.level[l].pf_distance = 1;
    }
    return support_core_hier(&c);
}

/* A lower level's prefetcher learns from the upper level's prefetches too: read A misses L1 and
 * L2; L2's next-line prefetcher fetches B; L1's next-line prefetch of B then reaches L2 (a hit
 * there) and trains it, so L2 also prefetches C. */
static void test_pf_trains_lower(void **state)
{
    (void)state;
    mh_hier *h = two_next_line_levels();
    support_core_run(h, "0 0\n");
    mh_level_stats l1 = support_core_stats(h, 0), l2 = support_core_stats(h, 1);
    assert_int_equal(l1.pf_issued, 1);       /* B into L1 */
    assert_int_equal(l2.pf_issued, 2);       /* B (after A's miss), C (after L1's prefetch of B) */
    assert_int_equal(l2.kind[MH_OP_PREFETCH].accesses, 1);
    assert_int_equal(l2.kind[MH_OP_PREFETCH].misses, 0);
    assert_true(holds(h, 1, 2));
    mh_hier_destroy(h);
}

/* A software prefetch trains no prefetcher at the entry level (it is not a load), but its miss
 * request trains the next level's, as an L2 stream prefetcher sees every L1 miss request: a
 * prefetch of A misses L1 and L2; only L2's next-line prefetcher fetches B. Then a demand read
 * of C trains both. */
static void test_pf_swpf_trains_lower(void **state)
{
    (void)state;
    mh_hier *h = two_next_line_levels();
    mh_rec r = {.addr = 0, .size = 1, .op = MH_OP_PREFETCH};
    assert_int_equal(mh_hier_access(h, &r, 1), MH_OK);
    mh_level_stats l1 = support_core_stats(h, 0), l2 = support_core_stats(h, 1);
    assert_int_equal(l1.pf_issued, 0);
    assert_int_equal(l2.pf_issued, 1);
    assert_int_equal(l2.kind[MH_OP_PREFETCH].accesses, 1);
    assert_true(holds(h, 1, 1));
    assert_false(holds(h, 0, 1));
    r = (mh_rec){.addr = 5 * 16, .size = 1, .op = MH_OP_READ};
    assert_int_equal(mh_hier_access(h, &r, 1), MH_OK);
    l1 = support_core_stats(h, 0), l2 = support_core_stats(h, 1);
    assert_int_equal(l1.pf_issued, 1);       /* line 6 into L1 */
    assert_int_equal(l2.pf_issued, 3);       /* line 6 after C's miss, 7 after L1's prefetch of 6 */
    mh_hier_destroy(h);
}

/* Asserts that every count of level li is equal in a and b, the 3C classes too when classes. */
static void same_counts(const mh_hier *a, const mh_hier *b, size_t li, int cfgi, int classes)
{
    mh_level_stats x = support_core_stats(a, li), y = support_core_stats(b, li);
    for (int k = 0; k < MH_KINDS; k++) {
        if (x.kind[k].accesses != y.kind[k].accesses || x.kind[k].misses != y.kind[k].misses)
            fail_msg("config %d level %zu kind %d: lean %llu/%llu, general %llu/%llu accesses/misses", cfgi, li, k,
                     (unsigned long long)x.kind[k].accesses, (unsigned long long)x.kind[k].misses,
                     (unsigned long long)y.kind[k].accesses, (unsigned long long)y.kind[k].misses);
        if (classes && (x.kind[k].compulsory != y.kind[k].compulsory || x.kind[k].capacity != y.kind[k].capacity ||
                        x.kind[k].conflict != y.kind[k].conflict))
            fail_msg("config %d level %zu kind %d: lean 3C %llu/%llu/%llu, general %llu/%llu/%llu", cfgi, li, k,
                     (unsigned long long)x.kind[k].compulsory, (unsigned long long)x.kind[k].capacity,
                     (unsigned long long)x.kind[k].conflict, (unsigned long long)y.kind[k].compulsory,
                     (unsigned long long)y.kind[k].capacity, (unsigned long long)y.kind[k].conflict);
    }
    assert_int_equal(x.evictions, y.evictions);
    assert_int_equal(x.writebacks, y.writebacks);
    assert_int_equal(x.bytes_from_next, y.bytes_from_next);
    assert_int_equal(x.bytes_to_next, y.bytes_to_next);
    assert_int_equal(x.back_invalidations, y.back_invalidations);
    assert_int_equal(x.pf_issued, y.pf_issued);
    assert_int_equal(x.pf_fill_bytes, y.pf_fill_bytes);
    assert_int_equal(x.pf_useful, y.pf_useful);
    assert_int_equal(x.pf_useless, y.pf_useless);
}

/* Asserts that a and b moved the same bytes from and to memory. */
static void same_traffic(const mh_hier *a, const mh_hier *b)
{
    uint64_t r0, w0, r1, w1;
    mh_hier_mem_traffic(a, &r0, &w0);
    mh_hier_mem_traffic(b, &r1, &w1);
    assert_int_equal(r0, r1);
    assert_int_equal(w0, w1);
}

/* Builds c three times for replay_three: h[0] without 3C, h[1] with 3C on the general path only
 * (every lean flag cleared), h[2] with 3C. */
static void create_three(const mh_config *c, mh_hier *h[3])
{
    mh_hier_opts plain = {0, 0, 0}, c3 = {1, 0, 0};
    assert_int_equal(mh_hier_create(c, &plain, &h[0], NULL), MH_OK);
    assert_int_equal(mh_hier_create(c, &c3, &h[1], NULL), MH_OK);
    assert_int_equal(mh_hier_create(c, &c3, &h[2], NULL), MH_OK);
    for (size_t l = 0; l < c->nlevels; l++)
        h[1]->lv[l].lean = h[1]->lv[l].chain = h[1]->lv[l].ev_lean = 0;
}

/* Replays recs into h[0] (fast paths, no 3C), h[1] (the general path, 3C) and h[2] (fast paths,
 * 3C), flushes them, asserts every count (h[2]'s classes too) and the memory traffic equal to
 * h[1]'s, and destroys all three. */
static void replay_three(mh_hier *h[3], const mh_rec *recs, size_t n, size_t nlevels, int cfgi)
{
    for (int k = 0; k < 3; k++) {
        mh_hier_access(h[k], recs, n);
        mh_hier_flush(h[k]);
    }
    for (size_t li = 0; li < nlevels; li++) {
        same_counts(h[0], h[1], li, cfgi, 0);
        same_counts(h[2], h[1], li, cfgi, 1);
    }
    same_traffic(h[0], h[1]);
    same_traffic(h[2], h[1]);
    for (int k = 0; k < 3; k++)
        mh_hier_destroy(h[k]);
}

/* The lean path (ordered policies; chain_miss where the line size is the same all the way down;
 * lean_multi for requests of several lines at levels without a shadow or prefetcher), without
 * and with 3C, and the general path (forced here by clearing the lean flags) must count
 * the same, the 3C classes and the prefetch counts included: random lru/fifo hierarchies of 2-3
 * levels, split or unified, every inclusion and write mode, line sizes growing or equal
 * downwards, next-line, stride and stream prefetchers on none, one or both upper levels, every
 * op, straddling sizes, flush. */
static void test_lean_equals_general(void **state)
{
    (void)state;
    uint64_t x = 987654321;
    int chains = 0;
    for (int cfgi = 0; cfgi < 96; cfgi++) {
        mh_config c;
        support_core_config(&c);
        const int three = cfgi % 4 != 3, split = cfgi % 5 == 0;
        const uint32_t l2line = cfgi % 3 ? 16 : 32, l3line = cfgi % 6 == 1 ? 32 : l2line;
        support_core_level(&c, "L1", 256, cfgi % 2 ? 2 : 4, 16);
        support_core_level(&c, "L2", 1024, 4, l2line);
        if (three)
            support_core_level(&c, "L3", 8192, 8, l3line);
        if (split)
            support_core_level(&c, "L1i", 128, 2, 16);
        c.level[0].next = 1;
        c.level[1].next = three ? 2 : -1;
        if (split) {
            c.level[c.nlevels - 1].next = 1;
            c.ifetch = (int)c.nlevels - 1;
        }
        c.level[0].inclusion = cfgi % 3;
        c.level[1].inclusion = three ? (cfgi / 3) % 3 : MH_INC_NINE;
        for (size_t l = 0; l < c.nlevels; l++) {
            c.level[l].policy = (cfgi / 2 + (int)l) % 2 ? MH_POL_FIFO : MH_POL_LRU;
            c.level[l].write_back = (cfgi / 6 + (int)l) % 2;
            c.level[l].allocate = (cfgi / 12 + (int)l) % 2 || l > 0;
        }
        static const int pfs[] = {MH_PF_NONE, MH_PF_NEXT_LINE, MH_PF_STRIDE, MH_PF_STREAM, MH_PF_REGION};
        for (size_t l = 0; l < 2; l++) { /* L1 and L2: a prefetcher in 4 configs of 5 each */
            c.level[l].prefetcher = pfs[(cfgi / (l ? 7 : 5) + (int)l) % 5];
            c.level[l].pf_degree = 1 + (uint32_t)(cfgi % 3);
            c.level[l].pf_distance = 1 + (uint32_t)(cfgi / 3 % 2);
        }
        mh_hier *h[3];
        create_three(&c, h);
        assert_true(h[0]->lv[0].lean);
        assert_true(h[2]->lv[0].lean);
        assert_int_equal(h[0]->lv[0].chain, h[2]->lv[0].chain);
        chains += h[0]->lv[0].chain;
        static mh_rec recs[20000];
        for (int i = 0; i < 20000; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            static const uint8_t ops[] = {0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 4, 5};
            uint16_t size = (x >> 40) % 8 ? (uint16_t)(1u << ((x >> 44) % 4)) : (uint16_t)(1 + (x >> 48) % 40);
            recs[i] = (mh_rec){(x >> 8) % 24576, 1, size, ops[(x >> 52) % 12], 0};
        }
        replay_three(h, recs, 20000, c.nlevels, cfgi);
    }
    assert_true(chains >= 12); /* the chain path was taken by many of them */
}

/* The chain shapes (three lean levels whose associativities the replay has as constants) count
 * what the general path counts, without and with 3C (the classes too): each shape's ways, every
 * inclusion of L1 and L2, lru or fifo, write-back or -through below the entry level, with and
 * without a split L1i (of the same ways, whose uppers then share them, or fewer), every op,
 * straddling sizes and size 0, flush. */
static void test_shapes_equal_general(void **state)
{
    (void)state;
    static const uint32_t shapes[][3] = {{8, 8, 16}, {8, 4, 16}, {8, 16, 16}, {12, 8, 16}, {12, 16, 16}};
    uint64_t x = 123456789;
    int shaped = 0;
    for (int cfgi = 0; cfgi < 90; cfgi++) {
        const uint32_t *w = shapes[cfgi % 5];
        const int split = cfgi % 3, fifo = cfgi % 7 == 3;
        mh_config c;
        support_core_config(&c);
        support_core_level(&c, "L1", w[0] * 4 * 16, w[0], 16);
        support_core_level(&c, "L2", w[1] * 16 * 16, w[1], 16);
        support_core_level(&c, "L3", w[2] * 64 * 16, w[2], 16);
        if (split)
            support_core_level(&c, "L1i", (split == 1 ? w[0] : 2) * 4 * 16, split == 1 ? w[0] : 2, 16);
        c.level[0].next = 1;
        c.level[1].next = 2;
        if (split) {
            c.level[3].next = 1;
            c.level[3].inclusion = c.level[0].inclusion;
            c.ifetch = 3;
        }
        c.level[0].inclusion = (cfgi / 5) % 3;
        c.level[1].inclusion = (cfgi / 15) % 3;
        for (size_t l = 0; l < c.nlevels; l++) {
            c.level[l].policy = fifo && l == 1 ? MH_POL_FIFO : MH_POL_LRU;
            c.level[l].write_back = l == 0 || l == 3 || (cfgi + (int)l) % 4 != 0;
            c.level[l].allocate = 1;
        }
        if (split)
            c.level[3].inclusion = c.level[0].inclusion;
        mh_hier *h[3];
        create_three(&c, h);
        shaped += (h[0]->lv[0].shape >= 0) + (h[2]->lv[0].shape >= 0);
        static mh_rec recs[30000];
        for (int i = 0; i < 30000; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            static const uint8_t ops[] = {0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 3};
            uint16_t size = (x >> 40) % 16 ? (uint16_t)(1u << ((x >> 44) % 4)) : (uint16_t)(1 + (x >> 48) % 40);
            size = (x >> 40) % 32 == 1 ? 0 : size; /* size 0 counts as 1, at a line boundary too */
            recs[i] = (mh_rec){(x >> 8) % ((uint64_t)w[2] * 64 * 16 * 3), 1, size, ops[(x >> 52) % 11], 0};
        }
        replay_three(h, recs, 30000, c.nlevels, cfgi);
    }
    assert_int_equal(shaped, 180); /* every entry level took its shape's path, with 3C too */
}

/* In timing mode the serving level of every record feeds the model: the fast paths (the fixed
 * 8-way, 64-byte entry level, the inlined 8/8/16 shape, the two-line requests of pair_req and
 * pair_hit) must serve each record from the level the general path does. Hierarchies of that
 * shape, L1 and L2 of every inclusion, a split L1i or not; random records of every op, many
 * across a line boundary, half of them near a recent record (hits); the modelled cycles and
 * every count must match the general path's. */
static void test_served_equal_general(void **state)
{
    (void)state;
    uint64_t x = 55555;
    for (int cfgi = 0; cfgi < 18; cfgi++) {
        const int split = cfgi % 2;
        mh_config c;
        support_core_config(&c);
        support_core_level(&c, "L1", 8 * 8 * 64, 8, 64);
        support_core_level(&c, "L2", 8 * 32 * 64, 8, 64);
        support_core_level(&c, "L3", 16 * 128 * 64, 16, 64);
        if (split)
            support_core_level(&c, "L1i", 8 * 8 * 64, 8, 64);
        c.level[0].next = 1;
        c.level[1].next = 2;
        c.level[0].inclusion = (cfgi / 2) % 3;
        c.level[1].inclusion = (cfgi / 6) % 3;
        for (size_t l = 0; l < c.nlevels; l++)
            c.level[l].latency = 1 + 4 * (uint32_t)l;
        if (split) {
            c.level[3].next = 1;
            c.level[3].inclusion = c.level[0].inclusion;
            c.ifetch = 3;
        }
        mh_hier_opts o = {0, 1, 0};
        mh_hier *h[2];
        assert_int_equal(mh_hier_create(&c, &o, &h[0], NULL), MH_OK);
        assert_int_equal(mh_hier_create(&c, &o, &h[1], NULL), MH_OK);
        assert_true(h[0]->lv[0].shape >= 0);
        for (size_t l = 0; l < c.nlevels; l++)
            h[1]->lv[l].lean = h[1]->lv[l].chain = h[1]->lv[l].ev_lean = 0;
        static mh_rec recs[20000];
        uint64_t recent[4] = {4096, 8192, 12288, 16384}; /* half the records go near these: hits */
        for (int i = 0; i < 20000; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            static const uint8_t ops[] = {0, 0, 0, 0, 1, 1, 2, 2, 2, 3};
            uint64_t a = (x >> 8) % (16 * 128 * 64 * 3);
            if ((x >> 38) % 2) /* within a line or so of a recent record: two-line hits too */
                a = recent[(x >> 36) % 4] + (x >> 28) % 128 - 64;
            recent[(x >> 34) % 4] = a;
            uint16_t size = (x >> 40) % 4 ? 8 : 4;
            a = (x >> 44) % 4 ? a : (a | 63) - (x >> 50) % 3; /* a line's last bytes: across the boundary */
            recs[i] = (mh_rec){a, (uint32_t)(x >> 56) % 4, size, ops[(x >> 52) % 10], 0};
        }
        for (int k = 0; k < 2; k++)
            mh_hier_access(h[k], recs, 20000);
        mh_time_stats t0, t1;
        assert_int_equal(mh_hier_time_stats(h[0], &t0), MH_OK);
        assert_int_equal(mh_hier_time_stats(h[1], &t1), MH_OK);
        assert_int_equal(t0.records, 20000);
        assert_true(t0.cycles == t1.cycles);
        assert_true(t0.cycles_ram == t1.cycles_ram);
        for (size_t li = 0; li < c.nlevels; li++)
            same_counts(h[0], h[1], li, cfgi, 0);
        same_traffic(h[0], h[1]);
        for (int k = 0; k < 2; k++)
            mh_hier_destroy(h[k]);
    }
}

/* Bad graphs are refused with a message; out-of-range stats index is EINVAL. */
static void test_bad_config(void **state)
{
    (void)state;
    mh_config c;
    support_core_config(&c);
    support_core_level(&c, "L1", 32, 2, 16);
    support_core_level(&c, "L2", 64, 2, 16);
    c.level[0].next = 1;
    c.level[1].next = 0;
    mh_hier *h = NULL;
    mh_error err = {0};
    assert_int_equal(mh_hier_create(&c, NULL, &h, &err), MH_ECONFIG);
    assert_non_null(strstr(err.msg, "cycle"));
    c.level[1].next = -1;
    c.level[1].line = 24;
    assert_int_equal(mh_hier_create(&c, NULL, &h, &err), MH_ECONFIG);
    assert_non_null(strstr(err.msg, "line = 24"));
    assert_null(h);
    c.level[1].line = 16;
    h = support_core_hier(&c);
    mh_level_stats s;
    assert_int_equal(mh_hier_level_stats(h, 2, &s), MH_EINVAL);
    mh_hier_destroy(h);
    mh_hier_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wb_alloc),       cmocka_unit_test(test_wt_noalloc),
        cmocka_unit_test(test_wt_alloc),       cmocka_unit_test(test_wb_noalloc),
        cmocka_unit_test(test_flush),          cmocka_unit_test(test_copyback_invalidate),
        cmocka_unit_test(test_inclusive_vs_nine), cmocka_unit_test(test_inclusive_dirty),
        cmocka_unit_test(test_exclusive),      cmocka_unit_test(test_3c),
        cmocka_unit_test(test_straddle),       cmocka_unit_test(test_split),
        cmocka_unit_test(test_sw_prefetch),    cmocka_unit_test(test_timing_switch),
        cmocka_unit_test(test_independent),    cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_wb_bypass),      cmocka_unit_test(test_hw_prefetch),
        cmocka_unit_test(test_stress),         cmocka_unit_test(test_lean_equals_general),
        cmocka_unit_test(test_shapes_equal_general), cmocka_unit_test(test_served_equal_general),
        cmocka_unit_test(test_pf_trains_lower),
        cmocka_unit_test(test_pf_swpf_trains_lower),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
