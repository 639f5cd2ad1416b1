/* cmd_revalidate.c — `memhier revalidate -c CONFIG RUN_DIR`: the timing points of a finished
 * validate run, replayed again from its captured traces on another config (or the same one with
 * --set changes), against the measurements the run already holds. Nothing runs natively, so a
 * model change is judged on the very same measurements in seconds. Writes one CSV row per point
 * (stdout or -o FILE, atomically) and a summary per kernel to stderr. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config_int.h"
#include "validate.h"

#define REVAL_MAX_SETS 32
#define REVAL_MAX_POINTS 4096
#define REVAL_MAX_KERNELS 16
#define REVAL_RECORDS 2000000ull   /* validate's --records before its traces named it */

/* Parsed command line. */
typedef struct reval_args {
    const char *config, *output, *run; /* -c, -o, RUN_DIR */
    char *sets[REVAL_MAX_SETS];        /* --set SEC.KEY=VAL */
    int nsets;
    uint64_t records;                  /* the run's validate --records, for traces that do not say */
    int config_clock;                  /* --config-clock: keep the config's frequency_ghz */
    int ladder;                        /* --ladder: the calibration ladder's chase points instead */
} reval_args;

/* One timing point of the run. */
typedef struct reval_pt {
    char kernel[32], variant[32];
    size_t size;
    double meas, p10, p90;             /* measured ns/access (p10/p90 NAN when absent) */
    double sim, err;                   /* replayed ns/access, error % */
} reval_pt;

/* Usage text. */
static void usage(FILE *f)
{
    fputs("usage: memhier revalidate -c CONFIG [--set SEC.KEY=VAL]... [-o FILE] [--records N] RUN_DIR\n"
          "  replays the timing points of a finished `memhier validate` run (RUN_DIR/validation.csv\n"
          "  and the traces in RUN_DIR/traces) on CONFIG and compares with the measurements the run\n"
          "  holds; nothing runs natively. CSV to stdout or FILE, a summary per kernel to stderr.\n"
          "  -c, --config FILE   the config to replay on (e.g. RUN_DIR/calibrated.ini)\n"
          "      --set SEC.KEY=VAL  override a config value (repeatable)\n"
          "  -o, --output FILE   write the CSV there (atomically)\n"
          "      --records N     the run's validate --records, for traces that do not name theirs\n"
          "                      (records_budget; runs made before it: default 2000000): a trace with\n"
          "                      fewer records holds a whole repetition and is replayed warm, as\n"
          "                      validate did\n"
          "      --config-clock  cycles -> ns at CONFIG's frequency_ghz; default: at the run's clock,\n"
          "                      the median of RUN_DIR/clock.csv, as validate did (a --set of\n"
          "                      hierarchy.frequency_ghz wins over both)\n"
          "      --ladder        replay calibrate's chase ladder (RUN_DIR/ladder.csv, page and global)\n"
          "                      instead of the held-out points, at the config's clock (calibrate's):\n"
          "                      how well a config change keeps the curve it was fitted to\n",
          f);
}

/* Fills a from argv; MH_OK, 1 after --help, or MH_EINVAL with context. */
static int parse_args(int argc, char **argv, reval_args *a, mh_error *err)
{
    static const struct option lo[] = {
        {"config", required_argument, 0, 'c'}, {"output", required_argument, 0, 'o'},
        {"set", required_argument, 0, 's'},    {"records", required_argument, 0, 'r'},
        {"config-clock", no_argument, 0, 'k'}, {"ladder", no_argument, 0, 'l'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    memset(a, 0, sizeof *a);
    a->records = REVAL_RECORDS;
    opterr = 0;
    optind = 1;
    for (int ch; (ch = getopt_long(argc, argv, "c:o:h", lo, NULL)) != -1;) {
        switch (ch) {
        case 'c': a->config = optarg; break;
        case 'o': a->output = optarg; break;
        case 'h': usage(stdout); return 1;
        case 'k': a->config_clock = 1; break;
        case 'l': a->ladder = a->config_clock = 1; break;
        case 's':
            if (a->nsets == REVAL_MAX_SETS)
                return mh_error_set(err, MH_EINVAL, "revalidate: at most %d --set options", REVAL_MAX_SETS);
            a->sets[a->nsets++] = optarg;
            break;
        case 'r':
            if (cli_parse_count(optarg, "revalidate: --records", 1, 1ULL << 40, &a->records, err) != MH_OK)
                return MH_EINVAL;
            break;
        default:
            return mh_error_set(err, MH_EINVAL, "revalidate: unknown option or missing value '%s' (see --help)",
                                argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return mh_error_set(err, MH_EINVAL, "revalidate: needs exactly one RUN_DIR (see --help)");
    a->run = argv[optind];
    if (!a->config)
        return mh_error_set(err, MH_EINVAL, "revalidate: -c CONFIG is required (see --help)");
    return MH_OK;
}

/* Parses an optional number field ("" -> NAN); 0 when it is not a number. */
static int num_field(const char *s, double *v)
{
    char *end;
    if (!*s) {
        *v = NAN;
        return 1;
    }
    *v = strtod(s, &end);
    return end != s && !*end;
}

/* Splits line (modified) at commas into at most max fields; returns the count. */
static int split_csv(char *line, char **f, int max)
{
    int n = 0;
    line[strcspn(line, "\r\n")] = 0;
    for (char *p = line; n < max; p++) {
        f[n++] = p;
        p = strchr(p, ',');
        if (!p)
            break;
        *p = 0;
    }
    return n;
}

/* How a CSV's rows become points: validation.csv's ns_per_access rows, or ladder.csv's chase rows. */
typedef struct reval_csv {
    const char *file, *tool;           /* its name, the command that writes it */
    const char *head;                  /* its header starts so */
    const char *shape;                 /* what a row must look like (error text) */
    const char *meas_name;             /* the measured column's name */
    int meas, p10, p90;                /* their field indexes */
    int ladder;                        /* 1: chase rows, named chase-VARIANT; 0: ns_per_access rows */
} reval_csv;

static const reval_csv CSV_POINTS = {
    "validation.csv", "validate", "kernel,variant,size_bytes,metric,measured,measured_p10,measured_p90,simulated",
    "kernel,variant,size_bytes,ns_per_access,measured,...", "measured", 4, 5, 6, 0};
static const reval_csv CSV_LADDER = {
    "ladder.csv", "calibrate", "kernel,variant,size_bytes,reps,ns_median,ns_min,ns_p10,ns_p90",
    "chase,VARIANT,size_bytes,reps,ns_median,ns_min,ns_p10,ns_p90", "ns_median", 4, 6, 7, 1};

/* Fills p from row fld[0..nf) of path:ln (kind k); MH_OK, 1 for a row k skips, or MH_EFORMAT. */
static int parse_row(const reval_csv *k, char **fld, int nf, reval_pt *p, const char *path, size_t ln, mh_error *err)
{
    char *end;
    if (!k->ladder && nf >= 4 && strcmp(fld[3], "ns_per_access"))
        return 1;
    const char *name = k->ladder ? fld[1] : fld[0], *prefix = k->ladder ? "chase-" : "";
    if (nf < 8 || !*fld[0] || (k->ladder && strcmp(fld[0], "chase")) ||
        strlen(prefix) + strlen(name) >= sizeof p->kernel || strlen(fld[1]) >= sizeof p->variant)
        return mh_error_set(err, MH_EFORMAT, "%s:%zu: expected %s", path, ln, k->shape);
    if ((p->size = strtoull(fld[2], &end, 10)) == 0 || *end)
        return mh_error_set(err, MH_EFORMAT, "%s:%zu: size_bytes \"%s\", must be an integer >= 1", path, ln, fld[2]);
    if (!num_field(fld[k->meas], &p->meas) || !(p->meas > 0) || !num_field(fld[k->p10], &p->p10) ||
        !num_field(fld[k->p90], &p->p90))
        return mh_error_set(err, MH_EFORMAT, "%s:%zu: %s \"%s\", must be a number > 0 (p10/p90 numbers or empty)", path,
                            ln, k->meas_name, fld[k->meas]);
    snprintf(p->kernel, sizeof p->kernel, "%s%s", prefix, name);
    snprintf(p->variant, sizeof p->variant, "%s", fld[1]);
    return MH_OK;
}

/* Reads the points of path (kind k) into pts; MH_OK or MH_EFORMAT naming file:line. */
static int read_points(const char *path, const reval_csv *k, reval_pt *pts, size_t *n, mh_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return mh_error_set(err, MH_ENOTFOUND, "%s: cannot open (is it a `memhier %s` run folder?)", path, k->tool);
    char line[4096];
    int rc = MH_OK;
    size_t ln = 0;
    *n = 0;
    while (rc == MH_OK && fgets(line, sizeof line, f)) {
        char *fld[10];
        if (++ln == 1) {
            if (strncmp(line, k->head, strlen(k->head)))
                rc = mh_error_set(err, MH_EFORMAT, "%s:1: not a %s header (expected \"%s,...\")", path, k->file, k->head);
            continue;
        }
        int nf = split_csv(line, fld, 10);
        if (*n == REVAL_MAX_POINTS)
            rc = mh_error_set(err, MH_EFORMAT, "%s:%zu: more than %d points", path, ln, REVAL_MAX_POINTS);
        else if ((rc = parse_row(k, fld, nf, &pts[*n], path, ln, err)) == MH_OK)
            (*n)++;
        rc = rc == 1 ? MH_OK : rc;
    }
    if (rc == MH_OK && ln == 0)
        rc = mh_error_set(err, MH_EFORMAT, "%s: empty", path);
    fclose(f);
    return rc;
}

/* Records in the trace at path; *budget = its records_budget (validate's --records when it was
 * captured), or dflt for a trace without one (made before validate wrote it). */
static int count_records(const char *path, uint64_t dflt, uint64_t *n, uint64_t *budget, mh_error *err)
{
    mh_trace *t = NULL;
    mh_rec buf[4096];
    size_t got = 0;
    int rc = mh_trace_open(path, &t, err);
    *n = 0;
    *budget = dflt;
    const char *b = rc == MH_OK ? mh_meta_get(mh_trace_meta(t), "records_budget") : NULL;
    if (b) {
        char *end;
        unsigned long long v = strtoull(b, &end, 10);
        if (end == b || *end || v < 1)
            rc = mh_error_set(err, MH_EFORMAT, "%s: records_budget = \"%s\", must be an integer >= 1", path, b);
        *budget = v;
    }
    while (rc == MH_OK && (rc = mh_trace_read(t, buf, sizeof buf / sizeof buf[0], &got, err)) == MH_OK && got)
        *n += got;
    mh_trace_close(t);
    return rc;
}

/* Replays point p of run dir on c. */
static int replay_point(const reval_args *a, const mh_config *c, reval_pt *p, mh_error *err)
{
    char path[4400];
    uint64_t n, budget;
    val_sim s;
    snprintf(path, sizeof path, "%s/traces/%s-%s-%zu.mht", a->run, a->ladder ? "chase" : p->kernel, p->variant,
             p->size);
    int rc = count_records(path, a->records, &n, &budget, err);
    if (rc == MH_OK)
        rc = val_replay(c, path, n < budget, &s, err);
    if (rc != MH_OK)
        return rc;
    p->sim = s.ns_per_access;
    p->err = val_error_pct(p->meas, p->sim);
    return MH_OK;
}

/* Moves c to the run's clock (RUN_DIR/clock.csv), as validate replayed, unless --config-clock,
 * no clock.csv (a run made before it) or a --set of the frequency; says which clock on stderr. */
static int run_clock(const reval_args *a, mh_config *c, mh_error *err)
{
    double ghz;
    char v[32];
    int rc = a->config_clock ? MH_OK : val_clock_read(a->run, &ghz, err);
    for (int i = 0; i < a->nsets; i++)
        if (!strncmp(a->sets[i], "hierarchy.frequency_ghz=", 24))
            return rc;
    if (rc != MH_OK || a->config_clock || !(ghz > 0)) {
        if (rc == MH_OK)
            fprintf(stderr, "revalidate: cycles -> ns at the config's %.3f GHz (%s)\n", c->frequency_ghz,
                    a->config_clock ? "--config-clock" : "the run has no clock.csv");
        return rc;
    }
    snprintf(v, sizeof v, "%.4f", ghz);
    fprintf(stderr, "revalidate: cycles -> ns at the run's %.3f GHz (%s/clock.csv; the config says %.3f)\n", ghz,
            a->run, c->frequency_ghz);
    return mh_config_set(c, "hierarchy.frequency_ghz", v, err);
}

/* Prints one summary line for the errors e[0..n). */
static void summary_line(const char *scope, const double *e, size_t n)
{
    val_summary s;
    val_summarise(e, n, &s);
    fprintf(stderr, "  %-9s %6zu %14.2f %13.2f %12.1f\n", scope, s.points, s.median_abs, s.p90_abs, s.within);
}

/* The summary per kernel (in order of first appearance) and overall, to stderr. */
static void summarise(const reval_pt *pts, size_t n)
{
    double *e = malloc((n ? n : 1) * sizeof *e);
    const char *seen[REVAL_MAX_KERNELS];
    size_t nseen = 0;
    if (!e)
        return;
    fprintf(stderr, "  %-9s %6s %14s %13s %12s\n", "scope", "points", "median |err| %", "p90 |err| %", "within 15 %");
    for (size_t i = 0; i < n; i++) {
        size_t k = 0, m = 0;
        while (k < nseen && strcmp(seen[k], pts[i].kernel))
            k++;
        if (k < nseen || nseen == REVAL_MAX_KERNELS)
            continue;
        seen[nseen++] = pts[i].kernel;
        for (size_t j = i; j < n; j++)
            if (!strcmp(pts[j].kernel, pts[i].kernel))
                e[m++] = pts[j].err;
        summary_line(pts[i].kernel, e, m);
    }
    for (size_t i = 0; i < n; i++)
        e[i] = pts[i].err;
    summary_line("overall", e, n);
    free(e);
}

/* The points off by more than VAL_WITHIN %, to stderr, each marked when the machine ran it at two
 * speeds and the model matches the faster (val_two_speeds), as validate's list does. */
static void list_misses(const reval_pt *pts, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const reval_pt *p = &pts[i];
        if (!isfinite(p->err) || fabs(p->err) <= VAL_WITHIN)
            continue;
        if (!k++)
            fprintf(stderr, "where the model misses (|error| > 15%%):\n");
        fprintf(stderr, "  %-8s %-6s %10zu B %+7.1f%%", p->kernel, p->variant, p->size, p->err);
        val_two_speeds_tag(stderr, p->meas, p->p10, p->sim);
        fputc('\n', stderr);
    }
}

/* Replays every point and writes the CSV; returns MH_OK or the first failure. */
static int revalidate(const reval_args *a, const mh_config *c, reval_pt *pts, size_t n, mh_error *err)
{
    cli_out out;
    int rc = cli_out_open(&out, a->output, err);
    if (rc != MH_OK)
        return rc;
    fprintf(out.f, "kernel,variant,size_bytes,measured,measured_p10,measured_p90,simulated,error_pct\n");
    for (size_t i = 0; rc == MH_OK && i < n; i++) {
        reval_pt *p = &pts[i];
        if (cli_interrupted())
            rc = mh_error_set(err, MH_EINTR, "revalidate: interrupted");
        else if ((rc = replay_point(a, c, p, err)) == MH_OK)
            fprintf(out.f, "%s,%s,%zu,%.6g,%.6g,%.6g,%.6g,%.4f\n", p->kernel, p->variant, p->size, p->meas, p->p10,
                    p->p90, p->sim, p->err);
    }
    if (rc != MH_OK) {
        cli_out_abort(&out);
        return rc;
    }
    return cli_out_commit(&out, err);
}

/* `memhier revalidate`: returns the process exit status. */
int cmd_revalidate(int argc, char **argv)
{
    mh_error err = {0};
    reval_args a;
    mh_config *c = NULL;
    reval_pt *pts = calloc(REVAL_MAX_POINTS, sizeof *pts);
    size_t n = 0;
    char path[4400];
    int rc = pts ? parse_args(argc, argv, &a, &err) : mh_error_set(&err, MH_ENOMEM, "revalidate: out of memory");
    if (rc == 1) {
        free(pts);
        return MH_EXIT_OK;
    }
    if (rc == MH_OK)
        rc = cli_load_config(a.config, a.sets, a.nsets, &c, &err);
    if (rc == MH_OK)
        rc = run_clock(&a, c, &err);
    if (rc == MH_OK) {
        snprintf(path, sizeof path, "%s/%s.csv", a.run, a.ladder ? "ladder" : "validation");
        rc = read_points(path, a.ladder ? &CSV_LADDER : &CSV_POINTS, pts, &n, &err);
    }
    if (rc == MH_OK && n == 0)
        rc = mh_error_set(&err, MH_EFORMAT, "%s: no %s rows", path, a.ladder ? "chase" : "ns_per_access");
    cli_catch_signals();
    if (rc == MH_OK)
        rc = revalidate(&a, c, pts, n, &err);
    if (rc == MH_OK) {
        summarise(pts, n);
        list_misses(pts, n);
    }
    mh_config_free(c);
    free(pts);
    if (rc == MH_EINTR)
        return cli_interrupt_status();
    return rc == MH_OK ? MH_EXIT_OK : cli_fail(&err);
}
