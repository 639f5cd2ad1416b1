/* sweep_onepass.c — `memhier sweep` one-pass mode: one stack-distance pass per trace gives the
 * swept entry level's misses for every variant (sim/stackdist.c); traces run on threads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define ONEPASS_BATCH 4096

/* Work shared by the threads: one pass per trace. */
typedef struct onepass_pool {
    mh_config *const *cfg;  /* the variants */
    size_t nv;
    const char *level;      /* swept level */
    char *const *traces;
    size_t nt;
    cli_job *jobs;          /* jobs[v * nt + t] */
} onepass_pool;

/* Streams trace t through one curve and fills every variant's job for it. */
static void onepass_trace(void *ctx, size_t t)
{
    onepass_pool *p = ctx;
    cli_job *j0 = &p->jobs[t];
    mh_trace *tr = NULL;
    mh_mrc *m = NULL;
    mh_rec *buf = malloc(ONEPASS_BATCH * sizeof *buf);
    uint64_t records = 0;
    int rc = buf ? mh_trace_open(p->traces[t], &tr, &j0->err) : mh_error_set(&j0->err, MH_ENOMEM, "out of memory");
    if (rc == MH_OK)
        rc = mh_mrc_from_configs((const mh_config *const *)p->cfg, p->nv, p->level, &m, &j0->err);
    for (size_t n = 1; rc == MH_OK && n;) {
        rc = mh_trace_read(tr, buf, ONEPASS_BATCH, &n, &j0->err);
        if (rc == MH_OK && n) {
            mh_mrc_access(m, buf, n);
            records += n;
            if (cli_interrupted())
                rc = mh_error_set(&j0->err, MH_EINTR, "interrupted after %llu records", (unsigned long long)records);
        }
    }
    for (size_t v = 0; v < p->nv; v++) {
        cli_job *j = &p->jobs[v * p->nt + t];
        j->rc = rc;
        if (v)
            j->err = j0->err;
        if (rc != MH_OK)
            continue;
        j->records = records;
        j->nlevels = 1;
        snprintf(j->names[0], sizeof j->names[0], "%s", p->level);
        j->lv[0].name = j->names[0];
        j->rc = mh_mrc_misses_for(m, p->cfg[v], j->lv[0].kind);
    }
    mh_mrc_destroy(m);
    mh_trace_close(tr);
    free(buf);
}

/* Runs one pass of `level` per trace on min(threads, nt) threads (0 = online CPUs) and fills
 * jobs[v * nt + t] with that level's counts (nlevels = 1, untimed). Returns MH_OK or the
 * first failure, its context in *err. */
int cli_onepass_run(mh_config *const *cfg, size_t nv, const char *level, char *const *traces, size_t nt,
                    unsigned threads, cli_job *jobs, mh_error *err)
{
    onepass_pool pool = {.cfg = cfg, .nv = nv, .level = level, .traces = traces, .nt = nt, .jobs = jobs};
    cli_parallel(nt, threads, onepass_trace, &pool);
    return cli_jobs_status(jobs, nv * nt, err);
}
