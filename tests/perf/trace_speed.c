/* trace_speed.c — trace decode speed and .mht size (a benchmark, not a test).
 *   cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude tests/perf/trace_speed.c BUILD/libmemhier.a \
 *      $(pkg-config --libs libzstd) -o BUILD/trace_speed && BUILD/trace_speed [records] [dir]
 * For each generated stream: writes .mht and din, then reads each back, printing records/s,
 * MB/s of decoded records (16 bytes each), bytes per record on disk and peak RSS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "memhier.h"

#define BATCH 65536

/* Seconds of CPU time used by this process (user + system). */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);   /* CPU time: robust on a busy machine */
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Generator state: one pattern, a position and a PRNG. */
typedef struct gen {
    int kind;          /* 0 sequential, 1 strided, 2 mixed (make bench), 3 chase */
    uint64_t i, x;     /* record index, PRNG state */
    uint32_t *next;    /* chase: a Sattolo cycle over CHASE_LINES lines */
    uint32_t cur;      /* chase: current line */
} gen;

#define CHASE_LINES 65536u   /* 4 MiB of 64-byte lines */

/* xorshift64: fast, reproducible. */
static uint64_t rnd(gen *g)
{
    g->x ^= g->x << 13;
    g->x ^= g->x >> 7;
    g->x ^= g->x << 17;
    return g->x;
}

/* Fills n records of the pattern. */
static void fill(gen *g, mh_rec *r, size_t n)
{
    for (size_t k = 0; k < n; k++, g->i++) {
        uint64_t i = g->i;
        mh_rec *p = &r[k];
        memset(p, 0, sizeof *p);
        p->size = 8;
        p->gap = 1;
        switch (g->kind) {
        case 0: p->addr = 0x7f0000000000 + 8 * i; break;                 /* sequential reads */
        case 1: p->addr = 0x7f0000000000 + 256 * (i % 1000000); break;   /* stride 256 */
        case 3:
            g->cur = g->next[g->cur];
            p->addr = 0x7f0000000000 + 64ull * g->cur;
            p->flags = MH_FLAG_DEP;
            break;
        default: {                                   /* mixed: seq, random 4 MiB, stack, ifetch */
            unsigned sel = (unsigned)(i % 8);
            if (sel < 3) {
                p->addr = 0x10000000 + 8 * (i / 8 * 3 + sel);
                p->op = sel == 2 ? MH_OP_WRITE : MH_OP_READ;
            } else if (sel < 5) {
                p->addr = 0x20000000 + (rnd(g) % (4u << 20) & ~7ull);
            } else if (sel < 7) {
                p->addr = 0x7ffc0000 - 8 * (i % 32);
                p->op = (i & 1) ? MH_OP_WRITE : MH_OP_READ;
            } else {
                p->addr = 0x400000 + 4 * (i % 4096);
                p->op = MH_OP_IFETCH;
                p->size = 4;
            }
        }
        }
    }
}

/* Writes n records of g's pattern to path in format; returns seconds. */
static double write_trace(const char *path, const char *fmt, int kind, size_t n, mh_rec *buf)
{
    gen g = {kind, 0, 88172645463325252ull, NULL, 0};
    if (kind == 3) {   /* Sattolo: one cycle through every line, as the chase kernel builds */
        g.next = malloc(CHASE_LINES * sizeof *g.next);
        for (uint32_t i = 0; i < CHASE_LINES; i++)
            g.next[i] = i;
        for (uint32_t i = CHASE_LINES - 1; i > 0; i--) {
            uint32_t j = (uint32_t)(rnd(&g) % i), t = g.next[i];
            g.next[i] = g.next[j];
            g.next[j] = t;
        }
    }
    mh_writer *w;
    mh_error err;
    double t0 = now();
    if (mh_writer_open(path, fmt, NULL, &w, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    for (size_t done = 0; done < n;) {
        size_t k = n - done < BATCH ? n - done : BATCH;
        fill(&g, buf, k);
        if (mh_writer_write(w, buf, k, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            exit(1);
        }
        done += k;
    }
    if (mh_writer_close(w, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        exit(1);
    }
    free(g.next);
    return now() - t0;
}

/* Reads path to the end; returns seconds (best of reps) and checks the count. */
static double read_trace(const char *path, size_t n, mh_rec *buf, int reps)
{
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        mh_trace *t;
        mh_error err;
        size_t got, total = 0;
        uint64_t sum = 0;
        double t0 = now();
        if (mh_trace_open(path, &t, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            exit(1);
        }
        while (mh_trace_read(t, buf, BATCH, &got, &err) == MH_OK && got) {
            total += got;
            sum += buf[got - 1].addr;
        }
        mh_trace_close(t);
        double dt = now() - t0;
        if (total != n) {
            fprintf(stderr, "%s: read %zu of %zu records (%s)\n", path, total, n, err.msg);
            exit(1);
        }
        if (sum == 42)
            puts("");
        best = dt < best ? dt : best;
    }
    return best;
}

/* Benchmarks every stream; args: records (default 20M), scratch directory (default /tmp). */
int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000000;
    const char *dir = argc > 2 ? argv[2] : "/tmp";
    static const char *names[] = {"sequential", "strided-256", "mixed", "chase-4MiB"};
    mh_rec *buf = malloc(BATCH * sizeof *buf);
    char path[4096];
    printf("%-12s %-4s %10s %12s %10s %10s %10s\n", "stream", "fmt", "records", "Mrec/s read",
           "MB/s", "B/record", "write s");
    for (int kind = 0; kind < 4; kind++) {
        for (int f = 0; f < 2; f++) {
            const char *fmt = f ? "din" : "mht";
            if (f && kind != 2)
                continue;   /* din: only the mixed stream */
            snprintf(path, sizeof path, "%s/trace_speed.%s", dir, fmt);
            double wt = write_trace(path, fmt, kind, n, buf);
            struct stat st;
            stat(path, &st);
            double rt = read_trace(path, n, buf, 3);
            printf("%-12s %-4s %10zu %12.1f %10.0f %10.3f %10.2f\n", names[kind], fmt, n,
                   n / rt / 1e6, n * 16.0 / rt / 1e6, (double)st.st_size / n, wt);
            if (!getenv("KEEP")) unlink(path);
        }
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("peak RSS %ld KiB\n", ru.ru_maxrss);
    free(buf);
    return 0;
}
