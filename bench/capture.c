/* capture.c — record buffer sinks: a writer thread fed through a ring of buffers, an inline
 * mh_writer, or an in-memory array (tests). */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture.h"

/* Unpacks n words of packed records (bench_rec_pack, escapes) into out; returns the records. */
static size_t rec_unpack(const uint64_t *w, size_t n, mh_rec *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++, k++) {
        uint64_t x = w[i];
        if ((x & BENCH_REC_ESC) == BENCH_REC_ESC) { /* escape: the address, then the other fields */
            uint64_t f = w[i + 2];
            out[k] = (mh_rec){.addr = w[i + 1], .gap = (uint32_t)f, .size = (uint16_t)(f >> 32),
                              .op = (uint8_t)(f >> 48), .flags = (uint8_t)(f >> 56)};
            i += 2;
            continue;
        }
        unsigned t = (unsigned)(x >> BENCH_REC_ADDR_BITS);
        out[k] = (mh_rec){.addr = x & (((uint64_t)1 << BENCH_REC_ADDR_BITS) - 1), .gap = t & 511,
                          .size = (uint16_t)(1u << (t >> 9 & 7)), .op = (uint8_t)(t >> 12 & 7),
                          .flags = (uint8_t)(t >> 15)};
    }
    return k;
}

/* The writer thread's queue: slots [head, tail) are full and wait to be written, in order. */
struct bench_cap_ring {
    pthread_mutex_t mu;        /* guards len, head, tail, stop, status and err */
    pthread_cond_t filled;     /* signalled when the ring fills or stop is set (wakes the writer) */
    pthread_cond_t freed;      /* signalled when head grows (wakes a kernel thread waiting) */
    uint64_t **bufs;           /* nslots buffers of BENCH_CAP_SLOT words each, in block */
    mh_rec *wide;              /* one buffer unpacked, for the writer thread */
    void *block;               /* one private mapping for all buffers (MAP_FAILED if none) */
    size_t bytes;              /* its size */
    size_t *len;               /* words queued in each slot */
    size_t nslots;             /* ring size */
    uint64_t head, tail;       /* slots written and slots queued so far */
    int stop;                  /* 1 once no more slots will be queued */
    int status;                /* first writer error, MH_OK while healthy */
    mh_error err;              /* context of that error */
    mh_writer *w;              /* where the writer thread writes */
    pthread_t tid;             /* the writer thread */
};

/* Writer thread: writes queued slots in order; after an error it drops them (so the kernel is
 * never blocked) and keeps the first error for bench_cap_finish. */
static void *ring_main(void *arg)
{
    bench_cap_ring *r = arg;
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (r->tail - r->head < r->nslots && !r->stop)
            pthread_cond_wait(&r->filled, &r->mu); /* idle until the ring is full: no interference */
        if (r->head == r->tail)
            break; /* stopped and drained */
        size_t slot = (size_t)(r->head % r->nslots), n = r->len[slot];
        int ok = r->status == MH_OK;
        pthread_mutex_unlock(&r->mu);
        mh_error e = {0};
        int rc = ok ? mh_writer_write(r->w, r->wide, rec_unpack(r->bufs[slot], n, r->wide), &e) : MH_OK;
        pthread_mutex_lock(&r->mu);
        if (rc != MH_OK && r->status == MH_OK) {
            r->status = rc;
            r->err = e;
        }
        r->head++;
        pthread_cond_signal(&r->freed);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* Frees r's buffers and r (the thread must not be running). */
static void ring_free(bench_cap_ring *r)
{
    if (r->block != MAP_FAILED)
        munmap(r->block, r->bytes);
    free(r->bufs);
    free(r->wide);
    free(r->len);
    free(r);
}

/* Sets attr to run the writer thread off the caller's CPUs when the caller is pinned to a strict
 * subset of the online CPUs (the harness pins the kernel thread to one core); best effort. */
static void ring_unpin(pthread_attr_t *attr)
{
    cpu_set_t mine, others;
    if (pthread_getaffinity_np(pthread_self(), sizeof mine, &mine) != 0)
        return;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    CPU_ZERO(&others);
    for (long i = 0; i < ncpu && i < CPU_SETSIZE; i++)
        if (!CPU_ISSET(i, &mine))
            CPU_SET(i, &others);
    if (CPU_COUNT(&others) > 0)
        (void)pthread_attr_setaffinity_np(attr, sizeof others, &others);
}

/* Starts the writer thread off the caller's CPUs, or anywhere if that fails; 0 on success. */
static int ring_spawn(bench_cap_ring *r)
{
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0)
        return pthread_create(&r->tid, NULL, ring_main, r);
    ring_unpin(&attr);
    int rc = pthread_create(&r->tid, &attr, ring_main, r);
    pthread_attr_destroy(&attr);
    return rc == 0 ? 0 : pthread_create(&r->tid, NULL, ring_main, r);
}

/* Allocates and pre-faults the ring buffers (page faults stay out of the timed run) and starts
 * the writer thread; NULL on failure (the caller then writes inline). */
static bench_cap_ring *ring_start(mh_writer *w, uint64_t expect)
{
    uint64_t need = expect / BENCH_CAP_SLOT + 1; /* the expected records, and one slot to spare */
    if (need < BENCH_CAP_RING_MIN)
        need = BENCH_CAP_RING_MIN;
    bench_cap_ring *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->nslots = need < BENCH_CAP_RING_MAX ? (size_t)need : BENCH_CAP_RING_MAX;
    r->w = w;
    r->status = MH_OK;
    r->block = MAP_FAILED;
    r->bufs = calloc(r->nslots, sizeof *r->bufs);
    r->len = calloc(r->nslots, sizeof *r->len);
    r->wide = malloc(BENCH_CAP_SLOT * sizeof *r->wide);
    if (!r->bufs || !r->len || !r->wide) {
        ring_free(r);
        return NULL;
    }
    /* a mapping of its own, apart from the malloc arena that the heap kernels exercise */
    r->bytes = r->nslots * BENCH_CAP_SLOT * sizeof(uint64_t);
    r->block = mmap(NULL, r->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r->block == MAP_FAILED) {
        ring_free(r);
        return NULL;
    }
    for (size_t i = 0; i < r->nslots; i++)
        r->bufs[i] = (uint64_t *)r->block + i * BENCH_CAP_SLOT;
    for (size_t i = r->nslots; i-- > 0;) /* last to first: the first slots stay in cache */
        memset(r->bufs[i], 0, BENCH_CAP_SLOT * sizeof *r->bufs[i]);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->filled, NULL);
    pthread_cond_init(&r->freed, NULL);
    if (ring_spawn(r) != 0) {
        pthread_cond_destroy(&r->freed);
        pthread_cond_destroy(&r->filled);
        pthread_mutex_destroy(&r->mu);
        ring_free(r);
        return NULL;
    }
    return r;
}

/* Initialises c with a ring sized for the whole budget. */
void bench_cap_init(bench_cap *c, mh_writer *w, int mem, uint64_t budget)
{
    bench_cap_init_sized(c, w, mem, budget, budget);
}

/* Initialises c; with mem = 1 records are also kept in c->mem. */
void bench_cap_init_sized(bench_cap *c, mh_writer *w, int mem, uint64_t budget, uint64_t expect)
{
    memset(c, 0, sizeof *c);
    c->w = w;
    c->budget = budget ? budget : 1;
    c->status = MH_OK;
    c->ring = w ? ring_start(w, expect < c->budget ? expect : c->budget) : NULL;
    c->cap = c->ring ? BENCH_CAP_SLOT : BENCH_CAP_BUF;
    c->buf = c->ring ? c->ring->bufs[0] : malloc(c->cap * sizeof *c->buf);
    if (w && !c->ring)
        c->wide = malloc(c->cap * sizeof *c->wide);
    if (!c->buf || (w && !c->ring && !c->wide)) {
        c->cap = 0;
        c->full = 1;
        c->status = mh_error_set(&c->err, MH_ENOMEM, "capture: out of memory for %llu records",
                                 (unsigned long long)c->budget);
        return;
    }
    if (mem) {
        c->mem_cap = BENCH_CAP_BUF;
        c->mem = malloc(c->mem_cap * sizeof *c->mem);
        if (!c->mem) {
            c->full = 1;
            c->status = mh_error_set(&c->err, MH_ENOMEM, "capture: out of memory for records");
        }
    }
}

/* Appends the pending records to the in-memory array; returns MH_OK or MH_ENOMEM. */
static int mem_append(bench_cap *c)
{
    if (c->mem_n + c->n > c->mem_cap) {
        size_t cap = c->mem_cap * 2;
        while (cap < c->mem_n + c->n)
            cap *= 2;
        mh_rec *m = realloc(c->mem, cap * sizeof *m);
        if (!m)
            return mh_error_set(&c->err, MH_ENOMEM, "capture: out of memory for %zu records", cap);
        c->mem = m;
        c->mem_cap = cap;
    }
    c->mem_n += rec_unpack(c->buf, c->n, c->mem + c->mem_n);
    return MH_OK;
}

/* Queues c->buf (c->n records) for the writer thread and, unless the budget is spent, takes the
 * next slot, waiting while all are queued; a writer error stops the kernel. */
static void ring_submit(bench_cap *c)
{
    bench_cap_ring *r = c->ring;
    pthread_mutex_lock(&r->mu);
    r->len[r->tail % r->nslots] = c->n;
    r->tail++;
    if (r->tail - r->head >= r->nslots) /* the writer thread waits for a full ring: a wake-up per
                                           buffer cost a futex call on the kernel's thread */
        pthread_cond_signal(&r->filled);
    while (!c->full && r->status == MH_OK && r->tail - r->head >= r->nslots)
        pthread_cond_wait(&r->freed, &r->mu); /* back-pressure: counted in the kernel's time */
    if (r->status != MH_OK) {
        c->status = r->status;
        c->err = r->err;
    }
    c->buf = r->bufs[r->tail % r->nslots]; /* free unless full: then never written */
    pthread_mutex_unlock(&r->mu);
}

/* Moves pending records to the sinks; after the first error records are dropped. */
int bench_cap_flush(bench_cap *c)
{
    BENCH_REC_FENCE(); /* the cursor's stores may be non-temporal */
    if (c->n && c->status == MH_OK && c->mem)
        c->status = mem_append(c);
    if (c->n && c->status == MH_OK && c->ring)
        ring_submit(c);
    else if (c->n && c->status == MH_OK && c->w)
        c->status = mh_writer_write(c->w, c->wide, rec_unpack(c->buf, c->n, c->wide), &c->err);
    if (c->status != MH_OK)
        c->full = 1; /* stop the kernel: nothing more can be stored */
    c->n = 0;
    return c->status;
}

/* Accounts the cursor's records like bench_cap_put does, in the same order: full first (so a
 * flush at the budget does not wait for a ring slot), then a flush of a full buffer. */
bench_cur_pos bench_cur_refill(bench_cap *c, uint64_t *p, uint64_t hi)
{
    if (p && (hi >> BENCH_REC_ADDR_BITS)) {
        bench_cur_fail(c, hi);
        return bench_cur_pos_at(c);
    }
    if (p) {
        size_t k = (size_t)(p - (c->buf + c->n));
        c->n += k;
        c->recorded += k;
        if (c->recorded >= c->budget)
            c->full = 1;
        if (c->n == c->cap)
            bench_cap_flush(c);
    }
    return bench_cur_pos_at(c);
}

/* Stores r as an escape word, its address and its other fields, flushing first when fewer
 * than three words are free; counts it like bench_cap_put. */
void bench_cap_put_wide(bench_cap *c, const mh_rec *r)
{
    if (c->full)
        return;
    if (c->cap - c->n < 3 && bench_cap_flush(c) != MH_OK)
        return;
    uint64_t *w = c->buf + c->n;
    w[0] = BENCH_REC_ESC;
    w[1] = r->addr;
    w[2] = r->gap | (uint64_t)r->size << 32 | (uint64_t)r->op << 48 | (uint64_t)r->flags << 56;
    c->n += 3;
    if (++c->recorded >= c->budget)
        c->full = 1;
    if (c->n == c->cap)
        bench_cap_flush(c);
}

/* Counts the cursor's pending records (p < stop: no flush or budget point is due), then stores r. */
bench_cur_pos bench_cur_wide(bench_cap *c, uint64_t *p, uint64_t hi, mh_rec r)
{
    if (hi >> BENCH_REC_ADDR_BITS) {
        bench_cur_fail(c, hi);
        return bench_cur_pos_at(c);
    }
    size_t k = (size_t)(p - (c->buf + c->n));
    c->n += k;
    c->recorded += k;
    bench_cap_put_wide(c, &r);
    return bench_cur_pos_at(c);
}

/* Fails c: the pending words hold an address that lost its high bits; nothing more is stored. */
void bench_cur_fail(bench_cap *c, uint64_t hi)
{
    if (c->status == MH_OK)
        c->status = mh_error_set(&c->err, MH_EINVAL,
                                 "capture: record %llu: address bits 0x%llx at or above 2^48 cannot be packed, "
                                 "allowed below 2^48",
                                 (unsigned long long)c->recorded,
                                 (unsigned long long)(hi >> BENCH_REC_ADDR_BITS << BENCH_REC_ADDR_BITS));
    c->full = 1;
}

/* Flushes, stops and joins the writer thread, and takes over its first error. */
int bench_cap_finish(bench_cap *c)
{
    bench_cap_flush(c);
    bench_cap_ring *r = c->ring;
    if (!r)
        return c->status;
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_cond_signal(&r->filled);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->tid, NULL);
    if (c->status == MH_OK && r->status != MH_OK) {
        c->status = r->status;
        c->err = r->err;
    }
    c->full = 1; /* nothing can be stored any more */
    c->buf = NULL;
    c->cap = 0;
    pthread_cond_destroy(&r->freed);
    pthread_cond_destroy(&r->filled);
    pthread_mutex_destroy(&r->mu);
    ring_free(r);
    c->ring = NULL;
    return c->status;
}

/* Joins the writer thread if still running and frees the buffers and in-memory records. */
void bench_cap_free(bench_cap *c)
{
    if (c->ring)
        bench_cap_finish(c);
    free(c->buf);
    c->buf = NULL;
    c->n = c->cap = 0;
    free(c->mem);
    c->mem = NULL;
    free(c->wide);
    c->wide = NULL;
    c->mem_n = c->mem_cap = 0;
}
