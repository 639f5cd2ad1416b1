/* capture.h — the recording hook that turns a kernel run into mh_rec records.
 *
 * Kernels are written once as always-inline bodies taking a `bench_cap *cap`. The native
 * instantiation passes a constant NULL, so every BENCH_REC()/BENCH_PUT() folds away; the capture
 * instantiation passes a live recorder. Records are buffered (or kept in memory for tests)
 * until the --records budget is spent. With a writer, full buffers go through a ring of
 * pre-faulted buffers to a writer thread (delta coding + zstd cost 15-30 ns per record, far
 * more than the kernels' own accesses), so the kernel's thread only stores records and swaps
 * buffers. The ring holds one repetition's records (up to 2M), and the writer thread idles
 * until it is full or finished, so it does not disturb the run; past that the kernel waits
 * for a free buffer (back-pressure). */
#ifndef BENCH_CAPTURE_H
#define BENCH_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "memhier.h"

#define BENCH_CAP_BUF 4096           /* records buffered between flushes (no writer thread) */
#define BENCH_CAP_SLOT 16384         /* records per ring buffer handed to the writer thread */
#define BENCH_CAP_RING_MIN 8         /* ring buffers at least (2 MiB: with 5, the 16K heap and pool
                                        kernels measured 2.5x slower per record; cause not found) */
#define BENCH_CAP_RING_MAX 128       /* ring buffers at most (32 MiB: a 2M-record budget) */

typedef struct bench_cap_ring bench_cap_ring; /* writer thread and its buffers (capture.c) */
#define BENCH_RECORDS_DEFAULT 2000000 /* default --records budget */

/* A recorder: a record buffer, a budget and a sink (writer or in-memory array). */
typedef struct bench_cap {
    mh_rec *buf;               /* pending records */
    size_t n, cap;             /* records pending in buf, and its capacity */
    uint64_t budget;           /* records allowed in total */
    uint64_t recorded;         /* records accepted so far */
    int full;                  /* 1 once budget records were accepted: kernels stop early */
    int status;                /* first sink error (MH_OK while healthy) */
    mh_error err;              /* context of that error */
    mh_writer *w;              /* sink: trace writer, or NULL */
    bench_cap_ring *ring;      /* writer thread feeding w, or NULL (then w is written inline) */
    mh_rec *mem;               /* sink: growable in-memory array (tests), or NULL */
    size_t mem_n, mem_cap;     /* records held in mem and its capacity */
} bench_cap;

/* Initialises c for writing to w (may be NULL with mem = 1: collect in memory; with neither,
 * records are counted and dropped). With w, a writer thread is started (off the calling
 * thread's pinned core when it is pinned); if it cannot be, w is written inline. On allocation
 * failure c->status is MH_ENOMEM and c->full is set, so kernels stop at once. */
void bench_cap_init(bench_cap *c, mh_writer *w, int mem, uint64_t budget);
/* Same, with the ring sized for about expect records (a known run length) rather than the whole
 * budget: pre-faulting a budget-sized ring would evict the kernel's data from the caches. */
void bench_cap_init_sized(bench_cap *c, mh_writer *w, int mem, uint64_t budget, uint64_t expect);
/* Moves pending records to the sink (to the writer thread's queue: it may still be writing);
 * waits only for a free ring buffer; returns c->status, which includes writer errors seen so far. */
int bench_cap_flush(bench_cap *c);
/* Flushes, waits until the writer thread has written everything and joins it; returns
 * c->status with the first writer error (and its context in c->err). Call before closing w. */
int bench_cap_finish(bench_cap *c);
/* Finishes (joins the writer thread) and frees the buffers and the in-memory array (the writer
 * belongs to the caller). */
void bench_cap_free(bench_cap *c);

/* Records one access; the hot path of capture mode (no call unless the buffer is full). */
static inline void bench_cap_put(bench_cap *c, const void *addr, unsigned size, int op, int flags,
                                 uint32_t gap)
{
    if (c->full)
        return;
    mh_rec *r = &c->buf[c->n++];
    r->addr = (uint64_t)(uintptr_t)addr;
    r->gap = gap;
    r->size = (uint16_t)size;
    r->op = (uint8_t)op;
    r->flags = (uint8_t)flags;
    if (++c->recorded >= c->budget)
        c->full = 1;
    if (c->n == c->cap)
        bench_cap_flush(c);
}

/* The recording macro used by kernel bodies: a no-op when cap is the constant NULL. */
#define BENCH_REC(cap, addr, size, op, flags, gap)                                       \
    do {                                                                                 \
        if (cap)                                                                         \
            bench_cap_put((cap), (addr), (size), (op), (flags), (gap));                  \
    } while (0)

/* 1 when a capture run must stop (budget spent); constant 0 in the native instantiation. */
#define BENCH_CAP_DONE(cap) ((cap) && (cap)->full)

/* A write cursor into c->buf for hot loops. Kept in locals whose address is never taken (pass
 * and return it by value), so the record stores cannot alias it: the compiler keeps p and stop
 * in registers instead of reloading c->n, c->recorded, c->full through c every record.
 * Records [c->buf + c->n, p) are pending: stored but not yet counted in c->n or c->recorded. */
typedef struct bench_cur {
    mh_rec *p;     /* next record slot; NULL once the budget is spent (or no cap) */
    mh_rec *stop;  /* min(buffer end, budget end): refill when p reaches it */
} bench_cur;

/* Counts the records pending at cur into c->n and c->recorded (sets c->full at the budget);
 * then flushes a full buffer and returns a fresh cursor, or {NULL, NULL} once c is full. */
bench_cur bench_cur_refill(bench_cap *c, bench_cur cur);

/* A cursor at c's next free slot; {NULL, NULL} when c is NULL or full. */
static inline bench_cur bench_cur_begin(bench_cap *c)
{
    bench_cur cur = {NULL, NULL};
    if (!c || c->full)
        return cur;
    size_t room = c->cap - c->n;
    uint64_t left = c->budget - c->recorded;
    cur.p = c->buf + c->n;
    cur.stop = cur.p + (left < room ? (size_t)left : room);
    return cur;
}

/* Counts the records still pending at cur (call after the loop, before c is used otherwise). */
static inline void bench_cur_end(bench_cap *c, bench_cur cur)
{
    if (c && cur.p) {
        size_t k = (size_t)(cur.p - (c->buf + c->n));
        c->n += k;
        c->recorded += k; /* p < stop: neither the budget nor the buffer is used up here */
    }
}

/* Records one access through the cursor cur (an lvalue); a no-op when cap is the constant NULL.
 * Same records and same flush/budget points as BENCH_REC. */
#define BENCH_PUT(cap, cur, a_, size_, op_, flags_, gap_)                                \
    do {                                                                                 \
        if ((cur).p) { /* NULL when cap is: folds away in the native instantiation */  \
            *(cur).p++ = (mh_rec){.addr = (uint64_t)(uintptr_t)(a_),                     \
                                  .gap = (uint32_t)(gap_),                               \
                                  .size = (uint16_t)(size_),                             \
                                  .op = (uint8_t)(op_),                                  \
                                  .flags = (uint8_t)(flags_)};                           \
            if ((cur).p == (cur).stop)                                                   \
                (cur) = bench_cur_refill((cap), (cur));                                  \
        }                                                                                \
    } while (0)

/* BENCH_CAP_DONE for a loop that records through cur. */
#define BENCH_CUR_DONE(cap, cur) ((cap) && !(cur).p)

#endif
