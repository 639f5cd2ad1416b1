/* matrix.c — runs a configs × traces matrix of replays and writes its outputs; shared by
 * compare and sweep so both get the same loading, threading and atomic-output behaviour. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

/* Loads the configs, runs every (config, trace) job, prints fmt to stdout and the CSV to
 * output (if any); returns the process exit status. */
int cli_compare_run(char **cfgs, size_t nc, char **traces, size_t nt, const mh_hier_opts *opts,
                    unsigned threads, mh_format fmt, const char *output, cli_matrix_writer table,
                    cli_matrix_writer csv)
{
    mh_config **loaded = calloc(nc, sizeof *loaded);
    cli_job *jobs = calloc(nc * nt, sizeof *jobs);
    mh_error err = {0};
    int rc = loaded && jobs ? MH_OK : mh_error_set(&err, MH_ENOMEM, "out of memory");
    for (size_t c = 0; rc == MH_OK && c < nc; c++)
        rc = mh_config_load(cfgs[c], &loaded[c], &err);
    for (size_t c = 0; rc == MH_OK && c < nc; c++)
        for (size_t t = 0; t < nt; t++)
            jobs[c * nt + t] = (cli_job){.config = loaded[c], .trace = traces[t], .opts = *opts};
    if (rc == MH_OK)
        rc = cli_jobs_run(jobs, nc * nt, threads, &err);
    if (rc == MH_OK)
        rc = cli_matrix_output(jobs, nc, nt, cfgs, traces, fmt, output, table, csv, &err);
    for (size_t c = 0; loaded && c < nc; c++)
        mh_config_free(loaded[c]);
    free(loaded);
    free(jobs);
    if (rc == MH_EINTR)
        return cli_interrupt_status();
    return rc == MH_OK ? MH_EXIT_OK : cli_fail(&err);
}

/* Writes the stdout rendering and the optional CSV file (atomically); returns MH_OK or MH_EIO. */
int cli_matrix_output(cli_job *jobs, size_t nc, size_t nt, char **cfgs, char **traces, mh_format fmt,
                      const char *output, cli_matrix_writer table, cli_matrix_writer csv, mh_error *err)
{
    cli_out out;
    int rc = MH_OK;
    if (output) {
        rc = cli_out_open(&out, output, err);
        if (rc != MH_OK)
            return rc;
        csv(out.f, jobs, nc, nt, cfgs, traces);
        rc = cli_out_commit(&out, err);
    }
    if (rc == MH_OK) {
        (fmt == MH_FMT_CSV ? csv : table)(stdout, jobs, nc, nt, cfgs, traces);
        if (fflush(stdout) != 0)
            rc = mh_error_set(err, MH_EIO, "writing standard output failed");
    }
    return rc;
}
