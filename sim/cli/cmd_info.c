/* cmd_info.c — `memhier info TRACE`: format, metadata and record counts of a trace (a full
 * decode, so it also checks every .mht block and measures raw decode speed). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"

#define INFO_BATCH 8192

/* What info_count tallies. */
typedef struct info_tally {
    uint64_t ops[MH_OP_COUNT]; /* records per op */
    uint64_t dep;              /* records flagged dependent */
    uint64_t gaps;             /* sum of instruction gaps (non-memory instructions) */
    uint64_t total;            /* records */
} info_tally;

/* Decodes every record into *c; returns MH_OK or the reader's error. */
static int info_count(mh_trace *t, info_tally *c, mh_error *err)
{
    mh_rec *buf = malloc(INFO_BATCH * sizeof *buf);
    int rc = buf ? MH_OK : mh_error_set(err, MH_ENOMEM, "out of memory");
    for (size_t n = 0; rc == MH_OK;) {
        rc = mh_trace_read(t, buf, INFO_BATCH, &n, err);
        if (rc != MH_OK || n == 0)
            break;
        /* Four banks of op counts: runs of one op would otherwise wait for each increment's
         * store before the next (a quarter of `info`'s time on the mixed benchmark trace). */
        uint64_t ops[4][MH_OP_COUNT] = {{0}};
        for (size_t i = 0; i < n; i++) {
            ops[i & 3][buf[i].op < MH_OP_COUNT ? buf[i].op : 0]++;
            c->dep += buf[i].flags & MH_FLAG_DEP;
            c->gaps += buf[i].gap;
        }
        for (int op = 0; op < MH_OP_COUNT; op++)
            c->ops[op] += ops[0][op] + ops[1][op] + ops[2][op] + ops[3][op];
        c->total += n;
        if (cli_interrupted())
            rc = mh_error_set(err, MH_EINTR, "info: interrupted");
    }
    free(buf);
    return rc;
}

/* `memhier info TRACE`: returns the process exit status. */
int cmd_info(int argc, char **argv)
{
    mh_error err = {0};
    if (argc != 2 || !strcmp(argv[1], "--help")) {
        fputs("usage: memhier info TRACE   (format, metadata, records per op, instructions, decode speed)\n",
              argc == 2 ? stdout : stderr);
        return argc == 2 ? MH_EXIT_OK : MH_EXIT_USAGE;
    }
    mh_trace *t = NULL;
    info_tally c = {{0}, 0, 0, 0};
    struct timespec a, b;
    cli_catch_signals();
    int rc = mh_trace_open(argv[1], &t, &err);
    clock_gettime(CLOCK_MONOTONIC, &a);
    if (rc == MH_OK)
        rc = info_count(t, &c, &err);
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (rc == MH_OK) {
        double s = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
        const mh_meta *m = mh_trace_meta(t);
        struct stat st;
        printf("format      %s\n", mh_trace_format(t));
        for (size_t i = 0; i < m->n; i++)
            printf("meta        %s = %s\n", m->kv[i].key, m->kv[i].value);
        printf("records     %" PRIu64 "\n", c.total);
        for (int op = 0; op < MH_OP_COUNT; op++)
            if (c.ops[op])
                printf("  %-10s %" PRIu64 "\n", mh_op_name(op), c.ops[op]);
        printf("dependent   %" PRIu64 "\n", c.dep);
        printf("instructions %" PRIu64 " (records + instruction gaps)\n", c.total + c.gaps);
        if (strcmp(argv[1], "-") && stat(argv[1], &st) == 0 && c.total)
            printf("bytes/rec   %.3f\n", (double)st.st_size / (double)c.total);
        printf("decode      %.1f M records/s\n", s > 0 ? (double)c.total / s / 1e6 : 0.0);
    }
    mh_trace_close(t);
    if (rc == MH_EINTR)
        return cli_interrupt_status();
    return rc == MH_OK ? MH_EXIT_OK : cli_fail(&err);
}
