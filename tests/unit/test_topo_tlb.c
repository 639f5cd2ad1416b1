/* test_topo_tlb.c — the TLBs from CPUID register values (AMD and Intel leaves), the ways a
 * config gets for them, and the [tlb.*] sections detect writes from them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "memhier.h"
#include "topo.h"

/* Asserts one decoded TLB: entries, the ways to configure, the reported range. */
static void check_tlb(const topo_tlb *t, unsigned entries, unsigned ways, unsigned lo, unsigned hi)
{
    assert_int_equal(t->entries, entries);
    assert_int_equal(t->ways, ways);
    assert_int_equal(t->ways_lo, lo);
    assert_int_equal(t->ways_hi, hi);
}

/* Ways for a reported range: the first with a power-of-two set count, else fully associative. */
static void test_ways(void **state)
{
    (void)state;
    assert_int_equal(topo_tlb_ways(3072, 8, 15), 12); /* 256 sets; 8 ways would be 384 */
    assert_int_equal(topo_tlb_ways(2048, 8, 15), 8);
    assert_int_equal(topo_tlb_ways(96, 6, 6), 6);
    assert_int_equal(topo_tlb_ways(1536, 6, 6), 6);
    assert_int_equal(topo_tlb_ways(100, 8, 15), 100); /* none fits: full */
    assert_int_equal(topo_tlb_ways(64, 0, 0), 64);    /* fully associative */
    assert_int_equal(topo_tlb_ways(0, 4, 4), 0);
    char b[32];
    topo_tlb t = {3072, 12, 8, 15};
    topo_tlb_assoc(&t, b, sizeof b);
    assert_string_equal(b, "8..15-way");
    t = (topo_tlb){64, 4, 4, 4};
    topo_tlb_assoc(&t, b, sizeof b);
    assert_string_equal(b, "4-way");
    t = (topo_tlb){72, 72, 0, 0};
    topo_tlb_assoc(&t, b, sizeof b);
    assert_string_equal(b, "fully associative");
}

/* AMD leaves 0x80000005/6: a Zen 4 (the development VM's registers), a Zen 2-like L2, disabled
 * and reserved associativity codes. */
static void test_amd(void **state)
{
    (void)state;
    topo_tlbs s;
    assert_int_equal(topo_tlb_amd(0xff48ff40u, 0x6c004200u, &s), 2);
    check_tlb(&s.l1d, 72, 72, 0, 0);     /* 0xff: fully associative */
    check_tlb(&s.l2, 3072, 12, 8, 15);   /* code 6h: 8 to 15 ways */
    check_tlb(&s.l1i, 64, 64, 0, 0);     /* EBX[15:0] of 0x80000005: 0xff, 64 */
    check_tlb(&s.l2i, 512, 4, 4, 5);     /* EBX[15:0] of 0x80000006: code 4h (4 to 5 ways), 512 */
    assert_non_null(strstr(s.source, "0x80000006 (AMD)"));
    assert_int_equal(topo_tlb_amd(0x04400820u, 0x68000000u, &s), 2);
    check_tlb(&s.l1d, 64, 4, 4, 4);
    check_tlb(&s.l1i, 32, 8, 8, 8);
    check_tlb(&s.l2, 2048, 8, 8, 15);
    assert_int_equal(topo_tlb_amd(0xff48ff40u, 0x0c004200u, &s), 1); /* code 0: disabled */
    assert_int_equal(s.l2.entries, 0);
    assert_int_equal(topo_tlb_amd(0xff48ff40u, 0x7c004200u, &s), 1); /* code 7: reserved */
    assert_int_equal(s.l2.entries, 0);
    assert_int_equal(topo_tlb_amd(0, 0, &s), 0);
    assert_non_null(strstr(s.source, "describe no data TLB"));
    assert_int_equal(s.l1i.entries, 0);
    assert_int_equal(s.l2i.entries, 0);
}

/* One leaf 0x18 subleaf: type (1 data, 2 instruction, 3 unified, 4 load, 5 store), level, page
 * bits (1: 4 KiB), ways, sets, fully associative. */
static void sub18(uint32_t r[4], unsigned type, unsigned level, unsigned pages, unsigned ways, unsigned sets,
                  int full)
{
    r[0] = 0;
    r[1] = ways << 16 | pages;
    r[2] = sets;
    r[3] = type | level << 5 | (unsigned)full << 8;
}

/* Intel leaf 0x18: the load TLB where loads and stores have their own (a data TLB wins over it),
 * the unified second level, the instruction TLB; store-only, 1 GiB-only and null subleaves
 * skipped. */
static void test_intel18(void **state)
{
    (void)state;
    uint32_t sub[6][4];
    topo_tlbs s;
    sub18(sub[0], 2, 1, 7, 8, 32, 0);  /* ITLB */
    sub[0][0] = 5;                     /* subleaves 0..5 */
    sub18(sub[1], 4, 1, 7, 6, 16, 0);  /* load DTLB: 96 */
    sub18(sub[2], 5, 1, 15, 16, 1, 1); /* store DTLB, fully associative */
    sub18(sub[3], 3, 2, 3, 16, 128, 0); /* STLB 4K/2M: 2048 */
    sub18(sub[4], 3, 2, 8, 8, 128, 0); /* STLB for 1 GiB pages only */
    memset(sub[5], 0, sizeof sub[5]);  /* null */
    assert_int_equal(topo_tlb_intel18((const uint32_t(*)[4])sub, 6, &s), 2);
    check_tlb(&s.l1d, 96, 6, 6, 6);
    check_tlb(&s.l2, 2048, 16, 16, 16);
    check_tlb(&s.l1i, 256, 8, 8, 8);
    assert_string_equal(s.source, "CPUID 0x18 (Intel)");
    sub18(sub[5], 1, 1, 1, 4, 16, 0);  /* a data TLB beside the load one: it wins */
    assert_int_equal(topo_tlb_intel18((const uint32_t(*)[4])sub, 6, &s), 2);
    check_tlb(&s.l1d, 64, 4, 4, 4);
    sub18(sub[1], 1, 1, 1, 64, 1, 1);  /* one set: fully associative */
    assert_int_equal(topo_tlb_intel18((const uint32_t(*)[4])sub, 2, &s), 1);
    check_tlb(&s.l1d, 64, 64, 0, 0);
    assert_int_equal(topo_tlb_intel18((const uint32_t(*)[4])sub, 1, &s), 0);
    assert_non_null(strstr(s.source, "describes no data TLB"));
    check_tlb(&s.l1i, 256, 8, 8, 8);   /* the ITLB alone: decoded, no data TLB counted */
}

/* Intel leaf 2: descriptors in bytes 1..3 of EAX and all of EBX..EDX; a register with bit 31 set
 * holds none; the larger of two first-level data TLBs; 0xff alone (use leaf 0x18) describes none. */
static void test_intel2(void **state)
{
    (void)state;
    topo_tlbs s;
    uint32_t r[4] = {0x0003c301u, 0x800000cau, 0x0000b6b2u, 0x000000b4u};
    assert_int_equal(topo_tlb_intel2(r, &s), 2);
    check_tlb(&s.l1d, 256, 4, 4, 4);    /* 0xb4 beside 0x03 (64 entries) */
    check_tlb(&s.l2, 1536, 6, 6, 6);    /* 0xc3; EBX's 0xca is not read */
    check_tlb(&s.l1i, 128, 8, 8, 8);    /* 0xb6 beside 0xb2 (64 entries, 4 ways) */
    uint32_t ff[4] = {0x00feff01u, 0, 0, 0};
    assert_int_equal(topo_tlb_intel2(ff, &s), 0);
    assert_non_null(strstr(s.source, "no data TLB descriptor"));
}

/* The INI text detect writes for t (and its warnings). */
static void write_ini(const topo_t *t, char *ini, size_t n, char *warn, size_t wn)
{
    char path[64];
    mh_error err = {0};
    snprintf(path, sizeof path, "/tmp/mh-test-topo-tlb-%d.ini", (int)getpid());
    assert_int_equal(topo_write_config(t, path, "t", warn, wn, &err), MH_OK);
    mh_config *c = NULL;
    if (mh_config_load(path, &c, &err) != MH_OK)
        fail_msg("written config rejected: %s", err.msg);
    mh_config_free(c);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t k = fread(ini, 1, n - 1, f);
    ini[k] = '\0';
    fclose(f);
    unlink(path);
}

/* detect's [tlb.*]: CPUID's TLBs with where they came from and no warning; a range written at the
 * ways picked; an XML topology (no CPUID) gets the defaults and one warning naming both. */
static void test_config(void **state)
{
    (void)state;
    topo_t *t = NULL;
    mh_error err = {0};
    char ini[16384], warn[2048];
    assert_int_equal(topo_create_xml("tests/topologies/intel-client.xml", &t, &err), MH_OK);
    assert_non_null(strstr(topo_get_tlbs(t)->source, "XML"));
    write_ini(t, ini, sizeof ini, warn, sizeof warn);
    assert_non_null(strstr(warn, "[tlb.L1d], [tlb.L2] and [tlb.L1i]: an hwloc XML topology does not describe "
                                 "TLBs: defaults of a common Intel core written"));
    assert_non_null(strstr(ini, "[tlb.L2]\nentries = 1536\nways = 12\n"));
    assert_non_null(strstr(ini, "[tlb.L1i]\nentries = 128\nways = 8\n"));
    assert_null(strstr(ini, "\n[tlb.L2i]\n"));   /* no default: most CPUs have none */
    topo_tlbs s;
    topo_tlb_amd(0xff48ff40u, 0x6c004200u, &s);
    topo_set_tlbs(t, &s);
    write_ini(t, ini, sizeof ini, warn, sizeof warn);
    assert_null(strstr(warn, "tlb"));
    assert_non_null(strstr(ini, "; from CPUID 0x80000005/0x80000006 (AMD): 72 entries, fully associative\n"
                                "[tlb.L1d]\nentries = 72\nways = full\n"));
    assert_non_null(strstr(ini, "3072 entries, 8..15-way: 12 ways, the first there with a power-of-two set "
                                "count\n[tlb.L2]\nentries = 3072\nways = 12\n"));
    assert_non_null(strstr(ini, "64 entries, fully associative\n[tlb.L1i]\nentries = 64\nways = full\n"));
    assert_non_null(strstr(ini, "512 entries, 4..5-way: 4 ways, the first there with a power-of-two set count\n"
                                "[tlb.L2i]\nentries = 512\nways = 4\n"));
    s.l2 = (topo_tlb){0, 0, 0, 0};
    topo_set_tlbs(t, &s);
    write_ini(t, ini, sizeof ini, warn, sizeof warn);
    assert_non_null(strstr(warn, "[tlb.L2]: CPUID 0x80000005/0x80000006 (AMD): defaults of a common Intel core"));
    s.l1i = (topo_tlb){0, 0, 0, 0};
    topo_set_tlbs(t, &s);
    write_ini(t, ini, sizeof ini, warn, sizeof warn);
    assert_non_null(strstr(warn, "[tlb.L2] and [tlb.L1i]: CPUID 0x80000005/0x80000006 (AMD): defaults"));
    s.l1d = (topo_tlb){100, 100, 8, 15}; /* no power-of-two set count in 8..15 ways */
    topo_set_tlbs(t, &s);
    write_ini(t, ini, sizeof ini, warn, sizeof warn);
    assert_non_null(strstr(ini, "written fully associative\n[tlb.L1d]\nentries = 100\nways = full\n"));
    topo_destroy(t);
}

/* This machine: topo_create reads CPUID; the count agrees with what it filled, and the reason is
 * given either way. */
static void test_live(void **state)
{
    (void)state;
    topo_tlbs s;
    int n = topo_tlb_cpuid(&s);
    assert_int_equal(n, (s.l1d.entries > 0) + (s.l2.entries > 0));
    assert_true(s.source[0] != '\0');
    topo_t *t = NULL;
    mh_error err = {0};
    assert_int_equal(topo_create(&t, &err), MH_OK);
    assert_int_equal(topo_get_tlbs(t)->l1d.entries, s.l1d.entries);
    assert_int_equal(topo_get_tlbs(t)->l2.entries, s.l2.entries);
    char sum[4096];
    topo_summary(t, sum, sizeof sum);
    assert_non_null(strstr(sum, s.source));
    print_message("this machine: %s; L1 DTLB %u entries, L2 %u, L1 ITLB %u\n", s.source, s.l1d.entries,
                  s.l2.entries, s.l1i.entries);
    topo_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ways),   cmocka_unit_test(test_amd),    cmocka_unit_test(test_intel18),
        cmocka_unit_test(test_intel2), cmocka_unit_test(test_config), cmocka_unit_test(test_live),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
