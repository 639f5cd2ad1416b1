/* support_core.c — helpers for the hierarchy tests; see support_core.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support_core.h"

/* Zeroes c. */
void support_core_config(mh_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "test");
    snprintf(c->source, sizeof c->source, "test");
    c->frequency_ghz = 1.0;
    c->base_cpi = 1.0;
}

/* Appends one level with defaults; entry levels default to the first level. */
int support_core_level(mh_config *c, const char *name, uint64_t size, uint32_t ways, uint32_t line)
{
    int i = (int)c->nlevels++;
    mh_level_cfg *l = &c->level[i];
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", name);
    l->size = size;
    l->ways = ways;
    l->line = line;
    l->sets = (uint32_t)(size / ((uint64_t)ways * line));
    l->fully_assoc = l->sets == 1;
    l->policy = MH_POL_LRU;
    l->write_back = 1;
    l->allocate = 1;
    l->inclusion = MH_INC_NINE;
    l->latency = 1;
    l->next = -1;
    l->seed = 1;
    l->mshrs = 8;
    return i;
}

/* Parses din text: label 0 read, 1 write, 2 ifetch, 3 misc, 4 copyback, 5 invalidate. */
size_t support_core_din(const char *text, mh_rec *out, size_t cap)
{
    static const int ops[] = {MH_OP_READ, MH_OP_WRITE, MH_OP_IFETCH, MH_OP_MISC, MH_OP_COPYBACK, MH_OP_INVALIDATE};
    size_t n = 0;
    const char *p = text;
    while (*p && n < cap) {
        char *end;
        long label = strtol(p, &end, 10);
        if (end == p) {
            p++;
            continue;
        }
        unsigned long long a = strtoull(end, &end, 16);
        memset(&out[n], 0, sizeof out[n]);
        out[n].op = (uint8_t)ops[label];
        out[n].addr = a & ~3ull;
        out[n].size = 4;
        n++;
        p = end;
    }
    return n;
}

/* Creates a hierarchy or fails the test. */
mh_hier *support_core_hier(const mh_config *c)
{
    mh_hier *h = NULL;
    mh_error err = {0};
    mh_hier_opts o = {1, 0, 0};
    int rc = mh_hier_create(c, &o, &h, &err);
    if (rc != MH_OK)
        print_error("mh_hier_create: %s\n", err.msg);
    assert_int_equal(rc, MH_OK);
    return h;
}

/* Replays din text. */
void support_core_run(mh_hier *h, const char *din)
{
    mh_rec recs[256];
    size_t n = support_core_din(din, recs, 256);
    assert_int_equal(mh_hier_access(h, recs, n), MH_OK);
}

/* Level i's stats. */
mh_level_stats support_core_stats(const mh_hier *h, size_t i)
{
    mh_level_stats s;
    assert_int_equal(mh_hier_level_stats(h, i, &s), MH_OK);
    return s;
}

/* Demand misses over read, write, ifetch, misc. */
uint64_t support_core_misses(const mh_level_stats *s)
{
    return s->kind[MH_OP_READ].misses + s->kind[MH_OP_WRITE].misses + s->kind[MH_OP_IFETCH].misses +
           s->kind[MH_OP_MISC].misses;
}

/* Asserts that a and b hold the same statistics, level by level, and the same memory traffic. */
void support_core_same(const mh_hier *a, const mh_hier *b)
{
    assert_int_equal(mh_hier_levels(a), mh_hier_levels(b));
    for (size_t i = 0; i < mh_hier_levels(a); i++) {
        mh_level_stats x, y;
        assert_int_equal(mh_hier_level_stats(a, i, &x), MH_OK);
        assert_int_equal(mh_hier_level_stats(b, i, &y), MH_OK);
        for (int k = 0; k < MH_KINDS; k++) {
            assert_int_equal(x.kind[k].accesses, y.kind[k].accesses);
            assert_int_equal(x.kind[k].misses, y.kind[k].misses);
        }
        assert_int_equal(x.evictions, y.evictions);
        assert_int_equal(x.writebacks, y.writebacks);
        assert_int_equal(x.bytes_from_next, y.bytes_from_next);
        assert_int_equal(x.bytes_to_next, y.bytes_to_next);
        assert_int_equal(x.back_invalidations, y.back_invalidations);
    }
    uint64_t ra, wa, rb, wb;
    mh_hier_mem_traffic(a, &ra, &wa);
    mh_hier_mem_traffic(b, &rb, &wb);
    assert_int_equal(ra, rb);
    assert_int_equal(wa, wb);
}

/* xorshift64 for the synthetic trace. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* See support_core.h. */
size_t support_core_mixed(mh_rec *r, size_t n, uint64_t seed)
{
    uint64_t s = seed | 1, seq = 0x100000, pc = 0x400000;
    for (size_t i = 0; i < n; i++) {
        uint64_t x = rnd(&s), kind = x % 100;
        mh_rec *q = &r[i];
        memset(q, 0, sizeof *q);
        q->size = 8;
        q->op = (x >> 8) % 4 == 0 ? MH_OP_WRITE : MH_OP_READ;
        if (kind < 40) {
            q->addr = 0x800000 + (rnd(&s) % (256 << 10));
        } else if (kind < 60) {
            q->addr = seq;
            seq += 8;
        } else if (kind < 75) {
            q->addr = 0x7fff0000 + (rnd(&s) % 512);
        } else if (kind < 88) {
            q->op = MH_OP_IFETCH;
            q->size = 4;
            pc = (x >> 20) % 16 == 0 ? 0x400000 + (rnd(&s) % 65536) : pc + 4;
            q->addr = pc;
        } else if (kind < 94) { /* straddles a line, sometimes a 2 KiB block */
            q->addr = 0x800000 + (rnd(&s) % 128) * 2048 + ((x >> 30) % 2 ? (rnd(&s) % 32) * 64 + 60 : 2044);
        } else if (kind < 97) {
            q->size = (uint16_t)(64 + rnd(&s) % 300);
            q->addr = 0x800000 + (rnd(&s) % (256 << 10));
        } else if (kind < 98) {
            q->op = MH_OP_MISC;
            q->addr = 0x900000 + (rnd(&s) % 8192);
        } else if (kind < 99) {
            q->op = MH_OP_COPYBACK;
            q->size = (uint16_t)(1 + rnd(&s) % 256);
            q->addr = 0x800000 + (rnd(&s) % (256 << 10));
        } else {
            q->op = MH_OP_INVALIDATE;
            q->size = (uint16_t)(1 + rnd(&s) % 256);
            q->addr = 0x800000 + (rnd(&s) % (256 << 10));
        }
    }
    return n;
}
