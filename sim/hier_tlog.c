/* hier_tlog.c — timing on a thread of its own (memhier.h, mh_hier_access_logged): the caches'
 * replay logs each record's serving level and the model calls it makes on the way (prefetches
 * issued, write-backs, demand hits on prefetched lines), and the lookups and counted misses of
 * the 3C shadows below the entry levels; mh_hier_timing_run later feeds the log to the timing
 * model and those shadows in the same order. Their inputs and order are those of mh_hier_access,
 * so the results are identical; the two halves touch disjoint state (the caches' sets, counters
 * and entry-level shadows; the model's clocks and tables, the lower shadows and the classes
 * counted from logs), so one batch's timing can run while the caches replay the next. */
#include <stdlib.h>

#include "hier_int.h"
#include "tlog_int.h"

/* Builds an empty log for batches of up to max_records records. */
int mh_tlog_create(size_t max_records, mh_tlog **out, mh_error *err)
{
    *out = NULL;
    if (max_records == 0 || max_records > UINT32_MAX)
        return mh_error_set(err, MH_EINVAL, "timing log: %zu records per batch, must be 1..%u", max_records,
                            (unsigned)UINT32_MAX);
    mh_tlog *g = calloc(1, sizeof *g);
    if (g) {
        g->cap = max_records;
        g->evcap = max_records / 4 + 16; /* most records make no model call; grown on demand */
        g->served = malloc(max_records);
        g->ev = malloc(g->evcap * sizeof *g->ev);
    }
    if (!g || !g->served || !g->ev) {
        mh_tlog_destroy(g);
        return mh_error_set(err, MH_ENOMEM, "timing log: out of memory for %zu records", max_records);
    }
    *out = g;
    return MH_OK;
}

/* Frees g; NULL is a no-op. */
void mh_tlog_destroy(mh_tlog *g)
{
    if (!g)
        return;
    free(g->served);
    free(g->ev);
    free(g);
}

/* See tlog_int.h. */
int mh_tlog_grow(mh_tlog *g)
{
    mh_tev *ev = g->failed ? NULL : realloc(g->ev, 2 * g->evcap * sizeof *ev);
    if (!ev) {
        g->failed = 1;
        return -1;
    }
    g->ev = ev;
    g->evcap *= 2;
    return 0;
}

/* Makes 3C call e on h's shadows: a lookup's class is kept pending at its level (the largest of a
 * request's lines, as general_req merges them) until the level counts the miss. */
static void tev_shadow(mh_hier *h, const mh_tev *e)
{
    mh_shadow *sh = h->log_shadow[e->into];
    uint8_t *pend = &h->log_pending[e->into];
    if (e->kind == MH_TEV_SHADOW) {
        uint8_t c = (uint8_t)mh_shadow_classify(sh, e->addr, e->from & 1, e->from >> 1);
        *pend = c > *pend ? c : *pend;
    } else if (e->kind == MH_TEV_COUNT) {
        if (*pend)
            h->log_cls[e->into][e->from][*pend - 1]++;
        *pend = 0;
    } else if (e->kind == MH_TEV_SEEN) {
        mh_shadow_seen(sh, e->addr);
    } else {
        mh_shadow_remove(sh, e->addr);
    }
}

#define SHADOW_AHEAD 16 /* calls between asking for a 3C lookup's hash bucket and using it (its node: half) */

/* Asks the host for what the 3C lookups SHADOW_AHEAD and SHADOW_AHEAD / 2 calls after e will
 * read (their bucket, then the node it leads to): the shadows' tables are far bigger than the
 * host's caches, and the log says which lines come next. */
static void shadow_ahead(const mh_hier *h, const mh_tev *e, const mh_tev *end)
{
    const mh_tev *a = e + SHADOW_AHEAD, *b = e + SHADOW_AHEAD / 2;
    if (a < end && a->kind == MH_TEV_SHADOW)
        mh_shadow_prefetch_line(h->log_shadow[a->into], a->addr, 0);
    if (b < end && b->kind == MH_TEV_SHADOW)
        mh_shadow_prefetch_line(h->log_shadow[b->into], b->addr, 1);
}

/* Makes model call e. */
static void tev_apply(mh_hier *h, const mh_tev *e)
{
    if (e->kind == MH_TEV_PREFETCH)
        mh_timing_prefetch(h->log_tm, e->into, e->from, e->addr);
    else if (e->kind == MH_TEV_WRITEBACK)
        mh_timing_writeback(h->log_tm, e->addr);
    else if (e->kind == MH_TEV_LATE)
        (void)mh_timing_prefetch_late(h->log_tm, e->into, e->addr);
    else
        tev_shadow(h, e);
}

/* Feeds batch log g (of recs[0..n)) to h's timing model: each record's calls, then its account. */
int mh_hier_timing_run(mh_hier *h, const mh_rec *recs, size_t n, mh_tlog *g, mh_error *err)
{
    if (!h || !h->log_tm || !g)
        return mh_error_set(err, MH_EINVAL, "timing log: no hierarchy with timing, or no log");
    if (n != g->n)
        return mh_error_set(err, MH_EINVAL, "timing log: %zu records given for a log of %zu", n, g->n);
    if (g->failed)
        return mh_error_set(err, MH_ENOMEM, "timing log: out of memory for the model calls of a batch");
    const mh_tev *e = g->ev, *end = g->ev + g->nev;
    size_t i = 0;
    for (;;) {
        size_t stop = e < end ? e->rec : n; /* records i..stop made no model call */
        mh_timing_account_n(h->log_tm, recs + i, g->served + i, stop - i);
        if (stop == n)
            break;
        for (; e < end && e->rec == stop; e++) { /* record stop's calls, then its account */
            shadow_ahead(h, e, end);
            tev_apply(h, e);
        }
        mh_timing_account_n(h->log_tm, recs + stop, g->served + stop, 1);
        i = stop + 1;
    }
    return MH_OK;
}
