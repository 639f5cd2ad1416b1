/* topo_cpuid_x86.c — reads the data TLBs through CPUID on x86 (the Makefile picks this file or
 * topo_cpuid_none.c); topo_tlb.c decodes the registers. */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>

#include "topo.h"

#define LEAF18_MAX 32 /* subleaves of leaf 0x18 read at most */

/* Intel: leaf 0x18 where the CPU has it, else the descriptors of leaf 2. */
static int intel_tlbs(unsigned max, topo_tlbs *out)
{
    unsigned a, b, c, d;
    if (max >= 0x18) {
        uint32_t sub[LEAF18_MAX][4];
        __cpuid_count(0x18, 0, a, b, c, d);
        unsigned n = a + 1 < LEAF18_MAX ? a + 1 : LEAF18_MAX;
        for (unsigned i = 0; i < n; i++)
            __cpuid_count(0x18, i, sub[i][0], sub[i][1], sub[i][2], sub[i][3]);
        int found = topo_tlb_intel18((const uint32_t(*)[4])sub, n, out);
        if (found)
            return found;
    }
    if (max < 2)
        return 0;
    uint32_t r[4];
    __cpuid(2, r[0], r[1], r[2], r[3]);
    return topo_tlb_intel2(r, out);
}

/* See topo.h. */
int topo_tlb_cpuid(topo_tlbs *out)
{
    unsigned max, b, c, d, ext, x;
    char vendor[13];
    memset(out, 0, sizeof *out);
    if (!__get_cpuid(0, &max, &b, &c, &d)) {
        snprintf(out->source, sizeof out->source, "CPUID not available");
        return 0;
    }
    memcpy(vendor, &b, 4);
    memcpy(vendor + 4, &d, 4);
    memcpy(vendor + 8, &c, 4);
    vendor[12] = '\0';
    if (!strcmp(vendor, "AuthenticAMD") || !strcmp(vendor, "HygonGenuine")) {
        uint32_t b5, b6;
        if (!__get_cpuid(0x80000000, &ext, &x, &x, &x) || ext < 0x80000006) {
            snprintf(out->source, sizeof out->source, "CPUID (%s) has no leaf 0x80000006", vendor);
            return 0;
        }
        __cpuid(0x80000005, x, b5, x, x);
        __cpuid(0x80000006, x, b6, x, x);
        return topo_tlb_amd(b5, b6, out);
    }
    if (!strcmp(vendor, "GenuineIntel")) {
        int n = intel_tlbs(max, out);
        if (!n && !out->source[0])
            snprintf(out->source, sizeof out->source, "CPUID (Intel) has neither leaf 0x18 nor leaf 2");
        return n;
    }
    snprintf(out->source, sizeof out->source, "CPUID vendor %s: its TLB leaves are not decoded", vendor);
    return 0;
}
