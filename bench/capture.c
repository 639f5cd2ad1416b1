/* capture.c — record buffer sinks: flush to an mh_writer or keep in memory (tests). */
#include <stdlib.h>
#include <string.h>

#include "capture.h"

/* Initialises c; with mem = 1 records are also kept in c->mem. */
void bench_cap_init(bench_cap *c, mh_writer *w, int mem, uint64_t budget)
{
    memset(c, 0, sizeof *c);
    c->w = w;
    c->budget = budget ? budget : 1;
    c->status = MH_OK;
    c->cap = BENCH_CAP_BUF;
    c->buf = malloc(c->cap * sizeof *c->buf);
    if (!c->buf) {
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
    memcpy(c->mem + c->mem_n, c->buf, c->n * sizeof *c->buf);
    c->mem_n += c->n;
    return MH_OK;
}

/* Moves pending records to the sinks; after the first error records are dropped. */
int bench_cap_flush(bench_cap *c)
{
    if (c->n && c->status == MH_OK && c->mem)
        c->status = mem_append(c);
    if (c->n && c->status == MH_OK && c->w)
        c->status = mh_writer_write(c->w, c->buf, c->n, &c->err);
    if (c->status != MH_OK)
        c->full = 1; /* stop the kernel: nothing more can be stored */
    c->n = 0;
    return c->status;
}

/* Frees the in-memory records. */
void bench_cap_free(bench_cap *c)
{
    free(c->buf);
    c->buf = NULL;
    c->n = c->cap = 0;
    free(c->mem);
    c->mem = NULL;
    c->mem_n = c->mem_cap = 0;
}
