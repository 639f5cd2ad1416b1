/* out.c — CLI output files written atomically (temp name + rename) and interrupt handling,
 * so an interrupted or failed command never leaves a partial result file. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static volatile sig_atomic_t interrupted_by;  /* signal number that asked us to stop, 0 = none */

static void on_signal(int sig) { interrupted_by = sig; }

/* Installs SIGINT/SIGTERM handlers that only record the request; long loops poll cli_interrupted. */
void cli_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Returns the pending signal number, or 0. */
int cli_interrupted(void) { return interrupted_by; }

/* Returns the conventional exit status for the pending signal (130 SIGINT, 143 SIGTERM). */
int cli_interrupt_status(void) { return 128 + interrupted_by; }

/* Opens path for writing via its temporary sibling; "-" or NULL means stdout. Returns MH_OK or MH_EIO. */
int cli_out_open(cli_out *o, const char *path, mh_error *err)
{
    memset(o, 0, sizeof *o);
    if (!path || !strcmp(path, "-")) {
        o->f = stdout;
        return MH_OK;
    }
    snprintf(o->path, sizeof o->path, "%s", path);
    o->f = mh_tmpfile_open(path, o->tmp, sizeof o->tmp, err);
    return o->f ? MH_OK : MH_EIO;
}

/* Commits the temporary file over the target (stdout: flushes it); on failure removes it. */
int cli_out_commit(cli_out *o, mh_error *err)
{
    FILE *f = o->f;
    o->f = NULL;
    if (f == stdout) {
        if (fflush(stdout) != 0 || ferror(stdout))
            return mh_error_set(err, MH_EIO, "writing standard output failed: %s", strerror(errno));
        return MH_OK;
    }
    return f ? mh_tmpfile_commit(f, o->tmp, o->path, 1, err) : MH_OK;
}

/* Discards the temporary file; safe to call after a commit or on stdout. */
void cli_out_abort(cli_out *o)
{
    if (o->f && o->f != stdout)
        mh_tmpfile_commit(o->f, o->tmp, o->path, 0, NULL);
    o->f = NULL;
}

/* Parses "table", "csv" or "json"; returns MH_OK or MH_EINVAL with context. */
int cli_parse_format(const char *s, mh_format *out, mh_error *err)
{
    static const struct { const char *name; mh_format fmt; } formats[] = {
        {"table", MH_FMT_TABLE}, {"csv", MH_FMT_CSV}, {"json", MH_FMT_JSON},
    };
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (!strcmp(s, formats[i].name)) {
            *out = formats[i].fmt;
            return MH_OK;
        }
    return mh_error_set(err, MH_EINVAL, "--format %s, must be table, csv or json", s);
}
