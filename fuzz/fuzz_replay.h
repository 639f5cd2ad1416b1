/* fuzz_replay.h — what the differential replay harnesses (fuzz_split.c, fuzz_paths.c) share:
 * the 8-byte record encoding and the comparison of two hierarchies' statistics. */
#ifndef MH_FUZZ_REPLAY_H
#define MH_FUZZ_REPLAY_H

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
