/* cmd_bench.c — `memhier bench`: run kernels over a size ladder, write CSV (temp + rename),
 * print a human summary, and optionally capture every point to a .mht trace. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "counters.h"
#include "harness.h"
#include "kernels.h"
#include "sizes.h"
#include "topo.h"

#ifndef MH_VERSION_STRING
#define MH_VERSION_STRING "unknown"
#endif

#define MAX_SEL 64 /* kernels, variants, distances, strides, events per option */

static volatile sig_atomic_t bench_stop_signal; /* signal number that asked us to stop */

/* Records SIGINT/SIGTERM; the run stops between repetitions and cleans up. */
static void on_signal(int sig)
{
    bench_stop_signal = sig;
}

/* Parsed command line. */
typedef struct bench_cli {
    const bench_kernel *kernels[MAX_SEL]; size_t nk;  /* selected kernels, in order */
    const char *variants[MAX_SEL]; size_t nv;         /* --variant filter */
    long dist[MAX_SEL]; size_t nd;                    /* --distance list */
    long stride[MAX_SEL]; size_t ns;                  /* --stride list */
    char *events[MAX_SEL]; size_t ne; int no_events;  /* --events list (strdup'ed) */
    size_t *sizes; size_t nsizes;                     /* --sizes (NULL: ladder) */
    double min_time; int min_time_set, quick, list, core;
    size_t frame, max_free; uint64_t seed, records;
    const char *out, *capture_dir;
} bench_cli;

/* Everything one run needs while looping over points. */
typedef struct bench_run {
    bench_cli *cli;
    bench_harness h;
    FILE *csv; char *tmp;        /* temp CSV (renamed at the end) */
    FILE *sum;                   /* human summary stream */
    int core;                    /* pinned core, -1 if not pinned */
    char host[64];
    unsigned rows;
} bench_run;

/* Prints the kernel table for --list: name and description, then variants and parameters. */
static void list_kernels(FILE *f)
{
    for (size_t i = 0; i < bench_nkernels; i++) {
        const bench_kernel *k = &bench_kernels[i];
        fprintf(f, "%-9s %s\n%9s variants:", k->name, k->desc, "");
        for (size_t v = 0; v < k->nvariants; v++) {
            const bench_variant *x = &k->variants[v];
            fprintf(f, " %s (%uL %uS%s%s)", x->name, x->loads, x->stores, x->prefetches ? " 1P" : "",
                    x->dependent ? " dep" : "");
        }
        fprintf(f, "\n%9s params: %s\n", "", k->params);
    }
    fprintf(f, "L/S/P = loads/stores/prefetches per iteration; dep = each load depends on the previous\n");
}

/* Usage text. */
static void usage(FILE *f)
{
    fprintf(f,
            "usage: memhier bench [options]\n"
            "  --list               list kernels and exit\n"
            "  --kernel K[,K...]    kernels to run (repeatable; default all)\n"
            "  --variant V[,V...]   variants to run (default: all of each kernel)\n"
            "  --sizes LIST         e.g. 16K:64M, 16K:64M:2 (points per doubling), 4K,8K,1M\n"
            "                       (default 4K to 4x the last-level cache, 4 points per doubling)\n"
            "  --min-time S         seconds of repetitions per point (default 0.2)\n"
            "  --distance D[,D...]  prefetch distances (default 0,1,2,4,8,16)\n"
            "  --stride N[,N...]    stride bytes (default 64,256,4096)\n"
            "  --frame N            stack frame array bytes (default 256)\n"
            "  --max-free N         pool free-list bound (default 4096)\n"
            "  --seed N             RNG seed (default 1)\n"
            "  --capture DIR        also write DIR/<kernel>-<variant>-<size>.mht per point\n"
            "  --records N          records per captured trace (default 2000000)\n"
            "  --events LIST|none   PAPI events per repetition (default: the counters' default list)\n"
            "  --core N             pin to core N (hwloc logical index; default: the last core)\n"
            "  -o FILE              CSV output (default stdout)\n"
            "  --quick              fewer sizes, variants and distances; min-time 0.02\n");
}

/* Splits a comma list into cli-owned pointers into a strdup'ed copy (kept for the run). */
static int split_list(char *s, const char **out, size_t *n, const char *opt, mh_error *err)
{
    for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
        if (*n >= MAX_SEL)
            return mh_error_set(err, MH_EINVAL, "%s: more than %d entries", opt, MAX_SEL);
        out[(*n)++] = tok;
    }
    return MH_OK;
}

/* Parses a comma list of integers in [min, max]. */
static int parse_longs(const char *text, const char *opt, long min, long max, long *out, size_t *n,
                       mh_error *err)
{
    const char *s = text;
    int item = 1;
    for (;;) {
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (end == s || (*end && *end != ',') || errno)
            return mh_error_set(err, MH_EINVAL, "%s \"%s\": item %d is not an integer", opt, text, item);
        if (v < min || v > max)
            return mh_error_set(err, MH_EINVAL, "%s \"%s\": item %d: %ld must be >= %ld and <= %ld", opt,
                                text, item, v, min, max);
        if (*n >= MAX_SEL)
            return mh_error_set(err, MH_EINVAL, "%s: more than %d entries", opt, MAX_SEL);
        out[(*n)++] = v;
        if (!*end)
            return MH_OK;
        s = end + 1;
        item++;
    }
}

/* Parses one unsigned number option with bounds. */
static int parse_u64(const char *text, const char *opt, uint64_t min, uint64_t max, uint64_t *v,
                     mh_error *err)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(text, &end, 10);
    if (end == text || *end || errno || text[0] == '-' || x < min || x > max)
        return mh_error_set(err, MH_EINVAL, "%s \"%s\": must be an integer >= %llu and <= %llu", opt, text,
                            (unsigned long long)min, (unsigned long long)max);
    *v = x;
    return MH_OK;
}

/* Adds kernels named in a comma list. */
static int add_kernels(bench_cli *c, char *list, mh_error *err)
{
    const char *names[MAX_SEL];
    size_t n = 0;
    int rc = split_list(list, names, &n, "--kernel", err);
    for (size_t i = 0; rc == MH_OK && i < n; i++) {
        const bench_kernel *k = bench_kernel_find(names[i]);
        if (!k)
            return mh_error_set(err, MH_EINVAL,
                                "bench: unknown kernel '%s' (known: chase, stream, stride, stack, heap, pool, prefetch)",
                                names[i]);
        if (c->nk >= MAX_SEL)
            return mh_error_set(err, MH_EINVAL, "--kernel: more than %d entries", MAX_SEL);
        c->kernels[c->nk++] = k;
    }
    return rc;
}

enum { O_LIST = 256, O_KERNEL, O_VARIANT, O_SIZES, O_MINTIME, O_DIST, O_STRIDE, O_FRAME, O_MAXFREE,
       O_SEED, O_CAPTURE, O_RECORDS, O_EVENTS, O_CORE, O_QUICK, O_HELP };

static const struct option bench_longopts[] = {
    {"list", no_argument, NULL, O_LIST}, {"kernel", required_argument, NULL, O_KERNEL},
    {"variant", required_argument, NULL, O_VARIANT}, {"sizes", required_argument, NULL, O_SIZES},
    {"min-time", required_argument, NULL, O_MINTIME}, {"distance", required_argument, NULL, O_DIST},
    {"stride", required_argument, NULL, O_STRIDE}, {"frame", required_argument, NULL, O_FRAME},
    {"max-free", required_argument, NULL, O_MAXFREE}, {"seed", required_argument, NULL, O_SEED},
    {"capture", required_argument, NULL, O_CAPTURE}, {"records", required_argument, NULL, O_RECORDS},
    {"events", required_argument, NULL, O_EVENTS}, {"core", required_argument, NULL, O_CORE},
    {"quick", no_argument, NULL, O_QUICK}, {"help", no_argument, NULL, O_HELP},
    {NULL, 0, NULL, 0},
};

/* Handles one option; MH_OK, MH_EINVAL (message in err) or 1 for --help. */
static int handle_opt(bench_cli *c, int o, char *arg, char **keep, mh_error *err)
{
    uint64_t v = 0;
    int rc = MH_OK;
    switch (o) {
    case O_LIST: c->list = 1; break;
    case O_KERNEL: *keep = strdup(arg); rc = *keep ? add_kernels(c, *keep, err) : MH_ENOMEM; break;
    case O_VARIANT: *keep = strdup(arg); rc = *keep ? split_list(*keep, c->variants, &c->nv, "--variant", err) : MH_ENOMEM; break;
    case O_SIZES:
        free(c->sizes);
        c->sizes = NULL;
        rc = bench_parse_sizes(arg, &c->sizes, &c->nsizes, err);
        break;
    case O_MINTIME: {
        char *end;
        double t = strtod(arg, &end);
        if (end == arg || *end || !(t > 0 && t <= 3600))
            rc = mh_error_set(err, MH_EINVAL, "--min-time \"%s\": must be seconds > 0 and <= 3600", arg);
        c->min_time = t;
        c->min_time_set = 1;
        break;
    }
    case O_DIST: c->nd = 0; rc = parse_longs(arg, "--distance", 0, 1 << 20, c->dist, &c->nd, err); break;
    case O_STRIDE:
        c->ns = 0;
        rc = parse_longs(arg, "--stride", 8, 1L << 30, c->stride, &c->ns, err);
        for (size_t i = 0; rc == MH_OK && i < c->ns; i++)
            if (c->stride[i] % 8)
                rc = mh_error_set(err, MH_EINVAL, "--stride \"%s\": item %zu: %ld must be a multiple of 8", arg,
                                  i + 1, c->stride[i]);
        break;
    case O_FRAME: rc = parse_u64(arg, "--frame", 8, 1 << 20, &v, err); c->frame = (size_t)v; break;
    case O_MAXFREE: rc = parse_u64(arg, "--max-free", 0, 1u << 30, &v, err); c->max_free = (size_t)v; break;
    case O_SEED: rc = parse_u64(arg, "--seed", 0, UINT64_MAX, &c->seed, err); break;
    case O_CAPTURE: c->capture_dir = arg; break;
    case O_RECORDS: rc = cli_parse_count(arg, "--records", 1, 1ULL << 40, &c->records, err); break;
    case O_EVENTS:
        c->no_events = !strcmp(arg, "none");
        if (!c->no_events) {
            *keep = strdup(arg);
            rc = *keep ? split_list(*keep, (const char **)c->events, &c->ne, "--events", err) : MH_ENOMEM;
        }
        break;
    case O_CORE: rc = parse_u64(arg, "--core", 0, 4096, &v, err); c->core = (int)v; break;
    case O_QUICK: c->quick = 1; break;
    case O_HELP: return 1;
    case 'o': c->out = arg; break;
    default: return mh_error_set(err, MH_EINVAL, "bench: bad option (memhier bench --help lists them)");
    }
    if (rc == MH_ENOMEM)
        mh_error_set(err, rc, "bench: out of memory");
    return rc;
}

/* Parses argv into c; keep[] collects strdup'ed strings to free. */
static int parse_cli(int argc, char **argv, bench_cli *c, char **keep, size_t *nkeep, mh_error *err)
{
    c->min_time = 0.2;
    c->core = -1;
    c->seed = 1;
    c->records = BENCH_RECORDS_DEFAULT;
    opterr = 0;
    optind = 0; /* full getopt reset: cmd_bench may run more than once per process (tests) */
    int o, rc = MH_OK;
    while (rc == MH_OK && (o = getopt_long(argc, argv, "o:h", bench_longopts, NULL)) != -1) {
        if (o == 'h')
            o = O_HELP;
        if (o == '?' || o == ':')
            return mh_error_set(err, MH_EINVAL, "bench: unknown option or missing value '%s' (see --help)",
                                argv[optind - 1]);
        if (*nkeep >= 4 * MAX_SEL)
            return mh_error_set(err, MH_EINVAL, "bench: too many options");
        keep[*nkeep] = NULL;
        rc = handle_opt(c, o, optarg, &keep[*nkeep], err);
        if (keep[*nkeep])
            (*nkeep)++;
    }
    if (rc == MH_OK && optind < argc)
        rc = mh_error_set(err, MH_EINVAL, "bench: unexpected argument '%s'", argv[optind]);
    return rc;
}

/* Checks that every --variant name belongs to at least one selected kernel. */
static int check_variants(const bench_cli *c, mh_error *err)
{
    for (size_t i = 0; i < c->nv; i++) {
        const bench_variant *found = NULL;
        long param = 0;
        for (size_t k = 0; k < c->nk && !found; k++)
            found = bench_variant_find(c->kernels[k], c->variants[i], &param);
        if (!found)
            return mh_error_set(err, MH_EINVAL,
                                "bench: unknown variant '%s' for the selected kernels (memhier bench --list shows them)",
                                c->variants[i]);
        if (!strcmp(found->name, "s*") && (param < 8 || param % 8)) /* a numbered stride variant */
            return mh_error_set(err, MH_EINVAL, "bench: variant '%s': stride %ld must be a multiple of 8 and >= 8",
                                c->variants[i], param);
        if (!strcmp(found->name, "g*") && (param < 1 || param > BENCH_PAGE / BENCH_LINE)) /* chase groups */
            return mh_error_set(err, MH_EINVAL, "bench: variant '%s': %ld lines per group, must be 1..%d",
                                c->variants[i], param, BENCH_PAGE / BENCH_LINE);
    }
    return MH_OK;
}

/* Writes the CSV header (fixed columns, then one per event). */
static void csv_header(bench_run *r)
{
    fputs("kernel,variant,size_bytes,reps,ns_median,ns_min,ns_p10,ns_p90,cycles_median,accesses,"
          "loads_per_iter,stores_per_iter,dependent,alloc_rate,peak_rss_bytes,fragmentation,live_objects,core",
          r->csv);
    for (size_t i = 0; r->h.ctr && i < ctr_count(r->h.ctr); i++)
        fprintf(r->csv, ",%s", ctr_name(r->h.ctr, i));
    fputc('\n', r->csv);
}

/* One measured point's identity. */
typedef struct point {
    const bench_kernel *k;
    const bench_variant *v;
    long param;
    size_t size;
    char label[32];
} point;

/* Writes one CSV row. */
static void csv_row(bench_run *r, const point *pt, const bench_info *info, const bench_stats *st,
                    const bench_metrics *m)
{
    fprintf(r->csv, "%s,%s,%zu,%llu,%.4f,%.4f,%.4f,%.4f,%.3f,%llu,%u,%u,%d,", pt->k->name, pt->label, pt->size,
            (unsigned long long)st->reps, st->ns_median, st->ns_min, st->ns_p10, st->ns_p90, st->cycles_median,
            (unsigned long long)info->accesses, pt->v->loads, pt->v->stores, pt->v->dependent);
    if (m->has)
        fprintf(r->csv, "%.0f,%llu,%.4f,%lld,", m->alloc_rate, (unsigned long long)m->peak_rss,
                m->fragmentation, (long long)m->live_objects);
    else
        fputs(",,,,", r->csv);
    if (r->core >= 0)
        fprintf(r->csv, "%d", r->core);
    for (size_t i = 0; i < st->nevents; i++) {
        if (st->events[i] == CTR_NOT_MEASURED)
            fputs(",NA", r->csv);
        else
            fprintf(r->csv, ",%lld", st->events[i]);
    }
    fputc('\n', r->csv);
}

/* Fills trace metadata for a captured point. */
static void capture_meta(const bench_run *r, const point *pt, const bench_info *info, mh_meta *m)
{
    char buf[224], when[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    memset(m, 0, sizeof *m);
    mh_meta_set(m, "source", "memhier bench");
    mh_meta_set(m, "kernel", pt->k->name);
    mh_meta_set(m, "variant", pt->label);
    snprintf(buf, sizeof buf, "size=%zu %s", pt->size, info->params);
    mh_meta_set(m, "params", buf);
    snprintf(buf, sizeof buf, "%u", pt->k->gap);
    mh_meta_set(m, "gap_estimate", buf);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)r->cli->records);
    mh_meta_set(m, "records_budget", buf);
    mh_meta_set(m, "host", r->host);
    mh_meta_set(m, "created", when);
    mh_meta_set(m, "version", MH_VERSION_STRING);
}

/* Captures a point into DIR/kernel-variant-size.mht and prints the capture/native cost ratio. */
static int capture_one(bench_run *r, const point *pt, void *state, const bench_info *info,
                       const bench_stats *st, mh_error *err)
{
    char path[4096];
    mh_meta meta;
    snprintf(path, sizeof path, "%s/%s-%s-%zu.mht", r->cli->capture_dir, pt->k->name, pt->label, pt->size);
    capture_meta(r, pt, info, &meta);
    bench_capture_cost cost = {0};
    int rc = bench_capture_point_cost(pt->k, state, path, &meta, r->cli->records, &cost, err);
    if (rc == MH_OK)
        fprintf(r->sum, "%9s capture: %s, %llu records; per record: hook %.2f ns = %.1fx native, "
                "with writer %.2f ns = %.1fx native (kernel thread, buffer waits included; "
                "writer thread drain after the run %.2f ns)\n", "", path, (unsigned long long)cost.records,
                cost.ns_hook, st->ns_median > 0 ? cost.ns_hook / st->ns_median : 0, cost.ns_total,
                st->ns_median > 0 ? cost.ns_total / st->ns_median : 0, cost.ns_drain);
    return rc;
}

/* Runs one point: setup, measure, optional capture, teardown, CSV row and summary line. */
static int run_point(bench_run *r, point *pt, mh_error *err)
{
    bench_params p = {.size = pt->size, .variant = pt->v, .param = pt->param, .frame = r->cli->frame,
                      .max_free = r->cli->max_free, .seed = r->cli->seed, .min_accesses = BENCH_MIN_ACCESSES};
    bench_info info = {0};
    bench_metrics m = {0};
    bench_stats st = {0};
    void *state = NULL;
    bench_variant_label(pt->v, pt->param, pt->label, sizeof pt->label);
    int rc = pt->k->setup(&p, &state, &info, err);
    if (rc == MH_EUNSUPPORTED) { /* e.g. stack deeper than RLIMIT_STACK: skip the point, say so */
        fprintf(r->sum, "%-9s %-10s %10zu skipped: %s\n", pt->k->name, pt->label, pt->size, err->msg);
        return MH_OK;
    }
    if (rc != MH_OK)
        return rc;
    rc = bench_measure(pt->k, state, &info, &r->h, &st, err);
    if (rc == MH_OK) {
        fprintf(r->sum, "%-9s %-10s %10zu %6llu %9.3f %9.3f %9.3f %8.2f", pt->k->name, pt->label, pt->size,
                (unsigned long long)st.reps, st.ns_median, st.ns_p10, st.ns_p90, st.cycles_median);
        fputc('\n', r->sum);
        if (st.ctr_warning[0])
            fprintf(r->sum, "%9s counters failed, events reported NA: %s\n", "", st.ctr_warning);
    }
    if (rc == MH_OK && r->cli->capture_dir)
        rc = capture_one(r, pt, state, &info, &st, err);
    mh_error terr;
    int trc = pt->k->teardown(state, &m, &terr);
    if (rc == MH_OK && trc != MH_OK) {
        *err = terr;
        rc = MH_EIO; /* a leak is a runtime failure */
    }
    if (rc == MH_OK) {
        if (m.has)
            fprintf(r->sum, "%9s %.0f allocs/s, peak RSS %llu B, fragmentation %.3f, live objects %lld\n", "",
                    m.alloc_rate, (unsigned long long)m.peak_rss, m.fragmentation, (long long)m.live_objects);
        csv_row(r, pt, &info, &st, &m);
        r->rows++;
    }
    bench_stats_free(&st);
    return rc;
}

/* The parameter list of a numbered variant: strides or distances (cli or defaults). */
static size_t numbered_params(const bench_cli *c, const bench_variant *v, long *out)
{
    static const long strides[] = {64, 256, 4096}, dists[] = {0, 1, 2, 4, 8, 16};
    static const long qstrides[] = {64, 4096}, qdists[] = {0, 8};
    int stride = v->name[0] == 's';
    const long *src = stride ? (c->quick ? qstrides : strides) : (c->quick ? qdists : dists);
    size_t n = stride ? (c->quick ? 2 : 3) : (c->quick ? 2 : 6);
    if (stride && c->ns) src = c->stride, n = c->ns;
    if (!stride && c->nd) src = c->dist, n = c->nd;
    memcpy(out, src, n * sizeof *out);
    return n;
}

/* Collects the points of kernel k in order (variants x params, each over all sizes via caller). */
static size_t kernel_variants(const bench_cli *c, const bench_kernel *k, const bench_variant **vs, long *ps)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nv; i++) { /* explicit --variant names matching this kernel */
        long param;
        const bench_variant *v = bench_variant_find(k, c->variants[i], &param);
        if (v && n < MAX_SEL)
            vs[n] = v, ps[n++] = param;
    }
    if (n)
        return n;
    for (size_t i = 0; i < k->nvariants && n < MAX_SEL; i++) {
        const bench_variant *v = &k->variants[i];
        if (v->probe) {
            continue; /* a probe runs only when named */
        } else if (v->name[strlen(v->name) - 1] == '*') {
            long params[MAX_SEL];
            size_t np = numbered_params(c, v, params);
            for (size_t j = 0; j < np && n < MAX_SEL; j++)
                vs[n] = v, ps[n++] = params[j];
        } else if (!c->quick || i == 0) {
            vs[n] = v, ps[n++] = 0;
        }
    }
    return n;
}

/* Runs every selected kernel x variant x size. */
static int run_all(bench_run *r, const size_t *sizes, size_t nsizes, mh_error *err)
{
    fprintf(r->sum, "%-9s %-10s %10s %6s %9s %9s %9s %8s\n", "kernel", "variant", "size", "reps", "ns/acc",
            "p10", "p90", "cyc/acc");
    for (size_t i = 0; i < r->cli->nk; i++) {
        const bench_variant *vs[MAX_SEL];
        long ps[MAX_SEL];
        size_t nv = kernel_variants(r->cli, r->cli->kernels[i], vs, ps);
        for (size_t v = 0; v < nv; v++)
            for (size_t s = 0; s < nsizes; s++) {
                if (bench_stop_signal)
                    return mh_error_set(err, MH_EINTR, "bench: interrupted by signal %d", (int)bench_stop_signal);
                point pt = {.k = r->cli->kernels[i], .v = vs[v], .param = ps[v], .size = sizes[s]};
                int rc = run_point(r, &pt, err);
                if (rc != MH_OK)
                    return rc;
            }
    }
    return MH_OK;
}

/* Pins the thread (hwloc) and picks the default ladder from the LLC size. */
static void platform_setup(bench_run *r, size_t **ladder, size_t *nl)
{
    topo_t *t = NULL;
    mh_error e = {0};
    uint64_t llc = 0;
    r->core = -1;
    if (topo_create(&t, &e) == MH_OK) {
        topo_pinning where;
        llc = topo_llc_bytes(t);
        if (topo_pin(t, r->cli->core, &where, &e) == MH_OK) {
            r->core = where.core;
            fprintf(r->sum, "pinned to core %d (PU %d); caches: %s\n", where.core, where.pu, where.caches);
        } else {
            fprintf(r->sum, "not pinned: %s\n", e.msg);
        }
        topo_destroy(t);
    } else {
        fprintf(r->sum, "no topology (%s): not pinned\n", e.msg);
    }
    if (!llc) {
        llc = 32u << 20;
        fprintf(r->sum, "last-level cache size unknown: ladder assumes 32 MiB\n");
    }
    *ladder = NULL;
    *nl = 0;
    if (!r->cli->sizes && (*ladder = malloc(BENCH_SIZES_MAX * sizeof **ladder)) != NULL)
        *nl = bench_size_ladder(4096, (size_t)llc * 4, r->cli->quick ? 1 : BENCH_LADDER_STEPS, *ladder,
                                BENCH_SIZES_MAX);
}

/* Creates the counter set (--events, default list, or none) and finds PAPI_TOT_CYC. */
static int counters_setup(bench_run *r, mh_error *err)
{
    r->h.cyc_event = -1;
    if (r->cli->no_events)
        return MH_OK;
    int rc = ctr_create(r->cli->ne ? (const char *const *)r->cli->events : NULL, r->cli->ne, &r->h.ctr, err);
    if (rc != MH_OK)
        return rc;
    for (size_t i = 0; i < ctr_count(r->h.ctr); i++) {
        if (!ctr_available(r->h.ctr, i))
            fprintf(r->sum, "event %s not measured: %s\n", ctr_name(r->h.ctr, i), ctr_reason(r->h.ctr, i));
        else if (!strcmp(ctr_name(r->h.ctr, i), "PAPI_TOT_CYC"))
            r->h.cyc_event = (int)i;
    }
    if (ctr_groups(r->h.ctr) > 1)
        fprintf(r->sum, "events in %d groups, counted in turn, one per repetition (more hardware events than "
                        "counters): each median is over its group's repetitions\n", ctr_groups(r->h.ctr));
    return MH_OK;
}

/* Opens the temporary CSV next to -o (or uses stdout). */
static int open_csv(bench_run *r, mh_error *err)
{
    if (!r->cli->out || !strcmp(r->cli->out, "-")) {
        r->csv = stdout;
        return MH_OK;
    }
    size_t len = strlen(r->cli->out) + 32;
    if (!(r->tmp = malloc(len)))
        return mh_error_set(err, MH_ENOMEM, "bench: out of memory");
    r->csv = mh_tmpfile_open(r->cli->out, r->tmp, len, err);
    return r->csv ? MH_OK : MH_EIO;
}

/* Closes the CSV: rename over -o on success, remove the temporary on failure. */
static int close_csv(bench_run *r, int ok, mh_error *err)
{
    FILE *f = r->csv;
    r->csv = NULL;
    if (!f || f == stdout) {
        if (f && fflush(stdout) != 0 && ok)
            return mh_error_set(err, MH_EIO, "stdout: write failed: %s", strerror(errno));
        return MH_OK;
    }
    int rc = mh_tmpfile_commit(f, r->tmp, r->cli->out, ok, err);
    return ok ? rc : MH_OK;
}

/* Validates the selection and defaults (all kernels when none named). */
static int finish_cli(bench_cli *c, mh_error *err)
{
    if (c->nk == 0)
        for (size_t i = 0; i < bench_nkernels && i < MAX_SEL; i++)
            c->kernels[c->nk++] = &bench_kernels[i];
    if (c->quick && !c->min_time_set)
        c->min_time = 0.02;
    if (c->capture_dir && mkdir(c->capture_dir, 0777) != 0 && errno != EEXIST)
        return mh_error_set(err, MH_EIO, "--capture %s: cannot create directory: %s", c->capture_dir,
                            strerror(errno));
    return check_variants(c, err);
}

/* Runs the whole benchmark once options are parsed. */
static int bench_main(bench_cli *c, mh_error *err)
{
    bench_run r = {.cli = c};
    r.sum = (!c->out || !strcmp(c->out, "-")) ? stderr : stdout;
    size_t *ladder = NULL, nl = 0;
    gethostname(r.host, sizeof r.host - 1);
    platform_setup(&r, &ladder, &nl);
    r.h.min_time = c->min_time;
    r.h.min_reps = 3;
    r.h.stop = &bench_stop_signal;
    r.h.tsc_ghz = bench_tsc_ghz();
    int rc = counters_setup(&r, err);
    fprintf(r.sum, "timer: CLOCK_MONOTONIC; cycles from %s (TSC %.3f GHz)\n",
            r.h.cyc_event >= 0 ? "PAPI_TOT_CYC" : "the TSC", r.h.tsc_ghz);
    if (rc == MH_OK)
        rc = open_csv(&r, err);
    if (rc == MH_OK) {
        csv_header(&r);
        rc = run_all(&r, c->sizes ? c->sizes : ladder, c->sizes ? c->nsizes : nl, err);
    }
    int crc = close_csv(&r, rc == MH_OK, err);
    if (rc == MH_OK)
        rc = crc;
    if (rc == MH_OK && c->out && strcmp(c->out, "-"))
        fprintf(r.sum, "wrote %u rows to %s\n", r.rows, c->out);
    ctr_destroy(r.h.ctr);
    free(r.tmp);
    free(ladder);
    return rc;
}

/* `memhier bench`: see usage(). */
int cmd_bench(int argc, char **argv)
{
    bench_cli c = {0};
    char *keep[4 * MAX_SEL];
    size_t nkeep = 0;
    mh_error err = {0};
    int rc = parse_cli(argc, argv, &c, keep, &nkeep, &err), status;
    if (rc == 1) {
        usage(stdout);
        status = MH_EXIT_OK;
    } else if (rc == MH_OK && c.list) {
        list_kernels(stdout);
        status = MH_EXIT_OK;
    } else if (rc != MH_OK || (rc = finish_cli(&c, &err)) != MH_OK) {
        status = cli_fail(&err);
    } else {
        struct sigaction sa = {.sa_handler = on_signal}, old_int, old_term;
        sigemptyset(&sa.sa_mask);
        bench_stop_signal = 0;
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
        rc = bench_main(&c, &err);
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        status = rc == MH_OK ? MH_EXIT_OK : rc == MH_EINTR ? 128 + (int)bench_stop_signal : cli_fail(&err);
        if (rc == MH_EINTR)
            fprintf(stderr, "memhier: %s\n", err.msg);
    }
    for (size_t i = 0; i < nkeep; i++)
        free(keep[i]);
    free(c.sizes);
    return status;
}
