/* kernel_stride.c — 8-byte reads every `stride` bytes over the working set (independent loads). */
#include <stdio.h>
#include <stdlib.h>

#include "kernels.h"

#define STRIDE_GAP 4 /* objdump: add $1,%rdx; add (%rax),%rcx; add %r8,%rax; cmp; jne -> 4 per load */
/* Before a pass's first load, the pass loop: `add; cmp; jb`, the reload of the buffer, count and
 * stride with the inner loop's setup, and its alignment padding (8): 11 more (objdump; callgrind:
 * 7.75 instructions per load at 4 loads per pass). It matters where passes are short (s4096 at
 * 16 KiB). tests/integration/kernel_icount.sh checks it. */
#define STRIDE_GAP_PASS (STRIDE_GAP + 11)

/* One stride point. */
typedef struct stride_state {
    char *buf;        /* mapped working set */
    size_t bytes;     /* its size */
    size_t stride;    /* bytes between loads */
    size_t per_pass;  /* loads per pass */
    uint64_t passes;  /* passes per repetition */
} stride_state;

/* Maps the buffer; the stride comes from the variant number (s<N>). */
int bench_stride_setup(const bench_params *p, void **state, bench_info *info, mh_error *err)
{
    if (p->param < 8 || p->param % 8)
        return mh_error_set(err, MH_EINVAL, "stride: stride = %ld, must be a multiple of 8 and >= 8",
                            p->param);
    stride_state *s = calloc(1, sizeof *s);
    if (!s)
        return mh_error_set(err, MH_ENOMEM, "stride: out of memory");
    s->bytes = p->size;
    s->stride = (size_t)p->param;
    s->per_pass = s->bytes >= s->stride ? s->bytes / s->stride : 1;
    s->buf = bench_map(s->bytes, -1);
    if (!s->buf) {
        free(s);
        return mh_error_set(err, MH_ENOMEM, "stride: cannot map %zu bytes", p->size);
    }
    for (size_t off = 0; off + 8 <= s->bytes; off += 8)
        *(uint64_t *)(s->buf + off) = off;
    s->passes = bench_laps(s->per_pass, p->min_accesses);
    info->iters = info->accesses = s->per_pass * s->passes;
    snprintf(info->params, sizeof info->params, "stride=%zu loads_per_pass=%zu passes=%llu",
             s->stride, s->per_pass, (unsigned long long)s->passes);
    *state = s;
    return MH_OK;
}

/* The kernel body: per pass, one load every stride bytes. */
BENCH_ALWAYS_INLINE uint64_t stride_body(stride_state *s, bench_cap *cap)
{
    uint64_t sum = 0;
    bench_cur cur = bench_cur_begin(cap);
    for (uint64_t pass = 0; pass < s->passes && !BENCH_CUR_DONE(cap, cur); pass++) {
        const char *q = s->buf;
        for (size_t k = 0; k < s->per_pass; k++, q += s->stride) {
            BENCH_PUT(cap, cur, q, 8, MH_OP_READ, 0, k ? STRIDE_GAP : STRIDE_GAP_PASS);
            sum += *(const uint64_t *)q;
        }
        BENCH_BARRIER();
    }
    bench_cur_end(cap, cur);
    return sum;
}

/* Native repetition. */
uint64_t bench_stride_run(void *state)
{
    return stride_body(state, NULL);
}

/* Recorded repetition. */
uint64_t bench_stride_capture(void *state, bench_cap *cap)
{
    return stride_body(state, cap);
}

/* Frees the point. */
int bench_stride_teardown(void *state, bench_metrics *m, mh_error *err)
{
    (void)err;
    stride_state *s = state;
    m->has = 0;
    if (s) {
        bench_unmap(s->buf, s->bytes);
        free(s);
    }
    return MH_OK;
}
