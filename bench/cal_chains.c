/* cal_chains.c — interleaved pointer chases of `memhier calibrate`: many independent chases at
 * once through the lines of a buffer, so the rate is how fast a level delivers lines that each
 * load misses for, not its latency. Two uses: the one-set chase (16 chases through lines one L1
 * set period apart, all in one L1 set, held by a lower level) gives that level's set_gap, since a
 * core overlaps few misses into one L1 set (the development VM: ~2 from L2, where lines spread over
 * every set keep ~10 in flight); the link chase (64 chases through every line of a buffer inside a
 * lower level, the lines in a random order and in address order) gives the link's bandwidth for
 * lines that loads miss for, one load per line. Chases, like every calibration probe: no held-out
 * kernel runs. */
#include <stdlib.h>
#include <string.h>

#include "calibrate.h"
#include "harness.h"
#include "kernels.h"

#define CHAIN_LOADS (1u << 17)  /* loads per trial */
#define CHAIN_TRIALS_MAX 16

/* Links the n lines of p (stride bytes apart) into k cycles of n / k lines each (the rest unused):
 * a random order, or with in_order cycle c takes lines c, c + k, c + 2k, ..., so that the k chases,
 * stepped in turn, load the lines in address order. head[c] gets a line of cycle c. NULL on
 * success, else why not. */
static const char *link_chains(char *p, size_t n, size_t stride, unsigned k, int in_order, char **head)
{
    size_t *order = malloc(n * sizeof *order), per = n / k;
    if (!order)
        return "out of memory";
    cal_chains_order(n, k, in_order, order);
    for (size_t c = 0; c < k; c++) {
        const size_t *o = order + c * per;
        for (size_t i = 0; i < per; i++)
            *(char **)(void *)(p + o[i] * stride) = p + o[(i + 1) % per] * stride;
        head[c] = p + o[0] * stride;
    }
    free(order);
    return NULL;
}

/* The order of the chases' lines: see calibrate.h. */
void cal_chains_order(size_t n, unsigned k, int in_order, size_t *order)
{
    size_t per = n / k;
    uint64_t seed = 0x5e7c4a5eu;
    for (size_t i = 0; i < n; i++)
        order[i] = in_order && i < per * k ? (i % per) * k + i / per : i;
    for (size_t i = n - 1; !in_order && i > 0; i--) { /* Fisher-Yates: a uniform order of the lines */
        size_t j = (size_t)bench_rand_below(&seed, i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

/* ns per load of `steps` steps of each of the k chains at head, interleaved (their loads are
 * independent); head moves on to where the chains stopped. */
static double chains_ns(char **head, unsigned k, size_t steps)
{
    double t0 = (double)bench_now_ns();
    for (size_t s = 0; s < steps; s++)
        for (unsigned c = 0; c < k; c++)
            head[c] = *(char **)(void *)head[c];
    __asm__ volatile("" : : "r"(head) : "memory");
    return ((double)bench_now_ns() - t0) / ((double)steps * k);
}

/* Interleaved chase probe: see calibrate.h. */
int cal_chains_probe(size_t lines, size_t stride, unsigned chains, unsigned trials, int in_order, double *ns,
                     mh_error *err)
{
    if (chains == 0 || chains > CAL_CHAINS_MAX || lines < 2 * (size_t)chains || stride < sizeof(char *) ||
        trials == 0)
        return mh_error_set(err, MH_EINVAL, "calibrate: %u chases through %zu lines %zu bytes apart: needs 1..%d "
                            "chases, >= 2 lines per chase, a stride >= %zu and trials >= 1", chains, lines, stride,
                            CAL_CHAINS_MAX, sizeof(char *));
    trials = trials > CHAIN_TRIALS_MAX ? CHAIN_TRIALS_MAX : trials;
    size_t len = lines * stride;
    char *p = bench_map(len, 0), *head[CAL_CHAINS_MAX];
    if (!p)
        return mh_error_set(err, MH_ENOMEM, "calibrate: cannot map %zu bytes for the interleaved chases", len);
    const char *why = link_chains(p, lines, stride, chains, in_order, head);
    if (why) {
        bench_unmap(p, len);
        return mh_error_set(err, MH_ENOMEM, "calibrate: interleaved chases: %s", why);
    }
    size_t per = lines / chains, steps = CHAIN_LOADS / chains;
    steps = steps > per ? steps : per;
    (void)chains_ns(head, chains, 2 * per); /* warm: every line twice */
    double best = chains_ns(head, chains, steps);
    for (unsigned t = 1; t < trials; t++) {
        double v = chains_ns(head, chains, steps);
        best = v < best ? v : best;
    }
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
