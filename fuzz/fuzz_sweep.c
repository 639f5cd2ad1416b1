/* fuzz_sweep.c — libFuzzer harness, differential: the one-pass miss-ratio curve (mh_mrc_*) must
 * count, for every geometry it was built for, exactly the accesses and misses of that cache
 * simulated directly (tests/lib/ref_lru.h, the unit tests' reference), in batches the input
 * cuts.
 * The geometries are mostly set counts of 4 to 32 ways, one for all or varying (the narrow
 * 32-bit stacks, 8, 16 or 32 deep), else mixed ways and a fully associative stack. Addresses come
 * from a few regions near the top and bottom of the address space, or, in spread mode, half from
 * thousands (a 256th region moves the narrow stacks to 64-bit lines mid-trace); invalidations and
 * straddling records are in the mix.
 * Input: 4 shape bytes, then records of 8 bytes each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memhier.h"
#include "ref_lru.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RECS 4096 /* records per input */
#define MAX_GEOMS 24

/* The geometries shape byte s picks; returns how many. */
static size_t pick_geoms(uint8_t s, mh_mrc_geom *g)
{
    size_t n = 0;
    if (s & 0x80) { /* mixed ways and a fully associative stack deeper than the array stacks */
        static const uint32_t ways[] = {1, 2, 3, 8};
        for (uint32_t sets = 1; sets <= 64; sets *= 4)
            for (size_t w = 0; w < 4; w++)
                g[n++] = (mh_mrc_geom){sets, ways[w]};
        g[n++] = (mh_mrc_geom){1, 65u + (s & 63u)};
        return n;
    }
    static const uint32_t ways[] = {8, 12, 16, 5, 20, 32, 24, 4}; /* narrow stacks, 8, 16 or 32 deep */
    for (uint32_t sets = 1u << (s & 1), k = 0; sets <= (1u << (4 + (s >> 1 & 7))); sets *= 2, k++)
        g[n++] = (mh_mrc_geom){sets, ways[((s >> 4 & 7) + (s & 0x40 ? k : 0)) & 7]};
    return n;
}

/* Record i from its 8 input bytes b; spread: thousands of regions, else a few. */
static mh_rec make_rec(const uint8_t *b, int spread, int straddle)
{
    static const mh_op ops[] = {MH_OP_READ, MH_OP_WRITE, MH_OP_READ, MH_OP_IFETCH, MH_OP_MISC, MH_OP_PREFETCH,
                                MH_OP_COPYBACK, MH_OP_INVALIDATE};
    static const uint64_t high[] = {0, 1ull << 40, 0x7ffd00000000ull, UINT64_MAX - (1ull << 33), 3ull << 62};
    mh_rec r = {0};
    r.op = ops[b[0] & 7];
    if (r.op == MH_OP_INVALIDATE && (b[0] & 0x18)) /* rarer: holes send the curve to its general path */
        r.op = MH_OP_READ;
    r.size = (uint16_t)(straddle && (b[0] & 0x20) ? 1u + b[1] % 130u : 8u);
    int hot = !spread || (b[0] & 0x40); /* spread mode: half the records still reuse hot lines */
    uint64_t low = (uint64_t)b[2] | (uint64_t)b[3] << 8 | (uint64_t)(b[4] & (hot ? 0x03 : 0x3f)) << 16;
    if (hot) /* a 256 KiB window in one of five regions */
        r.addr = high[b[5] % 5] + low;
    else     /* one of 2^24 regions, in a 4 MiB window */
        r.addr = ((uint64_t)b[5] | (uint64_t)b[6] << 8 | (uint64_t)b[7] << 16) << 31 | low;
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4 + 8)
        return 0;
    mh_mrc_geom g[MAX_GEOMS];
    size_t ng = pick_geoms(data[0], g);
    unsigned shift = 4u + (data[1] & 3u), mask = data[1] & 4 ? 0x1fu & ~(1u << MH_OP_IFETCH) : 0x1fu;
    int spread = data[1] & 8, straddle = data[1] & 16;
    size_t batch = 1u + data[2], n = (size - 4) / 8;
    n = n > MAX_RECS ? MAX_RECS : n;
    mh_rec *recs = malloc(n * sizeof *recs);
    ref_cache *ref = calloc(ng, sizeof *ref);
    mh_mrc *m = NULL;
    mh_error err = {0};
    if (!recs || !ref || mh_mrc_create(1u << shift, g, ng, mask, &m, &err) != MH_OK)
        abort(); /* valid geometries: creation must succeed */
    for (size_t i = 0; i < n; i++)
        recs[i] = make_rec(data + 4 + 8 * i, spread, straddle);
    for (size_t i = 0; i < n; i += batch)
        mh_mrc_access(m, recs + i, n - i < batch ? n - i : batch);
    for (size_t k = 0; k < ng; k++) {
        if (!ref_init(&ref[k], shift, g[k].sets, g[k].ways))
            abort();
        ref_access(&ref[k], recs, n, mask);
        mh_counts c[MH_KINDS];
        if (mh_mrc_misses(m, g[k].sets, g[k].ways, c) != MH_OK)
            abort();
        for (int kind = 0; kind < MH_KINDS; kind++)
            if (c[kind].misses != ref[k].miss[kind] || c[kind].accesses != ref[k].acc[kind]) {
                fprintf(stderr, "sets %u ways %u kind %d: one-pass %llu/%llu misses/accesses, direct %llu/%llu\n",
                        g[k].sets, g[k].ways, kind, (unsigned long long)c[kind].misses,
                        (unsigned long long)c[kind].accesses, (unsigned long long)ref[k].miss[kind],
                        (unsigned long long)ref[k].acc[kind]);
                abort();
            }
        free(ref[k].slot);
    }
    mh_mrc_destroy(m);
    free(ref);
    free(recs);
    return 0;
}
