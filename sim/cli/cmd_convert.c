/* cmd_convert.c — `memhier convert IN OUT`: re-encode a trace (any readable format -> mht or din). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CONVERT_BATCH 8192

static void convert_usage(FILE *f)
{
    fputs("usage: memhier convert [--from FMT] [--to mht|din] [--mht-laps on|off] IN OUT   ('-' = stdin/stdout)\n"
          "  the output format is --to, else taken from OUT's extension (.mht, .din)\n"
          "  --mht-laps off: no lap blocks (a random walk's trace larger, read several times faster)\n",
          f);
}

/* Chooses the output format from --to or OUT's extension; returns MH_OK or MH_EINVAL. */
static int convert_out_format(const char *to, const char *out, const char **fmt, mh_error *err)
{
    const char *dot = strrchr(out, '.');
    if (!to && dot && (!strcmp(dot, ".mht") || !strcmp(dot, ".din")))
        to = dot + 1;
    if (!to)
        return mh_error_set(err, MH_EINVAL, "convert: cannot tell the output format of '%s': give --to mht or --to din", out);
    if (strcmp(to, "mht") && strcmp(to, "din"))
        return mh_error_set(err, MH_EINVAL, "convert: --to %s, must be mht or din", to);
    *fmt = to;
    return MH_OK;
}

/* Copies every record of in to w; returns MH_OK or the first error. */
static int convert_copy(mh_trace *in, mh_writer *w, mh_error *err)
{
    mh_rec *buf = malloc(CONVERT_BATCH * sizeof *buf);
    int rc = MH_OK;
    if (!buf)
        return mh_error_set(err, MH_ENOMEM, "convert: out of memory");
    for (size_t n = 0;;) {
        rc = mh_trace_read(in, buf, CONVERT_BATCH, &n, err);
        if (rc != MH_OK || n == 0)
            break;
        rc = mh_writer_write(w, buf, n, err);
        if (rc == MH_OK && cli_interrupted())
            rc = mh_error_set(err, MH_EINTR, "convert: interrupted");
        if (rc != MH_OK)
            break;
    }
    free(buf);
    return rc;
}

/* Opens, copies and commits (laps: the mht writer's option, or NULL); on any failure the output
 * never appears. */
static int convert_run(const char *from, const char *to, const char *laps, const char *inpath,
                       const char *outpath, mh_error *err)
{
    const char *fmt = NULL;
    mh_trace *in = NULL;
    mh_writer *w = NULL;
    mh_meta meta;
    int rc = convert_out_format(to, outpath, &fmt, err);
    if (rc == MH_OK)
        rc = from ? mh_trace_open_format(inpath, from, &in, err) : mh_trace_open(inpath, &in, err);
    if (rc == MH_OK) {
        meta = *mh_trace_meta(in);
        if (!mh_meta_get(&meta, "source"))
            mh_meta_set(&meta, "source", inpath);
        rc = mh_writer_open(outpath, fmt, &meta, &w, err);
    }
    if (rc == MH_OK && laps)
        rc = mh_writer_set(w, "laps", laps, err);
    if (rc == MH_OK)
        rc = convert_copy(in, w, err);
    if (rc == MH_OK)
        rc = mh_writer_close(w, err);
    else
        mh_writer_abort(w);
    mh_trace_close(in);
    return rc;
}

/* `memhier convert`: returns the process exit status. */
int cmd_convert(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"from", required_argument, 0, 'f'}, {"to", required_argument, 0, 't'},
        {"mht-laps", required_argument, 0, 'l'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    const char *from = NULL, *to = NULL, *laps = NULL;
    mh_error err = {0};
    opterr = 0;
    optind = 1;
    for (int ch; (ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1;) {
        if (ch == 'f')
            from = optarg;
        else if (ch == 't')
            to = optarg;
        else if (ch == 'l')
            laps = optarg;
        else if (ch == 'h') {
            convert_usage(stdout);
            return MH_EXIT_OK;
        } else {
            mh_error_set(&err, MH_EINVAL, "convert: unknown or incomplete option '%s'", argv[optind - 1]);
            return cli_fail(&err);
        }
    }
    if (argc - optind != 2) {
        mh_error_set(&err, MH_EINVAL, "convert: expected IN and OUT, got %d arguments", argc - optind);
        return cli_fail(&err);
    }
    cli_catch_signals();
    int rc = convert_run(from, to, laps, argv[optind], argv[optind + 1], &err);
    if (rc == MH_EINTR)
        return cli_interrupt_status();
    return rc == MH_OK ? MH_EXIT_OK : cli_fail(&err);
}
