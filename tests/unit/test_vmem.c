/* test_vmem.c — page table and frames: minor faults, LRU/clock replacement, major faults,
 * dirty write-outs, and their costs in the timing model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "timing_int.h"
#include "vmem_int.h"

#define PAGE 4096ull

/* Creates a page table of `frames` frames (0 = unlimited) under policy or fails the test. */
static mh_vmem *make_vm(uint64_t frames, int policy)
{
    mh_ram_cfg c = { .page_size = PAGE, .capacity = frames * PAGE, .page_policy = policy };
    mh_vmem *v = NULL;
    mh_error err = { 0, "" };
    if (mh_vmem_create(&c, &v, &err) != MH_OK) fail_msg("mh_vmem_create: %s", err.msg);
    return v;
}

/* Fault counts of a run. */
typedef struct counts { uint64_t minor, major, writes; } counts;

/* Touches addr, adding the outcome to *n. */
static void touch(mh_vmem *v, uint64_t addr, int write, counts *n)
{
    int wrote = 0;
    int r = mh_vmem_touch(v, addr, write, &wrote);
    assert_true(r >= 0);
    n->minor += r == MH_VM_MINOR;
    n->major += r == MH_VM_MAJOR;
    n->writes += (uint64_t)wrote;
}

/* Sorts uint64 ascending. */
static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Minor faults equal the number of distinct pages (unlimited memory, random addresses; forces
 * several table growths). */
static void test_minor_equals_distinct(void **state)
{
    (void)state;
    enum { N = 200000 };
    uint64_t *pages = malloc(N * sizeof *pages);
    assert_non_null(pages);
    mh_vmem *v = make_vm(0, MH_PAGE_LRU);
    counts n = { 0, 0, 0 };
    uint64_t x = 7;
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t addr = (x >> 16) % (50000 * PAGE);
        pages[i] = addr / PAGE;
        touch(v, addr, i & 1, &n);
    }
    qsort(pages, N, sizeof *pages, cmp_u64);
    uint64_t distinct = 0;
    for (int i = 0; i < N; i++) distinct += i == 0 || pages[i] != pages[i - 1];
    assert_int_equal(n.minor, distinct);
    assert_int_equal(n.major, 0);
    assert_int_equal(n.writes, 0);
    assert_int_equal(mh_vmem_frames(v), 0);
    mh_vmem_destroy(v);
    free(pages);
}

/* Cyclic walk over capacity+1 pages: after the first round every touch is a major fault (LRU and
 * clock alike); read-only pages are never written out, written ones always are. */
static void test_cyclic_overflow(void **state)
{
    (void)state;
    const uint64_t cap = 64;
    const int rounds = 5;
    for (int pol = MH_PAGE_LRU; pol <= MH_PAGE_CLOCK; pol++) {
        for (int write = 0; write <= 1; write++) {
            mh_vmem *v = make_vm(cap, pol);
            counts n = { 0, 0, 0 };
            for (int r = 0; r < rounds; r++)
                for (uint64_t p = 0; p <= cap; p++) touch(v, p * PAGE + 100, write, &n);
            assert_int_equal(n.minor, cap + 1);
            assert_int_equal(n.major, (rounds - 1) * (cap + 1));
            assert_int_equal(n.writes, write ? rounds * (cap + 1) - cap : 0);
            mh_vmem_destroy(v);
        }
    }
}

/* A working set equal to capacity never faults again. */
static void test_fits(void **state)
{
    (void)state;
    for (int pol = MH_PAGE_LRU; pol <= MH_PAGE_CLOCK; pol++) {
        mh_vmem *v = make_vm(64, pol);
        counts n = { 0, 0, 0 };
        for (int r = 0; r < 4; r++)
            for (uint64_t p = 0; p < 64; p++) touch(v, p * PAGE, 1, &n);
        assert_int_equal(n.minor, 64);
        assert_int_equal(n.major, 0);
        mh_vmem_destroy(v);
    }
}

/* LRU keeps a page re-touched often; clock gives it a second chance: hand-computed sequence with
 * 3 frames where the two policies differ. */
static void test_lru_vs_clock(void **state)
{
    (void)state;
    /* pages: 0 1 2 0 3 0 4 1 */
    const uint64_t seq[] = { 0, 1, 2, 0, 3, 0, 4, 1 };
    /* LRU: 3 evicts 1, 4 evicts 2, 1 -> major (evicts 3). */
    /* clock: all ref=1 at 3: sweep clears 0,1,2, evicts 0 (hand -> 1); 0 -> major, evicts 1
     * (ref cleared), 4 evicts 2, 1 -> major (evicts 3). */
    const int want_lru[] = { 1, 1, 1, 0, 1, 0, 1, 2 };
    const int want_clock[] = { 1, 1, 1, 0, 1, 2, 1, 2 };
    for (int pol = MH_PAGE_LRU; pol <= MH_PAGE_CLOCK; pol++) {
        mh_vmem *v = make_vm(3, pol);
        const int *want = pol == MH_PAGE_LRU ? want_lru : want_clock;
        for (size_t i = 0; i < sizeof seq / sizeof seq[0]; i++) {
            int wrote = 0;
            assert_int_equal(mh_vmem_touch(v, seq[i] * PAGE, 0, &wrote), want[i]);
        }
        mh_vmem_destroy(v);
    }
}

/* Fault costs in the timing model: minor_fault_ns, disk latency + page / bandwidth per read and
 * per dirty write-out. */
static void test_fault_costs(void **state)
{
    (void)state;
    mh_config c;
    memset(&c, 0, sizeof c);
    strcpy(c.source, "test_vmem");
    c.frequency_ghz = 2;
    c.nlevels = 1;
    c.level[0] = (mh_level_cfg){ .name = "L1d", .size = 32768, .ways = 8, .line = 64, .sets = 64,
                                 .latency = 4, .next = -1, .mshrs = 16 };
    c.ram = (mh_ram_cfg){ .latency_ns = 100, .capacity = 8 * PAGE, .page_size = PAGE,
                          .page_policy = MH_PAGE_LRU, .minor_fault_ns = 250 };
    c.disk = (mh_disk_cfg){ .latency_us = 10, .bandwidth_mbs = 4096 };
    mh_timing *t = NULL;
    mh_error err = { 0, "" };
    assert_int_equal(mh_timing_create(&c, &t, &err), MH_OK);
    for (int r = 0; r < 3; r++)
        for (uint64_t p = 0; p < 9; p++) {
            mh_rec rec = { p * PAGE, 0, 8, MH_OP_WRITE, 0 };
            mh_timing_account(t, &rec, 0);
        }
    mh_time_stats s;
    mh_timing_stats(t, &s, NULL, 0);
    assert_int_equal(s.minor_faults, 9);
    assert_int_equal(s.major_faults, 18);
    assert_int_equal(s.disk_reads, 18);
    assert_int_equal(s.disk_writes, 27 - 8);
    double disk_ns = 10000.0 + 4096.0 / 4096e6 * 1e9;   /* 10 us + 1 us */
    assert_true(s.cycles_minor_fault == 9 * 250.0 * 2);
    double want = (18 + 19) * disk_ns * 2;
    assert_true(s.cycles_disk > want * (1 - 1e-12) && s.cycles_disk < want * (1 + 1e-12));
    mh_timing_destroy(t);
}

/* Preloaded pages are resident without a fault: every page overlapping the range (unaligned ends),
 * none outside it; a range running past the top of the address space stops at the top page; with
 * fewer frames, preloading evicts as touches do (the evicted page's next touch is major). */
static void test_preload(void **state)
{
    (void)state;
    mh_vmem *v = make_vm(0, MH_PAGE_LRU);
    assert_int_equal(mh_vmem_preload(v, PAGE + 0xff0, 2 * PAGE + 0x10), 0); /* pages 1..3 (ends at 0x3fff) */
    assert_int_equal(mh_vmem_preload(v, 9 * PAGE, 0), 0);                 /* nothing */
    counts n = { 0, 0, 0 };
    for (uint64_t p = 0; p < 10; p++)
        touch(v, p * PAGE + 8, 0, &n);
    assert_int_equal(n.minor, 7);
    assert_int_equal(mh_vmem_preload(v, UINT64_MAX - 10, 100), 0);
    n = (counts){ 0, 0, 0 };
    touch(v, UINT64_MAX - 7, 0, &n);
    assert_int_equal(n.minor, 0);
    mh_vmem_destroy(v);
    v = make_vm(8, MH_PAGE_LRU);
    assert_int_equal(mh_vmem_preload(v, 0, 10 * PAGE), 0);
    n = (counts){ 0, 0, 0 };
    for (uint64_t p = 2; p < 10; p++)
        touch(v, p * PAGE, 0, &n);
    assert_int_equal(n.minor + n.major, 0);
    touch(v, 0, 0, &n);
    assert_int_equal(n.major, 1);
    assert_int_equal(n.writes, 0);
    mh_vmem_destroy(v);
}

/* Bad capacity / page size are refused naming the key. */
static void test_bad_config(void **state)
{
    (void)state;
    mh_ram_cfg c = { .page_size = PAGE, .capacity = 100 };
    mh_vmem *v = NULL;
    mh_error err = { 0, "" };
    assert_int_equal(mh_vmem_create(&c, &v, &err), MH_ECONFIG);
    assert_non_null(strstr(err.msg, "capacity"));
    c.page_size = 0;
    assert_int_equal(mh_vmem_create(&c, &v, &err), MH_ECONFIG);
    assert_non_null(strstr(err.msg, "page_size"));
    assert_null(v);
    mh_vmem_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minor_equals_distinct),
        cmocka_unit_test(test_cyclic_overflow),
        cmocka_unit_test(test_fits),
        cmocka_unit_test(test_lru_vs_clock),
        cmocka_unit_test(test_fault_costs),
        cmocka_unit_test(test_preload),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
