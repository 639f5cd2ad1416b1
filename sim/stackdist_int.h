/* stackdist_int.h — pieces of the one-pass miss-ratio-curve simulator (sim/stackdist*.c).
 * Internal to the library.
 *
 * Model (Mattson et al. 1970): an LRU stack per set; an access at depth d (0 = most recent)
 * hits in every cache of that set count with more than d ways. A stack position may be a
 * hole (an invalidated line, or a free way of a cold cache); a push shifts the lines above
 * the topmost hole down by one and the hole disappears, which is exactly "fill an invalid
 * way first, else evict the LRU line" for every associativity at once. */
#ifndef MH_STACKDIST_INT_H
#define MH_STACKDIST_INT_H

#include <stdint.h>

#include "memhier.h"

#define MH_SD_HOLE UINT64_MAX   /* empty stack position (line numbers never reach it) */
#define MH_SD_ARRAY_MAX 64      /* deeper fully associative stacks use the Fenwick tree */

/* A deep fully associative LRU stack: exact depth in O(log n) with a Fenwick tree over
 * last-access times and a hash from line to its time slot. */
typedef struct mh_sd_fa mh_sd_fa;

/* Creates a stack of `depth` positions; NULL when out of memory. */
mh_sd_fa *mh_sd_fa_create(uint32_t depth);
/* References line; returns its depth before the access (depth = not in the stack). */
uint32_t mh_sd_fa_access(mh_sd_fa *s, uint64_t line);
/* Starts loading what mh_sd_fa_access(s, line) reads first (a hint; no state changes). */
void mh_sd_fa_prefetch(const mh_sd_fa *s, uint64_t line);
/* Turns line's position into a hole (explicit invalidation); absent lines are ignored. */
void mh_sd_fa_invalidate(mh_sd_fa *s, uint64_t line);
/* Frees s; NULL is a no-op. */
void mh_sd_fa_destroy(mh_sd_fa *s);

#endif
