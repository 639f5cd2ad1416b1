/* cal_setprobe.c — the one-set chase of `memhier calibrate`: CAL_SET_CHAINS interleaved pointer
 * chases through lines that all fall into one set of the data entry level and are held by a lower
 * level. A core overlaps few misses into one L1 set (the development VM: ~2 from L2, where lines
 * spread over every set keep ~10 in flight), so this rate, not the level's latency or link, bounds
 * a walk with one line per L1 set period: the level's set_gap in the timing model. A chase, like
 * every calibration probe: no held-out kernel runs. */
#include <stdlib.h>
#include <string.h>

#include "calibrate.h"
#include "harness.h"
#include "kernels.h"

#define SET_LOADS (1u << 17)  /* loads per trial */
#define SET_TRIALS_MAX 16

/* Links the n lines of p (stride bytes apart) into CAL_SET_CHAINS cycles of a random order, n /
 * CAL_SET_CHAINS lines each (the rest unused); head[c] gets a line of cycle c. NULL on success. */
static const char *link_chains(char *p, size_t n, size_t stride, char **head)
{
    size_t *order = malloc(n * sizeof *order), per = n / CAL_SET_CHAINS;
    uint64_t seed = 0x5e7c4a5eu;
    if (!order)
        return "out of memory";
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates: a uniform order of the lines */
        size_t j = (size_t)bench_rand_below(&seed, i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (size_t c = 0; c < CAL_SET_CHAINS; c++) {
        const size_t *o = order + c * per;
        for (size_t i = 0; i < per; i++)
            *(char **)(void *)(p + o[i] * stride) = p + o[(i + 1) % per] * stride;
        head[c] = p + o[0] * stride;
    }
    free(order);
    return NULL;
}

/* ns per load of `steps` steps of every chain, interleaved (the chains' loads are independent). */
static double chains_ns(char **head, size_t steps)
{
    char *h[CAL_SET_CHAINS];
    memcpy(h, head, sizeof h);
    double t0 = (double)bench_now_ns();
    for (size_t s = 0; s < steps; s++) {
#pragma GCC unroll 16
        for (int c = 0; c < CAL_SET_CHAINS; c++)
            h[c] = *(char **)(void *)h[c];
    }
    double ns = ((double)bench_now_ns() - t0) / ((double)steps * CAL_SET_CHAINS);
    memcpy(head, h, sizeof h);
    return ns;
}

/* One-set chase probe: see calibrate.h. */
int cal_set_probe(size_t lines, size_t stride, unsigned trials, double *ns, mh_error *err)
{
    if (lines < 2 * CAL_SET_CHAINS || stride < sizeof(char *) || trials == 0)
        return mh_error_set(err, MH_EINVAL, "calibrate: one-set chase of %zu lines, stride %zu: needs >= %d "
                            "lines, a stride >= %zu and trials >= 1", lines, stride, 2 * CAL_SET_CHAINS,
                            sizeof(char *));
    trials = trials > SET_TRIALS_MAX ? SET_TRIALS_MAX : trials;
    size_t len = lines * stride;
    char *p = bench_map(len, 0), *head[CAL_SET_CHAINS];
    if (!p)
        return mh_error_set(err, MH_ENOMEM, "calibrate: cannot map %zu bytes for the one-set chase", len);
    const char *why = link_chains(p, lines, stride, head);
    if (why) {
        bench_unmap(p, len);
        return mh_error_set(err, MH_ENOMEM, "calibrate: one-set chase: %s", why);
    }
    size_t per = lines / CAL_SET_CHAINS, steps = SET_LOADS / CAL_SET_CHAINS;
    (void)chains_ns(head, 2 * per); /* warm: every line twice */
    double best = chains_ns(head, steps);
    for (unsigned t = 1; t < trials; t++) {
        double v = chains_ns(head, steps);
        best = v < best ? v : best;
    }
    __asm__ volatile("" : : "r"(head[0]));
    bench_unmap(p, len);
    *ns = best;
    return MH_OK;
}

/* Lines for the one-set chase held by level i: see calibrate.h. */
size_t cal_set_lines(uint32_t entry_sets, const uint32_t *sets, const uint32_t *ways, size_t i)
{
    if (i == 0 || entry_sets == 0)
        return 0;
    uint64_t above = (uint64_t)(sets[i - 1] > entry_sets ? sets[i - 1] / entry_sets : 1) * ways[i - 1];
    uint64_t here = (uint64_t)(sets[i] > entry_sets ? sets[i] / entry_sets : 1) * ways[i];
    uint64_t n = 4 * above < here / 2 ? 4 * above : here / 2;
    return n > 2 * above && n >= 2 * CAL_SET_CHAINS ? (size_t)n : 0;
}
