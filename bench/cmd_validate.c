/* cmd_validate.c — `memhier validate`: run the held-out kernels natively with counters, capture
 * the same points, replay them on the calibrated config, and write the run folder's
 * bench.csv, validation.csv, validation-summary.csv, stalls.csv, ladder-sim.csv and caches.csv
 * (each through a temporary file) plus a text summary on stdout. Never runs chase natively:
 * chase traces are only captured and replayed to draw the simulated ladder. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "calibrate.h"
#include "cli/cli.h"
#include "config_int.h"
#include "counters.h"
#include "sizes.h"
#include "topo.h"
#include "validate.h"

#define VAL_MAX_POINTS 8192
#define VAL_MAX_SEL 32

/* Parsed command line. */
typedef struct val_cli {
    const char *config, *out;        /* -c, --out */
    int mode;                        /* 0 default, 1 quick, 2 full */
    const char *kernels[VAL_MAX_SEL]; size_t nk;
    char *kernel_buf;                /* strdup of --kernels */
    size_t *sizes, nsizes;           /* --sizes */
    size_t *lsizes, nlsizes;         /* --ladder-sizes */
    double min_time;
    uint64_t records, seed;
    int core;
    int rounds;                      /* --rounds: native measurements per point (0: by mode) */
    int config_clock;                /* --config-clock: cycles -> ns at the config's frequency_ghz */
    double busy_wait;                /* --busy-wait: seconds a measurement waits for a quiet core */
} val_cli;

/* One timing point's outcome, for the summary. */
typedef struct val_pt {
    const char *kernel;
    char variant[32];
    size_t size;
    double err, spread;
    double median, p10, sim;         /* measured median and p10, simulated (ns per access) */
    double drift;                    /* (max - min) / median of its rounds' medians, % (0: one round) */
    int busy;                        /* rounds measured on a busy core (left out unless all were) */
} val_pt;

#define VAL_MAX_ROUNDS CAL_MAX_ROUNDS

/* A point between its first round (measured, captured) and its replay and rows. */
typedef struct val_pending {
    const bench_kernel *k;           /* kernel */
    const char *variant;             /* variant name (static) */
    size_t size;                     /* working set */
    int ok;                          /* measured (not skipped by the kernel) */
    cal_measured m;                  /* first round: events, metrics, first touches, capture */
    val_sim s;                       /* its replay (after the rounds, at the run's clock) */
    double med[VAL_MAX_ROUNDS], p10[VAL_MAX_ROUNDS], p90[VAL_MAX_ROUNDS]; /* ns/access per round */
    unsigned char busy[VAL_MAX_ROUNDS]; /* the round was measured on a busy core */
    uint64_t layout[VAL_MAX_ROUNDS]; /* the kernel's layout hash in each round (0: none) */
} val_pending;

/* The run. */
typedef struct val_run {
    val_cli *cli;
    mh_config *cfg;                  /* the config as loaded (ladder-sim.csv replays on it) */
    mh_config *sim;                  /* the points replay on it: cfg at the run's clock */
    double run_ghz;                  /* the median of the round probes (0: none read) */
    bench_harness h;
    ctr_set *ft;                     /* perf::MINOR-FAULTS for first touches */
    int core;
    uint64_t l1, llc;
    char dir[4096], tdir[4200];
    FILE *bench, *val, *stalls;
    char bench_tmp[4300], val_tmp[4300], stalls_tmp[4300];
    val_pt *pts; size_t npts;        /* timing points */
    int rounds;                      /* measurement rounds per point */
    double round_ghz[VAL_MAX_ROUNDS]; /* core clock from the core probe at each round's start (0: none) */
    double round_cpi[VAL_MAX_ROUNDS]; /* the probe's cycles per instruction (issue width) then */
    double *clk_ghz, *clk_cpi;       /* every core probe of the run: round starts and before each point */
    int *clk_round;                  /* the round (from 1) of each */
    unsigned char *clk_busy;         /* each read a busy core (after its wait) */
    size_t nclk, clk_cap;            /* probes taken, room */
    double waited_s;                 /* seconds spent waiting for a quiet core, in all */
    size_t nwaited, nquieted, nbusy; /* measurements that waited; of them, quiet after it; measured busy */
    size_t nmoved;                   /* rounds that measured another layout than the captured one */
    double *fault_err; size_t nfault; /* first-touch fault errors */
    double *ctr_err;                 /* per counter event e: its points' errors from e * VAL_MAX_POINTS */
    size_t *nctr_err;                /* per counter event: errors recorded (hardware events only) */
} val_run;

/* Usage text. */
static void usage(FILE *f)
{
    fprintf(f, "usage: memhier validate -c calibrated.ini --out RUN_DIR [options]\n"
               "  --quick | --full       fewer sizes/variants and 0.02 s per point | the whole ladder\n"
               "  --kernels K[,K...]     held-out kernels (default stream,stride,stack,heap,pool,prefetch)\n"
               "  --sizes LIST           working-set sizes (default 16K,256K,4M,64M; quick 32K,2M)\n"
               "  --ladder-sizes LIST    chase sizes replayed for ladder-sim.csv (default: RUN_DIR/ladder.csv's)\n"
               "  --min-time S           seconds of repetitions per point and round\n"
               "  --rounds N             measure every point N times, interleaved, and keep the median\n"
               "                         (default 3; --quick and --full 1): a shared machine drifts\n"
               "  --records N            records per captured trace (default 33554432: a whole repetition\n"
               "                         of every default point; a longer repetition is replayed from its\n"
               "                         first N records, cold, and validate says so)\n"
               "  --core N               pin to core N (default: the last core)\n"
               "  --seed N               RNG seed (default 1)\n"
               "  --config-clock         turn simulated cycles into ns at the config's frequency_ghz;\n"
               "                         default: at the run's clock, the median of the core probes at\n"
               "                         the start of each round (written to RUN_DIR/clock.csv)\n"
               "  --busy-wait S          seconds a measurement waits, probing, for its core to read the\n"
               "                         config's issue rate again (default 1; 0: never wait); rounds\n"
               "                         still measured on a busy core are left out of their point's median\n");
}

enum { O_OUT = 256, O_QUICK, O_FULL, O_KERNELS, O_SIZES, O_LSIZES, O_MINTIME, O_RECORDS, O_CORE, O_SEED, O_ROUNDS,
       O_CFGCLOCK, O_BUSY, O_HELP };

/* Parses one unsigned option value. */
static int parse_u64(const char *s, const char *opt, uint64_t min, uint64_t *v, mh_error *err)
{
    char *end;
    errno = 0;
    *v = strtoull(s, &end, 10);
    if (end == s || *end || errno || s[0] == '-' || *v < min)
        return mh_error_set(err, MH_EINVAL, "%s \"%s\": must be an integer >= %llu", opt, s, (unsigned long long)min);
    return MH_OK;
}

/* Splits --kernels and checks every name (chase is refused: it is the calibration kernel). */
static int parse_kernels(val_cli *c, const char *arg, mh_error *err)
{
    free(c->kernel_buf);
    c->kernel_buf = strdup(arg);
    c->nk = 0;
    for (char *t = c->kernel_buf ? strtok(c->kernel_buf, ",") : NULL; t; t = strtok(NULL, ",")) {
        if (!strcmp(t, "chase"))
            return mh_error_set(err, MH_EINVAL, "--kernels: chase is the calibration kernel, never validated");
        if (!bench_kernel_find(t))
            return mh_error_set(err, MH_EINVAL, "--kernels: unknown kernel '%s' (stream, stride, stack, heap, pool, prefetch)", t);
        if (c->nk < VAL_MAX_SEL)
            c->kernels[c->nk++] = t;
    }
    return c->nk ? MH_OK : mh_error_set(err, MH_EINVAL, "--kernels \"%s\": empty list", arg);
}

/* Handles one option. */
static int handle_opt(val_cli *c, int o, const char *arg, mh_error *err)
{
    uint64_t v;
    char *end;
    switch (o) {
    case 'c': c->config = arg; return MH_OK;
    case O_OUT: c->out = arg; return MH_OK;
    case O_QUICK: c->mode = 1; return MH_OK;
    case O_CFGCLOCK: c->config_clock = 1; return MH_OK;
    case O_FULL: c->mode = 2; return MH_OK;
    case O_KERNELS: return parse_kernels(c, arg, err);
    case O_SIZES: free(c->sizes); c->sizes = NULL; return bench_parse_sizes(arg, &c->sizes, &c->nsizes, err);
    case O_LSIZES: free(c->lsizes); c->lsizes = NULL; return bench_parse_sizes(arg, &c->lsizes, &c->nlsizes, err);
    case O_MINTIME:
        c->min_time = strtod(arg, &end);
        if (end == arg || *end || !(c->min_time > 0 && c->min_time <= 3600))
            return mh_error_set(err, MH_EINVAL, "--min-time \"%s\": must be seconds > 0 and <= 3600", arg);
        return MH_OK;
    case O_BUSY:
        c->busy_wait = strtod(arg, &end);
        if (end == arg || *end || !(c->busy_wait >= 0 && c->busy_wait <= VAL_BUSY_TOTAL))
            return mh_error_set(err, MH_EINVAL, "--busy-wait \"%s\": must be seconds >= 0 and <= %.0f", arg,
                                VAL_BUSY_TOTAL);
        return MH_OK;
    case O_RECORDS: return cli_parse_count(arg, "--records", 1, 1ULL << 40, &c->records, err);
    case O_SEED: return parse_u64(arg, "--seed", 0, &c->seed, err);
    case O_ROUNDS:
        if (parse_u64(arg, "--rounds", 1, &v, err) != MH_OK || v > VAL_MAX_ROUNDS)
            return mh_error_set(err, MH_EINVAL, "--rounds \"%s\": must be an integer in 1..%d", arg, VAL_MAX_ROUNDS);
        c->rounds = (int)v;
        return MH_OK;
    case O_CORE:
        if (parse_u64(arg, "--core", 0, &v, err) != MH_OK) return MH_EINVAL;
        c->core = (int)v;
        return MH_OK;
    default: return mh_error_set(err, MH_EINVAL, "validate: unknown option or missing value (see --help)");
    }
}

/* Parses argv; MH_OK, 1 for --help, or MH_EINVAL. */
static int parse_cli(int argc, char **argv, val_cli *c, mh_error *err)
{
    static const struct option lo[] = {
        {"out", required_argument, NULL, O_OUT}, {"quick", no_argument, NULL, O_QUICK},
        {"full", no_argument, NULL, O_FULL}, {"kernels", required_argument, NULL, O_KERNELS},
        {"sizes", required_argument, NULL, O_SIZES}, {"ladder-sizes", required_argument, NULL, O_LSIZES},
        {"min-time", required_argument, NULL, O_MINTIME}, {"records", required_argument, NULL, O_RECORDS},
        {"core", required_argument, NULL, O_CORE}, {"seed", required_argument, NULL, O_SEED},
        {"rounds", required_argument, NULL, O_ROUNDS}, {"config-clock", no_argument, NULL, O_CFGCLOCK},
        {"busy-wait", required_argument, NULL, O_BUSY}, {"help", no_argument, NULL, O_HELP}, {NULL, 0, NULL, 0}};
    int o, rc = MH_OK;
    c->core = -1;
    c->seed = 1;
    c->records = VAL_RECORDS_DEFAULT;
    c->busy_wait = 1.0;
    opterr = 0;
    optind = 0;
    while (rc == MH_OK && (o = getopt_long(argc, argv, "c:o:h", lo, NULL)) != -1) {
        if (o == 'h' || o == O_HELP)
            return 1;
        if (o == '?' || o == ':')
            return mh_error_set(err, MH_EINVAL, "validate: unknown option or missing value '%s' (see --help)",
                                argv[optind - 1]);
        rc = handle_opt(c, o == 'o' ? O_OUT : o, optarg, err);
    }
    if (rc == MH_OK && optind < argc)
        rc = mh_error_set(err, MH_EINVAL, "validate: unexpected argument '%s'", argv[optind]);
    if (rc == MH_OK && (!c->config || !c->out))
        rc = mh_error_set(err, MH_EINVAL, "validate: -c CONFIG and --out RUN_DIR are required (see --help)");
    return rc;
}

/* The variants of kernel name to validate in this mode. */
static size_t variants_of(const char *name, int mode, const char **out)
{
    static const char *const stream[] = {"read", "write", "copy"}, *const stride[] = {"s64", "s256", "s4096"},
                             *const prefetch[] = {"d0", "d1", "d2", "d4", "d8", "d16"},
                             *const qprefetch[] = {"d0", "d4", "d16"}, *const qstride[] = {"s64", "s4096"};
    const char *const *src;
    size_t n;
    if (!strcmp(name, "stream")) src = stream, n = mode == 1 ? 1 : 3;
    else if (!strcmp(name, "stride")) src = mode == 1 ? qstride : stride, n = mode == 1 ? 2 : 3;
    else if (!strcmp(name, "prefetch")) src = mode == 1 ? qprefetch : prefetch, n = mode == 1 ? 3 : 6;
    else { out[0] = "default"; return 1; }
    memcpy(out, src, n * sizeof *out);
    return n;
}

/* Opens the three streamed CSVs (temporary names). */
static int open_outputs(val_run *r, mh_error *err)
{
    char p[4300];
    snprintf(p, sizeof p, "%s/bench.csv", r->dir);
    if (!(r->bench = mh_tmpfile_open(p, r->bench_tmp, sizeof r->bench_tmp, err))) return MH_EIO;
    snprintf(p, sizeof p, "%s/validation.csv", r->dir);
    if (!(r->val = mh_tmpfile_open(p, r->val_tmp, sizeof r->val_tmp, err))) return MH_EIO;
    snprintf(p, sizeof p, "%s/stalls.csv", r->dir);
    if (!(r->stalls = mh_tmpfile_open(p, r->stalls_tmp, sizeof r->stalls_tmp, err))) return MH_EIO;
    cal_csv_header(r->bench, r->h.ctr);
    val_csv_header(r->val);
    fputs("kernel,variant,size_bytes,component,cycles\n", r->stalls);
    return MH_OK;
}

/* Commits (ok) or removes the streamed CSVs. */
static int close_outputs(val_run *r, int ok, mh_error *err)
{
    FILE **f[3] = {&r->bench, &r->val, &r->stalls};
    const char *tmp[3] = {r->bench_tmp, r->val_tmp, r->stalls_tmp}, *name[3] = {"bench.csv", "validation.csv", "stalls.csv"};
    int rc = MH_OK;
    for (int i = 0; i < 3; i++) {
        if (!*f[i]) continue;
        char p[4300];
        snprintf(p, sizeof p, "%s/%s", r->dir, name[i]);
        int c = mh_tmpfile_commit(*f[i], tmp[i], p, ok && rc == MH_OK, err);
        *f[i] = NULL;
        if (ok && rc == MH_OK) rc = c;
    }
    return rc;
}

/* Writes the stall breakdown of one point (cycles per access). */
static void write_stalls(val_run *r, const char *k, const char *v, size_t size, const val_sim *s)
{
    double a = s->accesses ? (double)s->accesses : 1;
    const struct { const char *n; double c; } comp[] = {
        {"compute", s->ts.cycles_compute}, {"tlb", s->ts.cycles_tlb}, {"walk", s->ts.cycles_walk},
        {"minor_fault", s->ts.cycles_minor_fault}, {"disk", s->ts.cycles_disk}};
    for (size_t i = 0; i < sizeof comp / sizeof comp[0]; i++)
        fprintf(r->stalls, "%s,%s,%zu,%s,%.4f\n", k, v, size, comp[i].n, comp[i].c / a);
    for (size_t i = 0; i < s->nlevels; i++)
        fprintf(r->stalls, "%s,%s,%zu,%s,%.4f\n", k, v, size, s->names[i], s->level_cycles[i] / a);
    fprintf(r->stalls, "%s,%s,%zu,RAM,%.4f\n", k, v, size, s->ts.cycles_ram / a);
}

/* Writes the validation rows of one point and records its errors. */
static void write_rows(val_run *r, const bench_kernel *k, size_t size, const cal_measured *m, const val_sim *s)
{
    const bench_stats *st = &m->st;
    char pair[200], how[96];
    if (s->warm)
        snprintf(how, sizeof how, "second of two passes");
    else
        snprintf(how, sizeof how, "one cold pass over the first %llu records of a repetition, pages resident",
                 (unsigned long long)s->records);
    snprintf(pair, sizeof pair, "harness median ns/access <-> simulated ns / demand records (%s)", how);
    val_csv_row(r->val, k->name, m->label, size, "ns_per_access", st->ns_median, st->ns_p10, st->ns_p90,
                s->ns_per_access, pair);
    if (r->npts < VAL_MAX_POINTS) {
        val_pt *p = &r->pts[r->npts++];
        p->kernel = k->name;
        snprintf(p->variant, sizeof p->variant, "%s", m->label);
        p->size = size;
        p->err = val_error_pct(st->ns_median, s->ns_per_access);
        p->spread = st->ns_median > 0 ? (st->ns_p90 - st->ns_p10) / st->ns_median * 100 : 0;
        p->median = st->ns_median;
        p->p10 = st->ns_p10;
        p->sim = s->ns_per_access;
    }
    for (size_t i = 0; r->h.ctr && i < st->nevents; i++) {
        const char *pairing, *name = ctr_name(r->h.ctr, i);
        val_sim_kind kind = val_pairing(name, &pairing);
        double meas = st->events[i] == CTR_NOT_MEASURED ? NAN : (double)st->events[i];
        double sim = val_sim_count(s, kind, m->info.accesses, r->sim->frequency_ghz);
        val_csv_row(r->val, k->name, m->label, size, name, meas, NAN, NAN, sim, pairing);
        if (ctr_is_hardware(r->h.ctr, i) && meas > 0 && r->nctr_err[i] < VAL_MAX_POINTS)
            r->ctr_err[i * VAL_MAX_POINTS + r->nctr_err[i]++] = val_error_pct(meas, sim);
    }
    if (s->warm) { /* first touch: setup + first repetition vs the cold pass (whole repetition) */
        double meas = m->first_touch_faults == CTR_NOT_MEASURED ? NAN : (double)m->first_touch_faults;
        val_csv_row(r->val, k->name, m->label, size, "perf::MINOR-FAULTS:first-touch", meas, NAN, NAN,
                    (double)s->first_touch_faults,
                    "perf::MINOR-FAULTS over setup + first repetition <-> simulated minor faults of the cold pass "
                    "(pages resident before setup start resident: traces/*.resident)");
        if (isfinite(meas) && r->nfault < VAL_MAX_POINTS)
            r->fault_err[r->nfault++] = val_error_pct(meas, (double)s->first_touch_faults);
    }
}

/* The core probe (no memory access, ~10 ms) as val_quiet_wait calls it. */
static int core_probe(void *ctx, double *ghz, double *cpi)
{
    mh_error e;
    (void)ctx;
    return cal_core_probe(ghz, cpi, &e);
}

/* Probes the core in round k (from 0) and keeps the reading among the run's probes; before a
 * measurement (measuring = 1) it waits up to --busy-wait while the core reads busy (no more once
 * the run has waited VAL_BUSY_TOTAL s) and keeps the last reading. Returns the clock in GHz (0
 * when the probe cannot run here); *cpi gets the cycles per independent add (the issue rate: a
 * busy sibling hyperthread lowers it, not the clock), *busy 1 when the core still read busy. */
static double clock_sample(val_run *r, int k, int measuring, double *cpi, int *busy)
{
    double ghz = 0, waited, limit = measuring && r->waited_s < VAL_BUSY_TOTAL ? r->cli->busy_wait : 0;
    int q = val_quiet_wait(core_probe, NULL, r->cfg->base_cpi, limit, VAL_BUSY_PAUSE, &ghz, cpi, &waited);
    *busy = q == 0;
    if (q < 0)
        return 0;
    if (measuring) {
        r->waited_s += waited;
        r->nwaited += waited > 0;
        r->nquieted += waited > 0 && q == 1;
        r->nbusy += q == 0;
    }
    if (r->nclk == r->clk_cap)
        return ghz;
    r->clk_ghz[r->nclk] = ghz;
    r->clk_cpi[r->nclk] = *cpi;
    r->clk_busy[r->nclk] = (unsigned char)*busy;
    r->clk_round[r->nclk++] = k + 1;
    return ghz;
}

/* The core probe at the start of round k, kept apart for the summary line. */
static void probe_clock(val_run *r, int k)
{
    double cpi = 0;
    int busy;
    double ghz = clock_sample(r, k, 0, &cpi, &busy);
    if (ghz > 0) {
        r->round_ghz[k] = ghz;
        r->round_cpi[k] = cpi;
    }
}

/* The path of point p's trace. */
static void trace_path(const val_run *r, const val_pending *p, char *path, size_t n)
{
    snprintf(path, n, "%s/%s-%s-%zu.mht", r->tdir, p->k->name, p->variant, p->size);
}

/* First round of one point: measures and captures it into *p (replay and rows come later). */
static int start_point(val_run *r, val_pending *p, size_t idx, size_t total, mh_error *err)
{
    char path[4400];
    mh_meta meta = {0};
    trace_path(r, p, path, sizeof path);
    mh_meta_set(&meta, "source", "memhier validate");
    mh_meta_set(&meta, "kernel", p->k->name);
    mh_meta_set(&meta, "variant", p->variant);
    char budget[32];
    snprintf(budget, sizeof budget, "%llu", (unsigned long long)r->cli->records);
    mh_meta_set(&meta, "records_budget", budget); /* revalidate: fewer records = a whole repetition */
    double cpi;
    int busy;
    clock_sample(r, 0, 1, &cpi, &busy); /* the clock beside this point's measurement, on a quiet core */
    int rc = cal_measure_point(p->k, p->variant, p->size, r->cli->seed, &r->h, r->ft, path, r->cli->records, &meta,
                               &p->m, err);
    if (rc != MH_OK)
        return rc;
    if (p->m.skipped) {
        fprintf(stderr, "validate: %s %s %zu skipped: %s\n", p->k->name, p->variant, p->size, p->m.skip_msg);
        return MH_OK;
    }
    p->ok = 1;
    p->busy[0] = (unsigned char)busy;
    p->layout[0] = p->m.layout;
    p->med[0] = p->m.st.ns_median;
    p->p10[0] = p->m.st.ns_p10;
    p->p90[0] = p->m.st.ns_p90;
    fprintf(stderr, "validate: [%zu/%zu] %-8s %-6s %10zu B measured %8.4f ns%s\n", idx, total, p->k->name,
            p->m.label, p->size, p->m.st.ns_median, busy ? " (on a busy core)" : "");
    return MH_OK;
}

/* Round `round` (>= 1) of a started point: measures it natively again. */
static int remeasure_point(val_run *r, val_pending *p, int round, mh_error *err)
{
    cal_measured m;
    double cpi;
    int busy;
    clock_sample(r, round, 1, &cpi, &busy);
    int rc = cal_measure_point(p->k, p->variant, p->size, r->cli->seed, &r->h, NULL, NULL, 0, NULL, &m, err);
    if (rc != MH_OK)
        return rc;
    p->busy[round] = (unsigned char)busy;
    p->layout[round] = m.layout;
    p->med[round] = m.st.ns_median;
    p->p10[round] = m.st.ns_p10;
    p->p90[round] = m.st.ns_p90;
    bench_stats_free(&m.st);
    fprintf(stderr, "validate: round %d %-8s %-6s %10zu B measured %8.4f ns%s\n", round + 1, p->k->name, p->m.label,
            p->size, p->med[round], busy ? " (on a busy core)" : "");
    return MH_OK;
}

/* Replays a measured point on the run-clock config and writes its rows (ns/access median, p10
 * and p90 are the medians over its rounds); frees its measurement either way. */
static int finish_point(val_run *r, val_pending *p, int rounds, mh_error *err)
{
    char path[4400];
    if (!p->ok)
        return MH_OK;
    trace_path(r, p, path, sizeof path);
    int rc = val_replay(r->sim, path, p->m.records < r->cli->records, &p->s, err);
    if (rc != MH_OK) {
        bench_stats_free(&p->m.st);
        return rc;
    }
    if (!p->s.warm) /* the prefix may not be the kernel's mix (the stack's: its descent only) */
        fprintf(stderr, "validate: %s %s %zu B: the trace holds the first %llu records of a repetition of %llu "
                "accesses, replayed once, cold (--records raises it)\n", p->k->name, p->m.label, p->size,
                (unsigned long long)p->m.records, (unsigned long long)p->m.info.accesses);
    /* rounds that set up another layout (the allocator's state moved) measured what the trace does
     * not hold: left out first; then those on a busy core, unless every remaining one was */
    int same = val_layout_rounds(p->layout, rounds, p->busy, p->med, p->p10, p->p90), busy = 0, kept;
    for (int k = 0; k < same; k++)
        busy += p->busy[k];
    kept = val_quiet_rounds(p->busy, same, p->med, p->p10, p->p90);
    r->nmoved += (size_t)(rounds - same);
    double drift = cal_fold_rounds(&p->m.st, p->med, p->p10, p->p90, kept);
    fprintf(stderr, "validate: %-8s %-6s %10zu B median of %d round(s) %8.3f ns, simulated %8.3f ns (%+.1f%%)%s%s\n",
            p->k->name, p->m.label, p->size, kept, p->m.st.ns_median, p->s.ns_per_access,
            val_error_pct(p->m.st.ns_median, p->s.ns_per_access),
            same < rounds ? " (rounds with another layout left out)" : "",
            !busy ? "" : kept < same ? " (rounds on a busy core left out)" : " (every round on a busy core)");
    cal_csv_row(r->bench, p->k, p->size, &p->m, r->core);
    size_t before = r->npts;
    write_rows(r, p->k, p->size, &p->m, &p->s);
    if (r->npts > before && kept > 1 && p->m.st.ns_median > 0)
        r->pts[before].drift = drift;
    if (r->npts > before)
        r->pts[before].busy = busy;
    write_stalls(r, p->k->name, p->m.label, p->size, &p->s);
    bench_stats_free(&p->m.st);
    return MH_OK;
}

/* The validation sizes: --sizes, the mode's defaults, or (full) the ladder. */
static size_t sizes_for(const val_run *r, size_t *out, size_t cap)
{
    static const size_t def[] = {16 << 10, 256 << 10, 4 << 20, 64 << 20}, quick[] = {32 << 10, 2 << 20};
    if (r->cli->sizes) {
        size_t n = r->cli->nsizes < cap ? r->cli->nsizes : cap;
        memcpy(out, r->cli->sizes, n * sizeof *out);
        return n;
    }
    if (r->cli->mode == 2)
        return bench_size_ladder(4096, (size_t)r->llc * 4, BENCH_LADDER_STEPS, out, cap);
    const size_t *src = r->cli->mode == 1 ? quick : def;
    size_t n = r->cli->mode == 1 ? 2 : 4;
    memcpy(out, src, n * sizeof *out);
    return n;
}

/* The points to validate, in order; returns how many (*out malloc'ed, NULL when none). */
static size_t list_points(const val_run *r, val_pending **out)
{
    static const char *const all[] = {"stream", "stride", "stack", "heap", "pool", "prefetch"};
    size_t sizes[BENCH_SIZES_MAX], ns = sizes_for(r, sizes, BENCH_SIZES_MAX), total = 0;
    const char *const *ks = r->cli->nk ? r->cli->kernels : all;
    size_t nk = r->cli->nk ? r->cli->nk : 6;
    const char *vs[8];
    for (size_t i = 0; i < nk; i++)
        total += variants_of(ks[i], r->cli->mode, vs) * ns;
    val_pending *p = total ? calloc(total, sizeof *p) : NULL;
    size_t n = 0;
    for (size_t i = 0; p && i < nk; i++) {
        size_t nv = variants_of(ks[i], r->cli->mode, vs);
        for (size_t v = 0; v < nv; v++)
            for (size_t s = 0; s < ns; s++)
                p[n++] = (val_pending){.k = bench_kernel_find(ks[i]), .variant = vs[v], .size = sizes[s]};
    }
    *out = p;
    return p ? n : 0;
}

/* The run's clock, the median of its core probes: writes clock.csv and makes r->sim, the config
 * the points replay on (at that clock unless --config-clock or no probe read). */
static int run_clock(val_run *r, mh_error *err)
{
    char ghz[32];
    r->run_ghz = val_clock_median(r->clk_ghz, r->nclk);
    int rc = r->run_ghz > 0 ? val_clock_write(r->dir, r->clk_round, r->clk_ghz, r->clk_cpi, r->clk_busy, r->nclk, err)
                            : MH_OK;
    if (rc == MH_OK && !(r->sim = mh_config_clone(r->cfg)))
        rc = mh_error_set(err, MH_ENOMEM, "validate: out of memory");
    snprintf(ghz, sizeof ghz, "%.4f", r->run_ghz);
    if (rc == MH_OK && r->run_ghz > 0 && !r->cli->config_clock)
        rc = mh_config_set(r->sim, "hierarchy.frequency_ghz", ghz, err);
    return rc;
}

/* Runs every held-out point: round 1 (measure, capture) over all points, then the further
 * rounds of native measurements over all points in the same order, so that a drift of the
 * machine during the run falls on every point alike; then each point's replay and rows. */
static int run_points(val_run *r, mh_error *err)
{
    val_pending *p = NULL;
    size_t n = list_points(r, &p);
    int rounds = r->cli->rounds ? r->cli->rounds : r->cli->mode == 0 ? 3 : 1, rc = MH_OK;
    r->rounds = rounds;
    r->clk_cap = (n + 1) * (size_t)rounds;
    r->clk_ghz = malloc(r->clk_cap * sizeof *r->clk_ghz);
    r->clk_cpi = malloc(r->clk_cap * sizeof *r->clk_cpi);
    r->clk_round = malloc(r->clk_cap * sizeof *r->clk_round);
    r->clk_busy = malloc(r->clk_cap * sizeof *r->clk_busy);
    if (!r->clk_ghz || !r->clk_cpi || !r->clk_round || !r->clk_busy)
        r->clk_cap = 0; /* no probes kept: the config's clock */
    if (!p)
        return mh_error_set(err, MH_ENOMEM, "validate: out of memory (or no points)");
    size_t started = 0;
    probe_clock(r, 0);
    for (; rc == MH_OK && started < n; started++)
        rc = cli_interrupted() ? mh_error_set(err, MH_EINTR, "validate: interrupted")
                               : start_point(r, &p[started], started + 1, n, err);
    for (int k = 1; rc == MH_OK && k < rounds; k++) {
        fprintf(stderr, "validate: round %d of %d (native measurements only)\n", k + 1, rounds);
        probe_clock(r, k);
        for (size_t i = 0; rc == MH_OK && i < n; i++)
            rc = !p[i].ok ? MH_OK : cli_interrupted() ? mh_error_set(err, MH_EINTR, "validate: interrupted")
                                                      : remeasure_point(r, &p[i], k, err);
    }
    if (rc == MH_OK)
        rc = run_clock(r, err);
    for (size_t i = 0; i < started; i++) {
        if (rc == MH_OK)
            rc = finish_point(r, &p[i], rounds, err);
        else if (p[i].ok)
            bench_stats_free(&p[i].m.st);
    }
    free(p);
    return rc;
}

/* Reads the chase sizes of RUN_DIR/ladder.csv (variant page/global); 0 when absent. */
static size_t ladder_from_csv(const char *dir, size_t *out, size_t cap)
{
    char p[4300], line[1024];
    snprintf(p, sizeof p, "%s/ladder.csv", dir);
    FILE *f = fopen(p, "r");
    size_t n = 0;
    while (f && n < cap && fgets(line, sizeof line, f)) {
        char variant[32];
        size_t size;
        if (sscanf(line, "chase,%31[^,],%zu,", variant, &size) != 2 || strcmp(variant, "page"))
            continue;
        out[n++] = size;
    }
    if (f)
        fclose(f);
    return n;
}

/* Replays chase traces (captured, never timed) for the simulated ladder curve. */
static int ladder_sim(val_run *r, mh_error *err)
{
    size_t sizes[BENCH_SIZES_MAX], n = r->cli->lsizes ? r->cli->nlsizes : ladder_from_csv(r->dir, sizes, BENCH_SIZES_MAX);
    if (r->cli->lsizes)
        memcpy(sizes, r->cli->lsizes, n * sizeof *sizes);
    if (!n)
        n = bench_size_ladder(4096, (size_t)r->llc * 4, r->cli->mode == 1 ? 1 : 2, sizes, BENCH_SIZES_MAX);
    char path[4300], tmp[4400];
    snprintf(path, sizeof path, "%s/ladder-sim.csv", r->dir);
    FILE *f = mh_tmpfile_open(path, tmp, sizeof tmp, err);
    if (!f)
        return MH_EIO;
    fputs("kernel,variant,size_bytes,simulated_ns\n", f);
    const bench_kernel *k = bench_kernel_find("chase");
    static const char *const vars[] = {"page", "global"};
    int rc = MH_OK;
    for (int v = 0; rc == MH_OK && v < 2; v++)
        for (size_t i = 0; rc == MH_OK && i < n; i++) {
            char tp[4400];
            cal_measured m;
            val_sim s;
            snprintf(tp, sizeof tp, "%s/chase-%s-%zu.mht", r->tdir, vars[v], sizes[i]);
            rc = cal_measure_point(k, vars[v], sizes[i], r->cli->seed, NULL, NULL, tp, r->cli->records, NULL, &m, err);
            if (rc == MH_OK && !m.skipped)
                rc = val_replay(r->cfg, tp, m.records < r->cli->records, &s, err);
            if (rc == MH_OK && !m.skipped)
                fprintf(f, "chase,%s,%zu,%.4f\n", vars[v], sizes[i], s.ns_per_access);
            if (rc == MH_OK && cli_interrupted())
                rc = mh_error_set(err, MH_EINTR, "validate: interrupted");
        }
    return mh_tmpfile_commit(f, tmp, path, rc == MH_OK, err) == MH_OK ? rc : (rc == MH_OK ? MH_EIO : rc);
}

/* Pins the thread (hwloc) and writes caches.csv: the caches above the pinned core's PU. */
static int topology(val_run *r, mh_error *err)
{
    topo_t *t = NULL;
    mh_error e = {0};
    char path[4300], tmp[4400], diff[256];
    r->core = -1;
    snprintf(path, sizeof path, "%s/caches.csv", r->dir);
    FILE *f = mh_tmpfile_open(path, tmp, sizeof tmp, err);
    if (!f)
        return MH_EIO;
    fputs("level,size_bytes\n", f);
    if (topo_create(&t, &e) == MH_OK) {
        topo_pinning where;
        if (topo_pin(t, r->cli->core, &where, &e) == MH_OK) {
            r->core = where.core;
            fprintf(stderr, "validate: pinned to core %d (PU %d); caches: %s\n", where.core, where.pu, where.caches);
            if (topo_config_diff(t, r->cfg, 2, diff, sizeof diff))
                fprintf(stderr, "validate: warning: the config is not this core's (%s)\n", diff);
        } else {
            fprintf(stderr, "validate: not pinned: %s\n", e.msg);
        }
        for (size_t i = 0; i < topo_cache_count(t); i++)
            fprintf(f, "%s,%llu\n", topo_cache_get(t, i)->name, (unsigned long long)topo_cache_get(t, i)->size);
    } else {
        fprintf(stderr, "validate: no topology (%s): caches.csv has no rows, not pinned\n", e.msg);
    }
    topo_destroy(t);
    return mh_tmpfile_commit(f, tmp, path, 1, err);
}

/* Summary rows for one scope. */
static void summary_row(FILE *f, FILE *txt, const char *scope, const double *e, size_t n)
{
    val_summary s;
    val_summarise(e, n, &s);
    if (!s.points)
        return;
    fprintf(f, "%s,%zu,%.2f,%.2f,%.1f\n", scope, s.points, s.median_abs, s.p90_abs, s.within);
    fprintf(txt, "  %-22s %6zu %10.1f%% %9.1f%% %11.0f%%\n", scope, s.points, s.median_abs, s.p90_abs, s.within);
}

/* Summary rows of the hardware counters a PMU measured: each event's simulated counts against
 * its measured medians, over the points where it counted more than 0 (see validation.csv's
 * pairing column for what each is compared with). */
static void summarise_counters(val_run *r, FILE *f)
{
    int head = 0;
    for (size_t i = 0; r->h.ctr && i < ctr_count(r->h.ctr); i++) {
        if (!r->nctr_err[i])
            continue;
        if (!head++)
            printf("  hardware counters (simulated count vs measured median per repetition):\n");
        summary_row(f, stdout, ctr_name(r->h.ctr, i), r->ctr_err + i * VAL_MAX_POINTS, r->nctr_err[i]);
    }
}

/* Writes validation-summary.csv and the text summary (per kernel, overall, minor faults, misses). */
static int summarise(val_run *r, mh_error *err)
{
    static const char *const all[] = {"stream", "stride", "stack", "heap", "pool", "prefetch"};
    char path[4300], tmp[4400];
    snprintf(path, sizeof path, "%s/validation-summary.csv", r->dir);
    FILE *f = mh_tmpfile_open(path, tmp, sizeof tmp, err);
    double *e = malloc((r->npts ? r->npts : 1) * sizeof *e);
    if (!f || !e) {
        free(e);
        if (f) mh_tmpfile_commit(f, tmp, path, 0, err);
        return f ? mh_error_set(err, MH_ENOMEM, "validate: out of memory") : MH_EIO;
    }
    fputs("scope,points,median_abs_err_pct,p90_abs_err_pct,within15_pct\n", f);
    printf("validation of %s (ns/access, simulated vs measured median):\n", r->cli->config);
    printf("  %-22s %6s %11s %10s %12s\n", "scope", "points", "median|err|", "p90|err|", "within 15%");
    for (size_t k = 0; k < 6; k++) {
        size_t n = 0;
        for (size_t i = 0; i < r->npts; i++)
            if (!strcmp(r->pts[i].kernel, all[k]))
                e[n++] = r->pts[i].err;
        summary_row(f, stdout, all[k], e, n);
    }
    for (size_t i = 0; i < r->npts; i++)
        e[i] = r->pts[i].err;
    summary_row(f, stdout, "overall", e, r->npts);
    summary_row(f, stdout, "minor-faults", r->fault_err, r->nfault);
    free(e);
    summarise_counters(r, f);
    size_t in5 = 0, fin = 0;
    for (size_t i = 0; i < r->nfault; i++) {
        fin += isfinite(r->fault_err[i]);
        in5 += isfinite(r->fault_err[i]) && fabs(r->fault_err[i]) <= 5.0;
    }
    printf("targets: >= 90%% of timing points within 15%%, median |error| <= 8%%; minor faults within 5%%\n");
    if (r->nfault)
        printf("minor faults (first touch): %zu of %zu points within 5%% (%zu more with 0 measured: error undefined);\n"
               "  each replay starts with the pages its point found resident (traces/*.resident); a point\n"
               "  further off is one whose setup touched pages its trace never reads\n", in5, fin, r->nfault - fin);
    if (r->round_ghz[0] > 0) { /* the core the points ran on against the one the config was made on */
        double lo = r->round_ghz[0], hi = lo, cmax = r->round_cpi[0], cfg = r->cfg->frequency_ghz;
        printf("core probe at the start of each round (GHz / cycles per independent add):");
        for (int k = 0; k < r->rounds; k++) {
            printf(" %.2f/%.3f", r->round_ghz[k], r->round_cpi[k]);
            lo = fmin(lo, r->round_ghz[k]);
            hi = fmax(hi, r->round_ghz[k]);
            cmax = fmax(cmax, r->round_cpi[k]);
        }
        double plo = r->clk_ghz[0], phi = plo;
        for (size_t i = 1; i < r->nclk; i++) {
            plo = fmin(plo, r->clk_ghz[i]);
            phi = fmax(phi, r->clk_ghz[i]);
        }
        printf("; the config says %.2f/%.3f; simulated cycles -> ns at %.3f GHz (%s: %zu probes, %.2f..%.2f)", cfg,
               r->cfg->base_cpi, r->sim->frequency_ghz, r->cli->config_clock ? "--config-clock" : "the probes' median",
               r->nclk, plo, phi);
        if (cfg > 0 && (lo < cfg * 0.95 || hi > cfg * 1.05))
            printf(" (clock %+.0f%%..%+.0f%% of the config's)", (lo / cfg - 1) * 100,
                   (hi / cfg - 1) * 100);
        if (r->cfg->base_cpi > 0 && cmax > r->cfg->base_cpi * 1.05)
            printf(" (issue rate down to %.0f%%: a busy neighbour on the core?)", r->cfg->base_cpi / cmax * 100);
        putchar('\n');
    }
    if (r->nwaited || r->nbusy)
        printf("busy core (a probe read under %.0f%% of the config's issue rate): %zu measurement(s) waited, %.1f s in"
               " all; %zu found it quiet again, %zu were measured busy and left out of their points' medians"
               " (unless every round of a point was)\n", 100 / VAL_BUSY_RATIO, r->nwaited, r->waited_s, r->nquieted,
               r->nbusy);
    if (r->nmoved)
        printf("another layout: %zu later round(s) set a heap or prefetch point up elsewhere than its captured"
               " round (the allocator's state had moved) and were left out of their points' medians\n",
               r->nmoved);
    if (r->rounds > 1 && r->npts) { /* how much the machine moved while the points were measured */
        double *d = malloc(r->npts * sizeof *d);
        size_t worst = 0;
        for (size_t i = 0; d && i < r->npts; i++) {
            d[i] = r->pts[i].drift;
            worst = r->pts[i].drift > r->pts[worst].drift ? i : worst;
        }
        if (d)
            printf("measured in %d rounds: the rounds' medians of a point span %.1f%% of its median (median over"
                   " points), at most %.1f%% (%s %s %zu B)\n", r->rounds, cal_median(d, r->npts),
                   r->pts[worst].drift, r->pts[worst].kernel, r->pts[worst].variant, r->pts[worst].size);
        free(d);
    }
    size_t misses = 0;
    for (size_t i = 0; i < r->npts; i++) {
        const val_pt *p = &r->pts[i];
        if (!isfinite(p->err) || fabs(p->err) <= VAL_WITHIN)
            continue;
        if (!misses++)
            printf("where the model misses (|error| > 15%%):\n");
        printf("  %-8s %-6s %10zu B %+7.1f%%  %s", p->kernel, p->variant, p->size, p->err,
               val_reason(p->kernel, p->variant, p->size, p->err, r->l1, r->llc));
        if (p->spread > VAL_NOISY_PCT)
            printf(" [noisy: p10..p90 spans %.0f%% of the median]", p->spread);
        val_two_speeds_tag(stdout, p->median, p->p10, p->sim);
        if (p->drift > VAL_WITHIN)
            printf(" [drifting: its rounds span %.0f%% of the median]", p->drift);
        if (p->busy)
            printf(p->busy < r->rounds ? " [busy core: %d round(s) left out]" : " [busy core: all %d rounds, kept]",
                   p->busy);
        putchar('\n');
    }
    if (!misses)
        printf("every timing point is within 15%%\n");
    return mh_tmpfile_commit(f, tmp, path, 1, err);
}

/* Creates RUN_DIR and RUN_DIR/traces. */
static int make_dirs(val_run *r, mh_error *err)
{
    snprintf(r->dir, sizeof r->dir, "%s", r->cli->out);
    snprintf(r->tdir, sizeof r->tdir, "%s/traces", r->dir);
    if ((mkdir(r->dir, 0777) != 0 && errno != EEXIST) || (mkdir(r->tdir, 0777) != 0 && errno != EEXIST))
        return mh_error_set(err, MH_EIO, "--out %s: cannot create directory: %s", r->dir, strerror(errno));
    return MH_OK;
}

/* Sets up counters (default list + a first-touch fault counter) and the harness. */
static int harness_setup(val_run *r, mh_error *err)
{
    static const char *const ft[] = {"perf::MINOR-FAULTS"};
    r->h.cyc_event = -1;
    r->h.min_reps = 3;
    r->h.min_time = r->cli->min_time > 0 ? r->cli->min_time : r->cli->mode == 1 ? 0.02 : r->cli->mode == 2 ? 0.2 : 0.1;
    r->h.tsc_ghz = bench_tsc_ghz();
    int rc = ctr_create(NULL, 0, &r->h.ctr, err);
    if (rc == MH_OK)
        rc = ctr_create(ft, 1, &r->ft, err);
    if (rc == MH_OK) {
        size_t n = ctr_count(r->h.ctr) ? ctr_count(r->h.ctr) : 1;
        r->ctr_err = calloc(n * VAL_MAX_POINTS, sizeof *r->ctr_err);
        r->nctr_err = calloc(n, sizeof *r->nctr_err);
        if (!r->ctr_err || !r->nctr_err)
            rc = mh_error_set(err, MH_ENOMEM, "validate: out of memory");
    }
    for (size_t i = 0; rc == MH_OK && i < ctr_count(r->h.ctr); i++)
        if (ctr_available(r->h.ctr, i) && !strcmp(ctr_name(r->h.ctr, i), "PAPI_TOT_CYC"))
            r->h.cyc_event = (int)i;
    if (rc == MH_OK)
        ctr_report_unavailable(r->h.ctr, stderr);
    return rc;
}

/* The whole run. */
static int validate_main(val_run *r, mh_error *err)
{
    uint64_t lv[VAL_MAX_LEVELS];
    size_t n = 0;
    for (int l = r->cfg->data; l >= 0 && n < VAL_MAX_LEVELS; l = r->cfg->level[l].next)
        lv[n++] = r->cfg->level[l].size;
    r->l1 = lv[0];
    r->llc = lv[n - 1];
    r->pts = calloc(VAL_MAX_POINTS, sizeof *r->pts);
    r->fault_err = calloc(VAL_MAX_POINTS, sizeof *r->fault_err);
    if (!r->pts || !r->fault_err)
        return mh_error_set(err, MH_ENOMEM, "validate: out of memory");
    int rc = make_dirs(r, err);
    if (rc == MH_OK) rc = topology(r, err);
    if (rc == MH_OK) rc = harness_setup(r, err);
    if (rc == MH_OK) rc = open_outputs(r, err);
    if (rc == MH_OK) rc = run_points(r, err);
    int crc = close_outputs(r, rc == MH_OK, err);
    if (rc == MH_OK) rc = crc;
    if (rc == MH_OK) rc = ladder_sim(r, err);
    if (rc == MH_OK) rc = summarise(r, err);
    if (rc == MH_OK)
        printf("wrote %s/{bench,validation,validation-summary,stalls,ladder-sim,caches,clock}.csv and traces/\n",
               r->dir);
    return rc;
}

/* `memhier validate`: see usage(). */
int cmd_validate(int argc, char **argv)
{
    val_cli c = {0};
    val_run r = {.cli = &c};
    mh_error err = {0};
    int rc = parse_cli(argc, argv, &c, &err), status;
    if (rc == 1)
        status = (usage(stdout), MH_EXIT_OK);
    else if (rc != MH_OK || (rc = mh_config_load(c.config, &r.cfg, &err)) != MH_OK)
        status = cli_fail(&err);
    else {
        cli_catch_signals();
        rc = validate_main(&r, &err);
        status = rc == MH_OK ? MH_EXIT_OK : rc == MH_EINTR ? cli_interrupt_status() : cli_fail(&err);
    }
    ctr_destroy(r.h.ctr);
    ctr_destroy(r.ft);
    mh_config_free(r.cfg);
    mh_config_free(r.sim);
    free(r.clk_ghz);
    free(r.clk_cpi);
    free(r.clk_round);
    free(r.clk_busy);
    free(r.pts);
    free(r.fault_err);
    free(r.ctr_err);
    free(r.nctr_err);
    free(c.kernel_buf);
    free(c.sizes);
    free(c.lsizes);
    return status;
}
