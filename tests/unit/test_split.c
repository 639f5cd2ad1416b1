/* test_split.c — set-partitioned replay (mh_hier_split): for hierarchies of every splittable kind
 * (lru, fifo, plru, srrip; inclusive, exclusive, nine; write-through, no-allocate; lines of two
 * sizes; the shipped configs), replaying a trace part by part in an adversarial order, with the
 * spanning records shared, gives exactly the statistics of one in-order replay; what cannot be
 * split is refused with its reason; the same with the records dealt to per-part lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hier_int.h"
#include "support_core.h"

#define NREC 60000

/* Replays recs through the parts on this thread: within each stretch between spanning records,
 * the parts go last to first, each in chunks of 97 records, so no part sees the others' records
 * in trace order; each spanning record is replayed by a different part in turn. */
static void replay_parts(mh_hier_part **p, unsigned np, const mh_rec *recs, size_t n)
{
    size_t i = 0, shared = 0;
    while (i < n) {
        size_t stop = n;
        for (unsigned k = np; k-- > 0;) {
            size_t at = i, end = i;
            while (at < n) {
                size_t m = n - at < 97 ? n - at : 97;
                uint8_t tag[97];
                mh_part_tag(p[(k + 1) % np], recs + at, m, tag); /* any part tags alike */
                size_t got = at + mh_part_replay(p[k], recs + at, tag, m);
                end = got;
                if (got < at + m)
                    break;
                at += m;
                end = at;
            }
            assert_true(k == np - 1 || end == stop); /* every part stops at the same record */
            stop = end;
        }
        if (stop == n)
            break;
        mh_part_replay_shared(p[shared++ % np], &recs[stop]);
        i = stop + 1;
    }
}

/* The same through mh_part_deal and mh_part_replay_own: recs dealt out in chunks of 89 into one
 * list per part (a spanning record into every list), then, between spanning records, the parts
 * replay their lists last to first, in chunks of 97, and a different part in turn replays each
 * spanning record. */
static void replay_dealt(mh_hier_part **p, unsigned np, const mh_rec *recs, size_t n)
{
    mh_rec *list[8];
    size_t len[8] = {0}, at[8] = {0};
    for (unsigned k = 0; k < np; k++)
        assert_non_null(list[k] = malloc(n * sizeof *list[k]));
    for (size_t i = 0; i < n;) {
        size_t m = n - i < 89 ? n - i : 89, got = i + mh_part_deal(p[i % np], recs + i, m, list, len);
        for (unsigned k = 0; got < i + m && k < np; k++) /* any part deals alike */
            list[k][len[k]++] = recs[got];
        i = got < i + m ? got + 1 : got;
    }
    for (size_t shared = 0;; shared++) {
        for (unsigned k = np; k-- > 0;) {
            size_t got;
            do {
                size_t m = len[k] - at[k] < 97 ? len[k] - at[k] : 97;
                got = mh_part_replay_own(p[k], list[k] + at[k], m);
                at[k] += got;
            } while (got == 97);
        }
        for (unsigned k = 1; k < np; k++) /* every part stops at the same record */
            assert_int_equal(at[k] == len[k] ? UINT64_MAX : list[k][at[k]].addr,
                             at[0] == len[0] ? UINT64_MAX : list[0][at[0]].addr);
        if (at[0] == len[0])
            break;
        mh_part_replay_shared(p[shared % np], &list[0][at[0]]);
        for (unsigned k = 0; k < np; k++)
            at[k]++;
    }
    for (unsigned k = 0; k < np; k++)
        free(list[k]);
}

/* Count-only hierarchy from c. */
static mh_hier *count_only(const mh_config *c)
{
    mh_hier *h = NULL;
    mh_error err = {0};
    mh_hier_opts o = {0, 0, 0};
    assert_int_equal(mh_hier_create(c, &o, &h, &err), MH_OK);
    return h;
}

/* c replayed in order and split into np parts give the same statistics (also after a flush);
 * the first `warm` records go in order before the split in both. */
static void check_equal(const mh_config *c, unsigned np, size_t warm, uint64_t seed)
{
    static mh_rec recs[NREC];
    size_t n = support_core_mixed(recs, NREC, seed);
    mh_hier *a = count_only(c), *b = count_only(c), *d = count_only(c);
    mh_hier_part *p[8];
    mh_error err = {0};
    mh_hier_access(a, recs, n);
    mh_hier_access(b, recs, warm);
    mh_hier_access(d, recs, warm);
    int rc = mh_hier_split(b, np, p, &err);
    if (rc != MH_OK)
        print_error("split: %s\n", err.msg);
    assert_int_equal(rc, MH_OK);
    replay_parts(p, np, recs + warm, n - warm);
    mh_hier_join(b, p, np);
    for (unsigned k = 0; k < np; k++)
        assert_null(p[k]);
    assert_int_equal(mh_hier_split(d, np, p, &err), MH_OK);
    replay_dealt(p, np, recs + warm, n - warm);
    mh_hier_join(d, p, np);
    support_core_same(a, b);
    support_core_same(a, d);
    mh_hier_flush(a);
    mh_hier_flush(b);
    mh_hier_flush(d);
    support_core_same(a, b);
    support_core_same(a, d);
    mh_hier_destroy(a);
    mh_hier_destroy(b);
    mh_hier_destroy(d);
}

/* Two levels: L1 (4 sets: only 2 set-index bits, 6 and 7) over L2 (1024 sets). */
static void two_levels(mh_config *c, int policy, int inclusion)
{
    support_core_config(c);
    support_core_level(c, "L1", 1024, 4, 64);
    support_core_level(c, "L2", 256 << 10, 4, 64);
    c->level[0].next = 1;
    c->level[0].policy = c->level[1].policy = policy;
    c->level[0].inclusion = inclusion;
}

/* Every splittable policy and inclusion, 2 and 4 parts, with and without a warm start. */
static void test_policies_inclusions(void **state)
{
    (void)state;
    const int pol[] = {MH_POL_LRU, MH_POL_FIFO, MH_POL_PLRU, MH_POL_SRRIP};
    const int inc[] = {MH_INC_NINE, MH_INC_INCLUSIVE, MH_INC_EXCLUSIVE};
    mh_config c;
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 3; j++) {
            two_levels(&c, pol[i], inc[j]);
            check_equal(&c, 2, 0, 11 + i * 3 + j);
            check_equal(&c, 4, 5000, 101 + i * 3 + j);
        }
}

/* Split L1i/L1d over a unified L2 over L3, write-through and no-allocate L1d, lines of 32 and 64
 * bytes: the parts' bits lie above the larger line. */
static void test_split_levels_modes(void **state)
{
    (void)state;
    mh_config c;
    for (int mode = 0; mode < 3; mode++) {
        support_core_config(&c);
        int i = support_core_level(&c, "L1i", 4096, 2, 32);
        int d = support_core_level(&c, "L1d", 8192, 4, 32);
        int l2 = support_core_level(&c, "L2", 64 << 10, 8, 64);
        int l3 = support_core_level(&c, "L3", 512 << 10, 16, 64);
        c.ifetch = i;
        c.data = d;
        c.level[i].next = c.level[d].next = l2;
        c.level[l2].next = l3;
        c.level[i].inclusion = c.level[d].inclusion = MH_INC_INCLUSIVE;
        c.level[l2].inclusion = mode == 2 ? MH_INC_NINE : MH_INC_EXCLUSIVE;
        c.level[d].write_back = mode != 1;
        c.level[d].allocate = mode != 1;
        check_equal(&c, 2, 1000, 7 + (uint64_t)mode);
        check_equal(&c, 4, 0, 17 + (uint64_t)mode);
    }
}

/* The shipped configs, as written. */
static void test_shipped_configs(void **state)
{
    (void)state;
    const char *files[] = {"configs/zen3.ini", "configs/skylake-client.ini", "configs/small-split.ini"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        mh_config *c = NULL;
        mh_error err = {0};
        assert_int_equal(mh_config_load(files[i], &c, &err), MH_OK);
        check_equal(c, 2, 0, 1234 + i);
        mh_config_free(c);
    }
}

/* A record across two parts stops every part at it; the parts' own records before it are
 * replayed (their counts show), the ones after it are not. */
static void test_stops_at_spanning(void **state)
{
    (void)state;
    mh_config c;
    two_levels(&c, MH_POL_LRU, MH_INC_NINE); /* part bit 7: 0x00 and 0x80 differ */
    mh_hier *h = count_only(&c);
    mh_hier_part *p[2];
    mh_error err = {0};
    assert_int_equal(mh_hier_split(h, 2, p, &err), MH_OK);
    mh_rec r[4];
    memset(r, 0, sizeof r);
    r[0] = (mh_rec){0x00, 0, 8, MH_OP_READ, 0};
    r[1] = (mh_rec){0x80, 0, 8, MH_OP_READ, 0};
    r[2] = (mh_rec){0x7c, 0, 8, MH_OP_READ, 0}; /* 0x7c..0x83: lines of both parts */
    r[3] = (mh_rec){0x100, 0, 8, MH_OP_READ, 0};
    uint8_t tag[4];
    mh_part_tag(p[0], r, 4, tag);
    assert_int_equal(tag[0], 0);
    assert_int_equal(tag[1], 1);
    assert_int_equal(tag[2], MH_PART_SHARED);
    assert_int_equal(tag[3], 0);
    assert_int_equal(mh_part_replay(p[0], r, tag, 4), 2);
    assert_int_equal(mh_part_replay(p[1], r, tag, 4), 2);
    mh_part_replay_shared(p[1], &r[2]);
    assert_int_equal(mh_part_replay(p[0], r + 3, tag + 3, 1), 1);
    assert_int_equal(mh_part_replay(p[1], r + 3, tag + 3, 1), 1);
    mh_hier_join(h, p, 2);
    mh_level_stats s = support_core_stats(h, 0);
    assert_int_equal(s.kind[MH_OP_READ].accesses, 4);
    assert_int_equal(s.kind[MH_OP_READ].misses, 4); /* 0x00, 0x80, the new line 0x80's neighbour 0x40, 0x100 */
    mh_hier_destroy(h);

    /* dealt: each part gets its own record before the spanning one, which is not dealt */
    h = count_only(&c);
    assert_int_equal(mh_hier_split(h, 2, p, &err), MH_OK);
    mh_rec l0[4], l1[4], *lists[2] = {l0, l1};
    size_t len[2] = {0, 0};
    assert_int_equal(mh_part_deal(p[1], r, 4, lists, len), 2);
    assert_int_equal(len[0], 1);
    assert_int_equal(len[1], 1);
    assert_int_equal(l0[0].addr, 0x00);
    assert_int_equal(l1[0].addr, 0x80);
    assert_int_equal(mh_part_deal(p[0], r + 3, 1, lists, len), 1);
    assert_int_equal(len[0], 2);
    assert_int_equal(l0[1].addr, 0x100);
    /* a list replays up to the first record that is not its part's alone: spanning or foreign */
    mh_rec mixed[3] = {r[0], r[2], r[3]}, foreign[2] = {r[3], r[1]};
    assert_int_equal(mh_part_replay_own(p[0], mixed, 3), 1);
    assert_int_equal(mh_part_replay_own(p[0], foreign, 2), 1);
    assert_int_equal(mh_part_replay_own(p[1], foreign, 2), 0);
    mh_hier_join(h, p, 2);
    s = support_core_stats(h, 0);
    assert_int_equal(s.kind[MH_OP_READ].accesses, 2); /* 0x00 and 0x100: nothing else replayed */
    mh_hier_destroy(h);
}

/* What cannot be split is refused, naming the reason, and nothing is split. */
static void test_refusals(void **state)
{
    (void)state;
    mh_config c;
    mh_hier_part *p[4] = {0};
    mh_error err = {0};
    mh_hier *h = NULL;
    two_levels(&c, MH_POL_LRU, MH_INC_NINE);
    mh_hier_opts timing = {0, 1, 0}, c3 = {1, 0, 0};
    assert_int_equal(mh_hier_create(&c, &timing, &h, &err), MH_OK);
    assert_int_equal(mh_hier_split(h, 2, p, &err), MH_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "timing"));
    mh_hier_destroy(h);
    assert_int_equal(mh_hier_create(&c, &c3, &h, &err), MH_OK);
    assert_int_equal(mh_hier_split(h, 2, p, &err), MH_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "3C"));
    mh_hier_destroy(h);
    h = count_only(&c);
    assert_int_equal(mh_hier_split(h, 3, p, &err), MH_EINVAL);
    assert_int_equal(mh_hier_split(h, 1, p, &err), MH_EINVAL);
    assert_int_equal(mh_hier_split(h, 8, p, &err), MH_EUNSUPPORTED); /* L1 has 2 index bits */
    assert_non_null(strstr(err.msg, "set-index bits"));
    assert_null(p[0]);
    mh_hier_destroy(h);
    const int bad_pol[] = {MH_POL_RANDOM, MH_POL_BRRIP};
    for (int i = 0; i < 2; i++) {
        two_levels(&c, MH_POL_LRU, MH_INC_NINE);
        c.level[1].policy = bad_pol[i];
        h = count_only(&c);
        assert_int_equal(mh_hier_split(h, 2, p, &err), MH_EUNSUPPORTED);
        assert_non_null(strstr(err.msg, "[L2] policy"));
        mh_hier_destroy(h);
    }
    two_levels(&c, MH_POL_LRU, MH_INC_NINE);
    c.level[1].prefetcher = MH_PF_NEXT_LINE;
    c.level[1].pf_degree = 1;
    c.level[1].pf_distance = 1;
    h = count_only(&c);
    assert_int_equal(mh_hier_split(h, 2, p, &err), MH_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "prefetcher"));
    mh_hier_destroy(h);
    support_core_config(&c); /* a fully associative level: one set, no index bits */
    support_core_level(&c, "L1", 1024, 16, 64);
    h = count_only(&c);
    assert_int_equal(mh_hier_split(h, 2, p, &err), MH_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "fully associative"));
    mh_hier_destroy(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policies_inclusions), cmocka_unit_test(test_split_levels_modes),
        cmocka_unit_test(test_shipped_configs),     cmocka_unit_test(test_stops_at_spanning),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
