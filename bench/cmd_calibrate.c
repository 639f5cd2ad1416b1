/* cmd_calibrate.c — `memhier calibrate`: run the chase ladder (page-local and global shuffles),
 * fit the latencies (calibrate.c), measure the minor-fault cost, and write the calibrated config
 * and the ladder CSV (both through temporary files). */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calibrate.h"
#include "cli/cli.h"
#include "config_int.h"
#include "counters.h"
#include "sizes.h"
#include "topo.h"

#define CAL_HEADER_MAX 16384

/* Parsed command line. */
typedef struct cal_cli {
    const char *config, *out, *csv;  /* -c, -o, --csv */
    int mode;                        /* 0 default, 1 quick, 2 full */
    int core;                        /* --core (-1: last core) */
    double min_time;                 /* --min-time (0: by mode) */
    size_t *sizes, nsizes;           /* --sizes (NULL: the ladder) */
    const char *events;              /* --events LIST|none (NULL: default list) */
    uint64_t seed;
    int no_probe;                    /* --no-core-probe: keep frequency_ghz and base_cpi */
    int set_pf;                      /* model a detected prefetcher (default; --no-prefetchers: keep) */
    int keep_sizes;                  /* --keep-sizes: never shrink a level to its effective capacity */
    int rounds;                      /* --rounds: ladders measured, interleaved (0: by mode) */
} cal_cli;

/* One ladder point between its first round (kept whole, with its events) and its CSV row. */
typedef struct cal_pending {
    size_t size;                     /* bytes */
    int ok;                          /* measured (the kernel did not refuse the size) */
    cal_measured m;                  /* first round */
    double med[CAL_MAX_ROUNDS], p10[CAL_MAX_ROUNDS], p90[CAL_MAX_ROUNDS]; /* ns/access per round */
} cal_pending;

/* Everything the run keeps. */
typedef struct cal_run {
    cal_cli *cli;
    mh_config *cfg;
    double nominal_ghz, base_cpi_in; /* the base config's frequency and base_cpi */
    double core_ghz, core_cpi;       /* core probe results (0: not probed); after the ladders, the
                                        medians of the probes below */
    double clock_ghz[CAL_MAX_ROUNDS + 1], clock_cpi[CAL_MAX_ROUNDS + 1]; /* the core probes: at the
                                        start and after each ladder round */
    int nclock;                      /* how many */
    int pf_set;                      /* 1: calibrate set the prefetchers */
    int machine;                     /* 1: the machine probes ran (mach holds their results) */
    cal_machine mach;                /* load-pipe, TLB, bandwidth and one-set probes */
    cal_refine_out refine;           /* model-consistent RAM and walk (cal_refine.c) */
    char refine_skip[512];           /* why that step failed ("" when it did not) */
    cal_walk_out walk;               /* the page-walk model from the global chase (cal_walk.c) */
    char walk_skip[512];             /* why that step failed ("" when it did not) */
    cal_input in;
    cal_point *page, *global;        /* measured ladders */
    int rounds;                      /* ladder rounds each point's median is over */
    double drift_med, drift_max;     /* rounds' medians of a point: span / median, %, over points */
    size_t drift_at;                 /* size of the point with drift_max */
    const char *drift_variant;       /* its variant */
    size_t split_size;               /* the gN chases' buffer (0: not measured) */
    double split_t[4];               /* their ns per load, N = 1, 2, 4, 8 */
    double split_r, split_w;         /* R + W/N fitted to them (split_ok) */
    int split_ok;
    double mlp_ns;                   /* CAL_CHAINS_MAX interleaved global chases there, ns per load
                                        (0: not measured) */
    double seq_ns;                   /* the chase in address order there, ns per load (0: not measured) */
    cal_cross_out cross;             /* cross_pages from it (cal_refine.c) */
    char cross_skip[512];            /* why that step failed ("" when it did not) */
    bench_harness h;
    int core;
    char caches[256];
    char geom_diff[256];                 /* the pinned core's caches the config does not describe ("" none) */
    topo_tlbs cpuid;                     /* the pinned core's data TLBs as CPUID describes them */
    FILE *csv;
    char csv_tmp[4200];
} cal_run;

/* Usage text. */
static void usage(FILE *f)
{
    fprintf(f, "usage: memhier calibrate -c host.ini -o calibrated.ini [--csv ladder.csv] [options]\n"
               "  --quick | --full     ladder density and time per point (default: between)\n"
               "  --core N             pin to core N (hwloc logical index; default: the last core)\n"
               "  --sizes LIST         ladder sizes instead of 4K..8x the last level (quick: 4x)\n"
               "  --min-time S         seconds of repetitions per point\n"
               "  --events LIST|none   PAPI events for the ladder CSV (default: the default list)\n"
               "  --seed N             shuffle seed (default 1)\n"
               "  --no-core-probe      keep the [hierarchy] core keys, TLBs, bandwidths, set gaps and spreads\n"
               "                       (default: measure the clock, issue width, load pipes, L1 DTLB, link\n"
               "                       bandwidths, each lower level's set_gap and the last level's spread)\n"
               "  --no-prefetchers     keep the config's prefetchers even when the ladder shows one\n"
               "                       (default: model a detected one as L1d stride + L2 stream)\n"
               "  --rounds N           measure the ladder N times, interleaved, and fit each point's median\n"
               "                       (default 3; --quick and --full 1): a shared machine drifts\n"
               "  --keep-sizes         keep every level's size even when the ladder leaves its plateau\n"
               "                       well below it (default: shrink that level to the capacity it showed)\n"
               "Fits each level's latency from the page-local chase plateaus, RAM latency and the\n"
               "TLB-miss cost from sizes >= 4x the last level (global vs page-local), and the minor-fault\n"
               "cost from first touches of fresh pages, and (not --quick) the data level's cross_pages from\n"
               "the chase in address order there, replayed page-bound and crossing: the closer. Uses the\n"
               "chase kernel only for latencies and prefetch; the\n"
               "machine probes (no held-out kernel) are a one-line-per-page chase for the TLBs, a\n"
               "16-load loop for the load pipes, 64 interleaved chases inside each lower level for the\n"
               "link bandwidths (lines in a random order and in address order: the slower, or the\n"
               "address order's where the random one kept the core's misses in flight), a vector\n"
               "read sweep for RAM's, 16 interleaved chases through lines in one L1d set for each lower\n"
               "level's set_gap, and a chase inside the last level, plain and prefetching 8 nodes ahead,\n"
               "for its latency spread (and RAM's). The clock is the median of probes at the\n"
               "start and after each ladder round.\n");
}

enum { O_CSV = 256, O_QUICK, O_FULL, O_CORE, O_SIZES, O_MINTIME, O_EVENTS, O_SEED, O_NOPROBE, O_PF, O_NOPF, O_KEEP, O_ROUNDS, O_HELP };

/* Parses argv; returns MH_OK, 1 for --help, or MH_EINVAL. */
static int parse_cli(int argc, char **argv, cal_cli *c, mh_error *err)
{
    static const struct option lo[] = {
        {"csv", required_argument, NULL, O_CSV}, {"quick", no_argument, NULL, O_QUICK},
        {"full", no_argument, NULL, O_FULL}, {"core", required_argument, NULL, O_CORE},
        {"sizes", required_argument, NULL, O_SIZES}, {"min-time", required_argument, NULL, O_MINTIME},
        {"events", required_argument, NULL, O_EVENTS}, {"seed", required_argument, NULL, O_SEED},
        {"no-core-probe", no_argument, NULL, O_NOPROBE}, {"prefetchers", no_argument, NULL, O_PF},
        {"no-prefetchers", no_argument, NULL, O_NOPF}, {"keep-sizes", no_argument, NULL, O_KEEP},
        {"rounds", required_argument, NULL, O_ROUNDS}, {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0}};
    int o;
    char *end;
    c->core = -1;
    c->seed = 1;
    c->set_pf = 1;  /* without a modelled prefetcher, streaming at RAM sizes is overestimated ~2.5x */
    opterr = 0;
    optind = 0;
    while ((o = getopt_long(argc, argv, "c:o:h", lo, NULL)) != -1) {
        switch (o) {
        case 'c': c->config = optarg; break;
        case 'o': c->out = optarg; break;
        case O_CSV: c->csv = optarg; break;
        case O_QUICK: c->mode = 1; break;
        case O_FULL: c->mode = 2; break;
        case O_CORE:
            c->core = (int)strtol(optarg, &end, 10);
            if (end == optarg || *end || c->core < 0)
                return mh_error_set(err, MH_EINVAL, "--core \"%s\": must be an integer >= 0", optarg);
            break;
        case O_SIZES:
            free(c->sizes);
            c->sizes = NULL;
            if (bench_parse_sizes(optarg, &c->sizes, &c->nsizes, err) != MH_OK)
                return MH_EINVAL;
            break;
        case O_MINTIME:
            c->min_time = strtod(optarg, &end);
            if (end == optarg || *end || !(c->min_time > 0 && c->min_time <= 3600))
                return mh_error_set(err, MH_EINVAL, "--min-time \"%s\": must be seconds > 0 and <= 3600", optarg);
            break;
        case O_EVENTS: c->events = optarg; break;
        case O_SEED: c->seed = strtoull(optarg, &end, 10);
            if (end == optarg || *end)
                return mh_error_set(err, MH_EINVAL, "--seed \"%s\": must be an integer >= 0", optarg);
            break;
        case O_NOPROBE: c->no_probe = 1; break;
        case O_PF: c->set_pf = 1; break;
        case O_NOPF: c->set_pf = 0; break;
        case O_KEEP: c->keep_sizes = 1; break;
        case O_ROUNDS:
            c->rounds = (int)strtol(optarg, &end, 10);
            if (end == optarg || *end || c->rounds < 1 || c->rounds > CAL_MAX_ROUNDS)
                return mh_error_set(err, MH_EINVAL, "--rounds \"%s\": must be an integer in 1..%d", optarg,
                                    CAL_MAX_ROUNDS);
            break;
        case 'h': case O_HELP: return 1;
        default:
            return mh_error_set(err, MH_EINVAL, "calibrate: unknown option or missing value '%s' (see --help)",
                                argv[optind - 1]);
        }
    }
    if (optind < argc)
        return mh_error_set(err, MH_EINVAL, "calibrate: unexpected argument '%s'", argv[optind]);
    if (!c->config || !c->out)
        return mh_error_set(err, MH_EINVAL, "calibrate: -c CONFIG and -o OUTPUT are required (see --help)");
    return MH_OK;
}

/* Creates the counter set for the CSV columns (--events LIST, none, or the default list). */
static int counters_setup(cal_run *r, mh_error *err)
{
    r->h.cyc_event = -1;
    if (r->cli->events && !strcmp(r->cli->events, "none"))
        return MH_OK;
    const char *names[64];
    size_t n = 0;
    char *copy = r->cli->events ? strdup(r->cli->events) : NULL;
    for (char *t = copy ? strtok(copy, ",") : NULL; t && n < 64; t = strtok(NULL, ","))
        names[n++] = t;
    int rc = ctr_create(n ? names : NULL, n, &r->h.ctr, err);
    free(copy);
    for (size_t i = 0; rc == MH_OK && i < ctr_count(r->h.ctr); i++)
        if (ctr_available(r->h.ctr, i) && !strcmp(ctr_name(r->h.ctr, i), "PAPI_TOT_CYC"))
            r->h.cyc_event = (int)i;
    if (rc == MH_OK)
        ctr_report_unavailable(r->h.ctr, stderr);
    return rc;
}

/* Pins the thread with hwloc; remembers the core and caches. */
static void pin(cal_run *r)
{
    topo_t *t = NULL;
    mh_error e = {0};
    topo_pinning where;
    r->core = -1;
    snprintf(r->caches, sizeof r->caches, "unknown");
    if (topo_create(&t, &e) == MH_OK && topo_pin(t, r->cli->core, &where, &e) == MH_OK) {
        r->core = where.core;
        snprintf(r->caches, sizeof r->caches, "%s", where.caches);
        fprintf(stderr, "calibrate: pinned to core %d (PU %d); caches: %s\n", where.core, where.pu, where.caches);
        r->cpuid = *topo_get_tlbs(t);
        if (topo_config_diff(t, r->cfg, 2, r->geom_diff, sizeof r->geom_diff))
            fprintf(stderr, "calibrate: warning: the config is not this core's (%s): its levels keep the config's "
                    "sizes (`memhier detect --core %d` describes this core)\n", r->geom_diff, where.core);
    } else {
        fprintf(stderr, "calibrate: not pinned: %s\n", e.msg);
    }
    topo_destroy(t);
}

/* Measures round `round` of one variant's ladder into pend[0..n) (the first round keeps each
 * point whole; later ones only its ns/access median, p10 and p90). */
static int measure_round(cal_run *r, const char *variant, cal_pending *pend, size_t n, int round, mh_error *err)
{
    const bench_kernel *k = bench_kernel_find("chase");
    for (size_t i = 0; i < n; i++) {
        cal_pending *p = &pend[i];
        cal_measured m;
        if (cli_interrupted())
            return mh_error_set(err, MH_EINTR, "calibrate: interrupted");
        if (round > 0 && !p->ok)
            continue;
        int rc = cal_measure_point(k, variant, p->size, r->cli->seed, &r->h, NULL, NULL, 0, NULL, &m, err);
        if (rc != MH_OK)
            return rc;
        if (round == 0 && !m.skipped) {
            p->ok = 1;
            p->m = m;
        }
        if (m.skipped)
            continue;
        p->med[round] = m.st.ns_median;
        p->p10[round] = m.st.ns_p10;
        p->p90[round] = m.st.ns_p90;
        if (round > 0)
            bench_stats_free(&m.st);
        if (isatty(STDERR_FILENO))
            fprintf(stderr, "\rcalibrate: round %d chase %-6s %2zu/%zu %10zu B %9.2f ns", round + 1, variant,
                    i + 1, n, p->size, p->med[round]);
    }
    if (isatty(STDERR_FILENO))
        fputc('\n', stderr);
    return MH_OK;
}

/* Measures the chase in address order at 4 x the second level (the prefetcher probe) into *ns;
 * 0 when there is no second level or the point was skipped. */
static int measure_seq(cal_run *r, double *ns, mh_error *err)
{
    cal_measured m;
    *ns = 0;
    if (r->in.nlevels < 2)
        return MH_OK;
    int rc = cal_measure_point(bench_kernel_find("chase"), "seq", (size_t)(4 * r->in.capacity[1]), r->cli->seed,
                               &r->h, NULL, NULL, 0, NULL, &m, err);
    if (rc != MH_OK || m.skipped)
        return rc;
    *ns = m.st.ns_median;
    bench_stats_free(&m.st);
    return MH_OK;
}

/* Diagnostic, nothing fitted from it: the chase gN at the largest ladder size (>= 4 x the last
 * level; not in --quick), N = 1, 2, 4, 8 lines of one page loaded in a row, then R + W/N by least
 * squares: what a load from memory (R) and a TLB miss (W) cost apart, where the page-local and
 * global shuffles give the model RAM and walk (a spatial prefetcher can speed the page-local one). */
static int measure_split(cal_run *r, const size_t *sizes, size_t n, mh_error *err)
{
    static const char *const var[4] = {"g1", "g2", "g4", "g8"};
    static const double lines[4] = {1, 2, 4, 8};
    if (r->cli->mode == 1 || n == 0 || r->in.nlevels == 0 ||
        (double)sizes[n - 1] < 4 * r->in.capacity[r->in.nlevels - 1])
        return MH_OK;
    const bench_kernel *k = bench_kernel_find("chase");
    for (int i = 0; i < 4; i++) {
        cal_measured m;
        if (cli_interrupted())
            return mh_error_set(err, MH_EINTR, "calibrate: interrupted");
        int rc = cal_measure_point(k, var[i], sizes[n - 1], r->cli->seed, &r->h, NULL, NULL, 0, NULL, &m, err);
        if (rc != MH_OK)
            return rc;
        if (m.skipped)
            return MH_OK;
        r->split_t[i] = m.st.ns_median;
        bench_stats_free(&m.st);
        if (isatty(STDERR_FILENO))
            fprintf(stderr, "\rcalibrate: chase %s %10zu B %9.2f ns", var[i], sizes[n - 1], r->split_t[i]);
    }
    if (isatty(STDERR_FILENO))
        fputc('\n', stderr);
    r->split_size = sizes[n - 1];
    r->split_ok = cal_split_fit(lines, r->split_t, 4, &r->split_r, &r->split_w) == 0;
    /* the misses a core keeps in flight: g1's loads, CAL_CHAINS_MAX chases at a time (a diagnostic:
     * when it cannot run, e.g. no memory for the links, the header just lacks it) */
    mh_error perr = {0};
    if (cal_chains_probe(sizes[n - 1] / BENCH_LINE, BENCH_LINE, CAL_CHAINS_MAX, 3, 0, &r->mlp_ns, &perr) != MH_OK)
        r->mlp_ns = 0;
    /* the chase in address order there: what the prefetchers keep going across pages (cross_pages) */
    cal_measured m;
    int rc = cal_measure_point(k, "seq", sizes[n - 1], r->cli->seed, &r->h, NULL, NULL, 0, NULL, &m, err);
    if (rc != MH_OK || m.skipped)
        return rc;
    r->seq_ns = m.st.ns_median;
    bench_stats_free(&m.st);
    return MH_OK;
}

/* Turns measured points into ladder points (medians over the rounds) and CSV rows, and frees them;
 * each point's drift (span of its rounds' medians over their median, %) goes to drift[]. */
static void finish_variant(cal_run *r, cal_pending *pend, size_t n, int rounds, cal_point *pts, size_t *npts,
                           double *drift, const char *variant)
{
    const bench_kernel *k = bench_kernel_find("chase");
    *npts = 0;
    for (size_t i = 0; i < n; i++) {
        cal_pending *p = &pend[i];
        if (!p->ok)
            continue;
        double d = cal_fold_rounds(&p->m.st, p->med, p->p10, p->p90, rounds);
        if (d > r->drift_max || !r->drift_variant) {
            r->drift_max = d;
            r->drift_at = p->size;
            r->drift_variant = variant;
        }
        drift[*npts] = d;
        cal_csv_row(r->csv, k, p->size, &p->m, r->core);
        pts[(*npts)++] = (cal_point){.size = p->size, .ns = p->m.st.ns_median};
        bench_stats_free(&p->m.st);
        p->ok = 0;
    }
}

/* Appends printf text to the header buffer. */
static void hdr(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void hdr(char *buf, const char *fmt, ...)
{
    size_t len = strlen(buf);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, CAL_HEADER_MAX - len, fmt, ap);
    va_end(ap);
}

/* The header line of the data TLBs CPUID describes on the pinned core (the TLB probes' reference). */
static void tlb_line(char *buf, const topo_tlbs *c)
{
    char a1[32], a2[32];
    if (!c->source[0])
        return;
    topo_tlb_assoc(&c->l1d, a1, sizeof a1);
    topo_tlb_assoc(&c->l2, a2, sizeof a2);
    if (c->l1d.entries && c->l2.entries)
        hdr(buf, "; TLBs by %s:\n;   L1 DTLB %u entries, %s; L2 %u entries, %s (the probes below measure them).\n",
            c->source, c->l1d.entries, a1, c->l2.entries, a2);
    else
        hdr(buf, "; TLBs: %s (the base config's are defaults).\n", c->source);
}

/* The page-walk step's lines of the header (cal_walk.c). */
static void walk_header(const cal_run *r, char *buf)
{
    const cal_walk_out *w = &r->walk;
    if (r->walk_skip[0])
        hdr(buf, ";   page-walk model NOT compared (fixed walk kept): %s\n", r->walk_skip);
    if (!w->done)
        return;
    hdr(buf, ";   page walk: the global chase at %zu sizes from %.4g to %.4g MiB (past the DTLB's reach),\n"
             ";        measured %.2f .. %.2f ns per load, replayed with each walk model (median |error|,\n"
             ";        share within 15 %%):\n",
        w->npoints, (double)w->sizes[w->npoints - 1] / (1 << 20), (double)w->sizes[0] / (1 << 20),
        w->meas[w->npoints - 1], w->meas[0]);
    for (int i = 0; i < w->ncand; i++) {
        const cal_walk_cand *c = &w->cand[i];
        hdr(buf, ";        %s walk = %s, tlb.L2 entries %u, walk_latency %.1f cycles%s: %.1f %%, %.0f %%\n",
            i == w->chosen ? "->" : "  ", c->nested ? "nested" : "fixed", c->entries, c->walk_latency,
            c->nested ? " (its fixed part)" : "", c->median_err, c->within);
    }
    hdr(buf, ";        (nested: the host's entries for the page's guest frame are read too, so the walk\n"
             ";        grows with the footprint; chosen only below 0.8 x the fixed walk's error; see README)\n");
}

/* Builds the comment header saying what was measured, when and how. */
static void build_header(const cal_run *r, const mh_config *out, const cal_fit_out *f, double fault_ns, double fpp,
                         char *buf)
{
    char when[32], host[64] = "";
    double ghz = out->frequency_ghz;
    cal_utc_now(when, sizeof when);
    gethostname(host, sizeof host - 1);
    buf[0] = 0;
    hdr(buf, "; Calibrated by `memhier calibrate` on %s at %s (UTC), memhier %s.\n", host, when,
        MH_VERSION_STRING);
    hdr(buf, "; Base config: %s; pinned core %d (%s).\n", r->cli->config, r->core, r->caches);
    if (r->geom_diff[0])
        hdr(buf, "; WARNING: the base config is not the pinned core's: %s.\n", r->geom_diff);
    tlb_line(buf, &r->cpuid);
    if (r->core_ghz > 0 && r->nclock > 1) {
        double lo = r->clock_ghz[0], hi = lo;
        for (int i = 1; i < r->nclock; i++) {
            lo = r->clock_ghz[i] < lo ? r->clock_ghz[i] : lo;
            hi = r->clock_ghz[i] > hi ? r->clock_ghz[i] : hi;
        }
        hdr(buf, "; Core probes: frequency_ghz and base_cpi are the medians of %d probes, at the start and after\n"
                 ";   each ladder round (the clock read %.3f..%.3f GHz; the machine probes' cycles use the median).\n",
            r->nclock, lo, hi);
    }
    if (r->core_ghz > 0)
        hdr(buf, "; Core probe (no memory access): frequency_ghz = %.3f from a dependent integer add chain\n"
                 ";   (nominal %g); induction_latency = 1 cycle (one add of that chain: the next address of a\n"
                 ";   constant-stride loop waits for it); base_cpi = %.3f cycles per instruction of a loop of 8\n"
                 ";   independent adds, 8 register moves + add; cmp; jne (%.0f instructions: the issue width;\n"
                 ";   base config had %g).\n",
            r->core_ghz, r->nominal_ghz, r->core_cpi, CAL_LOOP_INSTR, r->base_cpi_in);
    hdr(buf, "; MEASURED with the chase kernel only (held-out kernels never used): each level's latency is\n"
             "; the median ns/access of %s chase points with size in (2 x previous level, level / 2],\n"
             "; converted to cycles with frequency_ghz = %g.\n",
        f->levels_from_global ? "global-shuffle (minus the tlb.L2 lookup / walk the model adds beyond the\n"
                                "; DTLB reach; the page-local shuffle is prefetcher-assisted, see below)"
                              : "page-local", ghz);
    if (r->rounds > 1)
        hdr(buf, "; Each ladder point is the median of %d interleaved rounds of the whole ladder (their medians\n"
                 "; span %.1f%% of a point's median over the points, at most %.1f%%).\n",
            r->rounds, r->drift_med, r->drift_max);
    for (size_t i = 0; i < r->in.nlevels; i++) {
        if (f->level_points[i])
        {
            hdr(buf, ";   %-4s %8.2f ns = %7.2f cycles (median of %zu points, %zu..%zu B)%s\n", r->in.names[i],
                f->level_ns[i], f->level_ns[i] * ghz, f->level_points[i], f->level_lo[i], f->level_hi[i],
                "");
            char note[512];
            cal_fit_note(&r->in, f, i, r->cli->keep_sizes ? 0 : cal_effective_size(out, &r->in, f, i), note,
                         sizeof note);
            hdr(buf, "%s", note);
        }
        else
            hdr(buf, ";   %-4s not measured (no ladder point in %zu..%zu B): config value kept\n", r->in.names[i],
                f->level_lo[i], f->level_hi[i]);
    }
    if (f->ram_points && f->tlb_points)
        hdr(buf, ";   RAM  %8.2f ns (page-local >= 4 x LLC, %zu points, minus its 1/64 TLB share); row_hit_ns = latency_ns\n"
                 ";        (open rows are not separable from the chase: not calibrated)\n"
                 ";   TLB miss %.2f ns per load (global - page-local, x 64/63); walk_latency = %.2f cycles\n"
                 ";        (= TLB miss - tlb.L2 latency)\n",
            f->ram_ns, f->ram_points, f->tlb_miss_ns, f->walk_ns * ghz);
    else if (f->ram_points)
        hdr(buf, ";   RAM  %8.2f ns (page-local >= 4 x LLC); TLB walk not measured (no global point)\n", f->ram_ns);
    else
        hdr(buf, ";   RAM and TLB walk not measured (no ladder point >= 4 x LLC): config values kept\n");
    if (r->split_size)
        hdr(buf, ";   memory miss, split (diagnostic: not used above): the chase gN at %.4g MiB, N lines of one\n"
                 ";        page loaded in a row, read %.2f, %.2f, %.2f, %.2f ns per load for N = 1, 2, 4, 8%s\n",
            (double)r->split_size / (1 << 20), r->split_t[0], r->split_t[1], r->split_t[2], r->split_t[3],
            r->split_ok ? ":" : " (no fit)");
    if (r->split_ok)
        hdr(buf, ";        R + W/N gives R = %.2f ns a load from memory, W = %.2f ns a TLB miss, where the\n"
                 ";        page-local / global split gives %.2f and %.2f (a spatial prefetcher speeds up a\n"
                 ";        page-local chase: then RAM reads low and the walk high; see README)\n",
            r->split_r, r->split_w, f->ram_ns, f->tlb_miss_ns);
    if (r->mlp_ns > 0)
        hdr(buf, ";   misses in flight (diagnostic): %d interleaved global chases there, %.2f ns per load, against\n"
                 ";        g1's %.2f: ~%.1f loads in flight (in the model each L1d miss holds one of its %u MSHRs\n"
                 ";        from issue to fill, its walk before it)\n",
            CAL_CHAINS_MAX, r->mlp_ns, r->split_t[0], r->split_t[0] / r->mlp_ns,
            out->level[out->data].mshrs ? out->level[out->data].mshrs : MH_MSHRS_DEFAULT);
    const cal_refine_out *q = &r->refine;
    if (q->done) {
        hdr(buf, ";   MODEL-CONSISTENT RAM and walk: the chase at");
        for (size_t i = 0; i < q->nsizes; i++)
            hdr(buf, "%s %.4g", i ? "," : "", (double)q->sizes[i] / (1 << 20));
        hdr(buf, " MiB (page-local and global), replayed through this\n"
                 ";        config with the values above, took %.2f / %.2f ns per access (measured %.2f / %.2f):\n"
                 ";        this config's prefetchers speed up the page-local chase that the measured RAM time\n"
                 ";        already includes. latency_ns = row_hit_ns = %.2f and walk_latency = %.2f cycles\n"
                 ";        make them %.2f / %.2f (rescaling rounds: %d; see calibrate.h)\n",
            q->sim0[0], q->sim0[1], q->meas[0], q->meas[1], q->x[0], q->x[1] * ghz, q->sim[0], q->sim[1], q->rounds);
    }
    if (r->refine_skip[0])
        hdr(buf, ";   RAM and walk NOT made model-consistent (analytic values above kept): %s\n", r->refine_skip);
    walk_header(r, buf);
    if (r->cross.done)
        hdr(buf, ";   prefetch across pages: the chase in address order at %.4g MiB took %.2f ns per load; this\n"
                 ";        config replays it at %.2f ns with %s's prefetches kept inside each 4 KiB page and\n"
                 ";        %.2f letting them cross: %s.cross_pages = %s, the closer (see README)\n",
            (double)r->cross.size / (1 << 20), r->cross.meas, r->cross.sim[0], out->level[out->data].name,
            r->cross.sim[1], out->level[out->data].name, r->cross.cross ? "yes" : "no");
    if (r->cross_skip[0])
        hdr(buf, ";   cross_pages NOT decided (left as configured): %s\n", r->cross_skip);
    if (fault_ns > 0)
        hdr(buf, ";   minor fault %.1f ns per first touch of a fresh 4 KiB page (median of trials; %.3f\n"
                 ";        perf::MINOR-FAULTS per page)\n", fault_ns, fpp);
    if (f->pf_ratio > 0)
        hdr(buf, ";   prefetch: page-local / global chase inside %s and the DTLB reach = %.2f (%s %.2f): %s\n",
            r->in.nlevels > 1 ? r->in.names[1] : "-", f->pf_ratio, f->prefetch_detected ? "<" : ">=", CAL_PF_RATIO,
            f->prefetch_detected ? (r->pf_set ? "a spatial hardware prefetcher exists; modelled as the Zen/Intel-style\n"
                                                ";        pair first level = stride, second level = stream (type not measurable by chase)"
                                              : "a spatial hardware prefetcher exists; prefetchers left as configured\n"
                                                ";        (the simulated stream prefetcher also speeds up the page-local chase at RAM\n"
                                                ";        sizes, which the measured RAM latency already includes; --no-prefetchers was given)")
                                 : "no prefetcher evidence from the shuffled chases");
    if (f->seq_ratio > 0)
        hdr(buf, ";   prefetch: chase in address order at %zu B / page-local chase at %zu B = %.2f (%s %.2f): %s\n",
            r->in.seq.size, f->seq_page_size, f->seq_ratio, f->seq_prefetch ? "<" : ">=", CAL_SEQ_RATIO,
            !f->seq_prefetch ? "no prefetcher follows the lines"
            : f->prefetch_detected ? "a prefetcher follows the lines too"
            : r->pf_set ? "a prefetcher follows the lines (one load per line: nothing else speeds it);\n"
                          ";        modelled as first level = stride, second level = stream; the levels' latencies\n"
                          ";        still come from the page-local ladder, which it does not speed up"
                        : "a prefetcher follows the lines; prefetchers left as configured");
    if (f->pf_ratio > 0 || f->seq_ratio > 0) {
        int any = f->prefetch_detected || f->seq_prefetch;
        hdr(buf, ";   prefetchers: %s\n", r->pf_set ? "first level stride, second level stream (set by calibrate)"
                                          : any ? "left as configured" : "left as configured (no evidence)");
    }
    if (r->machine)
        cal_machine_header(&r->mach, ghz, buf, CAL_HEADER_MAX);
    hdr(buf, "; Not calibrated: MSHRs, prefetcher types, degrees and distances, open DRAM rows; the TLB sizes\n"
             "; are the base config's (CPUID's or defaults), which the probes above set (first-level data TLB)\n"
             "; or only shrink (second level); the instruction TLB keeps the base config's (see README).\n\n");
}

/* Prints the fit on stdout. */
static void print_fit(const cal_run *r, const mh_config *out, const cal_fit_out *f, double fault_ns, double fpp)
{
    double ghz = out->frequency_ghz;
    printf("%-6s %10s %10s %8s\n", "level", "ns", "cycles", "points");
    for (size_t i = 0; i < r->in.nlevels; i++)
        if (f->level_points[i])
            printf("%-6s %10.2f %10.2f %8zu\n", r->in.names[i], f->level_ns[i], f->level_ns[i] * ghz, f->level_points[i]);
        else
            printf("%-6s %10s %10s %8d\n", r->in.names[i], "-", "-", 0);
    if (f->ram_points)
        printf("%-6s %10.2f %10.2f %8zu\n", "RAM", f->ram_ns, f->ram_ns * ghz, f->ram_points);
    if (f->tlb_points)
        printf("%-6s %10.2f %10.2f %8zu  (TLB miss; walk %.2f cycles)\n", "TLB", f->tlb_miss_ns, f->tlb_miss_ns * ghz,
               f->tlb_points, f->walk_ns * ghz);
    const cal_refine_out *q = &r->refine;
    if (q->done)
        printf("model-consistent: RAM %.2f -> %.2f ns, walk %.2f -> %.2f cycles (chase replays: page-local %.2f -> %.2f ns,"
               " global %.2f -> %.2f ns; measured %.2f, %.2f)\n", q->x0[0], q->x[0], q->x0[1] * ghz, q->x[1] * ghz,
               q->sim0[0], q->sim[0], q->sim0[1], q->sim[1], q->meas[0], q->meas[1]);
    if (r->rounds > 1)
        printf("ladder measured in %d rounds: the rounds' medians of a point span %.1f%% of its median (median over"
               " points), at most %.1f%% (chase %s %zu B)\n", r->rounds, r->drift_med, r->drift_max,
               r->drift_variant ? r->drift_variant : "-", r->drift_at);
    if (r->split_ok)
        printf("memory miss split (chase g1..g8 at %zu B, diagnostic): R %.2f ns a load from memory, W %.2f ns a TLB"
               " miss\n", r->split_size, r->split_r, r->split_w);
    if (r->mlp_ns > 0)
        printf("misses in flight (diagnostic): %d interleaved global chases %.2f ns per load, g1 %.2f: ~%.1f\n",
               CAL_CHAINS_MAX, r->mlp_ns, r->split_t[0], r->split_t[0] / r->mlp_ns);
    printf("minor fault: %.1f ns per page (%.3f faults/page)\n", fault_ns, fpp);
    if (f->seq_ratio > 0)
        printf("prefetch: address-order/page-local chase at %zu B = %.2f -> %s\n", r->in.seq.size, f->seq_ratio,
               f->seq_prefetch ? "a prefetcher follows the lines" : "no prefetcher follows the lines");
    if (r->walk.done)
        printf("page walk: %s (global chase past the DTLB, %zu points: median |error| %.1f%% fixed, %.1f%% chosen)\n",
               r->walk.cand[r->walk.chosen].nested ? "nested" : "fixed", r->walk.npoints, r->walk.cand[0].median_err,
               r->walk.cand[r->walk.chosen].median_err);
    if (r->cross.done)
        printf("prefetch: address-order chase at %zu B %.2f ns, replayed %.2f (page-bound) / %.2f (crossing) -> "
               "%s.cross_pages = %s\n", r->cross.size, r->cross.meas, r->cross.sim[0], r->cross.sim[1],
               r->cfg->level[r->cfg->data].name, r->cross.cross ? "yes" : "no");
    if (f->pf_ratio > 0)
        printf("prefetch: page-local/global = %.2f -> %s\n", f->pf_ratio,
               r->pf_set ? "hardware prefetcher detected: set first level stride, second level stream"
                         : f->prefetch_detected ? "hardware prefetcher detected (prefetchers left as configured: --no-prefetchers)"
                                                : "none detected");
    if (r->core_ghz > 0)
        printf("core: %.3f GHz (nominal %g), base_cpi %.3f\n", r->core_ghz, r->nominal_ghz, r->core_cpi);
    if (r->machine) {
        printf("machine: mem_cpi %.3f, tlb.L1d %u entries, tlb.L2 %.2f cycles, RAM %.1f GB/s", r->mach.mem_cpi,
               r->mach.tlb.l1_entries, r->mach.tlb.l2_latency, r->mach.ram_gbs);
        for (size_t i = 0; i + 1 < r->mach.nlevels; i++)
            if (r->mach.link_gbs[i] > 0)
                printf(", %s<-%s %.1f B/cycle", r->mach.names[i], r->mach.names[i + 1], r->mach.link_gbs[i] / ghz);
        printf("\n");
    }
}

/* The ladder: --sizes, or 4 KiB to 8x (quick: 4x) the last level, so RAM has several points >= 4x. */
static size_t ladder(const cal_run *r, size_t *out, size_t cap)
{
    if (r->cli->sizes) {
        size_t n = r->cli->nsizes < cap ? r->cli->nsizes : cap;
        memcpy(out, r->cli->sizes, n * sizeof *out);
        return n;
    }
    size_t llc = (size_t)r->in.capacity[r->in.nlevels - 1];
    unsigned steps = r->cli->mode == 1 ? 1 : r->cli->mode == 2 ? 4 : 2;
    return bench_size_ladder(4096, llc * (r->cli->mode == 1 ? 4 : 8), steps, out, cap);
}

/* Probes the core and the machine (unless --no-core-probe): sets frequency_ghz, base_cpi,
 * induction_latency, then (cal_machine_probe) mem_cpi, the L1 DTLB, the tlb.L2 latency and the
 * bandwidths in out. */
static int core_probe(cal_run *r, mh_config *out, mh_error *err)
{
    char buf[64];
    mh_error e = {0};
    r->nominal_ghz = out->frequency_ghz;
    r->base_cpi_in = out->base_cpi;
    if (r->cli->no_probe)
        return MH_OK;
    if (cal_core_probe(&r->core_ghz, &r->core_cpi, &e) != MH_OK) {
        fprintf(stderr, "%s\n", e.msg);
        r->core_ghz = 0;
        return MH_OK;
    }
    r->clock_ghz[0] = r->core_ghz;
    r->clock_cpi[0] = r->core_cpi;
    r->nclock = 1;
    snprintf(buf, sizeof buf, "%.3f", r->core_ghz);
    int rc = mh_config_set(out, "hierarchy.frequency_ghz", buf, err);
    snprintf(buf, sizeof buf, "%.3f", r->core_cpi);
    if (rc == MH_OK)
        rc = mh_config_set(out, "hierarchy.base_cpi", buf, err);
    if (rc == MH_OK) /* the frequency probe defines a cycle as one dependent add */
        rc = mh_config_set(out, "hierarchy.induction_latency", "1", err);
    if (rc == MH_OK) { /* in cycles at the probed clock: load pipes, TLB, link bandwidths */
        rc = cal_machine_probe(out, &r->mach, err);
        r->machine = rc == MH_OK;
    }
    return rc;
}

/* Sets frequency_ghz and base_cpi to the medians of the core probes taken at the start and after
 * each ladder round (a virtual CPU's clock moves by several per cent within minutes: one run's
 * single probe read 4.48 GHz where validate's rounds then read 4.24..4.38), and moves the machine
 * probes' cycle values to that clock. MH_OK or the first error. */
static int reclock(cal_run *r, mh_config *out, mh_error *err)
{
    if (r->core_ghz <= 0 || r->nclock < 2)
        return MH_OK;
    double g[CAL_MAX_ROUNDS + 1], c[CAL_MAX_ROUNDS + 1];
    memcpy(g, r->clock_ghz, sizeof g);
    memcpy(c, r->clock_cpi, sizeof c);
    double ghz = cal_median(g, (size_t)r->nclock), cpi = cal_median(c, (size_t)r->nclock);
    char buf[64];
    int rc = r->machine ? cal_machine_reclock(out, &r->mach, r->core_ghz, ghz, err) : MH_OK;
    snprintf(buf, sizeof buf, "%.3f", ghz);
    if (rc == MH_OK)
        rc = mh_config_set(out, "hierarchy.frequency_ghz", buf, err);
    snprintf(buf, sizeof buf, "%.3f", cpi);
    if (rc == MH_OK)
        rc = mh_config_set(out, "hierarchy.base_cpi", buf, err);
    if (rc == MH_OK) {
        r->core_ghz = ghz;
        r->core_cpi = cpi;
    }
    return rc;
}

/* Opens the ladder CSV (a temporary file; an anonymous one without --csv) and runs both ladders,
 * round after round (page-local then global in each), so a slow spell of a shared machine hits
 * one round of a point, not all of them; after each round the TLB and the bandwidths are probed
 * again into out (the best probe is kept). */
static int measure_ladders(cal_run *r, const size_t *sizes, size_t n, mh_config *out, mh_error *err)
{
    int rc = counters_setup(r, err);
    if (rc != MH_OK)
        return rc;
    if (r->cli->csv && !(r->csv = mh_tmpfile_open(r->cli->csv, r->csv_tmp, sizeof r->csv_tmp, err)))
        return MH_EIO;
    if (!r->csv && !(r->csv = tmpfile()))
        return mh_error_set(err, MH_EIO, "calibrate: cannot create a temporary file");
    cal_csv_header(r->csv, r->h.ctr);
    int rounds = r->cli->rounds ? r->cli->rounds : r->cli->mode == 0 ? 3 : 1;
    cal_pending *pend = calloc(2 * (n ? n : 1), sizeof *pend);   /* [0, n): page; [n, 2n): global */
    double *drift = calloc(2 * (n ? n : 1), sizeof *drift);
    if (!pend || !drift) {
        free(pend);
        free(drift);
        return mh_error_set(err, MH_ENOMEM, "calibrate: out of memory");
    }
    for (size_t i = 0; i < 2 * n; i++)
        pend[i].size = sizes[i % n];
    double seq[CAL_MAX_ROUNDS] = {0};
    for (int k = 0; rc == MH_OK && k < rounds; k++) {
        rc = measure_round(r, "page", pend, n, k, err);
        if (rc == MH_OK)
            rc = measure_round(r, "global", pend + n, n, k, err);
        if (rc == MH_OK && k < CAL_MAX_ROUNDS)
            rc = measure_seq(r, &seq[k], err);
        if (rc == MH_OK && r->machine) /* TLB and bandwidths again after each round: the best moment counts */
            rc = cal_machine_again(out, &r->mach, err);
        if (rc == MH_OK && r->core_ghz > 0 && r->nclock <= CAL_MAX_ROUNDS) { /* and the clock */
            mh_error e = {0};
            int i = r->nclock;
            if (cal_core_probe(&r->clock_ghz[i], &r->clock_cpi[i], &e) == MH_OK)
                r->nclock++;
        }
    }
    if (rc == MH_OK)
        rc = reclock(r, out, err);
    r->rounds = rc == MH_OK ? rounds : 1;
    int nseq = r->rounds < CAL_MAX_ROUNDS ? r->rounds : CAL_MAX_ROUNDS;
    if (r->in.nlevels >= 2 && seq[0] > 0)
        r->in.seq = (cal_point){.size = (size_t)(4 * r->in.capacity[1]), .ns = cal_median(seq, (size_t)nseq)};
    finish_variant(r, pend, n, r->rounds, r->page, &r->in.npage, drift, "page");
    finish_variant(r, pend + n, n, r->rounds, r->global, &r->in.nglobal, drift + r->in.npage, "global");
    size_t nd = r->in.npage + r->in.nglobal;
    r->drift_med = nd ? cal_median(drift, nd) : 0;
    free(pend);
    free(drift);
    r->in.page = r->page;
    r->in.global = r->global;
    return rc;
}

/* A failed model-consistent step's message without its "calibrate: " prefix (the header's reason). */
static const char *skip_reason(const mh_error *e)
{
    return strncmp(e->msg, "calibrate: ", 11) ? e->msg : e->msg + 11;
}

/* Fits, applies and writes the calibrated config (the header says what was measured). */
static int fit_and_write(cal_run *r, mh_config *out, double fault_ns, double fpp, mh_error *err)
{
    cal_fit_out fit;
    int rc = cal_fit(&r->in, &fit, err), had_pf = 0;
    for (int lv = out->data; lv >= 0; lv = out->level[lv].next)
        had_pf |= out->level[lv].prefetcher != MH_PF_NONE;
    if (rc == MH_OK)
        rc = cal_apply(out, &r->in, &fit, fault_ns,
                       (r->cli->set_pf ? CAL_APPLY_PF : 0u) | (r->cli->keep_sizes ? 0u : CAL_APPLY_SIZES), err);
    if (rc == MH_OK && r->machine) /* a shrunk level: its link was probed past what it holds */
        rc = cal_machine_relink(out, &r->mach, r->in.capacity, 3, err);
    if (rc == MH_OK && r->machine && r->mlp_ns > 0 && r->split_t[0] > 0) /* a link chase bound by MLP */
        rc = cal_machine_mlp_links(out, &r->mach, r->split_t[0] / r->mlp_ns, err);
    r->pf_set = rc == MH_OK && r->cli->set_pf && (fit.prefetch_detected || fit.seq_prefetch) && !had_pf;
    if (rc == MH_OK) {
        if (isatty(STDERR_FILENO))
            fprintf(stderr, "calibrate: replaying the chase at RAM sizes through the fitted model...\n");
        mh_error rerr = {0};
        int rrc = cal_refine_memory(out, &r->in, &fit, r->cli->seed, BENCH_RECORDS_DEFAULT, &r->refine, &rerr);
        if (rrc != MH_OK) { /* the analytic values stand; the header says why they were not refined */
            snprintf(r->refine_skip, sizeof r->refine_skip, "%s", skip_reason(&rerr));
            fprintf(stderr, "calibrate: RAM and walk not made model-consistent: %s (analytic values kept)\n",
                    r->refine_skip);
        }
        if (rrc == MH_OK && (rrc = cal_refine_walk(out, &r->in, r->cli->seed, BENCH_RECORDS_DEFAULT, &r->walk,
                                                   &rerr)) != MH_OK) {
            snprintf(r->walk_skip, sizeof r->walk_skip, "%s", skip_reason(&rerr));
            fprintf(stderr, "calibrate: page-walk model not compared: %s (fixed walk kept)\n", r->walk_skip);
        }
        if (r->seq_ns > 0 && (rrc = cal_refine_cross(out, r->split_size, r->cli->seed, BENCH_RECORDS_DEFAULT,
                                                     r->seq_ns, &r->cross, &rerr)) != MH_OK) {
            snprintf(r->cross_skip, sizeof r->cross_skip, "%s", skip_reason(&rerr));
            fprintf(stderr, "calibrate: cross_pages not decided: %s (left as configured)\n", r->cross_skip);
        }
    }
    char *header = rc == MH_OK ? calloc(1, CAL_HEADER_MAX) : NULL;
    if (rc == MH_OK && !header)
        rc = mh_error_set(err, MH_ENOMEM, "calibrate: out of memory");
    if (rc == MH_OK) {
        build_header(r, out, &fit, fault_ns, fpp, header);
        rc = cal_write_config(out, header, r->cli->out, err);
    }
    if (rc == MH_OK)
        print_fit(r, out, &fit, fault_ns, fpp);
    free(header);
    return rc;
}

/* Runs the probes and the ladder, fits, and writes the outputs. */
static int calibrate_main(cal_run *r, mh_error *err)
{
    size_t sizes[BENCH_SIZES_MAX], n;
    double fault_ns = 0, fpp = -1;
    mh_config *out = mh_config_clone(r->cfg);
    if (!out)
        return mh_error_set(err, MH_ENOMEM, "calibrate: out of memory");
    pin(r);
    int rc = core_probe(r, out, err);
    if (rc == MH_OK)
        rc = cal_levels_from_config(out, &r->in, err);
    n = rc == MH_OK ? ladder(r, sizes, BENCH_SIZES_MAX) : 0;
    r->page = calloc(n ? n : 1, sizeof *r->page);
    r->global = calloc(n ? n : 1, sizeof *r->global);
    if (rc == MH_OK && (!r->page || !r->global))
        rc = mh_error_set(err, MH_ENOMEM, "calibrate: out of memory");
    r->h.min_time = r->cli->min_time > 0 ? r->cli->min_time : r->cli->mode == 1 ? 0.02 : r->cli->mode == 2 ? 0.2 : 0.1;
    r->h.min_reps = 3;
    r->h.tsc_ghz = bench_tsc_ghz();
    if (rc == MH_OK)
        rc = measure_ladders(r, sizes, n, out, err);
    if (rc == MH_OK)
        rc = measure_split(r, sizes, n, err);
    if (rc == MH_OK)
        rc = cal_minor_fault(256, r->cli->mode == 1 ? 15 : 41, &fault_ns, &fpp, err);
    if (rc == MH_OK)
        rc = fit_and_write(r, out, fault_ns, fpp, err);
    if (r->csv) {
        int crc = r->cli->csv ? mh_tmpfile_commit(r->csv, r->csv_tmp, r->cli->csv, rc == MH_OK, err) : (fclose(r->csv), MH_OK);
        if (rc == MH_OK)
            rc = crc;
    }
    r->csv = NULL;
    if (rc == MH_OK)
        printf("wrote %s%s%s\n", r->cli->out, r->cli->csv ? " and " : "", r->cli->csv ? r->cli->csv : "");
    mh_config_free(out);
    return rc;
}

/* `memhier calibrate`: see usage(). */
int cmd_calibrate(int argc, char **argv)
{
    cal_cli c = {0};
    cal_run r = {.cli = &c};
    mh_error err = {0};
    int rc = parse_cli(argc, argv, &c, &err), status;
    if (rc == 1) {
        usage(stdout);
        free(c.sizes);
        return MH_EXIT_OK;
    }
    if (rc != MH_OK) {
        free(c.sizes);
        return cli_fail(&err);
    }
    if ((rc = mh_config_load(c.config, &r.cfg, &err)) != MH_OK) {
        free(c.sizes);
        return cli_fail(&err);
    }
    cli_catch_signals();
    rc = calibrate_main(&r, &err);
    status = rc == MH_OK ? MH_EXIT_OK : rc == MH_EINTR ? cli_interrupt_status() : cli_fail(&err);
    ctr_destroy(r.h.ctr);
    mh_config_free(r.cfg);
    free(r.page);
    free(r.global);
    free(c.sizes);
    return status;
}
