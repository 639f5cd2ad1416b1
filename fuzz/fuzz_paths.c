/* fuzz_paths.c — libFuzzer harness, differential: the replay's fast paths (the lean hit path,
 * chain_miss, the chain shapes with constant associativities, lean_multi, pair_req, and trace
 * stripping where the hierarchy allows it, with a batch between stripped ones replayed whole
 * after mh_strip_skip as the decoding thread does) must count exactly what the general path
 * counts (the same hierarchy with every lean flag cleared), 3C classes and prefetch counts
 * included, before and after a flush.
 * Input: 8 bytes of shape (geometry, mostly in the chain shapes' associativities; policies,
 * inclusion, write modes, 3C, a prefetcher), then records of 8 bytes each (op, size, address
 * within a small window so sets collide). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_replay.h"
#include "hier_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RECS 4096 /* records per input */

/* Replays recs[0..n) through h, stripped first when strip is non-NULL (the taken ones counted). */
static void replay_fast(mh_hier *h, mh_strip *strip, const mh_rec *recs, size_t n)
{
    static mh_rec copy[MAX_RECS];
    if (!strip) {
        mh_hier_access(h, recs, n);
        return;
    }
    uint64_t hits[MH_KINDS] = {0};
    memcpy(copy, recs, n * sizeof *recs);
    mh_hier_access(h, copy, mh_strip_run(strip, copy, n, hits));
    mh_hier_count_hits(h, hits);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mh_rec recs[MAX_RECS];
    size_t n;
    mh_hier_opts o = {size > 5 && (data[5] & 1), 0, 0};
    mh_hier *fast = NULL, *general = NULL;
    mh_config *c = fuzz_pair(data, size, recs, MAX_RECS, &n, &o, &fast, &general);
    if (!c)
        return 0;
    for (size_t l = 0; l < general->n; l++) /* every request takes general_req */
        general->lv[l].lean = general->lv[l].chain = general->lv[l].ev_lean = 0;
    mh_strip *strip = NULL; /* where the hierarchy allows, half the inputs strip the fast replay */
    if (data[7] & 1)
        mh_strip_create(fast, &strip, NULL);
    size_t cut = n ? data[6] % (n + 1) : 0, cut2 = cut + (n - cut) / 2; /* three batches: state carries */
    replay_fast(fast, strip, recs, cut);
    if (strip && (data[7] & 2)) { /* the middle one whole: the stripper must forget what it saw */
        mh_strip_skip(strip);
        mh_hier_access(fast, recs + cut, cut2 - cut);
    } else {
        replay_fast(fast, strip, recs + cut, cut2 - cut);
    }
    replay_fast(fast, strip, recs + cut2, n - cut2);
    mh_strip_destroy(strip);
    mh_hier_access(general, recs, n);
    fuzz_same(fast, general);
    mh_hier_flush(fast);
    mh_hier_flush(general);
    fuzz_same(fast, general);
    mh_hier_destroy(fast);
    mh_hier_destroy(general);
    mh_config_free(c);
    return 0;
}
