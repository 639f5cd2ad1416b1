/* replay_split.c — the replay loop on several threads with the hierarchy's sets split between
 * them (mh_hier_split): whichever thread runs ahead decodes the next batch and deals its records
 * out to the parts' lists (the trace is one stream: one decoder at a time, any thread); every
 * thread replays its part's list. A record spanning parts goes into every list and stops every
 * thread at it; thread 0 replays it, then all go on. The results are those of cli_replay.
 *
 * Waiting spins (the other threads are running on their own cores, and waking a sleeping vCPU
 * costs tens of microseconds here). A waiting thread decodes instead when it can, at a spanning
 * record too. A batch is decoded SPLIT_STEP records at a time, and the decoder hands the rest of
 * it to whoever comes next as soon as a thread waits at a spanning record: a whole batch at once
 * held such a thread up ~15 us, every ~3400 records of the mixed benchmark trace. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define SPLIT_BATCH 4096 /* records per batch (1024: ~10 % slower on a trace that always misses) */
#define SPLIT_BUFS 16    /* batches in the ring */
#define SPLIT_PARTS 8    /* most threads (parts) */
#define SPLIT_AHEAD 4    /* a thread decodes first when fewer batches than this are ready for it */
#define SPLIT_STEP 512   /* records decoded between two looks at the threads waiting at a spanning record */

typedef struct split_run split_run;

/* One thread's state. */
typedef struct split_worker {
    split_run *run;              /* shared state */
    mh_hier_part *part;          /* the part this thread replays */
    unsigned index;              /* 0 replays the records that span parts */
    _Atomic uint64_t done;       /* batches this thread has finished */
    _Atomic uint64_t at;         /* number of the spanning record it waits at (from 1), 0 = none */
    uint64_t met;                /* spanning records it has reached */
    pthread_t tid;               /* its thread (not for worker 0, the caller's) */
} split_worker;

/* State shared by the threads. */
struct split_run {
    mh_trace *t;                      /* read by the holder of the decode token only */
    mh_rec *list[SPLIT_BUFS][SPLIT_PARTS]; /* each batch's records dealt to the parts (room for a
                                              whole batch each: a record spanning parts is in all) */
    size_t n[SPLIT_BUFS][SPLIT_PARTS]; /* their lengths, written before `filled` passes the batch */
    mh_rec step[SPLIT_STEP];          /* the decoder's records before they are dealt */
    unsigned nw;                      /* threads */
    split_worker *w;                  /* nw workers */
    _Atomic uint64_t filled;          /* batches decoded (monotonic) */
    _Atomic int decoding;             /* the decode token */
    _Atomic int end;                  /* no batch past `filled` will come (end of trace or error) */
    _Atomic int stop;                 /* 1: quit (interrupt, or a thread could not start) */
    _Atomic int go;                   /* start gate: 1 once every thread exists */
    _Atomic uint64_t shared_done;     /* number of the last spanning record replayed */
    size_t part_n;                    /* records already in batch `filled` (by the token holder) */
    uint64_t records;                 /* records decoded (by the token holder) */
    int rc;                           /* decoder status once end is set */
    mh_error err;                     /* decoder error context */
};

/* Batches every thread has finished (the ring slots below it are free). */
static uint64_t min_done(split_run *s)
{
    uint64_t m = UINT64_MAX;
    for (unsigned i = 0; i < s->nw; i++) {
        uint64_t d = atomic_load(&s->w[i].done);
        m = d < m ? d : m;
    }
    return m;
}

/* 1 when a thread other than me waits at a spanning record (for the others to arrive, or for
 * worker 0 to replay it): a decode now would hold it up. */
static int meet_waiting(split_run *s, const split_worker *me)
{
    uint64_t done = atomic_load(&s->shared_done);
    for (unsigned i = 0; i < s->nw; i++)
        if (&s->w[i] != me && atomic_load(&s->w[i].at) > done)
            return 1;
    return 0;
}

/* Deals n decoded records out to the lists of ring slot i: each to its part's, one spanning parts
 * to every part's. */
static void deal(split_run *s, unsigned i, const mh_rec *r, size_t n)
{
    for (size_t at = 0; at < n; at++) {
        at += mh_part_deal(s->w[0].part, r + at, n - at, s->list[i], s->n[i]);
        for (unsigned j = 0; at < n && j < s->nw; j++)
            s->list[i][j][s->n[i][j]++] = r[at];
    }
}

/* Decodes SPLIT_STEP-record steps of the next batch until it is full, or a thread waits at a
 * spanning record (the rest is left to the next decoder; unless `idle`, such a thread stops it
 * before the first step: me replaying is what it needs); needs the decode token and a free ring
 * slot. Returns 1 when it decoded (or found the end), 0 when it could not. */
static int try_decode(split_run *s, const split_worker *me, int idle)
{
    if (atomic_load(&s->end) || atomic_load(&s->filled) - min_done(s) >= SPLIT_BUFS || (!idle && meet_waiting(s, me)))
        return 0;
    if (atomic_exchange(&s->decoding, 1))
        return 0;
    uint64_t k = atomic_load(&s->filled);
    unsigned slot = (unsigned)(k % SPLIT_BUFS);
    int did = 0;
    if (!atomic_load(&s->end) && k - min_done(s) < SPLIT_BUFS) {
        int rc = MH_OK;
        size_t n = 0;
        if (s->part_n == 0)
            memset(s->n[slot], 0, sizeof s->n[slot]);
        do {
            size_t want = SPLIT_BATCH - s->part_n < SPLIT_STEP ? SPLIT_BATCH - s->part_n : SPLIT_STEP;
            rc = mh_trace_read(s->t, s->step, want, &n, &s->err);
            if (rc != MH_OK)
                break;
            deal(s, slot, s->step, n);
            s->part_n += n;
            s->records += n;
        } while (n && s->part_n < SPLIT_BATCH && !meet_waiting(s, me));
        if (rc != MH_OK || n == 0) { /* end of trace (the last records still go) or an error */
            s->rc = rc;
            if (rc == MH_OK && s->part_n)
                atomic_store(&s->filled, k + 1);
            atomic_store(&s->end, 1);
        } else if (s->part_n == SPLIT_BATCH) {
            s->part_n = 0;
            atomic_store(&s->filled, k + 1);
        }
        did = 1;
    }
    atomic_store(&s->decoding, 0);
    return did;
}

/* Waits until batch k is decoded (decoding it or others meanwhile); returns 0 when it never
 * will be (end of trace, error, stop). */
static int wait_batch(split_worker *me, uint64_t k)
{
    split_run *s = me->run;
    while (atomic_load(&s->filled) <= k) {
        if (atomic_load(&s->stop) || (atomic_load(&s->end) && atomic_load(&s->filled) <= k))
            return 0;
        if (!try_decode(s, me, 1))
            cli_spin_pause();
    }
    return 1;
}

/* Spanning record r, the thread's g-th (from 1): every thread stops here; worker 0 replays it
 * once all have arrived, the others wait for it, decoding meanwhile when they can. Returns 0
 * when told to stop. */
static int meet(split_worker *me, const mh_rec *r, uint64_t g)
{
    split_run *s = me->run;
    atomic_store(&me->at, g);
    if (me->index == 0) {
        for (unsigned i = 1; i < s->nw; i++)
            while (atomic_load(&s->w[i].at) != g) {
                if (atomic_load(&s->stop))
                    return 0;
                if (!try_decode(s, me, 0))
                    cli_spin_pause();
            }
        mh_part_replay_shared(me->part, r);
        atomic_store(&s->shared_done, g);
        return 1;
    }
    while (atomic_load(&s->shared_done) != g) {
        if (atomic_load(&s->stop))
            return 0;
        if (!try_decode(s, me, 0))
            cli_spin_pause();
    }
    return 1;
}

/* Replays this thread's list of batch k; returns 0 when told to stop. */
static int run_batch(split_worker *me, uint64_t k)
{
    split_run *s = me->run;
    const mh_rec *b = s->list[k % SPLIT_BUFS][me->index];
    size_t n = s->n[k % SPLIT_BUFS][me->index], i = 0;
    while (i < n) {
        size_t j = i + mh_part_replay_own(me->part, b + i, n - i);
        if (j == n)
            break;
        if (!meet(me, &b[j], ++me->met))
            return 0;
        i = j + 1;
    }
    return 1;
}

/* A thread's loop: batch after batch until the trace ends or a stop. */
static void *split_main(void *arg)
{
    split_worker *me = arg;
    split_run *s = me->run;
    while (!atomic_load(&s->go))
        cli_spin_pause();
    if (atomic_load(&s->go) < 0)
        return NULL;
    for (uint64_t k = 0;; k++) {
        while (atomic_load(&s->filled) < k + SPLIT_AHEAD && try_decode(s, me, 0))
            ;
        if (!wait_batch(me, k) || !run_batch(me, k))
            break;
        atomic_store(&me->done, k + 1);
        if (me->index == 0 && cli_interrupted())
            atomic_store(&s->stop, 1);
    }
    atomic_store(&me->done, UINT64_MAX); /* finished: holds no ring slot */
    return NULL;
}

/* Largest power of two <= min(cpus, SPLIT_PARTS) (the parts, one thread each). */
static unsigned split_threads(long cpus)
{
    unsigned n = 1;
    while (n * 2 <= (unsigned)(cpus < SPLIT_PARTS ? cpus : SPLIT_PARTS))
        n *= 2;
    return n;
}

/* Starts workers 1..nw-1 and runs worker 0 here; returns MH_OK or MH_EUNSUPPORTED when a thread
 * could not be started (then nothing was replayed). */
static int split_go(split_run *s)
{
    unsigned started = 1;
    for (; started < s->nw; started++)
        if (pthread_create(&s->w[started].tid, NULL, split_main, &s->w[started]) != 0)
            break;
    int ok = started == s->nw;
    atomic_store(&s->go, ok ? 1 : -1);
    if (ok)
        split_main(&s->w[0]);
    for (unsigned i = 1; i < started; i++)
        pthread_join(s->w[i].tid, NULL);
    return ok ? MH_OK : MH_EUNSUPPORTED;
}

/* Same contract as cli_replay, on up to `cpus` threads with h's sets split between them.
 * Returns MH_EUNSUPPORTED (with the reason in err, nothing replayed) when h cannot be split or
 * the threads cannot be started; else MH_OK, the decoder's error, MH_EINTR or MH_ENOMEM. */
int cli_replay_split(mh_hier *h, mh_trace *t, long cpus, uint64_t *records, mh_error *err)
{
    unsigned nw = split_threads(cpus);
    if (nw < 2)
        return mh_error_set(err, MH_EUNSUPPORTED, "split: one CPU online");
    mh_hier_part *parts[SPLIT_PARTS] = {0};
    int rc = mh_hier_split(h, nw, parts, err);
    while (rc == MH_EUNSUPPORTED && nw > 2) /* fewer parts may fit (too few common index bits) */
        rc = mh_hier_split(h, nw /= 2, parts, err);
    if (rc != MH_OK)
        return rc;
    split_run s;
    memset(&s, 0, sizeof s);
    split_worker w[SPLIT_PARTS];
    memset(w, 0, sizeof w);
    s.t = t;
    s.nw = nw;
    s.w = w;
    mh_rec *mem = malloc((size_t)SPLIT_BUFS * nw * SPLIT_BATCH * sizeof *mem);
    for (unsigned i = 0; mem && i < SPLIT_BUFS; i++)
        for (unsigned j = 0; j < nw; j++)
            s.list[i][j] = mem + ((size_t)i * nw + j) * SPLIT_BATCH;
    for (unsigned i = 0; i < nw; i++)
        w[i] = (split_worker){.run = &s, .part = parts[i], .index = i};
    rc = mem ? split_go(&s) : mh_error_set(err, MH_ENOMEM, "replay ring: out of memory");
    if (rc == MH_EUNSUPPORTED)
        mh_error_set(err, rc, "split: cannot start %u threads", nw);
    mh_hier_join(h, parts, nw);
    free(mem);
    if (records)
        *records = s.records;
    if (rc != MH_OK)
        return rc;
    if (atomic_load(&s.stop))
        return mh_error_set(err, MH_EINTR, "interrupted");
    if (s.rc != MH_OK) {
        *err = s.err;
        return s.rc;
    }
    return MH_OK;
}
