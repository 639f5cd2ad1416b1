/* tlog_int.h — a timing log (sim/hier_tlog.c): what one batch of records gives the timing model,
 * written by the caches' replay (mh_hier_access_logged) and read back by mh_hier_timing_run.
 * Internal to the library. */
#ifndef MH_TLOG_INT_H
#define MH_TLOG_INT_H

#include "memhier.h"

/* Kinds of model call the caches make while handling a record. */
enum mh_tev_kind {
    MH_TEV_PREFETCH,  /* mh_timing_prefetch(into, from, addr) */
    MH_TEV_WRITEBACK, /* mh_timing_writeback(addr) */
    MH_TEV_LATE       /* mh_timing_prefetch_late(into, addr) */
};

/* One model call, made while the caches handled record `rec` (so before that record's account). */
typedef struct mh_tev {
    uint64_t addr;    /* line byte address */
    uint32_t rec;     /* index of the record in the batch */
    uint8_t kind;     /* enum mh_tev_kind */
    int8_t into;      /* prefetch: the level filled; late: the level hit */
    int8_t from;      /* prefetch: the level that supplied it, -1 = memory */
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

/* Appends a model call made while handling the current record; on allocation failure marks the
 * log failed (mh_hier_timing_run then reports MH_ENOMEM) and drops the call. */
void mh_tlog_event(mh_tlog *g, int kind, int into, int from, uint64_t addr);

#endif
