/* replay_piped.c — the replay loop with the trace decoded on a second thread: while the
 * simulator replays one batch, the reader fills the next (a ring of PIPE_BUFS batches). The
 * records, their order and the results are those of cli_replay; only the wall time changes
 * (max(decode, simulate) per batch instead of their sum) on a machine with a spare core.
 *
 * The reader also strips batches (mh_strip_run) where the hierarchy allows: the replaying
 * thread then skips the records certain to hit their entry level's most recent line, and counts
 * them (mh_hier_count_hits). Stripping moves work from the replaying thread to the reader, so the
 * reader strips only while it is the faster one: when it finds the ring full of batches waiting
 * for the replayer, it strips from then on; when it finds only the one the replayer holds (the
 * replayer waits for the next, as on traces that mostly hit, where decoding costs more than
 * replaying), it stops, and tells the stripper (mh_strip_skip). Either way the results are the same.
 *
 * Hand-over: the two threads publish batches through two atomic counters and wait for each other
 * with cli_handoff_wait (spinning, then asleep). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define PIPE_BATCH 16384      /* records per batch: 256 KiB, so a batch in flight stays in L2 */
#define PIPE_BUFS 4           /* batches in the ring */
#define STRIP_ON (PIPE_BUFS - 1) /* batches waiting for the replayer (the ring full) from which the reader strips */
#define STRIP_OFF 1           /* ... and at which it stops: the replayer holds one batch, waits for the next */

/* The ring shared by the reader thread and the replaying thread. */
typedef struct pipe_ring {
    mh_trace *t;                 /* read only by the reader thread */
    mh_strip *strip;             /* used only by the reader thread; NULL: no stripping */
    mh_rec *buf[PIPE_BUFS];      /* batches */
    size_t n[PIPE_BUFS];         /* records kept in each batch, written before `filled` moves past it */
    size_t read[PIPE_BUFS];      /* records read into each batch (0: the trace ended) */
    uint64_t hits[PIPE_BUFS][MH_KINDS]; /* records the stripper took out of each, by kind */
    _Atomic uint64_t filled;     /* batches published by the reader (monotonic) */
    _Atomic uint64_t used;       /* batches released by the replayer (monotonic) */
    _Atomic int done;            /* reader reached the end or an error (rc, err set before) */
    _Atomic int stop;            /* replayer asks the reader to quit */
    int rc;                      /* reader status once done */
    mh_error err;                /* reader error context */
    cli_handoff hd;              /* waiting and waking */
} pipe_ring;

/* 1 when the reader may fill batch k (or must stop). */
static int slot_free(void *ctx, uint64_t k)
{
    pipe_ring *p = ctx;
    return atomic_load(&p->stop) || k - atomic_load(&p->used) < PIPE_BUFS;
}

/* 1 when batch k is filled or the reader finished. */
static int batch_ready(void *ctx, uint64_t k)
{
    pipe_ring *p = ctx;
    return atomic_load(&p->filled) > k || atomic_load(&p->done);
}

/* Reader thread: fills free batches until the trace ends, an error occurs or stop is set. */
static void *pipe_reader(void *arg)
{
    pipe_ring *p = arg;
    int stripping = 0; /* the last batch was stripped */
    for (uint64_t k = 0;; k++) {
        cli_handoff_wait(&p->hd, slot_free, p, k);
        int stop = atomic_load(&p->stop);
        size_t n = 0;
        const uint64_t b = k % PIPE_BUFS, waiting = k - atomic_load(&p->used);
        int rc = stop ? MH_OK : mh_trace_read(p->t, p->buf[b], PIPE_BATCH, &n, &p->err);
        p->read[b] = n;
        memset(p->hits[b], 0, sizeof p->hits[b]);
        int strip = p->strip && (waiting >= STRIP_ON || (stripping && waiting > STRIP_OFF));
        if (p->strip && stripping && !strip)
            mh_strip_skip(p->strip); /* this batch goes whole: what the stripper knows may go stale */
        stripping = strip;
        p->n[b] = strip && rc == MH_OK ? mh_strip_run(p->strip, p->buf[b], n, p->hits[b]) : n;
        int end = rc != MH_OK || n == 0 || stop;
        if (end) {
            p->rc = rc;
            atomic_store(&p->done, 1);
        } else {
            atomic_store(&p->filled, k + 1);
        }
        cli_handoff_wake(&p->hd);
        if (end)
            return NULL;
    }
}

/* Waits for batch k; returns the records read into it, 0 when the reader finished before it. */
static size_t pipe_take(pipe_ring *p, uint64_t k)
{
    cli_handoff_wait(&p->hd, batch_ready, p, k);
    return atomic_load(&p->filled) > k ? p->read[k % PIPE_BUFS] : 0;
}

/* Hands batch k back to the reader. */
static void pipe_release(pipe_ring *p, uint64_t k)
{
    atomic_store(&p->used, k + 1);
    cli_handoff_wake(&p->hd);
}
/* Replays batches until the reader is done; returns MH_OK or MH_EINTR; *total = records. */
static int pipe_consume(pipe_ring *p, mh_hier *h, uint64_t *total, mh_error *err)
{
    for (uint64_t k = 0;; k++) {
        size_t n = pipe_take(p, k);
        if (n == 0)
            return MH_OK;
        const uint64_t b = k % PIPE_BUFS;
        mh_hier_access(h, p->buf[b], p->n[b]);
        if (p->strip)
            mh_hier_count_hits(h, p->hits[b]);
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
    atomic_init(&p.filled, 0);
    atomic_init(&p.used, 0);
    atomic_init(&p.done, 0);
    atomic_init(&p.stop, 0);
    uint64_t total = 0;
    mh_rec *mem = malloc((size_t)PIPE_BUFS * PIPE_BATCH * sizeof *mem);
    if (!mem)
        return mh_error_set(err, MH_ENOMEM, "replay ring: out of memory");
    for (int i = 0; i < PIPE_BUFS; i++)
        p.buf[i] = mem + (size_t)i * PIPE_BATCH;
    cli_handoff_init(&p.hd);
    mh_strip_create(h, &p.strip, NULL); /* NULL where the hierarchy does not allow it: every record replays */
    pthread_t th;
    int threaded = pthread_create(&th, NULL, pipe_reader, &p) == 0, rc;
    if (!threaded) { /* no thread to be had: the same replay on this one */
        rc = cli_replay(h, t, &total, err);
    } else {
        rc = pipe_consume(&p, h, &total, err);
        atomic_store(&p.stop, 1);
        cli_handoff_wake(&p.hd);
        pthread_join(th, NULL);
        if (rc == MH_OK && p.rc != MH_OK) {
            *err = p.err;
            rc = p.rc;
        }
    }
    cli_handoff_fini(&p.hd);
    mh_strip_destroy(p.strip);
    free(mem);
    if (records)
        *records = total;
    return rc;
}
