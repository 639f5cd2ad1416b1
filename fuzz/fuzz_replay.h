/* fuzz_replay.h — what the differential replay harnesses (fuzz_split.c, fuzz_paths.c,
 * fuzz_tlog.c) share: the 8-byte record encoding, the shape config and the comparison of two
 * hierarchies' statistics. */
#ifndef MH_FUZZ_REPLAY_H
#define MH_FUZZ_REPLAY_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memhier.h"

/* The record that the 8 input bytes at b encode: op, size, an address within a small window so
 * sets collide, now and then at the top of the address space. */
static inline mh_rec fuzz_record(const uint8_t *b)
{
    static const uint8_t ops[8] = {MH_OP_READ,  MH_OP_READ,     MH_OP_WRITE,      MH_OP_WRITE,
                                   MH_OP_IFETCH, MH_OP_COPYBACK, MH_OP_INVALIDATE, MH_OP_MISC};
    mh_rec r;
    memset(&r, 0, sizeof r);
    r.op = ops[b[0] & 7];
    r.size = (uint16_t)(b[0] & 0x80 ? 1 + b[1] : 1 + (b[1] & 7));
    r.addr = (uint64_t)(b[2] | b[3] << 8 | (uint32_t)(b[4] & 0x3f) << 16);
    if (b[5] == 0xff)
        r.addr = UINT64_MAX - (b[6] & 0x3f);
    return r;
}

/* Decodes the records that follow the 8 shape bytes of data[0..size) into recs, at most max;
 * returns how many. */
static inline size_t fuzz_records(const uint8_t *data, size_t size, mh_rec *recs, size_t max)
{
    size_t n = size < 8 ? 0 : (size - 8) / 8;
    n = n > max ? max : n;
    for (size_t i = 0; i < n; i++)
        recs[i] = fuzz_record(data + 8 + 8 * i);
    return n;
}

/* A harness's input: the config its 8 shape bytes describe (shape; NULL when the input is
 * shorter or the config is refused), the records after them decoded into recs (*n, at most max). */
static inline mh_config *fuzz_input(const uint8_t *data, size_t size, mh_config *(*shape)(const uint8_t *),
                                    mh_rec *recs, size_t max, size_t *n)
{
    mh_config *c = size < 8 ? NULL : shape(data);
    *n = c ? fuzz_records(data, size, recs, max) : 0;
    return c;
}

/* The config the shape bytes s[0..8) describe (fuzz_paths.c, fuzz_tlog.c): split L1i/L1d (or
 * unified) over L2 over L3, geometries mostly of the chain shapes' associativities; small data
 * TLBs, an instruction TLB and its own second level where s[5] bits 4, 5 and 6 say so; with bit
 * 7, load/store pipes (mem_cpi) and 16 frames of 4 KiB pages over a disk. */
static inline mh_config *fuzz_shape_config(const uint8_t *s)
{
    static const char *const policies[] = {"lru", "lru", "fifo", "plru"};
    static const char *const inclusions[] = {"nine", "inclusive", "exclusive"};
    static const char *const prefetchers[] = {"none", "none", "none", "next-line"};
    static const unsigned l1w[] = {8, 12, 4, 2}, l2w[] = {8, 4, 16, 2}, l3w[] = {16, 16, 8, 4};
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
                     "[hierarchy]\nname = f\nifetch = %s\ndata = L1d\n%s"
                     "[L1d]\nsize = %u\nways = %u\nline = %u\npolicy = %s\nwrite = %s\nallocate = %s\n"
                     "inclusion = %s\nnext = L2\nprefetcher = %s\n",
                     unified ? "L1d" : "L1i", s[5] & 0x80 ? "mem_cpi = 0.5\n" : "", s1 * a1 * line, a1, line, p1, wb1, alloc, i1, pf);
    if (!unified)
        n += snprintf(text + n, sizeof text - (size_t)n,
                      "[L1i]\nsize = %u\nways = %u\nline = %u\npolicy = %s\ninclusion = %s\nnext = L2\n",
                      s1 * (s[3] & 0x80 ? 2 : a1) * line, s[3] & 0x80 ? 2 : a1, line, p1, i1);
    n += snprintf(text + n, sizeof text - (size_t)n,
                  "[L2]\nsize = %u\nways = %u\nline = %u\npolicy = %s\nwrite = %s\ninclusion = %s\nnext = L3\n"
                  "[L3]\nsize = %u\nways = %u\nline = %u\npolicy = %s\n",
                  s2 * a2 * line2, a2, line2, p2, wb2, i2, s3 * a3 * line2, a3, line2, p3);
    snprintf(text + n, sizeof text - (size_t)n, "%s%s%s%s",
             s[5] & 0x10 ? "[tlb.L1d]\nentries = 4\nways = full\n[tlb.L2]\nentries = 16\nways = 4\n" : "",
             s[5] & 0x20 ? "[tlb.L1i]\nentries = 2\nways = full\n" : "",
             (s[5] & 0x60) == 0x60 ? "[tlb.L2i]\nentries = 8\nways = 2\nlatency = 3\n" : "",
             s[5] & 0x80 ? "[RAM]\npage_size = 4K\ncapacity = 64K\nminor_fault_ns = 20\n[disk]\nlatency_us = 0.1\n" : "");
    mh_config *c = NULL;
    mh_error err = {0};
    return mh_config_parse(text, "fuzz.ini", &c, &err) == MH_OK ? c : NULL;
}

/* Two fresh hierarchies *a and *b with options o for the input data[0..size) (fuzz_input with
 * fuzz_shape_config, records into recs, *n of them, at most max); returns the config (the
 * caller frees it), or NULL, with nothing created, when the input is refused. Aborts when a
 * hierarchy of an accepted config cannot be built. */
static inline mh_config *fuzz_pair(const uint8_t *data, size_t size, mh_rec *recs, size_t max, size_t *n,
                                   const mh_hier_opts *o, mh_hier **a, mh_hier **b)
{
    mh_config *c = fuzz_input(data, size, fuzz_shape_config, recs, max, n);
    mh_error err = {0};
    if (c && (mh_hier_create(c, o, a, &err) != MH_OK || mh_hier_create(c, o, b, &err) != MH_OK))
        abort();
    return c;
}

/* Aborts unless a and b hold the same statistics and memory traffic. */
static inline void fuzz_same(const mh_hier *a, const mh_hier *b)
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

#endif
