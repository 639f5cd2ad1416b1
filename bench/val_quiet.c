/* val_quiet.c — a quiet core for validate's measurements. A busy sibling hyperthread (another
 * tenant of a shared host) halves the core's issue rate and shares its L1 and L2; what the core
 * measures then is not what the model, calibrated on a quiet core, predicts. validate probes the
 * core before each measurement, waits a little while it reads busy, and leaves the rounds that
 * were still measured busy out of their point's median. Which rounds count also depends on what
 * they measured: a round set up in another layout than the captured one is left out first. */
#include <time.h>

#include "harness.h"
#include "validate.h"

/* 1 when a probe's cycles per independent add say the core is shared (ref_cpi: a quiet core's). */
static int busy(double cpi, double ref_cpi)
{
    return cpi > ref_cpi * VAL_BUSY_RATIO;
}

/* Sleeps s seconds (nothing for s <= 0). */
static void pause_for(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Probes until the core reads quiet or limit_s seconds have passed; see validate.h. */
int val_quiet_wait(val_probe_fn probe, void *ctx, double ref_cpi, double limit_s, double pause_s, double *ghz,
                   double *cpi, double *waited_s)
{
    *waited_s = 0;
    if (probe(ctx, ghz, cpi) != MH_OK)
        return -1;
    if (!(ref_cpi > 0) || !busy(*cpi, ref_cpi))
        return 1;
    if (!(limit_s > 0))
        return 0;
    uint64_t t0 = bench_now_ns(); /* the wait starts after the probe that found the core busy */
    for (;;) {
        *waited_s = (double)(bench_now_ns() - t0) / 1e9;
        if (*waited_s >= limit_s)
            return 0;
        pause_for(pause_s);
        if (probe(ctx, ghz, cpi) != MH_OK)
            return -1;
        if (!busy(*cpi, ref_cpi)) {
            *waited_s = (double)(bench_now_ns() - t0) / 1e9;
            return 1;
        }
    }
}

/* Moves the rounds of the captured layout to the front; see validate.h. */
int val_layout_rounds(const uint64_t *layout, int rounds, unsigned char *busy, double *med, double *p10,
                      double *p90)
{
    int kept = 0;
    for (int k = 0; k < rounds; k++) {
        if (layout[k] != layout[0])
            continue;
        busy[kept] = busy[k];
        med[kept] = med[k];
        p10[kept] = p10[k];
        p90[kept] = p90[k];
        kept++;
    }
    return kept;
}

/* Moves the quiet rounds to the front; see validate.h. */
int val_quiet_rounds(const unsigned char *busy_round, int rounds, double *med, double *p10, double *p90)
{
    int kept = 0;
    for (int k = 0; k < rounds; k++) {
        if (busy_round[k])
            continue;
        med[kept] = med[k];
        p10[kept] = p10[k];
        p90[kept] = p90[k];
        kept++;
    }
    return kept ? kept : rounds;
}
