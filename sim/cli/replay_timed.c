/* replay_timed.c — the replay loop with the timing model on a second thread: this thread decodes
 * each batch and replays it through the caches, logging what the model needs
 * (mh_hier_access_logged); the timing thread runs the model over the logged batches in order
 * (mh_hier_timing_run) while the caches go on with the next. The records, their order and the
 * results are those of cli_replay; the wall time becomes max(decode + caches, model) per batch
 * instead of their sum on a machine with a spare core. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define TIMED_BATCH 16384 /* records per batch */
#define TIMED_BUFS 4      /* batches in the ring: logged ahead of the model by up to 3 */

/* The ring shared by this thread (decode + caches) and the timing thread. */
typedef struct timed_ring {
    mh_hier *h;                  /* caches: this thread; model: the timing thread */
    mh_rec *buf[TIMED_BUFS];     /* batches */
    size_t n[TIMED_BUFS];        /* records in each, written before `logged` moves past it */
    mh_tlog *log[TIMED_BUFS];    /* the model's inputs of each batch */
    _Atomic uint64_t logged;     /* batches the caches replayed (monotonic) */
    _Atomic uint64_t timed;      /* batches the model ran (monotonic) */
    _Atomic int done;            /* no batch will be logged after `logged` */
    _Atomic int failed;          /* the timing thread stopped on an error (rc, err set before) */
    int rc;                      /* timing thread status */
    mh_error err;                /* its error context */
    cli_handoff hd;              /* waiting and waking */
} timed_ring;

/* 1 when batch k is logged, or no more will be. */
static int logged_ready(void *ctx, uint64_t k)
{
    timed_ring *p = ctx;
    return atomic_load(&p->logged) > k || atomic_load(&p->done);
}

/* 1 when batch k's slot is free again (the model ran the batch before it there), or the model failed. */
static int slot_free(void *ctx, uint64_t k)
{
    timed_ring *p = ctx;
    return atomic_load(&p->failed) || k - atomic_load(&p->timed) < TIMED_BUFS;
}

/* Timing thread: runs the model over every logged batch in order until no more come or one fails. */
static void *timing_main(void *arg)
{
    timed_ring *p = arg;
    for (uint64_t k = 0;; k++) {
        cli_handoff_wait(&p->hd, logged_ready, p, k);
        if (atomic_load(&p->logged) <= k)
            return NULL;
        const uint64_t b = k % TIMED_BUFS;
        int rc = mh_hier_timing_run(p->h, p->buf[b], p->n[b], p->log[b], &p->err);
        if (rc != MH_OK) {
            p->rc = rc;
            atomic_store(&p->failed, 1);
        } else {
            atomic_store(&p->timed, k + 1);
        }
        cli_handoff_wake(&p->hd);
        if (rc != MH_OK)
            return NULL;
    }
}

/* Decodes and replays the caches' side of every batch; returns MH_OK, a reader error or MH_EINTR. */
static int timed_produce(timed_ring *p, mh_trace *t, uint64_t *total, mh_error *err)
{
    for (uint64_t k = 0;; k++) {
        cli_handoff_wait(&p->hd, slot_free, p, k);
        if (atomic_load(&p->failed))
            return MH_OK; /* the model's error is reported */
        const uint64_t b = k % TIMED_BUFS;
        size_t n = 0;
        int rc = mh_trace_read(t, p->buf[b], TIMED_BATCH, &n, err);
        if (rc == MH_OK && n)
            rc = mh_hier_access_logged(p->h, p->buf[b], n, p->log[b], err);
        if (rc != MH_OK || n == 0)
            return rc;
        p->n[b] = n;
        *total += n;
        atomic_store(&p->logged, k + 1);
        cli_handoff_wake(&p->hd);
        if (cli_interrupted())
            return mh_error_set(err, MH_EINTR, "interrupted after %llu records", (unsigned long long)*total);
    }
}

/* Frees the ring's batches and logs (NULL entries skipped). */
static void timed_free(timed_ring *p)
{
    free(p->buf[0]);
    for (int i = 0; i < TIMED_BUFS; i++)
        mh_tlog_destroy(p->log[i]);
}

/* Allocates the ring's batches and logs; MH_OK or MH_ENOMEM (then nothing is left allocated). */
static int timed_alloc(timed_ring *p, mh_error *err)
{
    mh_rec *mem = malloc((size_t)TIMED_BUFS * TIMED_BATCH * sizeof *mem);
    if (!mem)
        return mh_error_set(err, MH_ENOMEM, "timing ring: out of memory");
    for (int i = 0; i < TIMED_BUFS; i++)
        p->buf[i] = mem + (size_t)i * TIMED_BATCH;
    for (int i = 0; i < TIMED_BUFS; i++) {
        int rc = mh_tlog_create(TIMED_BATCH, &p->log[i], err);
        if (rc != MH_OK) {
            timed_free(p);
            return rc;
        }
    }
    return MH_OK;
}

/* See cli.h. Falls back to cli_replay on this thread when no second thread can be started. */
int cli_replay_timed(mh_hier *h, mh_trace *t, uint64_t *records, mh_error *err)
{
    int rc = mh_hier_can_log(h, err);
    if (rc != MH_OK)
        return rc;
    timed_ring p;
    memset(&p, 0, sizeof p);
    p.h = h;
    atomic_init(&p.logged, 0);
    atomic_init(&p.timed, 0);
    atomic_init(&p.done, 0);
    atomic_init(&p.failed, 0);
    if ((rc = timed_alloc(&p, err)) != MH_OK)
        return rc;
    cli_handoff_init(&p.hd);
    uint64_t total = 0;
    pthread_t th;
    if (pthread_create(&th, NULL, timing_main, &p) != 0) {
        rc = cli_replay(h, t, &total, err);
    } else {
        rc = timed_produce(&p, t, &total, err);
        atomic_store(&p.done, 1);
        cli_handoff_wake(&p.hd);
        pthread_join(th, NULL);
        if (rc == MH_OK && p.rc != MH_OK) {
            *err = p.err;
            rc = p.rc;
        }
    }
    cli_handoff_fini(&p.hd);
    timed_free(&p);
    if (records)
        *records = total;
    return rc;
}
