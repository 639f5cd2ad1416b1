/* cmd_sweep.c — `memhier sweep`: the cartesian product of --set value lists over a base config,
 * reported as miss-ratio and time curves. Three ways to run it:
 *  - one-pass (sweep_onepass.c): when every key is <level>.size / <level>.ways of one LRU,
 *    write-allocate entry level and timing is off (--no-timing or --one-pass), one stack-distance
 *    pass per trace gives that level's misses for every variant, exactly;
 *  - separate replays, one per variant × trace, on threads (jobs.c; --exact forces this);
 *  - --emit-jobs DIR: the same replays written out as a Makefile and a Slurm array (emit.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define SWEEP_KEYS 8
#define SWEEP_VALUES 64
#define SWEEP_MAX_VARIANTS 4096

/* One swept key and its values. */
typedef struct sweep_key {
    char key[128];                 /* "L1d.size" */
    char *values[SWEEP_VALUES];    /* pointers into a private copy of the option */
    size_t n;
    char *buf;                     /* owned copy of the value list */
} sweep_key;

static void sweep_usage(FILE *f)
{
    fputs("usage: memhier sweep -c BASE.ini --set SEC.KEY=V1,V2,... [--set ...] [options] TRACE...\n"
          "  -o, --output FILE    write the CSV there (atomically)\n"
          "  -f, --format FMT     table (default) or csv on standard output\n"
          "  -j, --jobs N         threads (default: online CPUs)\n"
          "      --no-timing      miss ratios only (one-pass mode when the keys allow it)\n"
          "      --one-pass       require one-pass mode (implies --no-timing; error if not possible)\n"
          "      --exact          separate simulations even where one pass would do (all levels' rows)\n"
          "      --emit-jobs DIR  write the jobs (DIR/Makefile, DIR/sweep.sbatch, merge.sh) instead of running\n"
          "one-pass mode: every --set key with several values is LEVEL.size or LEVEL.ways of one entry level\n"
          "(fed by the trace itself) "
          "with policy = lru, allocate = yes, no prefetcher, inclusion != inclusive; only that level's rows\n"
          "are reported (other levels need --exact).\n",
          f);
}

/* Splits "L1d.size=8K,16K" into k; returns MH_OK or MH_EINVAL. */
static int sweep_key_parse(const char *spec, sweep_key *k, mh_error *err)
{
    const char *eq = strchr(spec, '=');
    memset(k, 0, sizeof *k);
    if (!eq || eq == spec || !eq[1] || (size_t)(eq - spec) >= sizeof k->key || !memchr(spec, '.', (size_t)(eq - spec)))
        return mh_error_set(err, MH_EINVAL, "--set %s: expected SECTION.KEY=V1,V2,..., e.g. L1d.size=8K,16K", spec);
    memcpy(k->key, spec, (size_t)(eq - spec));
    k->buf = strdup(eq + 1);
    if (!k->buf)
        return mh_error_set(err, MH_ENOMEM, "out of memory");
    for (char *save = NULL, *v = strtok_r(k->buf, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
        if (k->n == SWEEP_VALUES)
            return mh_error_set(err, MH_EINVAL, "--set %s: at most %d values", k->key, SWEEP_VALUES);
        k->values[k->n++] = v;
    }
    if (k->n == 0)
        return mh_error_set(err, MH_EINVAL, "--set %s: no values given", spec);
    return MH_OK;
}

/* Builds variant v (mixed-radix index over the keys) as a clone of base; label gets
 * "key=value;key=value". Returns MH_OK or the config error naming the bad value. */
static int sweep_variant(const mh_config *base, sweep_key *keys, size_t nk, size_t v, mh_config **out,
                         char *label, size_t cap, mh_error *err)
{
    mh_config *c = mh_config_clone(base);
    const char *kp[SWEEP_KEYS], *vp[SWEEP_KEYS];
    int rc = c ? MH_OK : mh_error_set(err, MH_ENOMEM, "out of memory");
    label[0] = '\0';
    for (size_t i = 0; i < nk; i++) {
        kp[i] = keys[i].key;
        vp[i] = keys[i].values[v % keys[i].n];
        v /= keys[i].n;
        size_t len = strlen(label);
        snprintf(label + len, cap - len, "%s%s=%s", i ? ";" : "", kp[i], vp[i]);
    }
    if (rc == MH_OK) /* together: a combination is valid or not as a whole (size with ways) */
        rc = mh_config_set_many(c, kp, vp, nk, err);
    if (rc != MH_OK && nk > 1 && err) { /* name the combination, not just the value at fault */
        char what[sizeof err->msg];
        snprintf(what, sizeof what, "%s", err->msg);
        mh_error_set(err, rc, "sweep variant %s: %s", label, what);
    }
    if (rc != MH_OK) {
        mh_config_free(c);
        return rc;
    }
    *out = c;
    return MH_OK;
}

/* CSV: trace,param,value,level,miss_rate,mpki,simulated_ns (mpki = misses per 1000 records). */
static void sweep_csv(FILE *f, cli_job *jobs, size_t nc, size_t nt, char **labels, char **traces)
{
    fputs("trace,param,value,level,miss_rate,mpki,simulated_ns\n", f);
    for (size_t t = 0; t < nt; t++)
        for (size_t c = 0; c < nc; c++) {
            const cli_job *j = &jobs[c * nt + t];
            char param[512], value[512];
            cli_label_split(labels[c], param, sizeof param, value, sizeof value);
            for (size_t l = 0; l < j->nlevels; l++) {
                uint64_t a, m;
                cli_level_totals(&j->lv[l], &a, &m);
                fprintf(f, "%s,%s,%s,%s,%.6f,%.3f,", traces[t], param, value, j->lv[l].name,
                        a ? (double)m / (double)a : 0.0, j->records ? 1000.0 * (double)m / (double)j->records : 0.0);
                if (j->timed)
                    fprintf(f, "%.1f\n", j->ts.ns);
                else
                    fputs("\n", f);
            }
        }
}

/* Table: one line per variant, miss ratio per level, simulated time. */
static void sweep_table(FILE *f, cli_job *jobs, size_t nc, size_t nt, char **labels, char **traces)
{
    for (size_t t = 0; t < nt; t++) {
        fprintf(f, "trace %s\n  %-36s", traces[t], "variant");
        for (size_t l = 0; l < jobs[t].nlevels; l++)
            fprintf(f, " %9s", jobs[t].lv[l].name);
        fputs(nc && jobs[t].timed ? "  sim time ms\n" : "\n", f);
        for (size_t c = 0; c < nc; c++) {
            const cli_job *j = &jobs[c * nt + t];
            fprintf(f, "  %-36s", labels[c]);
            for (size_t l = 0; l < j->nlevels; l++) {
                uint64_t a, m;
                cli_level_totals(&j->lv[l], &a, &m);
                fprintf(f, " %8.3f%%", a ? 100.0 * (double)m / (double)a : 0.0);
            }
            if (j->timed)
                fprintf(f, "  %11.3f", j->ts.ns / 1e6);
            fputc('\n', f);
        }
    }
}

/* Table of a one-pass sweep: says so, then the same layout. */
static void sweep_table_onepass(FILE *f, cli_job *jobs, size_t nc, size_t nt, char **labels, char **traces)
{
    fprintf(f, "one-pass stack-distance sweep of %s: only its rows (other levels need --exact), no timing\n",
            nc && nt ? jobs[0].lv[0].name : "?");
    sweep_table(f, jobs, nc, nt, labels, traces);
}

/* Finds the one level that every swept key (one with several values) sets, as LEVEL.size or
 * LEVEL.ways, into level; single-value keys are plain overrides and may set anything.
 * MH_OK, else MH_EUNSUPPORTED with the reason. */
static int sweep_key_level(const sweep_key *keys, size_t nk, char *level, size_t cap, mh_error *err)
{
    level[0] = '\0';
    for (size_t i = 0; i < nk; i++) {
        const char *dot = strrchr(keys[i].key, '.');
        size_t len = (size_t)(dot - keys[i].key);
        if (keys[i].n == 1)
            continue;
        if (strcmp(dot + 1, "size") && strcmp(dot + 1, "ways"))
            return mh_error_set(err, MH_EUNSUPPORTED, "sweep: --set %s: one-pass mode sweeps only LEVEL.size and "
                                "LEVEL.ways", keys[i].key);
        if (len >= cap || (level[0] && (strlen(level) != len || strncmp(level, keys[i].key, len))))
            return mh_error_set(err, MH_EUNSUPPORTED, "sweep: --set %s: one-pass mode sweeps one level, not %s "
                                "and %.*s", keys[i].key, level, (int)len, keys[i].key);
        memcpy(level, keys[i].key, len);
        level[len] = '\0';
    }
    for (size_t i = 0; !level[0] && i < nk; i++) { /* one variant only: the first size/ways key */
        const char *dot = strrchr(keys[i].key, '.');
        if ((!strcmp(dot + 1, "size") || !strcmp(dot + 1, "ways")) && (size_t)(dot - keys[i].key) < cap)
            snprintf(level, cap, "%.*s", (int)(dot - keys[i].key), keys[i].key);
    }
    if (!level[0])
        return mh_error_set(err, MH_EUNSUPPORTED, "sweep: no --set key is LEVEL.size or LEVEL.ways");
    return MH_OK;
}

/* Decides one-pass mode: *level set and MH_OK when it applies; when mode is 'o' (required)
 * an unsuitable sweep is an error, otherwise the caller falls back to separate replays. */
static int sweep_plan(const sweep_key *keys, size_t nk, mh_config *const *cfg, size_t nv, char *level, size_t cap,
                      mh_error *err)
{
    int rc = sweep_key_level(keys, nk, level, cap, err);
    for (size_t v = 0; rc == MH_OK && v < nv; v++)
        rc = mh_mrc_level_check(cfg[v], level, err);
    return rc;
}

/* How sweep runs: 0 automatic, 'o' --one-pass, 'e' --exact. */
typedef struct sweep_opts {
    int mode;                 /* 0, 'o' or 'e' */
    const char *emit_dir;     /* --emit-jobs DIR, or NULL */
} sweep_opts;

/* --emit-jobs: writes the job files and says how to run them. */
static int sweep_emit(const char *dir, mh_config **cfg, char **labels, size_t nv, char **traces, size_t nt,
                      int timing, mh_error *err)
{
    int rc = cli_emit_jobs(dir, cfg, labels, nv, traces, nt, timing, err);
    if (rc == MH_OK)
        printf("wrote %zu jobs to %s: run them with `make -C %s -j N` or `%s/submit.sh` (Slurm)\n", nv * nt, dir,
               dir, dir);
    return rc;
}

/* Runs the variants in one pass where the rule allows (see the file comment), else as
 * separate replays, and writes the outputs. */
static int sweep_execute(const sweep_key *keys, size_t nk, mh_config **cfg, char **labels, size_t nv,
                         char **traces, size_t nt, cli_job *jobs, const mh_hier_opts *opts, const sweep_opts *so,
                         unsigned threads, mh_format fmt, const char *output, mh_error *err)
{
    char level[64] = "";
    int onepass = 0, rc = MH_OK;
    if (so->mode != 'e' && (so->mode == 'o' || !opts->timing)) {
        mh_error why = {0};
        onepass = sweep_plan(keys, nk, cfg, nv, level, sizeof level, &why) == MH_OK;
        if (!onepass && so->mode == 'o')
            return mh_error_set(err, MH_EINVAL, "--one-pass: %s", why.msg);
    }
    rc = onepass ? cli_onepass_run(cfg, nv, level, traces, nt, threads, jobs, err)
                 : cli_jobs_run(jobs, nv * nt, threads, err);
    if (rc == MH_OK)
        rc = cli_matrix_output(jobs, nv, nt, labels, traces, fmt, output, onepass ? sweep_table_onepass : sweep_table,
                               sweep_csv, err);
    return rc;
}

/* Builds all variants and runs them; returns the exit status. */
static int sweep_run(const char *base_path, sweep_key *keys, size_t nk, char **traces, size_t nt,
                     const mh_hier_opts *opts, const sweep_opts *so, unsigned threads, mh_format fmt,
                     const char *output)
{
    mh_error err = {0};
    mh_config *base = NULL, **cfg = NULL;
    char **labels = NULL;
    cli_job *jobs = NULL;
    size_t nv = 1;
    for (size_t i = 0; i < nk; i++)
        nv *= keys[i].n;
    int rc = nv > SWEEP_MAX_VARIANTS ? mh_error_set(&err, MH_EINVAL, "sweep: %zu variants, at most %d", nv,
                                                    SWEEP_MAX_VARIANTS)
                                     : mh_config_load(base_path, &base, &err);
    if (rc == MH_OK) {
        cfg = calloc(nv, sizeof *cfg);
        labels = calloc(nv, sizeof *labels);
        jobs = calloc(nv * nt, sizeof *jobs);
        if (!cfg || !labels || !jobs)
            rc = mh_error_set(&err, MH_ENOMEM, "out of memory");
    }
    for (size_t v = 0; rc == MH_OK && v < nv; v++) {
        labels[v] = malloc(1024);
        rc = labels[v] ? sweep_variant(base, keys, nk, v, &cfg[v], labels[v], 1024, &err)
                       : mh_error_set(&err, MH_ENOMEM, "out of memory");
        for (size_t t = 0; rc == MH_OK && t < nt; t++)
            jobs[v * nt + t] = (cli_job){.config = cfg[v], .trace = traces[t], .opts = *opts};
    }
    if (rc == MH_OK && so->emit_dir)
        rc = sweep_emit(so->emit_dir, cfg, labels, nv, traces, nt, opts->timing, &err);
    else if (rc == MH_OK)
        rc = sweep_execute(keys, nk, cfg, labels, nv, traces, nt, jobs, opts, so, threads, fmt, output, &err);
    for (size_t v = 0; cfg && v < nv; v++)
        mh_config_free(cfg[v]);
    for (size_t v = 0; labels && v < nv; v++)
        free(labels[v]);
    free(cfg);
    free(labels);
    free(jobs);
    mh_config_free(base);
    if (rc == MH_EINTR)
        return cli_interrupt_status();
    return rc == MH_OK ? MH_EXIT_OK : cli_fail(&err);
}

/* `memhier sweep`: returns the process exit status. */
int cmd_sweep(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, 0, 'c'}, {"set", required_argument, 0, 's'},
        {"output", required_argument, 0, 'o'}, {"format", required_argument, 0, 'f'},
        {"jobs", required_argument, 0, 'j'},   {"no-timing", no_argument, 0, 'T'},
        {"one-pass", no_argument, 0, 'O'},     {"exact", no_argument, 0, 'E'},
        {"emit-jobs", required_argument, 0, 'J'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0},
    };
    sweep_opts so = {0};
    sweep_key keys[SWEEP_KEYS];
    size_t nk = 0;
    const char *base = NULL, *output = NULL;
    mh_format fmt = MH_FMT_TABLE;
    mh_hier_opts opts = mh_hier_opts_default();
    unsigned threads = 0;
    mh_error err = {0};
    int rc = MH_OK;
    opts.classify_3c = 0;
    opterr = 0;
    optind = 1;
    for (int ch; rc == MH_OK && (ch = getopt_long(argc, argv, "c:s:o:f:j:h", longopts, NULL)) != -1;) {
        switch (ch) {
        case 'c': base = optarg; break;
        case 'o': output = optarg; break;
        case 'T': opts.timing = 0; break;
        case 'J': so.emit_dir = optarg; break;
        case 'O':
        case 'E':
            if (so.mode && so.mode != (ch == 'O' ? 'o' : 'e'))
                rc = mh_error_set(&err, MH_EINVAL, "sweep: --one-pass and --exact exclude each other");
            so.mode = ch == 'O' ? 'o' : 'e';
            if (ch == 'O')
                opts.timing = 0;
            break;
        case 'j': rc = cli_parse_jobs(optarg, &threads, &err); break;
        case 'h': sweep_usage(stdout); rc = 1; break;
        case 's':
            rc = nk == SWEEP_KEYS ? mh_error_set(&err, MH_EINVAL, "sweep: at most %d --set options", SWEEP_KEYS)
                                  : sweep_key_parse(optarg, &keys[nk], &err);
            nk++;
            break;
        case 'f':
            if (cli_parse_format(optarg, &fmt, &err) != MH_OK || fmt == MH_FMT_JSON)
                rc = mh_error_set(&err, MH_EINVAL, "sweep: --format %s, must be table or csv", optarg);
            break;
        default:
            rc = mh_error_set(&err, MH_EINVAL, "sweep: unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (rc == MH_OK && (!base || nk == 0 || optind >= argc))
        rc = mh_error_set(&err, MH_EINVAL, "sweep: need -c BASE, at least one --set and one TRACE");
    if (rc == MH_OK) {
        cli_catch_signals();
        rc = sweep_run(base, keys, nk, argv + optind, (size_t)(argc - optind), &opts, &so, threads, fmt, output);
    } else {
        rc = rc == 1 ? MH_EXIT_OK : cli_fail(&err);
    }
    for (size_t i = 0; i < nk && i < SWEEP_KEYS; i++)
        free(keys[i].buf);
    return rc;
}
