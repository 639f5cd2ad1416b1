/* tlog_int.h — a timing log (sim/hier_tlog.c): what one batch of records gives the timing model
 * and the 3C shadows,
 * written by the caches' replay (mh_hier_access_logged) and read back by mh_hier_timing_run.
 * Internal to the library. */
#ifndef MH_TLOG_INT_H
#define MH_TLOG_INT_H

#include "memhier.h"

/* Kinds of model call the caches make while handling a record. */
enum mh_tev_kind {
    MH_TEV_PREFETCH,  /* mh_timing_prefetch(into, from, addr) */
    MH_TEV_WRITEBACK, /* mh_timing_writeback(addr) */
    MH_TEV_LATE,      /* mh_timing_prefetch_late(into, addr) */
    MH_TEV_SHADOW,    /* 3C: level into looked line addr up; from = hit | alloc << 1 */
    MH_TEV_COUNT,     /* 3C: level into counts a miss of kind from, of the class its lookups since found */
    MH_TEV_SEEN,      /* 3C: level into's seen set marks line addr (a demand hit on a prefetched line) */
    MH_TEV_REMOVE     /* 3C: level into's shadow drops line addr (an invalidation) */
};

/* One model call, made while the caches handled record `rec` (so before that record's account). */
typedef struct mh_tev {
    uint64_t addr;    /* line byte address (3C events: the line number) */
    uint32_t rec;     /* index of the record in the batch */
    uint8_t kind;     /* enum mh_tev_kind */
    int8_t into;      /* prefetch: the level filled; late: the level hit; 3C: the level */
    int8_t from;      /* prefetch: the level that supplied it, -1 = memory; 3C: see the kinds */
} mh_tev;

struct mh_tlog {
    int8_t *served;   /* per record: the level that served it, -1 = memory (unused for copyback
                         and invalidate records, which the model skips) */
    size_t cap;       /* records a batch may hold */
    size_t n;         /* records logged in this batch */
    uint32_t at;      /* index of the record being handled (stamped on its events) */
    mh_tev *ev;       /* the model calls, in order */
    size_t nev, evcap;/* calls logged, room */
    int failed;       /* a call could not be logged (out of memory): this batch's timing is lost */
};

/* Doubles g's room for calls; 0, or -1 (g marked failed) when out of memory. */
int mh_tlog_grow(mh_tlog *g);

/* Appends a model call made while handling the current record; on allocation failure marks the
 * log failed (mh_hier_timing_run then reports MH_ENOMEM) and drops the call. Inline: in a 3C
 * replay every lookup makes one. */
static inline void mh_tlog_event(mh_tlog *g, int kind, int into, int from, uint64_t addr)
{
    if (g->nev == g->evcap && mh_tlog_grow(g))
        return;
    g->ev[g->nev++] = (mh_tev){addr, g->at, (uint8_t)kind, (int8_t)into, (int8_t)from};
}

#endif
