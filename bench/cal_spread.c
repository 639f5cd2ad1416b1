/* cal_spread.c — the latency spread of `memhier calibrate`: a pointer chase through the lines of a
 * buffer inside the last cache level, once plain and once prefetching each node CAL_SPREAD_DIST
 * nodes ahead (a software prefetch through a per-node jump pointer, set up once). With one fixed
 * latency L such a walk takes L / D per node; a machine whose fills vary takes longer, because the
 * walk waits for its slower fills. The spread is the uniform +-fraction of L for which the walk's
 * recurrence takes the measured time per node. A chase, like every calibration probe: no held-out
 * kernel runs. */
#include <stdlib.h>
#include <string.h>

#include "calibrate.h"
#include "harness.h"
#include "kernels.h"

#define SPREAD_STEPS 200000u   /* recurrence steps per evaluation */
#define SPREAD_ITERS 40        /* bisection steps */
#define SPREAD_RING 64         /* the recurrence's memory: dist <= SPREAD_RING (a power of two) */

/* One node: a line holding the next node of the cycle and the node `dist` ahead. */
typedef struct spread_node {
    struct spread_node *next;  /* the cycle: a random order of the buffer's lines */
    struct spread_node *jump;  /* the node dist ahead on it */
    char pad[BENCH_LINE - 2 * sizeof(void *)];
} spread_node;

/* ns per node of `steps` steps from *head (moved on to where the walk stopped), prefetching each
 * node's jump (pf) or only loading it, so both walks make the same loads. */
static double walk_ns(spread_node **head, size_t steps, int pf)
{
    spread_node *p = *head;
    double t0 = (double)bench_now_ns();
    if (pf) {
        for (size_t i = 0; i < steps; i++) {
            __builtin_prefetch(p->jump, 0, 3);
            p = p->next;
        }
    } else {
        for (size_t i = 0; i < steps; i++) {
            const spread_node *j = p->jump;
            __asm__ volatile("" : : "r"(j));
            p = p->next;
        }
    }
    double ns = ((double)bench_now_ns() - t0) / (double)steps;
    *head = p;
    return ns;
}

/* Links the n nodes of b into one random cycle, each node's jump dist nodes ahead on it; returns
 * its first node, NULL when out of memory. */
static spread_node *link_walk(spread_node *b, size_t n, unsigned dist)
{
    size_t *order = malloc(n * sizeof *order);
    if (!order)
        return NULL;
    cal_chains_order(n, 1, 0, order);
    for (size_t i = 0; i < n; i++) {
        b[order[i]].next = &b[order[(i + 1) % n]];
        b[order[i]].jump = &b[order[(i + dist) % n]];
    }
    spread_node *head = &b[order[0]];
    free(order);
    return head;
}

/* Probe: see calibrate.h. */
int cal_spread_probe(size_t bytes, unsigned dist, unsigned trials, double *plain_ns, double *pf_ns,
                     mh_error *err)
{
    size_t n = bytes / sizeof(spread_node);
    if (n < 2 * (size_t)dist || dist == 0 || trials == 0 || trials > 64)
        return mh_error_set(err, MH_EINVAL, "calibrate: spread probe of %zu bytes, distance %u, %u trials: "
                            "needs 2 x distance lines, distance >= 1 and 1..64 trials", bytes, dist, trials);
    spread_node *b = bench_map(n * sizeof *b, -1);
    if (!b)
        return mh_error_set(err, MH_ENOMEM, "calibrate: cannot map %zu bytes for the spread probe", bytes);
    spread_node *p = link_walk(b, n, dist);
    if (!p) {
        bench_unmap(b, n * sizeof *b);
        return mh_error_set(err, MH_ENOMEM, "calibrate: out of memory for the spread probe");
    }
    size_t steps = n > (1u << 18) ? n : (1u << 18);
    double plain[64], pf[64];
    (void)walk_ns(&p, n, 0);                         /* warm-up: the lines and their pages */
    for (unsigned t = 0; t < trials; t++) {
        plain[t] = walk_ns(&p, steps, 0);
        pf[t] = walk_ns(&p, steps, 1);
    }
    *plain_ns = cal_median(plain, trials);
    *pf_ns = cal_median(pf, trials);
    bench_unmap(b, n * sizeof *b);
    return MH_OK;
}

/* Recurrence: see calibrate.h. Node i + 1 is reached an L1 hit after node i, or when its fill,
 * issued on reaching node i + 1 - dist, arrives; fills take lat x (1 + spread x u), u uniform in
 * [-1, 1) from a fixed generator. The last SPREAD_RING arrival times suffice (a ring). Returns
 * the mean ns per node over the second half. */
double cal_spread_walk(double lat_ns, double hit_ns, unsigned dist, double spread)
{
    double r[SPREAD_RING] = {0}, half = 0;
    uint64_t seed = 0x5fadu;
    dist = dist < 1 ? 1 : dist > SPREAD_RING ? SPREAD_RING : dist;
    for (size_t i = 0; i < SPREAD_STEPS; i++) {
        double u = (double)bench_rand_below(&seed, 1u << 30) / (double)(1u << 29) - 1.0;
        double fill = lat_ns * (1.0 + spread * u);
        double now = r[i % SPREAD_RING];
        double via = (i + 1 >= dist ? r[(i + 1 - dist) % SPREAD_RING] : now) + fill;
        double step = now + hit_ns;
        r[(i + 1) % SPREAD_RING] = via > step ? via : step;
        if (i + 1 == SPREAD_STEPS / 2)
            half = r[(i + 1) % SPREAD_RING];
    }
    return (r[SPREAD_STEPS % SPREAD_RING] - half) / (SPREAD_STEPS - SPREAD_STEPS / 2);
}

/* Fit of the software prefetch's extra time; see calibrate.h. */
double cal_swpf_extra_fit(double plain_ns, double pf_ns, double hit_ns, unsigned dist)
{
    if (plain_ns <= 0 || pf_ns <= 0 || hit_ns <= 0 || dist == 0 || pf_ns <= 1.05 * hit_ns)
        return 0;
    double extra = (double)dist * pf_ns - plain_ns;
    return extra < 0 ? 0 : extra > plain_ns ? plain_ns : extra;
}

/* Probe buffer inside the second level; see calibrate.h. */
size_t cal_swpf_bytes(uint64_t level, uint64_t above)
{
    return 4 * above <= level / 2 ? (size_t)(4 * above) : 0;
}

/* Fit: see calibrate.h. */
double cal_spread_fit(double lat_ns, double hit_ns, unsigned dist, double pf_ns)
{
    double lo = 0, hi = CAL_SPREAD_MAX;
    if (pf_ns <= cal_spread_walk(lat_ns, hit_ns, dist, lo))
        return 0;
    if (pf_ns >= cal_spread_walk(lat_ns, hit_ns, dist, hi))
        return hi;
    for (int k = 0; k < SPREAD_ITERS; k++) {
        double mid = (lo + hi) / 2;
        if (cal_spread_walk(lat_ns, hit_ns, dist, mid) < pf_ns)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}
