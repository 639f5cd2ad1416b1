/* jobs.c — independent replays (config × trace) run on a small pool of threads; each job owns
 * its hierarchy and its reader, so the library's handles are never shared between threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Shared cursor over the items of one cli_parallel call. */
typedef struct par_pool {
    void (*fn)(void *ctx, size_t i);
    void *ctx;
    size_t n;
    atomic_size_t next;  /* index of the next item to claim */
} par_pool;

/* Replays one job and stores its results or its error inside the job. */
static void job_run(cli_job *j)
{
    mh_trace *t = NULL;
    mh_hier *h = NULL;
    int rc = mh_trace_open(j->trace, &t, &j->err);
    if (rc == MH_OK)
        rc = mh_hier_create(j->config, &j->opts, &h, &j->err);
    if (rc == MH_OK)
        rc = cli_replay(h, t, &j->records, &j->err);
    if (rc == MH_OK) {
        j->nlevels = mh_hier_levels(h);
        if (j->nlevels > CLI_JOB_LEVELS)
            j->nlevels = CLI_JOB_LEVELS;
        for (size_t i = 0; i < j->nlevels; i++) {
            mh_hier_level_stats(h, i, &j->lv[i]);
            snprintf(j->names[i], sizeof j->names[i], "%s", j->lv[i].name);
            j->lv[i].name = j->names[i];  /* the hierarchy's copy dies with it */
        }
        j->timed = mh_hier_time_stats(h, &j->ts) == MH_OK;
    }
    j->rc = rc;
    mh_hier_destroy(h);
    mh_trace_close(t);
}

static void *par_worker(void *arg)
{
    par_pool *p = arg;
    for (size_t i; (i = atomic_fetch_add(&p->next, 1)) < p->n;)
        p->fn(p->ctx, i);
    return NULL;
}

/* Calls fn(ctx, i) for every i < n on min(threads, n) threads (threads 0 = online CPUs); items
 * are claimed in order, so each runs exactly once. Runs on the caller's thread if none starts. */
void cli_parallel(size_t n, unsigned threads, void (*fn)(void *ctx, size_t i), void *ctx)
{
    par_pool pool = {.fn = fn, .ctx = ctx, .n = n};
    pthread_t tid[64];
    unsigned started = 0;
    if (threads == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cpus > 0 ? (unsigned)cpus : 1;
    }
    if (threads > 64)
        threads = 64;
    if (threads > n)
        threads = (unsigned)n;
    atomic_init(&pool.next, 0);
    for (; started < threads; started++)
        if (pthread_create(&tid[started], NULL, par_worker, &pool) != 0)
            break;
    if (started == 0)
        par_worker(&pool);
    for (unsigned i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
}

static void job_item(void *ctx, size_t i) { job_run(&((cli_job *)ctx)[i]); }

/* Runs jobs on min(threads, n) threads (threads 0 = online CPUs); returns the first failing
 * job's status (its err copied to *err) or MH_OK. */
int cli_jobs_run(cli_job *jobs, size_t n, unsigned threads, mh_error *err)
{
    cli_parallel(n, threads, job_item, jobs);
    return cli_jobs_status(jobs, n, err);
}

/* Returns the first failing job's status (its context copied to *err), or MH_OK. */
int cli_jobs_status(const cli_job *jobs, size_t n, mh_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (jobs[i].rc != MH_OK) {
            if (err)
                *err = jobs[i].err;
            return jobs[i].rc;
        }
    return MH_OK;
}

/* Returns the stats of the level called name in job j, or NULL. */
const mh_level_stats *cli_job_level(const cli_job *j, const char *name)
{
    for (size_t i = 0; i < j->nlevels; i++)
        if (!strcmp(j->lv[i].name, name))
            return &j->lv[i];
    return NULL;
}

/* Returns total misses / accesses of a level's stats over all kinds. */
void cli_level_totals(const mh_level_stats *s, uint64_t *accesses, uint64_t *misses)
{
    uint64_t a = 0, m = 0;
    for (int k = 0; k < MH_KINDS; k++) {
        a += s->kind[k].accesses;
        m += s->kind[k].misses;
    }
    *accesses = a;
    *misses = m;
}
