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
 * for a free buffer (back-pressure).
 *
 * Buffers hold records packed into one 64-bit word each (address in the low 48 bits, the
 * constant fields in the high 16): one 8-byte store per record instead of two, and half the
 * bytes, which matters when the ring is larger than the caches (stream copy at 8 MiB measured
 * 6-9x native with 16-byte records, the ring's cache misses competing with the kernel's own).
 * Records whose other fields do not fit (a gap above 511, a size that is not a power of two up
 * to 128, flags other than MH_FLAG_DEP) take three words behind an escape word, and so does an
 * address at or above 2^48 given to bench_cap_put; the sinks unpack them unchanged. */
#ifndef BENCH_CAPTURE_H
#define BENCH_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "memhier.h"

/* Record words go to the buffers with non-temporal stores where the host has them (SSE2 on
 * x86-64): a 1M-record ring is larger than L2 and stored through the caches it evicted the
 * kernel's own data (prefetch at 8 MiB: 2-4x native with the writer, 1.5x with these). */
#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#define BENCH_REC_STORE(p_, w_) _mm_stream_si64((long long *)(p_), (long long)(w_))
#define BENCH_REC_FENCE() _mm_sfence() /* orders those stores before a buffer is handed on */
#else
#define BENCH_REC_STORE(p_, w_) (*(p_) = (w_))
#define BENCH_REC_FENCE() ((void)0)
#endif

#define BENCH_CAP_BUF 4096           /* words buffered between flushes (no writer thread) */
#define BENCH_CAP_SLOT 16384         /* words per ring buffer handed to the writer thread */
#define BENCH_CAP_RING_MIN 8         /* ring buffers at least (1 MiB: with 5, the 16K heap and pool
                                        kernels measured 2.5x slower per record; cause not found) */
#define BENCH_CAP_RING_MAX 128       /* ring buffers at most (16 MiB: a 2M-record budget) */

typedef struct bench_cap_ring bench_cap_ring; /* writer thread and its buffers (capture.c) */
#define BENCH_RECORDS_DEFAULT 2000000 /* default --records budget */

/* A recorder: a record buffer, a budget and a sink (writer or in-memory array). */
typedef struct bench_cap {
    uint64_t *buf;             /* pending records, packed (bench_rec_pack) */
    size_t n, cap;             /* words pending in buf, and its capacity in words */
    uint64_t budget;           /* records allowed in total */
    uint64_t recorded;         /* records accepted so far */
    int full;                  /* 1 once budget records were accepted: kernels stop early */
    int status;                /* first sink error (MH_OK while healthy) */
    mh_error err;              /* context of that error */
    mh_writer *w;              /* sink: trace writer, or NULL */
    bench_cap_ring *ring;      /* writer thread feeding w, or NULL (then w is written inline) */
    mh_rec *mem;               /* sink: growable in-memory array (tests), or NULL */
    size_t mem_n, mem_cap;     /* records held in mem and its capacity */
    mh_rec *wide;              /* buf unpacked for the inline writer (cap records), or NULL */
} bench_cap;

#define BENCH_REC_ADDR_BITS 48                     /* address bits of a packed record */
#define BENCH_REC_ESC ((uint64_t)0x7000 << 48)     /* op field 7 (no such op): escape word */

/* 1 when fields other than the address pack (constant at the call sites: folds at compile time). */
static inline int bench_rec_fields_fit(unsigned size, int op, int flags, uint32_t gap)
{
    return gap < 512 && size && size <= 128 && (size & (size - 1)) == 0 && (unsigned)op < 7 &&
           (unsigned)flags <= 1;
}

/* 1 when a record with these fields packs into one word. */
static inline int bench_rec_fits(uint64_t addr, unsigned size, int op, int flags, uint32_t gap)
{
    return (addr >> BENCH_REC_ADDR_BITS) == 0 && bench_rec_fields_fit(size, op, flags, gap);
}

/* The record packed into one word: addr | gap << 48 | log2(size) << 57 | op << 60 | flags << 63. */
static inline uint64_t bench_rec_pack(uint64_t addr, unsigned size, int op, int flags, uint32_t gap)
{
    uint64_t tag = (uint64_t)gap | (uint64_t)__builtin_ctz(size) << 9 | (uint64_t)op << 12 |
                   (uint64_t)flags << 15;
    return addr | tag << BENCH_REC_ADDR_BITS;
}

/* Stores one record that bench_rec_fits rejects (three words, or a flush first); the slow path. */
void bench_cap_put_wide(bench_cap *c, const mh_rec *r);

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
    uint64_t a = (uint64_t)(uintptr_t)addr;
    if (!bench_rec_fits(a, size, op, flags, gap)) {
        mh_rec r = {.addr = a, .gap = gap, .size = (uint16_t)size, .op = (uint8_t)op, .flags = (uint8_t)flags};
        bench_cap_put_wide(c, &r);
        return;
    }
    c->buf[c->n++] = bench_rec_pack(a, size, op, flags, gap);
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
 * Words [c->buf + c->n, p) are pending records (one word each): stored but not yet counted in
 * c->n or c->recorded. Addresses are not checked one by one (a shift and a branch per record made
 * the stack kernel's hook 45% slower): hi collects them, and the refill or end fails the capture
 * (MH_EINVAL) when one did not pack. Linux maps no user memory at or above 2^48 unless asked. */
typedef struct bench_cur {
    uint64_t *p;     /* next word; NULL once the budget is spent (or no cap) */
    uint64_t *stop;  /* min(buffer end, budget end): refill when p reaches it */
    uint64_t hi;     /* OR of the addresses stored since the cursor began */
} bench_cur;

/* A cursor's position as the out-of-line calls return it: 16 bytes come back in two registers
 * (a whole bench_cur would be returned through memory and grow the stack kernel's frames). */
typedef struct bench_cur_pos {
    uint64_t *p;     /* bench_cur.p */
    uint64_t *stop;  /* bench_cur.stop */
} bench_cur_pos;

/* Counts the records pending up to p into c->n and c->recorded (sets c->full at the budget);
 * then flushes a full buffer and returns the next position, p = NULL once c is full. */
bench_cur_pos bench_cur_refill(bench_cap *c, uint64_t *p, uint64_t hi);
/* Counts the records pending up to p, stores r (which does not pack); the next position. */
bench_cur_pos bench_cur_wide(bench_cap *c, uint64_t *p, uint64_t hi, mh_rec r);
/* Fails c (MH_EINVAL, c->full) because an address at or above 2^48 went through a cursor. */
void bench_cur_fail(bench_cap *c, uint64_t hi);

/* The position of c's next free slot; p = NULL when c is NULL or full. */
static inline bench_cur_pos bench_cur_pos_at(bench_cap *c)
{
    bench_cur_pos pos = {NULL, NULL};
    if (!c || c->full)
        return pos;
    size_t room = c->cap - c->n;
    uint64_t left = c->budget - c->recorded;
    pos.p = c->buf + c->n;
    pos.stop = pos.p + (left < room ? (size_t)left : room);
    return pos;
}

/* A cursor at pos, with no address seen yet. */
static inline bench_cur bench_cur_at(bench_cur_pos pos)
{
    return (bench_cur){pos.p, pos.stop, 0};
}

/* A cursor at c's next free slot; p = NULL when c is NULL or full. */
static inline bench_cur bench_cur_begin(bench_cap *c)
{
    return bench_cur_at(bench_cur_pos_at(c));
}

/* Counts the records still pending at cur (call after the loop, before c is used otherwise). */
static inline void bench_cur_end(bench_cap *c, bench_cur cur)
{
    if (c && cur.p && (cur.hi >> BENCH_REC_ADDR_BITS))
        bench_cur_fail(c, cur.hi);
    else if (c && cur.p) {
        size_t k = (size_t)(cur.p - (c->buf + c->n));
        c->n += k;
        c->recorded += k; /* p < stop: neither the budget nor the buffer is used up here */
    }
}

/* Records one access through the cursor cur (an lvalue); a no-op when cap is the constant NULL.
 * Same records and same flush/budget points as BENCH_REC, except that an address at or above
 * 2^48 fails the capture instead of taking an escape. */
#define BENCH_PUT(cap, cur, a_, size_, op_, flags_, gap_)                                \
    do {                                                                                 \
        if ((cur).p) { /* NULL when cap is: folds away in the native instantiation */  \
            uint64_t bench_a_ = (uint64_t)(uintptr_t)(a_);                               \
            if (__builtin_expect(bench_rec_fields_fit((size_), (op_), (flags_), (gap_)), 1)) { \
                (cur).hi |= bench_a_; /* checked at the refill: no branch here */        \
                BENCH_REC_STORE((cur).p++, bench_rec_pack(bench_a_, (size_), (op_), (flags_), (gap_))); \
                if (__builtin_expect((cur).p == (cur).stop, 0))                          \
                    (cur) = bench_cur_at(bench_cur_refill((cap), (cur).p, (cur).hi));    \
            } else {                                                                     \
                (cur) = bench_cur_at(bench_cur_wide((cap), (cur).p, (cur).hi,            \
                                       (mh_rec){.addr = bench_a_,                        \
                                                .gap = (uint32_t)(gap_),                 \
                                                .size = (uint16_t)(size_),               \
                                                .op = (uint8_t)(op_),                    \
                                                .flags = (uint8_t)(flags_)}));           \
            }                                                                            \
        }                                                                                \
    } while (0)

/* Records that fit at cur before a refill is due; 0 when cap is NULL or full. A loop can store
 * that many with BENCH_PUT_FAST and leave the boundary record to BENCH_PUT. */
static inline size_t bench_cur_room(bench_cur cur)
{
    return cur.p ? (size_t)(cur.stop - cur.p) : 0;
}

/* BENCH_PUT without the checks, for a loop that checked bench_cur_room and bench_rec_fits for
 * every record it stores this way (no refill is due inside it, nothing needs an escape). It
 * leaves cur.hi alone: the loop checked the addresses. */
#define BENCH_PUT_FAST(cap, cur, a_, size_, op_, flags_, gap_)                               \
    do {                                                                                     \
        if (cap)                                                                             \
            BENCH_REC_STORE((cur).p++, bench_rec_pack((uint64_t)(uintptr_t)(a_), (size_), (op_), \
                                                      (flags_), (gap_)));                    \
    } while (0)

/* BENCH_CAP_DONE for a loop that records through cur. */
#define BENCH_CUR_DONE(cap, cur) ((cap) && !(cur).p)

#endif
