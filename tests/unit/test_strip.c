/* test_strip.c — trace stripping (mh_strip_*): a hand-computed batch (which records go, which
 * stay, and why); replaying random hierarchies' traces stripped, with the taken records counted,
 * gives exactly the statistics and memory traffic of replaying every record, flush included;
 * what stripping would change is refused with its reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hier_int.h"
#include "support_core.h"

#define NREC 40000
#define BATCH 1000 /* records per mh_strip_run: the table carries over between batches */

/* xorshift64 for the synthetic traces. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* L1 (split into L1d and L1i when split) over L2 over L3, 16-byte lines: 4 / 16 / 64 sets; with
 * narrow, an L1 of 8 sets over an L2 of 2 (the fewest sets are not the data entry level's). */
static void three_levels(mh_config *c, int split, int narrow)
{
    support_core_config(c);
    support_core_level(c, "L1", narrow ? 8 * 2 * 16 : 4 * 2 * 16, 2, 16);
    support_core_level(c, "L2", narrow ? 2 * 32 * 16 : 16 * 4 * 16, narrow ? 32 : 4, 16);
    support_core_level(c, "L3", 64 * 8 * 16, 8, 16);
    c->level[0].next = 1;
    c->level[1].next = 2;
    if (split) {
        support_core_level(c, "L1i", 8 * 2 * 16, 2, 16);
        c->level[3].next = 1;
        c->ifetch = 3;
    }
}

/* One L1 of 4 sets x 2 ways of 16 bytes; line n is address n * 16. The last record of each key
 * (line mod 4) decides: R0 R0 (taken: the last of key 0 was line 0), W0 (stays: not dirtied
 * yet), W0 (taken), R4 (stays: key 0, line 4), R0 (stays: key 0 last saw line 4), R1 R1 (taken),
 * I1 (stays: an instruction fetch, entry level L1i in the split hierarchy), R1 (stays), a record
 * over lines 1-2 (stays, and forgets keys 1 and 2), R1 (stays), a copyback (stays, forgets
 * everything), R1 (stays). */
static void test_hand(void **state)
{
    (void)state;
    static const struct { uint64_t line; uint8_t op; uint16_t size; int taken; } seq[] = {
        {0, MH_OP_READ, 4, 0},  {0, MH_OP_READ, 4, 1},   {0, MH_OP_WRITE, 4, 0}, {0, MH_OP_WRITE, 4, 1},
        {4, MH_OP_READ, 4, 0},  {0, MH_OP_READ, 4, 0},   {1, MH_OP_READ, 4, 0},  {1, MH_OP_READ, 8, 1},
        {1, MH_OP_IFETCH, 4, 0}, {1, MH_OP_READ, 4, 0},  {1, MH_OP_READ, 20, 0}, {1, MH_OP_READ, 4, 0},
        {0, MH_OP_COPYBACK, 4, 0}, {1, MH_OP_READ, 4, 0},
    };
    const size_t n = sizeof seq / sizeof seq[0];
    mh_config c;
    support_core_config(&c);
    support_core_level(&c, "L1", 4 * 2 * 16, 2, 16);
    support_core_level(&c, "L1i", 4 * 2 * 16, 2, 16);
    c.ifetch = 1;
    mh_hier_opts o = {0, 0, 0};
    mh_hier *h;
    assert_int_equal(mh_hier_create(&c, &o, &h, NULL), MH_OK);
    mh_strip *s = NULL;
    assert_int_equal(mh_strip_create(h, &s, NULL), MH_OK);
    mh_rec recs[16];
    size_t want = 0;
    for (size_t i = 0; i < n; i++) {
        recs[i] = (mh_rec){seq[i].line * 16 + 4, 0, seq[i].size, seq[i].op, 0};
        want += !seq[i].taken;
    }
    uint64_t hits[MH_KINDS] = {0};
    size_t kept = mh_strip_run(s, recs, n, hits);
    assert_int_equal(kept, want);
    assert_int_equal(hits[MH_OP_READ], 2);
    assert_int_equal(hits[MH_OP_WRITE], 1);
    assert_int_equal(hits[MH_OP_IFETCH], 0);
    for (size_t i = 0, j = 0; i < n; i++) /* the kept ones in order */
        if (!seq[i].taken) {
            assert_int_equal(recs[j].addr, seq[i].line * 16 + 4);
            assert_int_equal(recs[j++].op, seq[i].op);
        }
    mh_strip_destroy(s);
    mh_hier_destroy(h);
}

/* Replays NREC random records into a (all of them) and b (stripped in batches, the taken ones
 * counted; with skips, every third batch from the second goes whole to b and the stripper is
 * told with mh_strip_skip, as the decoding thread does when it is the slower one); asserts that the strip took out at least min_taken of them and that every level's
 * counts and the memory traffic agree, before and after a flush. */
static void replay_both(mh_hier *a, mh_hier *b, uint64_t seed, double min_taken, int cfgi, int skips)
{
    static mh_rec all[NREC], batch[BATCH];
    uint64_t x = seed, sp = 0x8000, pc = 0x40000, seq = 0x100000;
    for (size_t i = 0; i < NREC; i++) {
        uint64_t r = rnd(&x), addr;
        uint8_t op = MH_OP_READ;
        uint16_t size = 4;
        switch (r % 8) {
        case 0: case 1: addr = seq; seq += 4; break;                               /* a stream */
        case 2: addr = 0x200000 + (r >> 8) % 65536; op = r >> 30 & 1; break;      /* random, read or write */
        case 3: case 4: sp += (r >> 8) & 1 ? 16 : -16; addr = sp + ((r >> 9) & 12); op = r >> 31 & 1; break;
        case 5: case 6: pc = (r >> 8) % 16 ? pc + 4 : 0x40000 + (r >> 12) % 4096; addr = pc; op = MH_OP_IFETCH; break;
        default: /* odd ones: straddling, size 0, misc, prefetch, copyback, invalidate, long; data
                    read from the code's lines (at the data entry level: another level when split) */
            addr = (r >> 44) % 4 ? sp + ((r >> 8) % 64) : pc;
            size = (uint16_t)((r >> 16) % 4 ? (r >> 20) % 24 : (r >> 24) % 200);
            static const uint8_t odd[] = {0, 1, 3, 4, 5, 6, 0, 1};
            op = odd[(r >> 40) % 8];
        }
        all[i] = (mh_rec){addr, 1, size, op, 0};
    }
    mh_strip *s = NULL;
    assert_int_equal(mh_strip_create(b, &s, NULL), MH_OK);
    uint64_t taken = 0;
    for (size_t i = 0; i < NREC; i += BATCH) {
        memcpy(batch, all + i, sizeof batch);
        uint64_t hits[MH_KINDS] = {0};
        if (skips && i / BATCH % 3 == 1) {
            mh_strip_skip(s);
            mh_hier_access(b, batch, BATCH);
            continue;
        }
        size_t kept = mh_strip_run(s, batch, BATCH, hits);
        mh_hier_access(b, batch, kept);
        mh_hier_count_hits(b, hits);
        for (int k = 0; k < MH_KINDS; k++)
            taken += hits[k];
        assert_true(kept <= BATCH);
    }
    mh_strip_destroy(s);
    mh_hier_access(a, all, NREC);
    if (taken < (uint64_t)(min_taken * NREC))
        fail_msg("config %d: %llu records taken out, fewer than %.0f %%", cfgi, (unsigned long long)taken,
                 min_taken * 100);
    for (int pass = 0; pass < 2; pass++) {
        support_core_same(a, b);
        mh_hier_flush(a); /* the dirty lines left are the same too */
        mh_hier_flush(b);
    }
}

/* Random hierarchies of two or three levels, split or unified, lru or fifo entry levels (any
 * policy below), every inclusion, write-back or -through and allocate or not at L1, and levels
 * with fewer sets than the data entry level: stripped replays equal full ones. */
static void test_equals_full(void **state)
{
    (void)state;
    static const int below[] = {MH_POL_LRU, MH_POL_FIFO, MH_POL_PLRU, MH_POL_SRRIP};
    for (int cfgi = 0; cfgi < 48; cfgi++) {
        mh_config c;
        const int split = cfgi % 2, three = cfgi % 6 != 5;
        three_levels(&c, split, cfgi % 3 == 2);
        if (!three) {
            c.level[1].next = -1;
            c.level[2].next = -1; /* L3 unused: a lone level */
        }
        c.level[0].policy = cfgi / 2 % 2 ? MH_POL_FIFO : MH_POL_LRU;
        c.level[0].inclusion = cfgi / 4 % 3;
        c.level[1].inclusion = cfgi / 12 % 3;
        c.level[0].write_back = cfgi / 3 % 4 != 1;
        c.level[0].allocate = cfgi / 3 % 4 != 2;
        c.level[1].policy = below[cfgi % 4];
        c.level[2].policy = below[(cfgi / 4) % 4];
        if (split)
            c.level[3].inclusion = c.level[0].inclusion;
        mh_hier_opts o = {0, 0, 0};
        for (int skips = 0; skips < 2; skips++) {
            mh_hier *a, *b;
            assert_int_equal(mh_hier_create(&c, &o, &a, NULL), MH_OK);
            assert_int_equal(mh_hier_create(&c, &o, &b, NULL), MH_OK);
            replay_both(a, b, 1000 + (uint64_t)cfgi, skips ? 0.05 : 0.1, cfgi, skips);
            mh_hier_destroy(a);
            mh_hier_destroy(b);
        }
    }
}

/* Every shipped-style shape of the replay's fast paths: 64-byte lines, 8-way L1s over an 8-way
 * L2 exclusive of a 16-way L3 (configs/zen3.ini in small). */
static void test_equals_full_zen_shape(void **state)
{
    (void)state;
    mh_config c;
    support_core_config(&c);
    support_core_level(&c, "L1d", 8 * 8 * 64, 8, 64);
    support_core_level(&c, "L2", 8 * 32 * 64, 8, 64);
    support_core_level(&c, "L3", 16 * 64 * 64, 16, 64);
    support_core_level(&c, "L1i", 8 * 8 * 64, 8, 64);
    c.level[0].next = 1;
    c.level[1].next = 2;
    c.level[3].next = 1;
    c.ifetch = 3;
    c.level[0].inclusion = c.level[3].inclusion = MH_INC_INCLUSIVE;
    c.level[1].inclusion = MH_INC_EXCLUSIVE;
    mh_hier_opts o = {0, 0, 0};
    mh_hier *a, *b;
    assert_int_equal(mh_hier_create(&c, &o, &a, NULL), MH_OK);
    assert_int_equal(mh_hier_create(&c, &o, &b, NULL), MH_OK);
    assert_true(b->lv[0].shape >= 0);
    replay_both(a, b, 77, 0.3, 0, 0);
    mh_hier_destroy(a);
    mh_hier_destroy(b);
    assert_int_equal(mh_hier_create(&c, &o, &a, NULL), MH_OK);
    assert_int_equal(mh_hier_create(&c, &o, &b, NULL), MH_OK);
    replay_both(a, b, 77, 0.15, 0, 1);
    mh_hier_destroy(a);
    mh_hier_destroy(b);
}

/* What stripping would change is refused, naming why; bad arguments are EINVAL. */
static void test_refused(void **state)
{
    (void)state;
    static const struct { int timing, c3, pf, pol, line2; const char *why; } cases[] = {
        {1, 0, 0, MH_POL_LRU, 16, "timing model"},
        {0, 1, 0, MH_POL_LRU, 16, "3C"},
        {0, 0, 1, MH_POL_LRU, 16, "prefetchers"},
        {0, 0, 0, MH_POL_PLRU, 16, "lru or fifo"},
        {0, 0, 0, MH_POL_RANDOM, 16, "lru or fifo"},
        {0, 0, 0, MH_POL_LRU, 32, "several sizes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mh_config c;
        three_levels(&c, 0, 0);
        c.level[0].policy = cases[i].pol;
        c.level[1].line = (uint32_t)cases[i].line2;
        c.level[1].sets = (uint32_t)(c.level[1].size / (c.level[1].ways * c.level[1].line));
        if (cases[i].pf)
            c.level[1].prefetcher = MH_PF_NEXT_LINE;
        mh_hier_opts o = {cases[i].c3, cases[i].timing, 0};
        mh_hier *h;
        assert_int_equal(mh_hier_create(&c, &o, &h, NULL), MH_OK);
        mh_strip *s = (mh_strip *)(uintptr_t)1; /* set to NULL on failure */
        mh_error e = {0};
        assert_int_equal(mh_strip_create(h, &s, &e), MH_EUNSUPPORTED);
        assert_null(s);
        if (!strstr(e.msg, cases[i].why))
            fail_msg("case %zu: \"%s\" does not say \"%s\"", i, e.msg, cases[i].why);
        mh_hier_destroy(h);
    }
    mh_strip *s;
    assert_int_equal(mh_strip_create(NULL, &s, NULL), MH_EINVAL);
    mh_strip_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand),
        cmocka_unit_test(test_equals_full),
        cmocka_unit_test(test_equals_full_zen_shape),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
