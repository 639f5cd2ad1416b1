/* cmd_sim.c — `memhier sim`: replay one trace through a configured hierarchy. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "resident.h"

#define SIM_MAX_SETS 64

/* Parsed command line of `memhier sim`. */
typedef struct sim_args {
    const char *config;       /* -c */
    const char *output;       /* -o, NULL = stdout */
    const char *trace;        /* positional */
    const char *trace_format; /* --trace-format, NULL = detect */
    const char *resident;     /* --resident: pages resident before the trace, NULL = none */
    mh_format fmt;            /* --format */
    mh_hier_opts opts;        /* --no-3c, --no-timing */
    int flush;                /* --flush */
    int piped;                /* --decode-thread: -1 auto (when a second CPU is online), 0 off, 1 on */
    int split;                /* --split: 1 on (the sets split between threads), 0 off */
    int timed;                /* --timing-thread: -1 auto, 0 off, 1 on */
    char *sets[SIM_MAX_SETS]; /* --set */
    int nsets;
} sim_args;

static void sim_usage(FILE *f)
{
    fputs("usage: memhier sim -c CONFIG [options] TRACE   (TRACE '-' = standard input)\n"
          "  -c, --config FILE        hierarchy config (.ini)\n"
          "  -f, --format FMT         table (default), csv or json\n"
          "  -o, --output FILE        write there (atomically) instead of standard output\n"
          "      --set SEC.KEY=VAL    override a config value (repeatable)\n"
          "      --flush              write back every dirty line at the end (DineroIV's copy-back)\n"
          "      --no-3c              skip compulsory/capacity/conflict classification (faster)\n"
          "      --no-timing          counts only, no timing model (faster)\n"
          "      --wb-bypass          write-backs go straight to memory (Cachegrind's model)\n"
          "      --resident FILE      pages resident before the trace (a validate trace's\n"
          "                           TRACE.resident): their first touch is no minor fault;\n"
          "                           its `setup` pages count as minor faults before it\n"
          "      --trace-format F     din, xdin, lackey or mht instead of detecting it\n"
          "      --decode-thread WHEN decode the trace on a second thread: auto (default: when\n"
          "                           another CPU is online), on or off (one thread only). In\n"
          "                           count-only runs it also strips the records certain to hit\n"
          "                           their entry level's most recent line (same results)\n"
          "      --split on|off       on: split the sets between threads (one per CPU, a power of\n"
          "                           two, at most 8) that each replay their part and take turns\n"
          "                           decoding; needs a count-only hierarchy without 3C,\n"
          "                           prefetchers, random or brrip levels. Same results; faster on\n"
          "                           traces that miss often. off (default): --decode-thread\n"
          "      --timing-thread WHEN run the timing model, and the 3C shadows below the entry\n"
          "                           levels, on a second thread while this one decodes and\n"
          "                           replays the caches: auto (default: when another CPU is\n"
          "                           online, --decode-thread is not off and the model allows it:\n"
          "                           not with walk = cached), on or off. Same results\n",
          f);
}

/* Returns -1 for "auto", 0 for "off", 1 for "on", -2 for anything else. */
static int parse_when(const char *s)
{
    return !strcmp(s, "auto") ? -1 : !strcmp(s, "off") ? 0 : !strcmp(s, "on") ? 1 : -2;
}

/* Fills a from argv; returns MH_OK, or MH_EINVAL with context (1 when --help was shown). */
static int sim_parse(int argc, char **argv, sim_args *a, mh_error *err)
{
    static const struct option longopts[] = {
        {"config", required_argument, 0, 'c'}, {"format", required_argument, 0, 'f'},
        {"output", required_argument, 0, 'o'}, {"set", required_argument, 0, 's'},
        {"flush", no_argument, 0, 'F'},        {"no-3c", no_argument, 0, '3'},
        {"no-timing", no_argument, 0, 'T'},    {"trace-format", required_argument, 0, 't'},
        {"wb-bypass", no_argument, 0, 'W'},    {"help", no_argument, 0, 'h'},
        {"decode-thread", required_argument, 0, 'D'}, {"resident", required_argument, 0, 'R'},
        {"split", required_argument, 0, 'S'}, {"timing-thread", required_argument, 0, 'M'},
        {0, 0, 0, 0},
    };
    memset(a, 0, sizeof *a);
    a->opts = mh_hier_opts_default();
    a->piped = -1;
    a->split = 0;
    a->timed = -1;
    opterr = 0;
    optind = 1;
    for (int ch; (ch = getopt_long(argc, argv, "c:f:o:h", longopts, NULL)) != -1;) {
        switch (ch) {
        case 'c': a->config = optarg; break;
        case 'o': a->output = optarg; break;
        case 't': a->trace_format = optarg; break;
        case 'R': a->resident = optarg; break;
        case 'F': a->flush = 1; break;
        case '3': a->opts.classify_3c = 0; break;
        case 'T': a->opts.timing = 0; break;
        case 'W': a->opts.wb_bypass = 1; break;
        case 'h': sim_usage(stdout); return 1;
        case 'D':
            if ((a->piped = parse_when(optarg)) == -2)
                return mh_error_set(err, MH_EINVAL, "sim: --decode-thread %s, must be auto, on or off", optarg);
            break;
        case 'M':
            if ((a->timed = parse_when(optarg)) == -2)
                return mh_error_set(err, MH_EINVAL, "sim: --timing-thread %s, must be auto, on or off", optarg);
            break;
        case 'S':
            if ((a->split = parse_when(optarg)) < 0)
                return mh_error_set(err, MH_EINVAL, "sim: --split %s, must be on or off", optarg);
            break;
        case 'f':
            if (cli_parse_format(optarg, &a->fmt, err) != MH_OK)
                return MH_EINVAL;
            break;
        case 's':
            if (a->nsets == SIM_MAX_SETS)
                return mh_error_set(err, MH_EINVAL, "sim: at most %d --set options", SIM_MAX_SETS);
            a->sets[a->nsets++] = optarg;
            break;
        default:
            return mh_error_set(err, MH_EINVAL, "sim: unknown or incomplete option '%s' (see memhier sim --help)",
                                argv[optind - 1]);
        }
    }
    if (!a->config)
        return mh_error_set(err, MH_EINVAL, "sim: missing -c CONFIG (see memhier sim --help)");
    if (a->timed == 1 && !a->opts.timing)
        return mh_error_set(err, MH_EINVAL, "sim: --timing-thread on needs the timing model: drop --no-timing");
    if (a->resident && !a->opts.timing)
        return mh_error_set(err, MH_EINVAL, "sim: --resident needs the timing model (it sets the page table): drop --no-timing");
    if (optind != argc - 1)
        return mh_error_set(err, MH_EINVAL, "sim: expected exactly one TRACE argument, got %d", argc - optind);
    a->trace = argv[optind];
    return MH_OK;
}

/* Marks the pages listed in file path resident in h (see resident.h for the format). */
static int apply_resident(mh_hier *h, const char *path, mh_error *err)
{
    bench_pages *p = NULL;
    int rc = bench_pages_load(path, 0, &p, err);
    if (rc == MH_OK)
        rc = bench_pages_apply(p, h, 1, err);
    bench_pages_free(p);
    return rc;
}

/* Replays t through h on the threads the options and the machine allow (see sim_usage). */
static int sim_replay(const sim_args *a, mh_hier *h, mh_trace *t, mh_error *err)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (a->split) {
        int rc = cli_replay_split(h, t, cpus < 2 ? 2 : cpus, NULL, err);
        if (rc == MH_EUNSUPPORTED) {
            mh_error e = *err;
            return mh_error_set(err, MH_EINVAL, "sim: --split on: %s", e.msg);
        }
        return rc;
    }
    int timed = a->timed >= 0 ? a->timed
                              : cpus > 1 && a->piped != 0 && a->opts.timing && mh_hier_can_log(h, NULL) == MH_OK;
    if (timed) {
        int rc = cli_replay_timed(h, t, NULL, err);
        if (rc == MH_EUNSUPPORTED) {
            mh_error e = *err;
            return mh_error_set(err, MH_EINVAL, "sim: --timing-thread on: %s", e.msg);
        }
        return rc;
    }
    int piped = a->piped >= 0 ? a->piped : cpus > 1;
    return piped ? cli_replay_piped(h, t, NULL, err) : cli_replay(h, t, NULL, err);
}

/* Runs the replay with everything opened; returns MH_OK or the first error. */
static int sim_run(const sim_args *a, mh_error *err)
{
    mh_config *c = NULL;
    mh_trace *t = NULL;
    mh_hier *h = NULL;
    cli_out out = {0};
    int rc = cli_load_config(a->config, (char **)a->sets, a->nsets, &c, err);
    if (rc == MH_OK)
        rc = a->trace_format ? mh_trace_open_format(a->trace, a->trace_format, &t, err)
                             : mh_trace_open(a->trace, &t, err);
    if (rc == MH_OK)
        rc = mh_hier_create(c, &a->opts, &h, err);
    if (rc == MH_OK && a->resident)
        rc = apply_resident(h, a->resident, err);
    if (rc == MH_OK)
        rc = sim_replay(a, h, t, err);
    if (rc == MH_OK && a->flush)
        mh_hier_flush(h);
    if (rc == MH_OK)
        rc = cli_out_open(&out, a->output, err);
    if (rc == MH_OK) {
        rc = mh_report_write(h, c, mh_trace_meta(t), a->fmt, out.f, err);
        if (rc == MH_EIO)  /* the library does not know the file: name it */
            mh_error_set(err, rc, "%s: cannot write: %s", a->output ? a->output : "standard output",
                         strerror(errno ? errno : EIO));
        rc = rc == MH_OK ? cli_out_commit(&out, err) : (cli_out_abort(&out), rc);
    }
    mh_hier_destroy(h);
    mh_trace_close(t);
    mh_config_free(c);
    return rc;
}

/* `memhier sim`: returns the process exit status. */
int cmd_sim(int argc, char **argv)
{
    sim_args a;
    mh_error err = {0};
    int rc = sim_parse(argc, argv, &a, &err);
    if (rc == 1)
        return MH_EXIT_OK;
    if (rc != MH_OK)
        return cli_fail(&err);
    cli_catch_signals();
    rc = sim_run(&a, &err);
    if (rc == MH_EINTR)
        return cli_interrupt_status();
    return rc == MH_OK ? MH_EXIT_OK : cli_fail(&err);
}
