/* kernel_stream.c — sequential read, write and copy of 8-byte words (bandwidth). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

/* Gaps from objdump -d of bench_stream_run (gcc 12 -O2, scalar loops, not vectorised):
 * read  `add (%rax),%r8; add $8,%rax; cmp; jne`            -> 3 per load;
 * write `mov %rax,(%r9,%rax,8); add $1,%rax; cmp; jne`      -> 3 per store;
 * copy  `mov (a),%rdx; add $1,%rdx; mov %rdx,(b); add; cmp; jne` -> 3 before the load, 1 before the store. */
#define STREAM_GAP_READ 3
#define STREAM_GAP_WRITE 3
#define STREAM_GAP_COPY_LOAD 3
#define STREAM_GAP_COPY_STORE 1

enum { STREAM_READ, STREAM_WRITE, STREAM_COPY };

/* One stream point. */
typedef struct stream_state {
    uint64_t *a, *b;   /* source / destination (b only for copy) */
    size_t bytes;      /* mapped bytes per array */
    size_t n;          /* words per array */
    uint64_t passes;   /* passes per repetition */
    int kind;          /* STREAM_* */
} stream_state;

/* Maps the arrays (copy splits the working set in two) and fills the source. */
int bench_stream_setup(const bench_params *p, void **state, bench_info *info, mh_error *err)
{
    stream_state *s = calloc(1, sizeof *s);
    if (!s)
        return mh_error_set(err, MH_ENOMEM, "stream: out of memory");
    const char *v = p->variant->name;
    s->kind = !strcmp(v, "write") ? STREAM_WRITE : !strcmp(v, "copy") ? STREAM_COPY : STREAM_READ;
    size_t ws = s->kind == STREAM_COPY ? p->size / 2 : p->size;
    s->n = ws / sizeof(uint64_t);
    if (s->n == 0)
        s->n = 1;
    s->bytes = s->n * sizeof(uint64_t);
    s->a = bench_map(s->bytes, -1);
    s->b = s->kind == STREAM_COPY ? bench_map(s->bytes, -1) : NULL;
    if (!s->a || (s->kind == STREAM_COPY && !s->b)) {
        bench_unmap(s->a, s->bytes);
        bench_unmap(s->b, s->bytes);
        free(s);
        return mh_error_set(err, MH_ENOMEM, "stream: cannot map %zu bytes", p->size);
    }
    for (size_t i = 0; i < s->n; i++)
        s->a[i] = i;
    if (s->b)
        memset(s->b, 1, s->bytes);
    unsigned per = s->kind == STREAM_COPY ? 2 : 1;
    s->passes = bench_laps(s->n * per, p->min_accesses);
    info->iters = s->n * s->passes;
    info->accesses = info->iters * per;
    snprintf(info->params, sizeof info->params, "words=%zu passes=%llu arrays=%u", s->n,
             (unsigned long long)s->passes, per);
    *state = s;
    return MH_OK;
}

/* Iterations from i (at most n) whose per records all fit at cur unchecked: short of the room
 * left before a refill by 1 to per records (so the next iteration's BENCH_PUTs reach the refill
 * point), and only while the span's highest addresses pack (the arrays are contiguous: lower
 * ones do then). n itself when cap is NULL (the native instantiation). */
BENCH_ALWAYS_INLINE size_t stream_span(bench_cap *cap, bench_cur cur, const uint64_t *a, const uint64_t *b,
                                       size_t i, size_t n, unsigned per)
{
    if (!cap)
        return n;
    size_t room = bench_cur_room(cur), span = room ? (room - 1) / per : 0;
    size_t end = n - i < span ? n : i + span;
    if (end > i && (!bench_rec_fits((uint64_t)(uintptr_t)&a[end - 1], 8, MH_OP_READ, 0, 0) ||
                    (b && !bench_rec_fits((uint64_t)(uintptr_t)&b[end - 1], 8, MH_OP_READ, 0, 0))))
        return i; /* no span: every record goes through BENCH_PUT (escapes) */
    return end;
}

/* The kernel body for every variant: kind is a loop-invariant branch. Capture stores records
 * unchecked over spans (stream_span) and takes the checked BENCH_PUT path for one iteration at
 * each refill point; records and their order are the same as one BENCH_PUT per access. The
 * inner loops stop with the budget: a 64 MiB pass runs far past a 1M-record budget, and that
 * unrecorded tail was once timed as capture cost (hook 12x native at 64 MiB). */
BENCH_ALWAYS_INLINE uint64_t stream_body(stream_state *s, bench_cap *cap)
{
    uint64_t sum = 0;
    uint64_t *a = s->a, *b = s->b;
    const size_t n = s->n; /* a local bound: stores through a cannot force a reload of s->n */
    bench_cur cur = bench_cur_begin(cap); /* in registers: record stores cannot alias it */
    for (uint64_t pass = 0; pass < s->passes && !BENCH_CUR_DONE(cap, cur); pass++) {
        if (s->kind == STREAM_READ) {
            for (size_t i = 0; i < n && !BENCH_CUR_DONE(cap, cur);) {
                for (size_t end = stream_span(cap, cur, a, NULL, i, n, 1); i < end; i++) {
                    BENCH_PUT_FAST(cap, cur, &a[i], 8, MH_OP_READ, 0, STREAM_GAP_READ);
                    sum += a[i];
                }
                if (cap && i < n) { /* the refill point (cap is NULL natively: folds away) */
                    BENCH_PUT(cap, cur, &a[i], 8, MH_OP_READ, 0, STREAM_GAP_READ);
                    sum += a[i++];
                }
            }
        } else if (s->kind == STREAM_WRITE) {
            for (size_t i = 0; i < n && !BENCH_CUR_DONE(cap, cur);) {
                for (size_t end = stream_span(cap, cur, a, NULL, i, n, 1); i < end; i++) {
                    BENCH_PUT_FAST(cap, cur, &a[i], 8, MH_OP_WRITE, 0, STREAM_GAP_WRITE);
                    a[i] = pass + i;
                }
                if (cap && i < n) {
                    BENCH_PUT(cap, cur, &a[i], 8, MH_OP_WRITE, 0, STREAM_GAP_WRITE);
                    a[i] = pass + i;
                    i++;
                }
            }
        } else {
            for (size_t i = 0; i < n && !BENCH_CUR_DONE(cap, cur);) {
                for (size_t end = stream_span(cap, cur, a, b, i, n, 2); i < end; i++) {
                    BENCH_PUT_FAST(cap, cur, &a[i], 8, MH_OP_READ, 0, STREAM_GAP_COPY_LOAD);
                    BENCH_PUT_FAST(cap, cur, &b[i], 8, MH_OP_WRITE, 0, STREAM_GAP_COPY_STORE);
                    b[i] = a[i] + 1;
                }
                if (cap && i < n) {
                    BENCH_PUT(cap, cur, &a[i], 8, MH_OP_READ, 0, STREAM_GAP_COPY_LOAD);
                    BENCH_PUT(cap, cur, &b[i], 8, MH_OP_WRITE, 0, STREAM_GAP_COPY_STORE);
                    b[i] = a[i] + 1;
                    i++;
                }
            }
        }
        BENCH_BARRIER(); /* each pass really re-reads / re-writes memory */
    }
    bench_cur_end(cap, cur);
    return sum;
}

/* Native repetition. */
uint64_t bench_stream_run(void *state)
{
    return stream_body(state, NULL);
}

/* Recorded repetition. */
uint64_t bench_stream_capture(void *state, bench_cap *cap)
{
    return stream_body(state, cap);
}

/* Frees the point. */
int bench_stream_teardown(void *state, bench_metrics *m, mh_error *err)
{
    (void)err;
    stream_state *s = state;
    m->has = 0;
    if (s) {
        bench_unmap(s->a, s->bytes);
        bench_unmap(s->b, s->bytes);
        free(s);
    }
    return MH_OK;
}
