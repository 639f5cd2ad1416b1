/* fuzz_mhtw.c — libFuzzer harness: the .mht writer and reader round trip, differential. The input
 * is a program of 4-byte commands that generates records: laps of a random walk over a region
 * (new orders, or the last order with a few lines swapped), random reads in the region, streams,
 * far jumps, region changes, and odd records (all ops, sizes, gaps and flags). The records are
 * written as .mht (lap blocks where the writer finds they pay) and read back in batches of
 * varying size; any difference aborts. Blocks hold 65536 records, so a lap goes on over blocks
 * only in inputs that generate more than that (up to 3 blocks here). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memhier.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RECS (3 * 65536 + 1000)   /* records generated at most */
#define MAX_LINES (1u << 14)          /* lines of a walk's region at most */

/* The generator's state. */
typedef struct gen {
    mh_rec *r;              /* records so far */
    size_t n;
    uint64_t base;          /* the region's first byte */
    uint32_t lines;         /* its lines (64 bytes) */
    uint32_t order[MAX_LINES]; /* the walk's order over them */
    uint32_t pos;           /* records of the walk so far (its place in the order) */
    uint64_t rng;           /* xorshift state */
} gen;

/* xorshift64 step. */
static uint64_t rnd(gen *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return g->rng;
}

/* Appends a record when there is room. */
static void put(gen *g, uint64_t addr, uint32_t gap, uint16_t size, uint8_t op, uint8_t flags)
{
    if (g->n < MAX_RECS)
        g->r[g->n++] = (mh_rec){addr, gap, size ? size : 1, (uint8_t)(op % MH_OP_COUNT), flags};
}

/* A new random order of the region's lines. */
static void new_order(gen *g)
{
    for (uint32_t i = 0; i < g->lines; i++)
        g->order[i] = i;
    for (uint32_t i = g->lines - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(rnd(g) % (i + 1)), t = g->order[i];
        g->order[i] = g->order[j];
        g->order[j] = t;
    }
}

/* Runs one command (kind, a, b, c). */
static void command(gen *g, const uint8_t *c)
{
    uint32_t count = (uint32_t)c[2] << 8 | c[3];
    switch (c[0] % 7) {
    case 0:   /* region: 2^(6 + a % 9) lines at a new base, a new order */
        g->lines = 1u << (6 + c[1] % 9);
        g->base = (0x7f0000000000ull + ((uint64_t)c[2] << 28) + ((uint64_t)c[3] << 20)) & ~63ull;
        g->pos = 0;
        new_order(g);
        break;
    case 1:   /* the walk goes on; at a lap's end, a new order or a few lines swapped */
        for (uint32_t k = 0; k < count; k++) {
            if (g->pos && g->pos % g->lines == 0) {
                if (c[1] & 1)
                    new_order(g);
                for (uint32_t s = 0; s < (uint32_t)(c[1] >> 1); s++) {
                    uint32_t x = (uint32_t)(rnd(g) % g->lines), y = (uint32_t)(rnd(g) % g->lines);
                    uint32_t t = g->order[x];
                    g->order[x] = g->order[y];
                    g->order[y] = t;
                }
            }
            uint64_t line = g->order[g->pos++ % g->lines];
            put(g, g->base + 64ull * line + (c[1] & 0x38), c[1] & 3, 8, MH_OP_READ, 1);
        }
        break;
    case 2:   /* random reads in the region, at any byte */
        for (uint32_t k = 0; k < count; k++)
            put(g, g->base + rnd(g) % (64ull * g->lines), 1, (uint16_t)(1 + c[1] % 16), MH_OP_READ, 0);
        break;
    case 3:   /* a stream of writes somewhere else */
        for (uint32_t k = 0; k < count; k++)
            put(g, 0x10000000ull + ((uint64_t)c[1] << 16) + 8ull * k, 2, 8, MH_OP_WRITE, 0);
        break;
    case 4:   /* far jumps across the address space */
        for (uint32_t k = 0; k < (count & 255); k++)
            put(g, rnd(g) >> (c[1] % 20), 0, 4, MH_OP_READ, 0);
        break;
    case 5:   /* odd records: every op, long sizes and gaps, flags */
        for (uint32_t k = 0; k < (count & 255); k++)
            put(g, g->base + 64ull * (rnd(g) % g->lines) + c[1], (uint32_t)rnd(g) >> (c[2] % 32),
                (uint16_t)(1 + rnd(g) % 300), (uint8_t)(rnd(g) % MH_OP_COUNT), (uint8_t)rnd(g));
        break;
    default:  /* the same line again, the instruction stream beside it */
        for (uint32_t k = 0; k < (count & 255); k++) {
            put(g, g->n ? g->r[g->n - 1].addr : g->base, 0, 8, MH_OP_WRITE, 0);
            put(g, 0x400000ull + 4ull * k, 0, 4, MH_OP_IFETCH, 0);
        }
    }
}

/* Writes g's records to path; aborts on any error. */
static void write_all(const gen *g, const char *path)
{
    mh_writer *w;
    mh_error err;
    if (mh_writer_open(path, "mht", NULL, &w, &err) != MH_OK)
        abort();
    for (size_t i = 0; i < g->n; i += 7777)
        if (mh_writer_write(w, g->r + i, g->n - i < 7777 ? g->n - i : 7777, &err) != MH_OK)
            abort();
    if (mh_writer_close(w, &err) != MH_OK)
        abort();
}

/* Reads path back in batches of 1 to 4096 records (from seed) and aborts unless it holds g's. */
static void check_all(const gen *g, const char *path, uint8_t seed)
{
    static mh_rec buf[4096];
    mh_trace *t;
    mh_error err;
    size_t got = 0, n, cap = 1 + (size_t)seed * 16;
    if (mh_trace_open(path, &t, &err) != MH_OK)
        abort();
    while (mh_trace_read(t, buf, cap, &n, &err) == MH_OK && n > 0) {
        for (size_t i = 0; i < n; i++) {
            const mh_rec *a = &g->r[got + i], *b = &buf[i];
            if (got + i >= g->n || a->addr != b->addr || a->gap != b->gap || a->size != b->size ||
                a->op != b->op || a->flags != b->flags)
                abort();
        }
        got += n;
    }
    if (err.code != MH_OK && got < g->n)
        abort();
    mh_trace_close(t);
    if (got != g->n)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static gen g;
    static mh_rec *recs;
    char path[64];
    if (!recs && !(recs = malloc(MAX_RECS * sizeof *recs)))
        abort();
    memset(&g, 0, sizeof g);
    g.r = recs;
    g.rng = 0x9e3779b97f4a7c15ull ^ size;
    g.lines = 64;
    g.base = 0x7f0000000000ull;
    new_order(&g);
    for (size_t i = 0; i + 4 <= size && g.n < MAX_RECS; i += 4)
        command(&g, data + i);
    if (g.n == 0)
        return 0;
    snprintf(path, sizeof path, "/dev/shm/fuzz-mhtw-%ld.mht", (long)getpid());
    write_all(&g, path);
    check_all(&g, path, size ? data[0] : 0);
    unlink(path);
    return 0;
}
