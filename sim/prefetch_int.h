/* prefetch_int.h — hardware prefetchers (sim/prefetch.c): a registry of policies that watch
 * one level's demand stream and propose lines to fetch. The hierarchy owns issuing the fills. */
#ifndef MH_PREFETCH_INT_H
#define MH_PREFETCH_INT_H

#include "config_int.h"

typedef struct mh_pf mh_pf;

/* Creates the prefetcher configured for level lc; *out = NULL when lc->prefetcher is none. */
int mh_pf_create(const mh_level_cfg *lc, mh_pf **out, mh_error *err);
/* Observes a demand access to line number `line` (addr / line size); miss = 1 when it missed.
 * Writes at most max candidate line numbers to out and returns how many. */
size_t mh_pf_observe(mh_pf *p, uint64_t line, int miss, uint64_t *out, size_t max);
/* Frees p; NULL is a no-op. */
void mh_pf_destroy(mh_pf *p);
/* Returns the enum mh_prefetcher value for name, or -1 ("none", "next-line", "stride", "stream", "region"). */
int mh_pf_lookup(const char *name);
/* Returns the name of an enum mh_prefetcher value. */
const char *mh_pf_name(int kind);
/* Returns the one-line help of an enum mh_prefetcher value ("" when out of range). */
const char *mh_pf_help(int kind);

#endif
