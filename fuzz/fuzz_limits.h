/* fuzz_limits.h — keeps the config harnesses from building hierarchies that are valid but
 * huge (a 256G cache is a legal config: tens of GiB of tag arrays). Those hit libFuzzer's
 * malloc/RSS limits, which says nothing about memory safety; the plain build answers them with
 * MH_ENOMEM. Reads the internal config shape (sim/config_int.h): fuzzing tooling only. */
#ifndef MH_FUZZ_LIMITS_H
#define MH_FUZZ_LIMITS_H

#include "config_int.h"

#define FUZZ_MAX_LINES (1u << 20)   /* cache lines over all levels */
#define FUZZ_MAX_PAGES (1u << 20)   /* simulated physical pages */
#define FUZZ_MAX_TLB (1u << 16)     /* TLB entries */

/* 1 when building a hierarchy from c stays within the limits above. */
static int fuzz_config_small(const mh_config *c)
{
    uint64_t lines = 0;
    for (size_t i = 0; i < c->nlevels; i++)
        lines += c->level[i].size / (c->level[i].line ? c->level[i].line : 1);
    if (lines > FUZZ_MAX_LINES)
        return 0;
    for (int i = 0; i < 2; i++)
        if (c->tlb[i].entries > FUZZ_MAX_TLB)
            return 0;
    if (c->ram.capacity && c->ram.page_size && c->ram.capacity / c->ram.page_size > FUZZ_MAX_PAGES)
        return 0;
    return 1;
}

#endif
