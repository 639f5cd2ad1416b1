/* test_policy.c — every replacement policy on tiny hand-computed sequences (exact hit/miss
 * strings), and the reproducibility of the seeded ones. One set of 4 ways, 16-byte lines:
 * "line n" below is address n*16. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "level_int.h"
#include "setscan.h"
#include "support_core.h"

/* Runs reads of the given line numbers through a 1-set 4-way cache with policy pol and seed;
 * writes 'H' or 'M' per access into out. */
static void run_seq(int pol, uint64_t seed, const int *lines, size_t n, char *out)
{
    mh_config c;
    support_core_config(&c);
    support_core_level(&c, "L1", 64, 4, 16);
    c.level[0].policy = pol;
    c.level[0].seed = seed;
    mh_hier *h = support_core_hier(&c);
    for (size_t i = 0; i < n; i++) {
        mh_rec r = {(uint64_t)lines[i] * 16, 0, 4, MH_OP_READ, 0};
        uint64_t before = support_core_stats(h, 0).kind[MH_OP_READ].misses;
        mh_hier_access(h, &r, 1);
        out[i] = support_core_stats(h, 0).kind[MH_OP_READ].misses > before ? 'M' : 'H';
    }
    out[n] = 0;
    mh_hier_destroy(h);
}

static const int seq_a[] = {0, 1, 2, 3, 0, 4, 1, 2, 0};
static const int seq_scan[] = {0, 0, 1, 2, 3, 4, 5, 0};
#define N(a) (sizeof a / sizeof a[0])

/* LRU: 0 1 2 3 fill; 0 hits; 4 evicts 1 (LRU); 1 evicts 2; 2 evicts 3; 0 still there. */
static void test_lru(void **state)
{
    (void)state;
    char out[32];
    run_seq(MH_POL_LRU, 1, seq_a, N(seq_a), out);
    assert_string_equal(out, "MMMMHMMMH");
    /* scan: 1 2 3 after 0 0 -> 4 evicts 0, 5 evicts 1, so the last 0 misses */
    run_seq(MH_POL_LRU, 1, seq_scan, N(seq_scan), out);
    assert_string_equal(out, "MHMMMMMM");
}

/* FIFO: the hit on 0 does not refresh it: 4 evicts 0; 1 and 2 hit; 0 misses (evicts 1). */
static void test_fifo(void **state)
{
    (void)state;
    char out[32];
    run_seq(MH_POL_FIFO, 1, seq_a, N(seq_a), out);
    assert_string_equal(out, "MMMMHMHHM");
}

/* Tree PLRU (root, left pair, right pair; a bit points at the next victim side):
 * after 0 1 2 3 all bits 0; hit 0 -> root right, left pair -> way 1; 4: root right, right pair
 * left -> way 2 (line 2); then root left, right pair right; hit 1 -> root right, left pair ->
 * way 0; 2: root right, right pair right -> way 3 (line 3); 0 hits. */
static void test_plru(void **state)
{
    (void)state;
    char out[32];
    run_seq(MH_POL_PLRU, 1, seq_a, N(seq_a), out);
    assert_string_equal(out, "MMMMHMHMH");
}

/* SRRIP (2-bit, insert 2, hit 0, victim = first 3 after ageing): 0 gets RRPV 0 from its hit and
 * survives the scan 1..5; 4 ages the set to [1,3,3,3] and takes way 1; 5 takes way 2. */
static void test_srrip(void **state)
{
    (void)state;
    char out[32];
    run_seq(MH_POL_SRRIP, 1, seq_scan, N(seq_scan), out);
    assert_string_equal(out, "MHMMMMMH");
    run_seq(MH_POL_SRRIP, 1, seq_a, N(seq_a), out);
    /* 0 1 2 3 [2,2,2,2]; 0 hit [0,2,2,2]; 4 -> age [1,3,3,3], way 1 (line 1) [1,2,3,3];
     * 1 -> way 2 (line 2); 2 -> way 3 (line 3); 0 hits */
    assert_string_equal(out, "MMMMHMMMH");
}

/* BRRIP inserts at RRPV 3 (rarely 2): scans cannot displace the re-referenced line 0. */
static void test_brrip(void **state)
{
    (void)state;
    char out[32], again[32];
    run_seq(MH_POL_BRRIP, 1, seq_scan, N(seq_scan), out);
    assert_string_equal(out, "MHMMMMMH");
    run_seq(MH_POL_BRRIP, 1, seq_scan, N(seq_scan), again);
    assert_string_equal(out, again);
}

/* Random: cold fills never evict (invalid ways first); same seed -> same sequence; the level's
 * own generator, so the two runs interleaved give the same answer as separately. */
static void test_random(void **state)
{
    (void)state;
    int seq[64];
    for (int i = 0; i < 64; i++)
        seq[i] = (i * 7) % 6; /* 6 lines in 4 ways: plenty of replacements */
    char a[80], b[80], c[80];
    run_seq(MH_POL_RANDOM, 42, seq, 64, a);
    run_seq(MH_POL_RANDOM, 42, seq, 64, b);
    assert_string_equal(a, b);
    assert_memory_equal(a, "MMMM", 4);
    int differs = 0;
    for (uint64_t s = 1; s < 8 && !differs; s++) {
        run_seq(MH_POL_RANDOM, s, seq, 64, c);
        differs = strcmp(a, c) != 0;
    }
    assert_true(differs);
}

/* The registry: names round-trip and every entry is usable. */
static void test_registry(void **state)
{
    (void)state;
    const char *names[] = {"lru", "fifo", "random", "plru", "srrip", "brrip"};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(mh_policy_lookup(names[i]), i);
        assert_string_equal(mh_policy_name(i), names[i]);
        const mh_repl *p = mh_policy_get(i);
        assert_non_null(p);
        assert_true(p->reorder || p->victim != NULL);
    }
    assert_int_equal(mh_policy_lookup("mru"), -1);
    assert_null(mh_policy_get(6));
}

/* PLRU with a non-power-of-two associativity never picks a way past the end. */
static void test_plru_3way(void **state)
{
    (void)state;
    mh_config c;
    support_core_config(&c);
    support_core_level(&c, "L1", 48, 3, 16);
    c.level[0].policy = MH_POL_PLRU;
    mh_hier *h = support_core_hier(&c);
    for (int i = 0; i < 200; i++) {
        mh_rec r = {(uint64_t)((i * 5) % 7) * 16, 0, 4, MH_OP_READ, 0};
        mh_hier_access(h, &r, 1);
    }
    mh_level_stats s = support_core_stats(h, 0);
    assert_int_equal(s.kind[MH_OP_READ].accesses, 200);
    assert_true(s.evictions > 0);
    mh_hier_destroy(h);
}

/* The ordered sets' vector operations (built with the library's SIM_ARCH here, SSE2 in the
 * sanitizer build) against slot-by-slot references: a drop at every way of 4 to 16 ways moves the
 * later ways forward and invalidates the last, and never writes past the set; a push puts the new
 * slot in front and returns the last; a scan finds every way, flags ignored, and reports an absent
 * line as `ways`. */
static void test_set_ops(void **state)
{
    (void)state;
    for (uint32_t ways = 4; ways <= 16; ways += 4)
        for (uint32_t w = 0; w < ways; w++) {
            uint64_t s[20], want[20];
            for (uint32_t k = 0; k < 20; k++)
                s[k] = want[k] = mh_slot_make(100 + k, k % 3 == 0 ? MH_SL_DIRTY : 0);
            for (uint32_t k = w; k + 1 < ways; k++)
                want[k] = want[k + 1];
            want[ways - 1] = 0;
            uint64_t scan[20];
            memcpy(scan, s, sizeof scan);
            assert_int_equal(lean_scan(scan, ways, (100 + w + 1) << MH_SL_SHIFT), w);
            assert_int_equal(lean_scan(scan, ways, (100 + ways + 1) << MH_SL_SHIFT), ways);
            lean_drop_way(s, ways, w);
            assert_memory_equal(s, want, sizeof s);
        }
    for (uint32_t ways = 4; ways <= 16; ways += 4) { /* a push: v in front, the last way out */
        uint64_t s[20], want[20];
        for (uint32_t k = 0; k < 20; k++)
            s[k] = want[k] = mh_slot_make(200 + k, k % 3 == 1 ? MH_SL_DIRTY : 0);
        for (uint32_t k = ways - 1; k > 0; k--)
            want[k] = want[k - 1];
        want[0] = mh_slot_make(7, MH_SL_DIRTY);
        assert_int_equal(lean_push(s, ways, want[0]), mh_slot_make(200 + ways - 1, (ways - 1) % 3 == 1 ? MH_SL_DIRTY : 0));
        assert_memory_equal(s, want, sizeof s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lru),    cmocka_unit_test(test_fifo),     cmocka_unit_test(test_plru),
        cmocka_unit_test(test_srrip),  cmocka_unit_test(test_brrip),    cmocka_unit_test(test_random),
        cmocka_unit_test(test_registry), cmocka_unit_test(test_plru_3way), cmocka_unit_test(test_set_ops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
