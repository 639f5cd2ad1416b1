/* fuzz_paths.c — libFuzzer harness, differential: the replay's fast paths (the lean hit path,
 * chain_miss, the chain shapes with constant associativities, lean_multi, pair_req, and trace
 * stripping where the hierarchy allows it) must count exactly what the general path counts (the
 * same hierarchy with every lean flag cleared), 3C classes and prefetch counts included, before
 * and after a flush.
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

static const char *const policies[] = {"lru", "lru", "fifo", "plru"};
static const char *const inclusions[] = {"nine", "inclusive", "exclusive"};
static const char *const prefetchers[] = {"none", "none", "none", "next-line"};
static const unsigned l1w[] = {8, 12, 4, 2}, l2w[] = {8, 4, 16, 2}, l3w[] = {16, 16, 8, 4};

/* The config the shape bytes s[0..8) describe: split L1i/L1d (or unified) over L2 over L3. */
static mh_config *shape_config(const uint8_t *s)
{
    char text[1200];
    unsigned a1 = l1w[s[0] & 3], a2 = l2w[(s[1] >> 4) & 3], a3 = l3w[(s[2] >> 4) & 3];
    unsigned line = 16u << ((s[0] >> 2) & 1), s1 = 2u << ((s[0] >> 3) & 3), s2 = 8u << (s[1] & 3);
    unsigned s3 = 16u << (s[2] & 3), line2 = s[1] & 0x40 ? 2 * line : line;
    int unified = s[3] & 1;
    const char *p1 = policies[(s[3] >> 1) & 3], *p2 = policies[(s[3] >> 3) & 3], *p3 = policies[(s[3] >> 5) & 3];
    const char *i1 = inclusions[s[4] % 3], *i2 = inclusions[(s[4] / 3) % 3];
    const char *wb1 = s[4] & 0x40 ? "through" : "back", *wb2 = s[5] & 2 ? "through" : "back";
    const char *alloc = s[4] & 0x80 ? "no" : "yes", *pf = prefetchers[(s[5] >> 2) & 3];
    int n = snprintf(text, sizeof text,
                     "[hierarchy]\nname = f\nifetch = %s\ndata = L1d\n"
                     "[L1d]\nsize = %u\nways = %u\nline = %u\npolicy = %s\nwrite = %s\nallocate = %s\n"
                     "inclusion = %s\nnext = L2\nprefetcher = %s\n",
                     unified ? "L1d" : "L1i", s1 * a1 * line, a1, line, p1, wb1, alloc, i1, pf);
    if (!unified)
        n += snprintf(text + n, sizeof text - (size_t)n,
                      "[L1i]\nsize = %u\nways = %u\nline = %u\npolicy = %s\ninclusion = %s\nnext = L2\n",
                      s1 * (s[3] & 0x80 ? 2 : a1) * line, s[3] & 0x80 ? 2 : a1, line, p1, i1);
    snprintf(text + n, sizeof text - (size_t)n,
             "[L2]\nsize = %u\nways = %u\nline = %u\npolicy = %s\nwrite = %s\ninclusion = %s\nnext = L3\n"
             "[L3]\nsize = %u\nways = %u\nline = %u\npolicy = %s\n",
             s2 * a2 * line2, a2, line2, p2, wb2, i2, s3 * a3 * line2, a3, line2, p3);
    mh_config *c = NULL;
    mh_error err = {0};
    return mh_config_parse(text, "fuzz.ini", &c, &err) == MH_OK ? c : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mh_rec recs[MAX_RECS];
    size_t n;
    mh_config *c = fuzz_input(data, size, shape_config, recs, MAX_RECS, &n);
    if (!c)
        return 0;
    mh_hier_opts o = {data[5] & 1, 0, 0};
    mh_hier *fast = NULL, *general = NULL;
    mh_error err = {0};
    if (mh_hier_create(c, &o, &fast, &err) != MH_OK || mh_hier_create(c, &o, &general, &err) != MH_OK)
        abort();
    for (size_t l = 0; l < general->n; l++) /* every request takes general_req */
        general->lv[l].lean = general->lv[l].chain = general->lv[l].ev_lean = 0;
    mh_strip *strip = NULL; /* where the hierarchy allows, half the inputs strip the fast replay */
    if (data[7] & 1)
        mh_strip_create(fast, &strip, NULL);
    size_t cut = n ? data[6] % (n + 1) : 0; /* two batches: state carries across calls */
    replay_fast(fast, strip, recs, cut);
    replay_fast(fast, strip, recs + cut, n - cut);
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
