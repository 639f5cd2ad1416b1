/* topo_cpuid_none.c — no CPUID on this architecture (the Makefile picks this file or
 * topo_cpuid_x86.c): the TLBs stay unknown, and detect writes documented defaults. */
#include <stdio.h>
#include <string.h>

#include "topo.h"

/* See topo.h. */
int topo_tlb_cpuid(topo_tlbs *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->source, sizeof out->source, "no CPUID on this architecture");
    return 0;
}
