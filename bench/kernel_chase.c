/* kernel_chase.c — pointer chase over a cyclic permutation of cache lines (the latency ladder).
 * Each line holds one pointer to the next line; every load depends on the previous one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

#define CHASE_GAP 2 /* objdump: mov (%rax),%rax; sub $1,%rdx; jne -> 2 non-memory per load */
/* A repetition loads at most this many lines: past it a lap takes seconds (1 GiB is 16 M lines at
 * RAM latency), so each repetition walks on along the cycle from where the last one stopped. */
#define CHASE_MAX_STEPS ((uint64_t)1 << 21)

/* One chase point. */
typedef struct chase_state {
    char *base;      /* bench_map'ed lines */
    size_t len;      /* mapped bytes */
    size_t n;        /* lines in the cycle */
    uint64_t steps;  /* loads per repetition (whole laps, or CHASE_MAX_STEPS of a longer one) */
    void **start;    /* where the next repetition starts (where the last native one stopped) */
    void **first;    /* the cycle's first line: every capture starts here (traces do not depend
                        on how many repetitions the timing took) */
} chase_state;

/* Links the lines in the order seq[0] -> seq[1] -> ... -> seq[n-1] -> seq[0]. */
static void link_sequence(chase_state *s, const size_t *seq)
{
    for (size_t k = 0; k < s->n; k++) {
        void **from = (void **)(s->base + seq[k] * BENCH_LINE);
        *from = s->base + seq[(k + 1) % s->n] * BENCH_LINE;
    }
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

/* Sequential order: line 0, 1, 2, ... (the prefetcher probe's order). */
static void seq_order(size_t *seq, size_t n)
{
    for (size_t i = 0; i < n; i++)
        seq[i] = i;
}

/* Global order: all lines shuffled; linked in that order they form one cycle, uniformly random
 * among the cyclic orders (as Sattolo's algorithm gives, without its dependent walk over the
 * cycle, seconds at gigabytes). */
static void global_order(size_t *seq, size_t n, uint64_t *rng)
{
    seq_order(seq, n);
    shuffle(seq, n, rng);
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

/* Group order: the lines of each page shuffled and cut into groups of k (the last of a page may
 * be shorter), the groups in random order over all pages: k loads in one page, then a jump. */
static int group_order(size_t *seq, size_t n, size_t k, uint64_t *rng)
{
    const size_t per = BENCH_PAGE / BENCH_LINE;
    size_t *lines = malloc(n * sizeof *lines), *groups = malloc((n / k + n / per + 1) * sizeof *groups);
    if (!lines || !groups) {
        free(lines);
        free(groups);
        return MH_ENOMEM;
    }
    size_t ng = 0;
    for (size_t first = 0; first < n; first += per) {
        size_t cnt = first + per <= n ? per : n - first;
        for (size_t j = 0; j < cnt; j++)
            lines[first + j] = first + j;
        shuffle(lines + first, cnt, rng);
        for (size_t j = 0; j < cnt; j += k)
            groups[ng++] = first + j; /* a group: its first place in lines[], up to k, not past the page */
    }
    shuffle(groups, ng, rng);
    size_t out = 0;
    for (size_t g = 0; g < ng; g++) {
        size_t at = groups[g], page_end = (at / per + 1) * per;
        for (size_t j = at; j < at + k && j < page_end && j < n; j++)
            seq[out++] = lines[j];
    }
    free(lines);
    free(groups);
    return MH_OK;
}

/* Builds the cycle for p (variant global|page|seq|gN, optional -thp). */
int bench_chase_setup(const bench_params *p, void **state, bench_info *info, mh_error *err)
{
    const char *v = p->variant->name;
    int page = !strncmp(v, "page", 4), thp = strstr(v, "-thp") != NULL, in_order = !strcmp(v, "seq");
    int grouped = v[0] == 'g' && v[1] == '*';
    size_t group = grouped ? (size_t)p->param : 0;
    if (p->size < BENCH_LINE)
        return mh_error_set(err, MH_EINVAL, "chase: size = %zu, must be >= %d (one line)", p->size,
                            BENCH_LINE);
    if (grouped && (p->param < 1 || p->param > BENCH_PAGE / BENCH_LINE))
        return mh_error_set(err, MH_EINVAL, "chase: %ld lines per group, must be 1..%d", p->param,
                            BENCH_PAGE / BENCH_LINE);
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
    if (page || group) {
        if ((group ? group_order(seq, s->n, group, &rng) : page_local(seq, s->n, &rng)) != MH_OK) {
            free(seq);
            bench_unmap(s->base, s->len);
            free(s);
            return mh_error_set(err, MH_ENOMEM, "chase: out of memory");
        }
    } else if (in_order) {
        seq_order(seq, s->n);
    } else {
        global_order(seq, s->n, &rng);
    }
    link_sequence(s, seq);
    s->start = s->first = (void **)(s->base + seq[0] * BENCH_LINE);
    free(seq);
    s->steps = s->n * bench_laps(s->n, p->min_accesses);
    if (s->steps > CHASE_MAX_STEPS)
        s->steps = s->n > CHASE_MAX_STEPS ? CHASE_MAX_STEPS : s->n;
    info->iters = info->accesses = s->steps;
    char order[32];
    snprintf(order, sizeof order, "%s", page ? "page-local" : in_order ? "sequential" : "global");
    if (group)
        snprintf(order, sizeof order, "groups-of-%zu", group);
    snprintf(info->params, sizeof info->params, "lines=%zu laps=%.4g thp=%s order=%s seed=%llu",
             s->n, (double)s->steps / (double)s->n, thp ? "madvise" : "off", order, (unsigned long long)p->seed);
    *state = s;
    return MH_OK;
}

/* The kernel body: steps dependent loads from start; every load recorded when cap is live.
 * Returns the line it stopped at. */
BENCH_ALWAYS_INLINE void **chase_body(chase_state *s, void **start, bench_cap *cap)
{
    void **p = start;
    bench_cur cur = bench_cur_begin(cap);
    for (uint64_t i = s->steps; i > 0; i--) {
        BENCH_PUT(cap, cur, p, sizeof(void *), MH_OP_READ, MH_FLAG_DEP, CHASE_GAP);
        p = (void **)*p;
        if (BENCH_CUR_DONE(cap, cur))
            break;
    }
    bench_cur_end(cap, cur);
    BENCH_BARRIER();
    return p;
}

/* Native repetition: walks on from where the last one stopped (the same line after whole laps). */
uint64_t bench_chase_run(void *state)
{
    chase_state *s = state;
    s->start = chase_body(s, s->start, NULL);
    return (uint64_t)(uintptr_t)s->start;
}

/* Recorded repetition: from the cycle's first line. */
uint64_t bench_chase_capture(void *state, bench_cap *cap)
{
    chase_state *s = state;
    return (uint64_t)(uintptr_t)chase_body(s, s->first, cap);
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
