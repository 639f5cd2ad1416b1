/* cli.h — the memhier command table and helpers shared by command front ends. */
#ifndef MH_CLI_H
#define MH_CLI_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "memhier.h"

/* Exit statuses: 0 ok, 1 runtime failure, 2 bad input/usage; 130/143 interrupted. */
enum { MH_EXIT_OK = 0, MH_EXIT_RUNTIME = 1, MH_EXIT_USAGE = 2 };

/* One subcommand: `memhier NAME args...`; fn gets argv with argv[0] = NAME. */
typedef struct mh_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} mh_cmd;

/* Maps a library status to an exit status (2 for bad input, 1 otherwise). */
int cli_exit_code(int status);
/* Prints "memhier: <msg>" for err to stderr and returns cli_exit_code(err->code). */
int cli_fail(const mh_error *err);

/* An output file written to a temporary name and renamed on commit. */
typedef struct cli_out {
    FILE *f;          /* stream to write; stdout when no path */
    char path[4096];  /* final name ("" for stdout) */
    char tmp[4200];   /* temporary name */
} cli_out;

int cli_out_open(cli_out *o, const char *path, mh_error *err);
int cli_out_commit(cli_out *o, mh_error *err);
void cli_out_abort(cli_out *o);
int cli_parse_format(const char *s, mh_format *out, mh_error *err);
void cli_catch_signals(void);
int cli_interrupted(void);
int cli_interrupt_status(void);

int cli_replay(mh_hier *h, mh_trace *t, uint64_t *records, mh_error *err);
int cli_replay_piped(mh_hier *h, mh_trace *t, uint64_t *records, mh_error *err);
/* Same contract as cli_replay, with h's timing model run on a second thread from the logs of
 * the caches' replay (replay_timed.c). MH_EUNSUPPORTED, with nothing replayed and the reason in
 * err, when h's timing cannot run apart (mh_hier_can_log). */
int cli_replay_timed(mh_hier *h, mh_trace *t, uint64_t *records, mh_error *err);
/* One step of a spin-wait loop of the replay threads (a pause instruction where the host has one). */
void cli_spin_pause(void);

/* How replay threads wait for one another (handoff.c): spinning, then asleep on cv. */
typedef struct cli_handoff {
    _Atomic int sleepers;    /* threads asleep on cv, or about to be */
    pthread_mutex_t mu;      /* guards sleeping and waking only */
    pthread_cond_t cv;       /* signalled when a counter or flag moves while someone sleeps */
} cli_handoff;
/* What a waiting thread waits for: 1 when ready (k: the batch it waits on). */
typedef int (*cli_ready_fn)(void *ctx, uint64_t k);
void cli_handoff_init(cli_handoff *hd);
void cli_handoff_fini(cli_handoff *hd);
/* Returns once ready(ctx, k); spins a while, then sleeps until a cli_handoff_wake. */
void cli_handoff_wait(cli_handoff *hd, cli_ready_fn ready, void *ctx, uint64_t k);
/* Wakes the sleepers; call after every change that may make a waiter ready. */
void cli_handoff_wake(cli_handoff *hd);
/* Same contract as cli_replay, with h's sets split between up to `cpus` threads (replay_split.c):
 * MH_EUNSUPPORTED, with nothing replayed and the reason in err, when h cannot be split (timing,
 * 3C, a prefetcher, a random or brrip level, ...) or fewer than 2 threads can run. */
int cli_replay_split(mh_hier *h, mh_trace *t, long cpus, uint64_t *records, mh_error *err);
int cli_apply_set(mh_config *c, const char *spec, mh_error *err);
/* Applies n "SECTION.KEY=VALUE" specs to c at once, validated together; MH_OK or the first error. */
int cli_apply_sets(mh_config *c, char *const *specs, int n, mh_error *err);
int cli_parse_jobs(const char *s, unsigned *out, mh_error *err);
/* A count option (--records): digits with an optional K, M or G; MH_EINVAL outside [min, max]. */
int cli_parse_count(const char *s, const char *opt, uint64_t min, uint64_t max, uint64_t *out, mh_error *err);
int cli_load_config(const char *path, char **sets, int nsets, mh_config **out, mh_error *err);

#define CLI_JOB_LEVELS 16

/* One replay of a trace through a config, run by cli_jobs_run. */
typedef struct cli_job {
    const mh_config *config;        /* borrowed; not modified */
    const char *trace;              /* path */
    mh_hier_opts opts;
    int rc;                         /* result status */
    mh_error err;                   /* context when rc != MH_OK */
    uint64_t records;               /* records replayed */
    size_t nlevels;
    mh_level_stats lv[CLI_JOB_LEVELS];
    char names[CLI_JOB_LEVELS][32]; /* level names (lv[i].name points here) */
    int timed;                      /* ts valid */
    mh_time_stats ts;
} cli_job;

int cli_jobs_run(cli_job *jobs, size_t n, unsigned threads, mh_error *err);
int cli_jobs_status(const cli_job *jobs, size_t n, mh_error *err);
void cli_parallel(size_t n, unsigned threads, void (*fn)(void *ctx, size_t i), void *ctx);
const mh_level_stats *cli_job_level(const cli_job *j, const char *name);
void cli_level_totals(const mh_level_stats *s, uint64_t *accesses, uint64_t *misses);

/* Renders a configs × traces job matrix (jobs[c * nt + t]) to f. */
typedef void (*cli_matrix_writer)(FILE *f, cli_job *jobs, size_t nc, size_t nt, char **cfgs, char **traces);

int cli_compare_run(char **cfgs, size_t nc, char **traces, size_t nt, const mh_hier_opts *opts,
                    unsigned threads, mh_format fmt, const char *output, cli_matrix_writer table,
                    cli_matrix_writer csv);
int cli_matrix_output(cli_job *jobs, size_t nc, size_t nt, char **cfgs, char **traces, mh_format fmt,
                      const char *output, cli_matrix_writer table, cli_matrix_writer csv, mh_error *err);

/* sweep (sim/cli/sweep_onepass.c, sim/cli/emit.c) */
int cli_onepass_run(mh_config *const *cfg, size_t nv, const char *level, char *const *traces, size_t nt,
                    unsigned threads, cli_job *jobs, mh_error *err);
int cli_emit_jobs(const char *dir, mh_config *const *cfg, char *const *labels, size_t nv, char *const *traces,
                  size_t nt, int timing, mh_error *err);
void cli_label_split(const char *label, char *param, size_t pn, char *value, size_t vn);

int cmd_sim(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_detect(int argc, char **argv);
int cmd_counters(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_capture(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_revalidate(int argc, char **argv);

#endif
