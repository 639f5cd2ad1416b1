/* policy.c — replacement policies: one registry table indexed by enum mh_policy.
 * lru and fifo keep each set's slots ordered newest first (see level_int.h), so they need no
 * hooks and the hierarchy's hit path never calls through a pointer for them. random, plru,
 * srrip and brrip keep slots in place and keep their state in L->meta / L->tree. */
#include <string.h>

#include "level_int.h"

#define RRPV_MAX 3u        /* 2-bit re-reference prediction values (Jaleel et al., ISCA 2010) */
#define BRRIP_LONG_ODDS 32 /* brrip inserts at RRPV_MAX-1 once in 32 fills, else RRPV_MAX */

/* ---- random ---- */

/* Picks a uniformly random way with L's own seeded generator. */
static uint32_t random_victim(mh_level *L, uint32_t set)
{
    (void)set;
    return (uint32_t)(mh_level_rand(L) % L->ways);
}

/* ---- tree PLRU: ways-1 internal nodes over the next power of two; a node bit 0 points left ---- */

/* Leaves of the PLRU tree: next power of two >= ways. */
static uint32_t plru_leaves(uint32_t ways)
{
    uint32_t n = 1;
    while (n < ways)
        n <<= 1;
    return n;
}

/* Makes every node on the path to way point away from it. */
static void plru_touch(mh_level *L, uint32_t set, uint32_t way)
{
    uint8_t *t = L->tree + (size_t)set * L->tree_stride;
    uint32_t leaves = plru_leaves(L->ways), node = 1, lo = 0, span = leaves;
    while (span > 1) {
        span >>= 1;
        int right = way >= lo + span;
        t[node] = (uint8_t)!right; /* point to the other half */
        if (right)
            lo += span;
        node = node * 2 + (uint32_t)right;
    }
}

/* Follows the node bits to a leaf, steering away from leaves past `ways`. */
static uint32_t plru_victim(mh_level *L, uint32_t set)
{
    const uint8_t *t = L->tree + (size_t)set * L->tree_stride;
    uint32_t leaves = plru_leaves(L->ways), node = 1, lo = 0, span = leaves;
    while (span > 1) {
        span >>= 1;
        int right = t[node] != 0;
        if (right && lo + span >= L->ways)
            right = 0; /* right half holds no real way */
        if (right)
            lo += span;
        node = node * 2 + (uint32_t)right;
    }
    return lo;
}

/* ---- SRRIP / BRRIP (hit priority: a hit sets RRPV to 0) ---- */

/* Hit: predict near re-reference. */
static void rrip_hit(mh_level *L, uint32_t set, uint32_t way)
{
    L->meta[(size_t)set * L->ways + way] = 0;
}

/* Finds the first way with RRPV_MAX, ageing the set until one exists. */
static uint32_t rrip_victim(mh_level *L, uint32_t set)
{
    uint8_t *m = L->meta + (size_t)set * L->ways;
    for (;;) {
        for (uint32_t w = 0; w < L->ways; w++)
            if (m[w] >= RRPV_MAX)
                return w;
        for (uint32_t w = 0; w < L->ways; w++)
            m[w]++;
    }
}

/* SRRIP fill: long re-reference interval. */
static void srrip_fill(mh_level *L, uint32_t set, uint32_t way)
{
    L->meta[(size_t)set * L->ways + way] = RRPV_MAX - 1;
}

/* BRRIP fill: distant interval, long once in BRRIP_LONG_ODDS (level's own generator). */
static void brrip_fill(mh_level *L, uint32_t set, uint32_t way)
{
    int longer = mh_level_rand(L) % BRRIP_LONG_ODDS == 0;
    L->meta[(size_t)set * L->ways + way] = (uint8_t)(longer ? RRPV_MAX - 1 : RRPV_MAX);
}

/* The registry, in enum mh_policy order. */
static const mh_repl policies[] = {
    [MH_POL_LRU] = {"lru", 1, 1, NULL, NULL, NULL, 1, "least recently used (exact)"},
    [MH_POL_FIFO] = {"fifo", 1, 0, NULL, NULL, NULL, 1, "first in first out: hits do not reorder"},
    [MH_POL_RANDOM] = {"random", 0, 0, NULL, random_victim, NULL, 0,
                       "uniform random victim, reproducible from the level's seed"},
    [MH_POL_PLRU] = {"plru", 0, 0, plru_touch, plru_victim, plru_touch, 1,
                     "tree pseudo-LRU (ways-1 bits per set)"},
    [MH_POL_SRRIP] = {"srrip", 0, 0, rrip_hit, rrip_victim, srrip_fill, 1,
                      "static re-reference interval prediction, 2-bit, hit priority"},
    [MH_POL_BRRIP] = {"brrip", 0, 0, rrip_hit, rrip_victim, brrip_fill, 0,
                      "bimodal RRIP: distant insertion, long 1/32 of fills (seeded)"},
};

#define NPOLICIES (sizeof policies / sizeof policies[0])

/* Returns the policy for id, or NULL. */
const mh_repl *mh_policy_get(int id)
{
    return id >= 0 && (size_t)id < NPOLICIES ? &policies[id] : NULL;
}

/* Returns the enum value for name, or -1. */
int mh_policy_lookup(const char *name)
{
    for (size_t i = 0; i < NPOLICIES; i++)
        if (strcmp(policies[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* Returns the name of id, or "?". */
const char *mh_policy_name(int id)
{
    const mh_repl *p = mh_policy_get(id);
    return p ? p->name : "?";
}

/* Side-array sizes for id with `ways` ways. */
void mh_policy_state_size(int id, uint32_t ways, size_t *meta_per_slot, size_t *tree_per_set)
{
    *meta_per_slot = (id == MH_POL_SRRIP || id == MH_POL_BRRIP) ? 1 : 0;
    *tree_per_set = id == MH_POL_PLRU ? plru_leaves(ways) : 0;
}
