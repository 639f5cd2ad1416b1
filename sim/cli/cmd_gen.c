/* cmd_gen.c — `memhier gen`: synthetic traces (sequential, strided, random, stack, mixed) for
 * benchmarks, examples and scale tests; streams, so any length runs in constant memory. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config_int.h"

#define GEN_BATCH 8192

/* Generator state: one seeded xorshift stream and per-pattern cursors. */
typedef struct gen {
    uint64_t rng;       /* xorshift64* state */
    uint64_t seq;       /* sequential cursor (bytes) */
    uint64_t stride;    /* --stride bytes */
    uint64_t span;      /* random region bytes */
    uint64_t sp;        /* stack pointer for the stack pattern */
    uint64_t pc;        /* instruction pointer for ifetch */
    uint64_t i;         /* records produced */
} gen;

typedef void (*gen_fn)(gen *g, mh_rec *r);

static uint64_t gen_rand(gen *g)
{
    g->rng ^= g->rng >> 12;
    g->rng ^= g->rng << 25;
    g->rng ^= g->rng >> 27;
    return g->rng * 0x2545F4914F6CDD1DULL;
}

static void gen_seq(gen *g, mh_rec *r)
{
    *r = (mh_rec){.addr = 0x10000000 + g->seq, .size = 8, .op = MH_OP_READ, .gap = 1};
    g->seq += 8;
}

static void gen_stride(gen *g, mh_rec *r)
{
    *r = (mh_rec){.addr = 0x10000000 + g->seq, .size = 8, .op = MH_OP_READ, .gap = 1};
    g->seq += g->stride;
}

static void gen_random(gen *g, mh_rec *r)
{
    uint64_t off = (gen_rand(g) % g->span) & ~7ULL;
    *r = (mh_rec){.addr = 0x40000000 + off, .size = 8, .op = MH_OP_READ, .flags = MH_FLAG_DEP, .gap = 2};
}

static void gen_stack(gen *g, mh_rec *r)
{
    uint64_t x = gen_rand(g);
    g->sp += (x & 1) ? 64 : -64ULL;
    if (g->sp > 0x7fff0000 || g->sp < 0x7ffe0000)
        g->sp = 0x7fff0000 - 4096;
    *r = (mh_rec){.addr = g->sp + ((x >> 8) & 56), .size = 8, .op = (x & 2) ? MH_OP_WRITE : MH_OP_READ, .gap = 1};
}

static void gen_ifetch(gen *g, mh_rec *r)
{
    uint64_t x = gen_rand(g);
    g->pc = (x & 63) == 0 ? 0x400000 + ((x >> 8) % 65536) : g->pc + 4;
    *r = (mh_rec){.addr = g->pc, .size = 4, .op = MH_OP_IFETCH};
}

/* The mix used by `make bench`: 40% sequential, 20% random within the span, 20% stack, 20% ifetch. */
static void gen_mixed(gen *g, mh_rec *r)
{
    switch (g->i % 10) {
    case 0: case 1: case 2: case 3: gen_seq(g, r); break;
    case 4: case 5: gen_random(g, r); break;
    case 6: case 7: gen_stack(g, r); break;
    default: gen_ifetch(g, r); break;
    }
}

static const struct { const char *name; gen_fn fn; const char *help; } patterns[] = {
    {"seq", gen_seq, "sequential 8-byte reads"},
    {"stride", gen_stride, "8-byte reads every --stride bytes"},
    {"random", gen_random, "dependent random 8-byte reads within --span bytes"},
    {"stack", gen_stack, "reads and writes near a wandering stack pointer"},
    {"ifetch", gen_ifetch, "instruction fetches with occasional jumps"},
    {"mixed", gen_mixed, "40% seq, 20% random, 20% stack, 20% ifetch (the make bench mix)"},
};

static void gen_usage(FILE *f)
{
    fputs("usage: memhier gen [--pattern P] [--records N] [--seed S] [--span BYTES] [--stride BYTES] [--to mht|din] OUT\n"
          "patterns:\n", f);
    for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++)
        fprintf(f, "  %-8s %s\n", patterns[i].name, patterns[i].help);
}

/* Parses a positive count (--seed) with optional K/M/G (decimal) suffix or e-notation; 0 on error. */
static uint64_t gen_count(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 1)
        return 0;
    if (*end == 'K' || *end == 'k') v *= 1e3, end++;
    else if (*end == 'M' || *end == 'm') v *= 1e6, end++;
    else if (*end == 'G' || *end == 'g') v *= 1e9, end++;
    return *end ? 0 : (uint64_t)v;
}

/* Writes n records of pattern fn to w; returns MH_OK or the first error. */
static int gen_write(mh_writer *w, gen_fn fn, gen *g, uint64_t n, mh_error *err)
{
    mh_rec buf[GEN_BATCH];
    while (g->i < n) {
        size_t k = 0;
        for (; k < GEN_BATCH && g->i < n; k++, g->i++)
            fn(g, &buf[k]);
        int rc = mh_writer_write(w, buf, k, err);
        if (rc != MH_OK)
            return rc;
        if (cli_interrupted())
            return mh_error_set(err, MH_EINTR, "gen: interrupted");
    }
    return MH_OK;
}

/* `memhier gen`: returns the process exit status. */
int cmd_gen(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"pattern", required_argument, 0, 'p'}, {"records", required_argument, 0, 'n'},
        {"seed", required_argument, 0, 's'},    {"span", required_argument, 0, 'S'},
        {"stride", required_argument, 0, 't'},  {"to", required_argument, 0, 'T'},
        {"help", no_argument, 0, 'h'},          {0, 0, 0, 0},
    };
    gen g = {.rng = 1, .stride = 64, .span = 4 << 20, .sp = 0x7fff0000 - 4096, .pc = 0x400000};
    gen_fn fn = gen_mixed;
    uint64_t n = 1000000;
    const char *to = NULL;
    mh_error err = {0};
    int rc = MH_OK;
    opterr = 0;
    optind = 1;
    for (int ch; rc == MH_OK && (ch = getopt_long(argc, argv, "p:n:s:h", longopts, NULL)) != -1;) {
        switch (ch) {
        case 'p':
            fn = NULL;
            for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++)
                if (!strcmp(optarg, patterns[i].name))
                    fn = patterns[i].fn;
            if (!fn)
                rc = mh_error_set(&err, MH_EINVAL, "gen: --pattern %s, must be seq, stride, random, stack, ifetch or mixed", optarg);
            break;
        case 'n': rc = cli_parse_count(optarg, "gen: --records", 1, 1ULL << 48, &n, &err); break;
        case 's': g.rng = gen_count(optarg); if (!g.rng) rc = mh_error_set(&err, MH_EINVAL, "gen: --seed %s, must be >= 1", optarg); break;
        case 'S': if (mh_parse_size(optarg, &g.span) || g.span < 8) rc = mh_error_set(&err, MH_EINVAL, "gen: --span %s, must be a size >= 8 (e.g. 4096, 64K, 4M)", optarg); break;
        case 't': if (mh_parse_size(optarg, &g.stride) || !g.stride) rc = mh_error_set(&err, MH_EINVAL, "gen: --stride %s, must be a size >= 1 (e.g. 64, 4K)", optarg); break;
        case 'T': to = optarg; break;
        case 'h': gen_usage(stdout); return MH_EXIT_OK;
        default: rc = mh_error_set(&err, MH_EINVAL, "gen: unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (rc == MH_OK && argc - optind != 1)
        rc = mh_error_set(&err, MH_EINVAL, "gen: expected one OUT argument ('-' = standard output)");
    if (rc != MH_OK)
        return cli_fail(&err);
    const char *out = argv[optind], *dot = strrchr(out, '.');
    if (!to)
        to = dot && !strcmp(dot, ".din") ? "din" : "mht";
    mh_meta meta = {0};
    mh_meta_set(&meta, "source", "memhier gen");
    mh_writer *w = NULL;
    cli_catch_signals();
    rc = mh_writer_open(out, to, &meta, &w, &err);
    if (rc == MH_OK)
        rc = gen_write(w, fn, &g, n, &err);
    if (rc == MH_OK)
        rc = mh_writer_close(w, &err);
    else
        mh_writer_abort(w);
    if (rc == MH_EINTR)
        return cli_interrupt_status();
    return rc == MH_OK ? MH_EXIT_OK : cli_fail(&err);
}
