/* capture.h — the recording hook that turns a kernel run into mh_rec records.
 *
 * Kernels are written once as always-inline bodies taking a `bench_cap *cap`. The native
 * instantiation passes a constant NULL, so every BENCH_REC() folds away; the capture
 * instantiation passes a live recorder. Records are buffered and flushed to an mh_writer
 * (or kept in memory for tests) until the --records budget is spent. The buffer is small
 * (64 KiB) so it stays in L2: a budget-sized buffer was measured 3-10x slower per record on
 * this VM (every record a store to a line not in any cache). */
#ifndef BENCH_CAPTURE_H
#define BENCH_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "memhier.h"

#define BENCH_CAP_BUF 4096           /* records buffered between flushes */
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
    mh_rec *mem;               /* sink: growable in-memory array (tests), or NULL */
    size_t mem_n, mem_cap;     /* records held in mem and its capacity */
} bench_cap;

/* Initialises c for writing to w (may be NULL with mem = 1: collect in memory; with neither,
 * records are counted and dropped). On allocation failure c->status is MH_ENOMEM and c->full
 * is set, so kernels stop at once. */
void bench_cap_init(bench_cap *c, mh_writer *w, int mem, uint64_t budget);
/* Moves pending records to the sink; returns c->status. */
int bench_cap_flush(bench_cap *c);
/* Frees the buffer and the in-memory array (the writer belongs to the caller). */
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

#endif
