/* topo_tlb.c — the TLBs from CPUID register values (AMD leaves 0x80000005/6, Intel leaves
 * 0x18 and 2). Pure decoding, so any host can test it; bench/topo_cpuid_*.c read the registers. */
#include <stdio.h>
#include <string.h>

#include "topo.h"

/* See topo.h. The most power-of-two sets that leave at least ways_lo ways gives the fewest ways
 * from ways_lo on with a power-of-two set count. */
unsigned topo_tlb_ways(unsigned entries, unsigned ways_lo, unsigned ways_hi)
{
    if (!entries || !ways_lo)
        return entries;
    unsigned sets = 1;
    while (entries % (sets * 2) == 0 && entries / (sets * 2) >= ways_lo)
        sets *= 2;
    return entries / sets <= ways_hi ? entries / sets : entries;
}

/* See topo.h. */
void topo_tlb_assoc(const topo_tlb *t, char *buf, size_t n)
{
    if (!t->ways_lo)
        snprintf(buf, n, "fully associative");
    else if (t->ways_lo == t->ways_hi)
        snprintf(buf, n, "%u-way", t->ways_lo);
    else
        snprintf(buf, n, "%u..%u-way", t->ways_lo, t->ways_hi);
}

/* Sets *t to entries with associativity lo..hi (0..0: fully associative). */
static void set_tlb(topo_tlb *t, unsigned entries, unsigned lo, unsigned hi)
{
    if (lo >= entries)
        lo = hi = 0; /* as many ways as entries: fully associative */
    *t = (topo_tlb){entries, topo_tlb_ways(entries, lo, hi), lo, hi};
}

/* AMD's L2 TLB associativity code (Table E-4 of the CPUID specification): the ways it stands for;
 * 0 when disabled or reserved, lo = hi = 0 with 1 for fully associative. */
static int amd_l2_ways(unsigned code, unsigned *lo, unsigned *hi)
{
    static const unsigned range[16][2] = {
        {0, 0}, {1, 1}, {2, 2}, {3, 3}, {4, 5}, {6, 7}, {8, 15}, {0, 0},
        {16, 31}, {0, 0}, {32, 47}, {48, 63}, {64, 95}, {96, 127}, {128, 65535}, {0, 0},
    };
    *lo = range[code & 15][0];
    *hi = range[code & 15][1];
    return code == 15 || *lo > 0;
}

/* See topo.h. */
int topo_tlb_amd(uint32_t ebx5, uint32_t ebx6, topo_tlbs *out)
{
    memset(out, 0, sizeof *out);
    int found = 0;
    unsigned a1 = ebx5 >> 24, n1 = (ebx5 >> 16) & 0xff; /* 0xff: fully associative */
    if (n1 && a1) {
        set_tlb(&out->l1d, n1, a1 == 0xff ? 0 : a1, a1 == 0xff ? 0 : a1);
        found++;
    }
    unsigned ai = (ebx5 >> 8) & 0xff, ni = ebx5 & 0xff;  /* the L1 ITLB, coded alike */
    if (ni && ai)
        set_tlb(&out->l1i, ni, ai == 0xff ? 0 : ai, ai == 0xff ? 0 : ai);
    unsigned lo, hi, n2 = (ebx6 >> 16) & 0xfff;
    if (n2 && amd_l2_ways(ebx6 >> 28, &lo, &hi)) {
        set_tlb(&out->l2, n2, lo, hi);
        found++;
    }
    unsigned n2i = ebx6 & 0xfff;                          /* the L2 ITLB, coded alike */
    if (n2i && amd_l2_ways((ebx6 >> 12) & 15, &lo, &hi))
        set_tlb(&out->l2i, n2i, lo, hi);
    snprintf(out->source, sizeof out->source, found ? "CPUID 0x80000005/0x80000006 (AMD)"
                                                    : "CPUID 0x80000005/0x80000006 (AMD) describe no data TLB");
    return found;
}

/* Keeps the larger of *t and a TLB of entries (lo..hi ways) when pref ranks at least *rank. */
static void keep(topo_tlb *t, int *rank, int pref, unsigned entries, unsigned lo, unsigned hi)
{
    if (pref < *rank || (pref == *rank && entries <= t->entries))
        return;
    *rank = pref;
    set_tlb(t, entries, lo, hi);
}

/* See topo.h. Level 1: a data or unified TLB for 4 KiB pages, else the load-only one (loads and
 * stores each have their own there; the model has one), and an instruction TLB, else a unified
 * one; level 2: data or unified. */
int topo_tlb_intel18(const uint32_t (*sub)[4], unsigned n, topo_tlbs *out)
{
    memset(out, 0, sizeof *out);
    int r1 = 0, r2 = 0, ri = 0;
    for (unsigned i = 0; i < n; i++) {
        uint32_t ebx = sub[i][1], ecx = sub[i][2], edx = sub[i][3];
        unsigned type = edx & 31, level = (edx >> 5) & 7, ways = ebx >> 16;
        unsigned entries = ways * ecx, full = ((edx >> 8) & 1) || ecx == 1; /* full: one set */
        if (!(ebx & 1) || !entries || type < 1 || type > 4)
            continue; /* no 4 KiB pages, empty, null or a store-only TLB */
        unsigned lo = full ? 0 : ways;
        if (level == 1 && type != 2)
            keep(&out->l1d, &r1, type == 4 ? 1 : 2, entries, lo, lo);
        if (level == 1 && (type == 2 || type == 3))
            keep(&out->l1i, &ri, type == 2 ? 2 : 1, entries, lo, lo);
        if (level == 2 && (type == 1 || type == 3))
            keep(&out->l2, &r2, 1, entries, lo, lo);
    }
    int found = (out->l1d.entries > 0) + (out->l2.entries > 0);
    snprintf(out->source, sizeof out->source, found ? "CPUID 0x18 (Intel)" : "CPUID 0x18 (Intel) describes no data TLB");
    return found;
}

/* Leaf 2's TLB descriptors for 4 KiB pages (Intel SDM, table 3-12; those that give the
 * associativity): which TLB (1 L1 DTLB, 2 second level, 3 L1 ITLB); ways 0: fully associative. */
static const struct {
    uint8_t code, tlb;
    uint16_t entries, ways;
} leaf2[] = {
    {0x03, 1, 64, 4},   {0x5b, 1, 64, 0},   {0x5c, 1, 128, 0},  {0x5d, 1, 256, 0},
    {0x64, 1, 512, 4},  {0xa0, 1, 32, 0},   {0xb3, 1, 128, 4},  {0xb4, 1, 256, 4},
    {0xba, 1, 64, 4},   {0xc0, 1, 8, 4},    {0xc2, 1, 16, 4},   {0xc1, 2, 1024, 8},
    {0xc3, 2, 1536, 6}, {0xca, 2, 512, 4},  {0x01, 3, 32, 4},   {0x61, 3, 48, 0},
    {0xb0, 3, 128, 4},  {0xb2, 3, 64, 4},   {0xb5, 3, 64, 8},   {0xb6, 3, 128, 8},
};

/* See topo.h. A register with bit 31 set holds no descriptors; AL is the round count. */
int topo_tlb_intel2(const uint32_t regs[4], topo_tlbs *out)
{
    memset(out, 0, sizeof *out);
    topo_tlb *tlb[4] = {NULL, &out->l1d, &out->l2, &out->l1i};
    int rank[4] = {0};
    for (unsigned r = 0; r < 4; r++) {
        if (regs[r] >> 31)
            continue;
        for (unsigned b = r == 0 ? 1 : 0; b < 4; b++) {
            unsigned d = (regs[r] >> (8 * b)) & 0xff;
            for (size_t k = 0; d && k < sizeof leaf2 / sizeof leaf2[0]; k++)
                if (leaf2[k].code == d)
                    keep(tlb[leaf2[k].tlb], &rank[leaf2[k].tlb], 1, leaf2[k].entries, leaf2[k].ways,
                         leaf2[k].ways);
        }
    }
    int found = (out->l1d.entries > 0) + (out->l2.entries > 0);
    snprintf(out->source, sizeof out->source, found ? "CPUID 2 (Intel descriptors)"
                                                    : "CPUID 2 (Intel) has no data TLB descriptor");
    return found;
}
