/* ref_lru.h — one LRU cache simulated directly, the reference the one-pass miss-ratio curve
 * (sim/stackdist.c) is checked against by tests/unit/test_stackdist.c and fuzz/fuzz_sweep.c.
 * Valid lines are a prefix of each set, newest first; a fill takes a free way before evicting;
 * an invalidation closes its gap. A record is one access, a miss when any line it covers misses
 * (the hierarchy's and DineroIV's rule); a record past 2^64 - 1 is cut there. */
#ifndef MH_TESTS_REF_LRU_H
#define MH_TESTS_REF_LRU_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "memhier.h"

typedef struct ref_cache {
    uint32_t sets, ways, shift;  /* geometry; shift = log2(line) */
    uint64_t *slot;              /* line + 1, 0 = invalid; valid prefix, newest first */
    uint64_t miss[MH_KINDS], acc[MH_KINDS];
} ref_cache;

/* Sets r up empty for sets x ways lines of 2^shift bytes; 0 when out of memory. */
static inline int ref_init(ref_cache *r, unsigned shift, uint32_t sets, uint32_t ways)
{
    memset(r, 0, sizeof *r);
    r->sets = sets;
    r->ways = ways;
    r->shift = shift;
    r->slot = calloc((size_t)sets * ways, sizeof *r->slot);
    return r->slot != NULL;
}

/* References (or invalidates) one line; returns 1 on a miss. */
static inline int ref_line(ref_cache *r, uint64_t line, int inval)
{
    uint64_t *s = r->slot + (line % r->sets) * r->ways, v = line + 1;
    uint32_t w = 0;
    while (w < r->ways && s[w] != v)
        w++;
    if (inval) {
        if (w < r->ways) {
            memmove(s + w, s + w + 1, (r->ways - 1 - w) * sizeof *s);
            s[r->ways - 1] = 0;
        }
        return 0;
    }
    int miss = w == r->ways;
    if (miss)
        w = r->ways - 1; /* the last slot: free if any is free, else the LRU line */
    memmove(s + 1, s, w * sizeof *s);
    s[0] = v;
    return miss;
}

/* Feeds n records; kinds outside mask (1 << op) and copy-backs are ignored, invalidations drop
 * every line they cover. */
static inline void ref_access(ref_cache *r, const mh_rec *recs, size_t n, unsigned mask)
{
    for (size_t i = 0; i < n; i++) {
        const mh_rec *x = &recs[i];
        uint64_t a = x->addr >> r->shift, b = (x->addr + (x->size ? x->size - 1u : 0u)) >> r->shift;
        int inval = x->op == MH_OP_INVALIDATE, miss = 0;
        if (!inval && (x->op >= MH_KINDS || !(mask & (1u << x->op))))
            continue;
        if (b < a)
            b = UINT64_MAX >> r->shift;
        for (uint64_t l = a;; l++) {
            miss |= ref_line(r, l, inval);
            if (l == b)
                break;
        }
        if (!inval) {
            r->acc[x->op]++;
            r->miss[x->op] += (uint64_t)miss;
        }
    }
}

#endif
