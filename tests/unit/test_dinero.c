/* test_dinero.c — DineroIV 7 equivalence on small din traces, numbers computed by hand from
 * DineroIV's rules (ref.c d4ref, misc.c d4_dopending / d4_wbblock / d4copyback, cmdmain.c):
 *  - every d4ref counts one demand fetch of its access type; a miss counts one demand miss;
 *  - a lower cache sees an upper miss as a read of the upper block (a write miss fetches with
 *    type read; ifetch and misc keep their type), write-backs as writes of the upper block,
 *    write-throughs as the write itself (4 bytes for din);
 *  - a write miss without write-allocate is not fetched and passes down as the write;
 *  - with write-allocate, a write that covers whole blocks is not fetched (so a write-back into
 *    a lower cache of the same block size allocates there without a memory read);
 *  - pending references are a stack: the fill goes down before the victim's write-back;
 *  - "Bytes From Memory" / "Bytes To Memory" of a cache are the reads / writes it sent down;
 *  - at the end of the run cmdmain copies every dirty block back (d4copyback on the data path):
 *    mh_hier_flush.
 * Configs are named by the DineroIV command line they correspond to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "support_core.h"

/* Expected DineroIV numbers for one cache: demand fetches and misses per type, bytes. */
typedef struct d4exp {
    uint64_t fetch[4], miss[4]; /* read, write, ifetch, misc */
    uint64_t bytes_from, bytes_to;
} d4exp;

/* Compares level i of h with e. */
static void check(const mh_hier *h, size_t i, const d4exp *e)
{
    mh_level_stats s = support_core_stats(h, i);
    for (int k = 0; k < 4; k++) {
        assert_int_equal(s.kind[k].accesses, e->fetch[k]);
        assert_int_equal(s.kind[k].misses, e->miss[k]);
    }
    assert_int_equal(s.bytes_from_next, e->bytes_from);
    assert_int_equal(s.bytes_to_next, e->bytes_to);
}

/* 2 sets x 2 ways, 16-byte blocks: set = (addr >> 4) & 1. */
static const char trace1[] =
    "0 0\n"   /* R line0 set0: miss              set0 [0]   */
    "1 10\n"  /* W line1 set1: miss              set1 [1]   */
    "0 20\n"  /* R line2 set0: miss              set0 [2 0] */
    "0 40\n"  /* R line4 set0: miss, evicts 0    set0 [4 2] */
    "2 0\n"   /* I line0 set0: miss, evicts 2    set0 [0 4] */
    "1 14\n"  /* W line1: hit                               */
    "0 24\n"  /* R line2: miss, evicts 4         set0 [2 0] */
    "3 50\n"  /* M line5 set1: miss              set1 [5 1] */
    "1 60\n"  /* W line6 set0: miss, evicts 0    set0 [6 2] */
    "0 10\n"; /* R line1: hit                    set1 [1 5] */

/* Unified L1 only. */
static mh_hier *l1_only(int policy, int wback, int walloc)
{
    mh_config c;
    support_core_config(&c);
    support_core_level(&c, "l1-ucache", 64, 2, 16);
    c.level[0].policy = policy;
    c.level[0].write_back = wback;
    c.level[0].allocate = walloc;
    return support_core_hier(&c);
}

/* -l1-usize 64 -l1-ubsize 16 -l1-uassoc 2 -l1-urepl l -l1-uwback a -l1-uwalloc a
 * Misses: read 4 (0,20,40,24), write 2 (10,60), ifetch 1, misc 1: 8 fills x 16 = 128 bytes in.
 * No dirty victim; the final copy-back writes lines 1 and 6: 32 bytes out. */
static void test_l1_wb_walloc(void **state)
{
    (void)state;
    mh_hier *h = l1_only(MH_POL_LRU, 1, 1);
    support_core_run(h, trace1);
    mh_hier_flush(h);
    d4exp e = {{5, 3, 1, 1}, {4, 2, 1, 1}, 128, 32};
    check(h, 0, &e);
    uint64_t rd, wr;
    mh_hier_mem_traffic(h, &rd, &wr);
    assert_int_equal(rd, 128);
    assert_int_equal(wr, 32);
    mh_hier_destroy(h);
}

/* -l1-uwback n -l1-uwalloc n: writes never allocate, so line 1 stays out: W 10, W 14, W 60 and
 * R 10 all miss; set0 as before without line 6. Reads miss 5; 7 fills (5 read, 1 ifetch,
 * 1 misc) = 112 bytes in; 3 writes x 4 = 12 bytes out; nothing dirty at the end. */
static void test_l1_wt_nowalloc(void **state)
{
    (void)state;
    mh_hier *h = l1_only(MH_POL_LRU, 0, 0);
    support_core_run(h, trace1);
    mh_hier_flush(h);
    d4exp e = {{5, 3, 1, 1}, {5, 3, 1, 1}, 112, 12};
    check(h, 0, &e);
    mh_hier_destroy(h);
}

/* -l1-uwback n -l1-uwalloc a: misses as write-back/allocate (8 fills, 128 in); every write goes
 * through: 12 out; clean at the end. */
static void test_l1_wt_walloc(void **state)
{
    (void)state;
    mh_hier *h = l1_only(MH_POL_LRU, 0, 1);
    support_core_run(h, trace1);
    mh_hier_flush(h);
    d4exp e = {{5, 3, 1, 1}, {4, 2, 1, 1}, 128, 12};
    check(h, 0, &e);
    mh_hier_destroy(h);
}

/* -l1-uwback a -l1-uwalloc n: allocation as write-through/no-allocate (112 in); the three write
 * misses pass down (12 out); no line is ever dirty. */
static void test_l1_wb_nowalloc(void **state)
{
    (void)state;
    mh_hier *h = l1_only(MH_POL_LRU, 1, 0);
    support_core_run(h, trace1);
    mh_hier_flush(h);
    d4exp e = {{5, 3, 1, 1}, {5, 3, 1, 1}, 112, 12};
    check(h, 0, &e);
    mh_hier_destroy(h);
}

/* LRU vs FIFO, one set of 2 ways (-l1-usize 32 -l1-ubsize 16 -l1-uassoc 2 -l1-urepl l|f):
 * R0 M, R1 M, R0 H (LRU refreshes 0; FIFO does not), R2 M (LRU evicts 1, FIFO evicts 0),
 * R0 (LRU hit; FIFO miss evicting 1), R1 (both miss, evicting 2). */
static void test_lru_fifo(void **state)
{
    (void)state;
    const char *t = "0 0\n0 10\n0 0\n0 20\n0 0\n0 10\n";
    mh_config c;
    support_core_config(&c);
    support_core_level(&c, "l1-ucache", 32, 2, 16);
    mh_hier *h = support_core_hier(&c);
    support_core_run(h, t);
    d4exp lru = {{6, 0, 0, 0}, {4, 0, 0, 0}, 64, 0};
    check(h, 0, &lru);
    mh_hier_destroy(h);
    c.level[0].policy = MH_POL_FIFO;
    h = support_core_hier(&c);
    support_core_run(h, t);
    d4exp fifo = {{6, 0, 0, 0}, {5, 0, 0, 0}, 80, 0};
    check(h, 0, &fifo);
    mh_hier_destroy(h);
}

/* Split L1 (i and d: 32 B direct-mapped, 16 B blocks, 2 sets) over a unified L2 (128 B, 2-way,
 * 32 B blocks, 2 sets: set = (addr >> 5) & 1), all LRU, write-back, write-allocate:
 * -l1-isize 32 -l1-ibsize 16 -l1-iassoc 1 -l1-dsize 32 -l1-dbsize 16 -l1-dassoc 1
 * -l2-usize 128 -l2-ubsize 32 -l2-uassoc 2 */
static void test_split_two_levels(void **state)
{
    (void)state;
    mh_config c;
    support_core_config(&c);
    support_core_level(&c, "l1-icache", 32, 1, 16);
    support_core_level(&c, "l1-dcache", 32, 1, 16);
    support_core_level(&c, "l2-ucache", 128, 2, 32);
    c.level[0].next = c.level[1].next = 2;
    c.ifetch = 0;
    c.data = 1;
    mh_hier *h = support_core_hier(&c);
    support_core_run(h,
                     "1 0\n"    /* L1d miss (dirty); L2 read 0x00 miss          L2 s0 [00]     */
                     "2 100\n"  /* L1i miss; L2 ifetch 0x100 miss                  s0 [100 00] */
                     "0 20\n"   /* L1d miss, victim 00 dirty: L2 read 0x20 miss (s1 [20]),
                                 * then L2 write 0x00 (16 B) hit -> dirty          s0 [00 100] */
                     "0 140\n"  /* L1d miss (victim 20 clean): L2 read 0x140 miss, evicts
                                 * 100 (clean)                                     s0 [140 00] */
                     "2 104\n"  /* L1i hit                                                     */
                     "0 30\n"   /* L1d set1 miss: L2 read 0x30 hits line 0x20                  */
                     "1 144\n"  /* L1d hit -> dirty                                            */
                     "0 40\n"); /* L1d miss, victim 140 dirty: L2 read 0x40 misses, evicts 00
                                 * (dirty: 32 B to memory); then L2 write 0x140 hit -> dirty   */
    mh_hier_flush(h);           /* L1d clean; L2 writes 0x140 back: 32 B */
    d4exp i = {{0, 0, 2, 0}, {0, 0, 1, 0}, 16, 0};
    d4exp d = {{4, 2, 0, 0}, {4, 1, 0, 0}, 80, 32};
    d4exp l2 = {{5, 2, 1, 0}, {4, 0, 1, 0}, 160, 64};
    check(h, 0, &i);
    check(h, 1, &d);
    check(h, 2, &l2);
    mh_hier_destroy(h);
}

/* Write-through, no-write-allocate L1 (32 B DM, 16 B blocks) over a write-back, write-allocate
 * L2 (128 B, 2-way, 32 B blocks): the L2 sees the 4-byte writes; a 4-byte write miss there
 * fetches its 32-byte block. -l1-uwback n -l1-uwalloc n -l2-usize 128 -l2-ubsize 32 -l2-uassoc 2 */
static void test_wt_over_wb(void **state)
{
    (void)state;
    mh_config c;
    support_core_config(&c);
    support_core_level(&c, "l1-ucache", 32, 1, 16);
    support_core_level(&c, "l2-ucache", 128, 2, 32);
    c.level[0].write_back = 0;
    c.level[0].allocate = 0;
    c.level[0].next = 1;
    mh_hier *h = support_core_hier(&c);
    support_core_run(h,
                     "1 0\n"    /* L1 miss, 4 B down; L2 write miss: fetch 32, dirty  s0 [00]    */
                     "0 0\n"    /* L1 miss: L2 read hit                                          */
                     "1 4\n"    /* L1 hit, 4 B down; L2 write hit                                */
                     "1 40\n"   /* L1 miss; L2 write 0x40 miss: fetch               s0 [40 00]   */
                     "1 80\n"   /* L1 miss; L2 write 0x80 miss: fetch, evict 00 dirty (32 out)   */
                     "0 10\n"); /* L1 miss; L2 read 0x10 (block 00) miss: fetch, evict 40 dirty  */
    mh_hier_flush(h);           /* L2: 0x80 dirty -> 32 out */
    d4exp l1 = {{2, 4, 0, 0}, {2, 3, 0, 0}, 32, 16};
    d4exp l2 = {{2, 4, 0, 0}, {1, 3, 0, 0}, 128, 96};
    check(h, 0, &l1);
    check(h, 1, &l2);
    mh_hier_destroy(h);
}

/* Three levels: L1 32 B DM / 16 B, L2 64 B 2-way / 16 B (2 sets), L3 256 B 2-way / 32 B
 * (4 sets), all write-back, write-allocate, LRU. */
static void test_three_levels(void **state)
{
    (void)state;
    mh_config c;
    support_core_config(&c);
    support_core_level(&c, "l1-ucache", 32, 1, 16);
    support_core_level(&c, "l2-ucache", 64, 2, 16);
    support_core_level(&c, "l3-ucache", 256, 2, 32);
    c.level[0].next = 1;
    c.level[1].next = 2;
    mh_hier *h = support_core_hier(&c);
    support_core_run(h,
                     "0 0\n"    /* L1, L2, L3 miss                                            */
                     "0 20\n"   /* L1 miss (evicts 00), L2 s0 miss [20 00], L3 s1 miss         */
                     "0 40\n"   /* L1 miss, L2 s0 miss evicts 00 [40 20], L3 s2 miss           */
                     "0 0\n"    /* L1 miss, L2 s0 miss evicts 20 [00 40], L3 s0 hit            */
                     "1 10\n"   /* L1 s1 miss (dirty); L2 read 0x10 miss; L3 block 00 hit      */
                     "0 30\n"); /* L1 s1 miss, victim 10 dirty: L2 read 0x30 miss (L3 hit),
                                 * then L2 write 0x10 hit -> dirty                             */
    mh_hier_flush(h);           /* L2 writes 0x10 to L3 (write hit, dirty); L3 writes 32 B */
    d4exp l1 = {{5, 1, 0, 0}, {5, 1, 0, 0}, 96, 16};
    d4exp l2 = {{6, 1, 0, 0}, {6, 0, 0, 0}, 96, 16};
    d4exp l3 = {{6, 1, 0, 0}, {3, 0, 0, 0}, 96, 32};
    check(h, 0, &l1);
    check(h, 1, &l2);
    check(h, 2, &l3);
    uint64_t rd, wr;
    mh_hier_mem_traffic(h, &rd, &wr);
    assert_int_equal(rd, 96);
    assert_int_equal(wr, 32);
    mh_hier_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_l1_wb_walloc),   cmocka_unit_test(test_l1_wt_nowalloc),
        cmocka_unit_test(test_l1_wt_walloc),   cmocka_unit_test(test_l1_wb_nowalloc),
        cmocka_unit_test(test_lru_fifo),       cmocka_unit_test(test_split_two_levels),
        cmocka_unit_test(test_wt_over_wb),     cmocka_unit_test(test_three_levels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
