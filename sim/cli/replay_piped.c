/* replay_piped.c — the replay loop with the trace decoded on a second thread: while the
 * simulator replays one batch, the reader fills the next (a ring of PIPE_BUFS batches). The
 * records, their order and the results are those of cli_replay; only the wall time changes
 * (max(decode, simulate) per batch instead of their sum) on a machine with a spare core. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define PIPE_BATCH 8192 /* records per batch: 128 KiB, so a batch in flight stays in the caches */
#define PIPE_BUFS 4     /* batches in the ring */

/* The ring shared by the reader thread and the replaying thread. */
typedef struct pipe_ring {
    mh_trace *t;                 /* read only by the reader thread */
    mh_rec *buf[PIPE_BUFS];      /* batches */
    size_t n[PIPE_BUFS];         /* records in each full batch */
    uint64_t filled;             /* batches published by the reader (monotonic) */
    uint64_t used;               /* batches released by the replayer (monotonic) */
    int done;                    /* reader reached the end or an error */
    int stop;                    /* replayer asks the reader to quit */
    int rc;                      /* reader status once done */
    mh_error err;                /* reader error context */
    pthread_mutex_t mu;          /* guards the counters and flags */
    pthread_cond_t cv;           /* signalled on every change */
} pipe_ring;

/* Reader thread: fills free batches until the trace ends, an error occurs or stop is set. */
static void *pipe_reader(void *arg)
{
    pipe_ring *p = arg;
    for (uint64_t k = 0;; k++) {
        pthread_mutex_lock(&p->mu);
        while (!p->stop && k - p->used >= PIPE_BUFS)
            pthread_cond_wait(&p->cv, &p->mu);
        int stop = p->stop;
        pthread_mutex_unlock(&p->mu);
        size_t n = 0;
        int rc = stop ? MH_OK : mh_trace_read(p->t, p->buf[k % PIPE_BUFS], PIPE_BATCH, &n, &p->err);
        pthread_mutex_lock(&p->mu);
        p->n[k % PIPE_BUFS] = n;
        if (rc != MH_OK || n == 0 || stop) {
            p->rc = rc;
            p->done = 1;
        } else {
            p->filled = k + 1;
        }
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        if (p->done)
            return NULL;
    }
}

/* Waits for batch k; returns its record count, 0 when the reader finished before it. */
static size_t pipe_take(pipe_ring *p, uint64_t k)
{
    pthread_mutex_lock(&p->mu);
    while (p->filled <= k && !p->done)
        pthread_cond_wait(&p->cv, &p->mu);
    size_t n = p->filled > k ? p->n[k % PIPE_BUFS] : 0;
    pthread_mutex_unlock(&p->mu);
    return n;
}

/* Hands batch k back to the reader. */
static void pipe_release(pipe_ring *p, uint64_t k)
{
    pthread_mutex_lock(&p->mu);
    p->used = k + 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* Replays batches until the reader is done; returns MH_OK or MH_EINTR; *total = records. */
static int pipe_consume(pipe_ring *p, mh_hier *h, uint64_t *total, mh_error *err)
{
    for (uint64_t k = 0;; k++) {
        size_t n = pipe_take(p, k);
        if (n == 0)
            return MH_OK;
        mh_hier_access(h, p->buf[k % PIPE_BUFS], n);
        *total += n;
        pipe_release(p, k);
        if (cli_interrupted())
            return mh_error_set(err, MH_EINTR, "interrupted after %llu records", (unsigned long long)*total);
    }
}

/* Same contract as cli_replay (every record of t through h, in order), decoding on a second
 * thread (or on this one when no thread can be started). Returns MH_OK, the reader's error,
 * MH_EINTR, or MH_ENOMEM when the ring cannot be allocated. */
int cli_replay_piped(mh_hier *h, mh_trace *t, uint64_t *records, mh_error *err)
{
    pipe_ring p;
    memset(&p, 0, sizeof p);
    p.t = t;
    uint64_t total = 0;
    mh_rec *mem = malloc((size_t)PIPE_BUFS * PIPE_BATCH * sizeof *mem);
    if (!mem)
        return mh_error_set(err, MH_ENOMEM, "replay ring: out of memory");
    for (int i = 0; i < PIPE_BUFS; i++)
        p.buf[i] = mem + (size_t)i * PIPE_BATCH;
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    pthread_t th;
    int threaded = pthread_create(&th, NULL, pipe_reader, &p) == 0, rc;
    if (!threaded) { /* no thread to be had: the same replay on this one */
        rc = cli_replay(h, t, &total, err);
    } else {
        rc = pipe_consume(&p, h, &total, err);
        pthread_mutex_lock(&p.mu);
        p.stop = 1;
        pthread_cond_broadcast(&p.cv);
        pthread_mutex_unlock(&p.mu);
        pthread_join(th, NULL);
        if (rc == MH_OK && p.rc != MH_OK) {
            *err = p.err;
            rc = p.rc;
        }
    }
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&p.mu);
    free(mem);
    if (records)
        *records = total;
    return rc;
}
