/* tlb_int.h — one translation lookaside buffer (sim/tlb.c): a flat set-associative array of
 * virtual page numbers with LRU replacement, used by the timing model. */
#ifndef MH_TLB_INT_H
#define MH_TLB_INT_H

#include "config_int.h"

typedef struct mh_tlb mh_tlb;

/* Builds an empty TLB from c (entries, ways, page_size); name is used in error messages. */
int mh_tlb_create(const mh_tlb_cfg *c, const char *name, mh_tlb **out, mh_error *err);
/* Looks up the page of vaddr: returns 1 on a hit, 0 on a miss (the page is then inserted, LRU victim). */
int mh_tlb_lookup(mh_tlb *t, uint64_t vaddr);
/* The same, and *ready points at the entry's completion time (0 when new): a translation still in
 * flight (a prefetch's, or a miss's walk) is waited for by the next access to its page. */
int mh_tlb_lookup_at(mh_tlb *t, uint64_t vaddr, int64_t **ready);
/* As mh_tlb_lookup_at on a hit (returns 1, the entry becomes its set's MRU, *ready points at its
 * completion); a miss returns 0 and changes nothing, leaving the lookup (and the walk) to the caller. */
int mh_tlb_find(mh_tlb *t, uint64_t vaddr, int64_t **ready);
/* Returns log2 of the page size, so callers can compare page numbers cheaply. */
unsigned mh_tlb_page_shift(const mh_tlb *t);
/* Frees t; NULL is a no-op. */
void mh_tlb_destroy(mh_tlb *t);

#endif
