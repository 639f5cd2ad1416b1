/* level.c — one set-associative cache level: flat slot arrays, lookup, install, remove.
 * Routing between levels, statistics policy and traffic live in sim/hier.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bigmem_int.h"
#include "level_int.h"

/* Returns log2(x) for a power of two x, or -1. */
static int log2_exact(uint64_t x)
{
    if (x == 0 || (x & (x - 1)) != 0)
        return -1;
    int s = 0;
    while ((1ull << s) != x)
        s++;
    return s;
}

/* Checks lc's geometry; returns MH_OK or MH_ECONFIG naming the bad value. */
static int check_geometry(const mh_level_cfg *lc, mh_error *err)
{
    if (log2_exact(lc->line) < 0)
        return mh_error_set(err, MH_ECONFIG, "[%s] line = %u, must be a power of two", lc->name, lc->line);
    if (lc->ways < 1)
        return mh_error_set(err, MH_ECONFIG, "[%s] ways = %u, must be >= 1", lc->name, lc->ways);
    if (log2_exact(lc->sets) < 0)
        return mh_error_set(err, MH_ECONFIG, "[%s] sets = %u, must be a power of two", lc->name, lc->sets);
    if ((uint64_t)lc->sets * lc->ways * lc->line != lc->size)
        return mh_error_set(err, MH_ECONFIG, "[%s] size = %llu, must equal sets*ways*line = %llu", lc->name,
                            (unsigned long long)lc->size,
                            (unsigned long long)lc->sets * lc->ways * lc->line);
    if (!mh_policy_get(lc->policy))
        return mh_error_set(err, MH_ECONFIG, "[%s] policy = %d, must be lru|fifo|random|plru|srrip|brrip",
                            lc->name, lc->policy);
    return MH_OK;
}

/* Builds L from lc; returns MH_OK, MH_ECONFIG or MH_ENOMEM. */
int mh_level_init(mh_level *L, const mh_level_cfg *lc, int classify, mh_error *err)
{
    memset(L, 0, sizeof *L);
    int rc = check_geometry(lc, err);
    if (rc != MH_OK)
        return rc;
    snprintf(L->name, sizeof L->name, "%s", lc->name);
    L->st.name = L->name;
    L->pol = mh_policy_get(lc->policy);
    L->promote = L->pol->promote;
    L->ways = lc->ways;
    L->sets = lc->sets;
    L->set_mask = lc->sets - 1;
    L->line = lc->line;
    L->line_shift = log2_exact(lc->line);
    L->write_back = lc->write_back;
    L->allocate = lc->allocate;
    L->inclusion = lc->inclusion;
    L->next = lc->next;
    /* splitmix64 of the seed: nonzero, distinct streams for nearby seeds */
    uint64_t z = lc->seed + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    L->rng = (z ^ (z >> 31)) | 1;
    size_t nslots = (size_t)lc->sets * lc->ways, meta, tree;
    mh_policy_state_size(lc->policy, lc->ways, &meta, &tree);
    L->slot = mh_big_alloc(nslots * sizeof *L->slot, 1);
    L->meta = meta ? calloc(nslots, meta) : NULL;
    L->tree = tree ? calloc((size_t)lc->sets, tree) : NULL;
    L->tree_stride = (uint32_t)tree;
    L->shadow = classify ? mh_shadow_create(nslots) : NULL;
    if (!L->slot || (meta && !L->meta) || (tree && !L->tree) || (classify && !L->shadow)) {
        mh_level_fini(L);
        return mh_error_set(err, MH_ENOMEM, "[%s] out of memory for %zu lines", lc->name, nslots);
    }
    return MH_OK;
}

/* Frees L's arrays. */
void mh_level_fini(mh_level *L)
{
    mh_big_free(L->slot, (size_t)L->sets * L->ways * sizeof *L->slot);
    free(L->meta);
    free(L->tree);
    mh_shadow_destroy(L->shadow);
    mh_pf_destroy(L->pf);
    L->slot = NULL;
    L->meta = L->tree = NULL;
    L->shadow = NULL;
    L->pf = NULL;
}

/* Victim for slot-in-place policies: an invalid way when present, else the policy's choice. */
uint32_t mh_level_victim_inplace(mh_level *L, uint32_t set)
{
    const uint64_t *s = L->slot + (size_t)set * L->ways;
    for (uint32_t w = 0; w < L->ways; w++)
        if (s[w] == 0)
            return w;
    return L->pol->victim(L, set);
}

/* xorshift64* step of L's own generator. */
uint64_t mh_level_rand(mh_level *L)
{
    uint64_t x = L->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    L->rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}
