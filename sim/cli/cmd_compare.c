/* cmd_compare.c — `memhier compare`: several configs over the same traces, side by side. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CMP_MAX 32

static void compare_usage(FILE *f)
{
    fputs("usage: memhier compare -c A.ini -c B.ini [-c ...] [options] TRACE...\n"
          "  -c, --config FILE     a config to compare (2..32; the first is the baseline)\n"
          "  -o, --output FILE     also write the CSV there (atomically)\n"
          "  -f, --format FMT      table (default) or csv on standard output\n"
          "  -j, --jobs N          threads (default: online CPUs)\n"
          "      --no-timing       counts only\n",
          f);
}

/* Simulated time of a job in ns, or -1 when untimed. */
static double job_ns(const cli_job *j) { return j->timed ? j->ts.ns : -1.0; }

/* Writes the CSV: per config × trace × level, and one "all" row with the time ratio. */
static void compare_csv(FILE *f, cli_job *jobs, size_t nc, size_t nt, char **cfgs, char **traces)
{
    fputs("config,trace,level,miss_rate,misses_per_1k,bytes_from_next,simulated_ns,ratio_vs_first\n", f);
    for (size_t t = 0; t < nt; t++)
        for (size_t c = 0; c < nc; c++) {
            const cli_job *j = &jobs[c * nt + t], *base = &jobs[t];
            for (size_t l = 0; l < j->nlevels; l++) {
                uint64_t a, m, ba = 0, bm = 0;
                const mh_level_stats *b = cli_job_level(base, j->lv[l].name);
                cli_level_totals(&j->lv[l], &a, &m);
                if (b)
                    cli_level_totals(b, &ba, &bm);
                double rate = a ? (double)m / (double)a : 0, brate = ba ? (double)bm / (double)ba : 0;
                fprintf(f, "%s,%s,%s,%.6f,%.3f,%llu,,", cfgs[c], traces[t], j->lv[l].name, rate,
                        j->records ? 1000.0 * (double)m / (double)j->records : 0.0,
                        (unsigned long long)j->lv[l].bytes_from_next);
                if (b && brate > 0)
                    fprintf(f, "%.4f\n", rate / brate);
                else
                    fputs("\n", f);
            }
            if (job_ns(j) >= 0 && job_ns(base) > 0)
                fprintf(f, "%s,%s,all,,,,%.1f,%.4f\n", cfgs[c], traces[t], job_ns(j), job_ns(j) / job_ns(base));
        }
}

/* Prints the people's table: one block per trace, one line per config × level. */
static void compare_table(FILE *f, cli_job *jobs, size_t nc, size_t nt, char **cfgs, char **traces)
{
    int w = 28; /* the config column: as wide as the longest path */
    for (size_t c = 0; c < nc; c++)
        w = strlen(cfgs[c]) > (size_t)w && strlen(cfgs[c]) < 1024 ? (int)strlen(cfgs[c]) : w;
    for (size_t t = 0; t < nt; t++) {
        fprintf(f, "trace %s (%llu records)\n", traces[t], (unsigned long long)jobs[t].records);
        fprintf(f, "  %-*s %-6s %9s %10s %12s %14s %9s\n", w, "config", "level", "miss", "miss/1k", "traffic MiB",
                "sim time ms", "vs first");
        for (size_t c = 0; c < nc; c++) {
            const cli_job *j = &jobs[c * nt + t], *base = &jobs[t];
            for (size_t l = 0; l < j->nlevels; l++) {
                uint64_t a, m, ba = 0, bm = 0;
                const mh_level_stats *b = cli_job_level(base, j->lv[l].name);
                cli_level_totals(&j->lv[l], &a, &m);
                if (b)
                    cli_level_totals(b, &ba, &bm);
                double traffic = (double)(j->lv[l].bytes_from_next + j->lv[l].bytes_to_next) / 1048576.0;
                fprintf(f, "  %-*s %-6s %8.3f%% %10.2f %12.2f", w, l ? "" : cfgs[c], j->lv[l].name,
                        a ? 100.0 * (double)m / (double)a : 0.0,
                        j->records ? 1000.0 * (double)m / (double)j->records : 0.0, traffic);
                if (l == 0 && job_ns(j) >= 0)
                    fprintf(f, " %14.3f", job_ns(j) / 1e6);
                else
                    fprintf(f, " %14s", "");
                if (b && bm)
                    fprintf(f, " %8.2fx\n", (double)m / (double)bm);
                else
                    fputs("        -\n", f);
            }
        }
    }
}

/* `memhier compare`: returns the process exit status. */
int cmd_compare(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, 0, 'c'}, {"output", required_argument, 0, 'o'},
        {"format", required_argument, 0, 'f'}, {"jobs", required_argument, 0, 'j'},
        {"no-timing", no_argument, 0, 'T'},    {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    char *cfgs[CMP_MAX];
    size_t nc = 0;
    const char *output = NULL;
    mh_format fmt = MH_FMT_TABLE;
    mh_hier_opts opts = mh_hier_opts_default();
    unsigned threads = 0;
    mh_error err = {0};
    opts.classify_3c = 0;
    opterr = 0;
    optind = 1;
    for (int ch; (ch = getopt_long(argc, argv, "c:o:f:j:h", longopts, NULL)) != -1;) {
        switch (ch) {
        case 'c':
            if (nc == CMP_MAX) {
                mh_error_set(&err, MH_EINVAL, "compare: at most %d configs", CMP_MAX);
                return cli_fail(&err);
            }
            cfgs[nc++] = optarg;
            break;
        case 'o': output = optarg; break;
        case 'T': opts.timing = 0; break;
        case 'j':
            if (cli_parse_jobs(optarg, &threads, &err) != MH_OK)
                return cli_fail(&err);
            break;
        case 'h': compare_usage(stdout); return MH_EXIT_OK;
        case 'f':
            if (cli_parse_format(optarg, &fmt, &err) != MH_OK || fmt == MH_FMT_JSON) {
                mh_error_set(&err, MH_EINVAL, "compare: --format %s, must be table or csv", optarg);
                return cli_fail(&err);
            }
            break;
        default:
            mh_error_set(&err, MH_EINVAL, "compare: unknown or incomplete option '%s'", argv[optind - 1]);
            return cli_fail(&err);
        }
    }
    if (nc < 2 || optind >= argc) {
        mh_error_set(&err, MH_EINVAL, "compare: need at least two -c CONFIG and one TRACE (got %zu, %d)", nc,
                     argc - optind);
        return cli_fail(&err);
    }
    cli_catch_signals();
    return cli_compare_run(cfgs, nc, argv + optind, (size_t)(argc - optind), &opts, threads, fmt, output,
                           compare_table, compare_csv);
}
