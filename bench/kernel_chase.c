/* kernel_chase.c — pointer chase over a cyclic permutation of cache lines (the latency ladder).
 * Each line holds one pointer to the next line; every load depends on the previous one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

#define CHASE_GAP 2 /* objdump: mov (%rax),%rax; sub $1,%rdx; jne -> 2 non-memory per load */

/* One chase point. */
typedef struct chase_state {
    char *base;      /* bench_map'ed lines */
    size_t len;      /* mapped bytes */
    size_t n;        /* lines in the cycle */
    uint64_t steps;  /* loads per repetition (whole laps) */
    void **start;    /* where each repetition starts (the cycle closes, so it returns here) */
} chase_state;

/* Links the lines in the order seq[0] -> seq[1] -> ... -> seq[n-1] -> seq[0]. */
static void link_sequence(chase_state *s, const size_t *seq)
{
    for (size_t k = 0; k < s->n; k++) {
        void **from = (void **)(s->base + seq[k] * BENCH_LINE);
        *from = s->base + seq[(k + 1) % s->n] * BENCH_LINE;
    }
}

/* Global order: Sattolo's algorithm makes a single cycle; seq lists it from line 0. */
static void sattolo(size_t *seq, size_t n, uint64_t *rng)
{
    size_t *next = malloc(n * sizeof *next);
    if (!next) {
        for (size_t i = 0; i < n; i++)
            seq[i] = i;
        return;
    }
    for (size_t i = 0; i < n; i++)
        next[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)bench_rand_below(rng, i); /* j < i: Sattolo, not Fisher-Yates */
        size_t t = next[i];
        next[i] = next[j];
        next[j] = t;
    }
    size_t cur = 0;
    for (size_t k = 0; k < n; k++) {
        seq[k] = cur;
        cur = next[cur];
    }
    free(next);
}

/* Fisher-Yates shuffle of a[0..n-1]. */
static void shuffle(size_t *a, size_t n, uint64_t *rng)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)bench_rand_below(rng, i);
        size_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* Page-local order: pages in random order, the lines of each page shuffled within it. */
static int page_local(size_t *seq, size_t n, uint64_t *rng)
{
    const size_t per = BENCH_PAGE / BENCH_LINE;
    size_t np = (n + per - 1) / per;
    size_t *pages = malloc(np * sizeof *pages);
    if (!pages)
        return MH_ENOMEM;
    for (size_t i = 0; i < np; i++)
        pages[i] = i;
    shuffle(pages, np, rng);
    size_t k = 0;
    for (size_t i = 0; i < np; i++) {
        size_t first = pages[i] * per, cnt = first + per <= n ? per : n - first;
        for (size_t j = 0; j < cnt; j++)
            seq[k + j] = first + j;
        shuffle(seq + k, cnt, rng);
        k += cnt;
    }
    free(pages);
    return MH_OK;
}

/* Builds the cycle for p (variant global|page, optional -thp). */
int bench_chase_setup(const bench_params *p, void **state, bench_info *info, mh_error *err)
{
    const char *v = p->variant->name;
    int page = !strncmp(v, "page", 4), thp = strstr(v, "-thp") != NULL;
    if (p->size < BENCH_LINE)
        return mh_error_set(err, MH_EINVAL, "chase: size = %zu, must be >= %d (one line)", p->size,
                            BENCH_LINE);
    chase_state *s = calloc(1, sizeof *s);
    if (!s)
        return mh_error_set(err, MH_ENOMEM, "chase: out of memory");
    s->n = p->size / BENCH_LINE;
    s->len = s->n * BENCH_LINE;
    s->base = bench_map(s->len, thp);
    size_t *seq = calloc(s->n, sizeof *seq);
    if (!s->base || !seq) {
        free(seq);
        bench_unmap(s->base, s->len);
        free(s);
        return mh_error_set(err, MH_ENOMEM, "chase: cannot map %zu bytes", p->size);
    }
    uint64_t rng = p->seed;
    if (page) {
        if (page_local(seq, s->n, &rng) != MH_OK) {
            free(seq);
            bench_unmap(s->base, s->len);
            free(s);
            return mh_error_set(err, MH_ENOMEM, "chase: out of memory");
        }
    } else {
        sattolo(seq, s->n, &rng);
    }
    link_sequence(s, seq);
    s->start = (void **)(s->base + seq[0] * BENCH_LINE);
    free(seq);
    s->steps = s->n * bench_laps(s->n, p->min_accesses);
    info->iters = info->accesses = s->steps;
    snprintf(info->params, sizeof info->params, "lines=%zu laps=%llu thp=%s order=%s seed=%llu",
             s->n, (unsigned long long)(s->steps / s->n), thp ? "madvise" : "off",
             page ? "page-local" : "global", (unsigned long long)p->seed);
    *state = s;
    return MH_OK;
}

/* The kernel body: steps dependent loads; every load recorded when cap is live. */
BENCH_ALWAYS_INLINE uint64_t chase_body(chase_state *s, bench_cap *cap)
{
    void **p = s->start;
    bench_cur cur = bench_cur_begin(cap);
    for (uint64_t i = s->steps; i > 0; i--) {
        BENCH_PUT(cap, cur, p, sizeof(void *), MH_OP_READ, MH_FLAG_DEP, CHASE_GAP);
        p = (void **)*p;
        if (BENCH_CUR_DONE(cap, cur))
            break;
    }
    bench_cur_end(cap, cur);
    BENCH_BARRIER();
    return (uint64_t)(uintptr_t)p;
}

/* Native repetition. */
uint64_t bench_chase_run(void *state)
{
    return chase_body(state, NULL);
}

/* Recorded repetition. */
uint64_t bench_chase_capture(void *state, bench_cap *cap)
{
    return chase_body(state, cap);
}

/* Frees the point. */
int bench_chase_teardown(void *state, bench_metrics *m, mh_error *err)
{
    (void)err;
    chase_state *s = state;
    m->has = 0;
    if (s) {
        bench_unmap(s->base, s->len);
        free(s);
    }
    return MH_OK;
}
