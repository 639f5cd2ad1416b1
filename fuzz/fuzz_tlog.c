/* fuzz_tlog.c — libFuzzer harness, differential: a hierarchy with timing (and 3C when the input
 * says) replayed from logs (mh_hier_access_logged, the model run two batches behind with
 * mh_hier_timing_run, as on two threads) must end with exactly the statistics, cycles included,
 * of the same hierarchy replayed in order, before and after a flush.
 * Input: 8 shape bytes as fuzz_paths (geometry, policies, inclusion, write modes, 3C, a
 * prefetcher; the last byte also sets the batch sizes), then records of 8 bytes each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RECS 4096 /* records per input */
#define NLOGS 3       /* logs in flight */
#define LOG_CAP 64    /* records per batch at most */

/* Aborts unless a and b hold the same timing statistics. */
static void same_time(const mh_hier *a, const mh_hier *b)
{
    mh_time_stats x, y;
    if (mh_hier_time_stats(a, &x) != MH_OK || mh_hier_time_stats(b, &y) != MH_OK)
        abort();
    if (memcmp(&x, &y, sizeof x) != 0)
        abort();
}

/* Replays recs[0..n) through h from logs g[NLOGS], batches of 1..LOG_CAP records (sizes drawn
 * from seed), each batch's model run after the next NLOGS - 1 are logged. */
static void replay_logged(mh_hier *h, mh_tlog **g, const mh_rec *recs, size_t n, unsigned seed)
{
    const mh_rec *at[NLOGS];
    size_t len[NLOGS], k = 0, i = 0;
    mh_error err;
    for (; i < n; k++) {
        size_t m = 1 + (seed = seed * 1103515245u + 12345u) % LOG_CAP;
        m = m < n - i ? m : n - i;
        if (k >= NLOGS && mh_hier_timing_run(h, at[k % NLOGS], len[k % NLOGS], g[k % NLOGS], &err) != MH_OK)
            abort();
        if (mh_hier_access_logged(h, recs + i, m, g[k % NLOGS], &err) != MH_OK)
            abort();
        at[k % NLOGS] = recs + i;
        len[k % NLOGS] = m;
        i += m;
    }
    for (size_t j = k >= NLOGS ? k - NLOGS : 0; j < k; j++)
        if (mh_hier_timing_run(h, at[j % NLOGS], len[j % NLOGS], g[j % NLOGS], &err) != MH_OK)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mh_rec recs[MAX_RECS];
    size_t n;
    mh_hier_opts o = {size > 5 && (data[5] & 1), 1, 0};
    mh_hier *inorder = NULL, *logged = NULL;
    mh_config *c = fuzz_pair(data, size, recs, MAX_RECS, &n, &o, &inorder, &logged);
    if (!c)
        return 0;
    mh_tlog *g[NLOGS] = {NULL};
    mh_error err = {0};
    for (int i = 0; i < NLOGS; i++)
        if (mh_tlog_create(LOG_CAP, &g[i], &err) != MH_OK)
            abort();
    if (mh_hier_can_log(logged, &err) != MH_OK)
        abort(); /* no walk = cached in these configs */
    mh_hier_access(inorder, recs, n);
    replay_logged(logged, g, recs, n, data[7]);
    fuzz_same(inorder, logged);
    same_time(inorder, logged);
    mh_hier_flush(inorder);
    mh_hier_flush(logged);
    fuzz_same(inorder, logged);
    same_time(inorder, logged);
    for (int i = 0; i < NLOGS; i++)
        mh_tlog_destroy(g[i]);
    mh_hier_destroy(inorder);
    mh_hier_destroy(logged);
    mh_config_free(c);
    return 0;
}
