/* fuzz_paths.c — libFuzzer harness, differential: the replay's fast paths (the lean hit path,
 * chain_miss, the chain shapes with constant associativities, lean_multi) must count exactly
 * what the general path counts (the same hierarchy with every lean flag cleared), 3C classes
 * and prefetch counts included, before and after a flush.
 * Input: 8 bytes of shape (geometry, mostly in the chain shapes' associativities; policies,
 * inclusion, write modes, 3C, a prefetcher), then records of 8 bytes each (op, size, address
 * within a small window so sets collide). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hier_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RECS 4096 /* records per input */

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

/* Record k of the input (8 bytes). */
static mh_rec record(const uint8_t *b)
{
    static const uint8_t ops[8] = {MH_OP_READ,  MH_OP_READ,     MH_OP_WRITE,      MH_OP_WRITE,
                                   MH_OP_IFETCH, MH_OP_COPYBACK, MH_OP_INVALIDATE, MH_OP_MISC};
    mh_rec r;
    memset(&r, 0, sizeof r);
    r.op = ops[b[0] & 7];
    r.size = (uint16_t)(b[0] & 0x80 ? 1 + b[1] : 1 + (b[1] & 7));
    r.addr = (uint64_t)(b[2] | b[3] << 8 | (uint32_t)(b[4] & 0x3f) << 16);
    if (b[5] == 0xff) /* now and then at the top of the address space */
        r.addr = UINT64_MAX - (b[6] & 0x3f);
    return r;
}

/* Aborts unless a and b hold the same statistics and memory traffic. */
static void same(const mh_hier *a, const mh_hier *b)
{
    for (size_t i = 0; i < mh_hier_levels(a); i++) {
        mh_level_stats x, y;
        mh_hier_level_stats(a, i, &x);
        mh_hier_level_stats(b, i, &y);
        x.name = y.name = NULL;
        if (memcmp(&x, &y, sizeof x) != 0)
            abort();
    }
    uint64_t ra, wa, rb, wb;
    mh_hier_mem_traffic(a, &ra, &wa);
    mh_hier_mem_traffic(b, &rb, &wb);
    if (ra != rb || wa != wb)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    mh_config *c = shape_config(data);
    if (!c)
        return 0;
    static mh_rec recs[MAX_RECS];
    size_t n = (size - 8) / 8;
    n = n > MAX_RECS ? MAX_RECS : n;
    for (size_t i = 0; i < n; i++)
        recs[i] = record(data + 8 + 8 * i);
    mh_hier_opts o = {data[5] & 1, 0, 0};
    mh_hier *fast = NULL, *general = NULL;
    mh_error err = {0};
    if (mh_hier_create(c, &o, &fast, &err) != MH_OK || mh_hier_create(c, &o, &general, &err) != MH_OK)
        abort();
    for (size_t l = 0; l < general->n; l++) /* every request takes general_req */
        general->lv[l].lean = general->lv[l].chain = general->lv[l].ev_lean = 0;
    size_t cut = n ? data[6] % (n + 1) : 0; /* two batches: state carries across calls */
    mh_hier_access(fast, recs, cut);
    mh_hier_access(fast, recs + cut, n - cut);
    mh_hier_access(general, recs, n);
    same(fast, general);
    mh_hier_flush(fast);
    mh_hier_flush(general);
    same(fast, general);
    mh_hier_destroy(fast);
    mh_hier_destroy(general);
    mh_config_free(c);
    return 0;
}
