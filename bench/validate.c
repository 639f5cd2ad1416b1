/* validate.c — replay with warm-up, error statistics, counter pairings and CSV rows for
 * `memhier validate` (see validate.h for the normalisation and warm-up rules). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "validate.h"

/* Copies the data-path levels' stats (data entry level, then next...) into s. */
static void snapshot(const mh_hier *h, const mh_config *c, val_sim *s, double *cyc, uint64_t *miss,
                     uint64_t *acc)
{
    size_t n = 0;
    for (int lv = c->data; lv >= 0 && n < VAL_MAX_LEVELS; lv = c->level[lv].next, n++) {
        mh_level_stats st;
        if (mh_hier_level_stats(h, (size_t)lv, &st) != MH_OK)
            break;
        snprintf(s->names[n], sizeof s->names[n], "%s", c->level[lv].name);
        cyc[n] = st.cycles;
        miss[n] = st.kind[MH_OP_READ].misses + st.kind[MH_OP_WRITE].misses + st.kind[MH_OP_MISC].misses;
        acc[n] = st.kind[MH_OP_READ].accesses + st.kind[MH_OP_WRITE].accesses + st.kind[MH_OP_MISC].accesses;
    }
    s->nlevels = n;
}

/* Subtracts the first pass's time statistics from the second's (cycle fields and counts). */
static void ts_delta(mh_time_stats *b, const mh_time_stats *a)
{
    b->records -= a->records;
    b->instructions -= a->instructions;
    b->cycles -= a->cycles;
    b->ns -= a->ns;
    b->cycles_compute -= a->cycles_compute;
    b->cycles_tlb -= a->cycles_tlb;
    b->cycles_walk -= a->cycles_walk;
    b->cycles_minor_fault -= a->cycles_minor_fault;
    b->cycles_disk -= a->cycles_disk;
    b->cycles_ram -= a->cycles_ram;
    for (size_t i = 0; i < sizeof b->tlb_hits / sizeof b->tlb_hits[0]; i++) {
        b->tlb_hits[i] -= a->tlb_hits[i];
        b->tlb_misses[i] -= a->tlb_misses[i];
    }
    b->page_walks -= a->page_walks;
    b->minor_faults -= a->minor_faults;
    b->major_faults -= a->major_faults;
    b->disk_reads -= a->disk_reads;
    b->disk_writes -= a->disk_writes;
    b->row_hits -= a->row_hits;
    b->row_misses -= a->row_misses;
}

/* Creates in *h a hierarchy with timing on config c, the pages of `resident` resident and its
 * setup pages touched (setup_faults: counted as minor faults) or resident; MH_OK, or the error
 * (*h NULL). */
static int timed_hier(const mh_config *c, const bench_pages *resident, int setup_faults, mh_hier **h,
                      mh_error *err)
{
    mh_hier_opts o = {.classify_3c = 0, .timing = 1};
    *h = NULL;
    int rc = mh_hier_create(c, &o, h, err);
    if (rc == MH_OK)
        rc = bench_pages_apply(resident, *h, setup_faults, err);
    if (rc != MH_OK) {
        mh_hier_destroy(*h);
        *h = NULL;
    }
    return rc;
}

/* Makes every page the n records touch resident in h (no first-touch faults when replayed). */
static int make_touched_resident(mh_hier *h, const mh_config *c, const mh_rec *recs, size_t n, mh_error *err)
{
    uint64_t ps = c->ram.page_size ? c->ram.page_size : 4096, last = UINT64_MAX;
    for (size_t i = 0; i < n; i++) {
        uint64_t first = recs[i].addr / ps, end = (recs[i].addr + (recs[i].size ? recs[i].size - 1u : 0)) / ps;
        if (first == last && end == last)
            continue;
        int rc = mh_hier_resident(h, first * ps, (end - first + 1) * ps, err);
        if (rc != MH_OK)
            return rc;
        last = end;
    }
    return MH_OK;
}

/* The cold pass of a truncated trace (out->first_touch_faults already counted): replayed again
 * with every page it touches resident, as the native pages were. Removing the fault cycles from
 * the faulting replay instead would leave their effect: each fault stalls the core for ~5000
 * cycles while misses, prefetches and the memory channel go on, which hides their latency and
 * bandwidth (a stream at 64 MiB then never waits for memory). */
static int replay_resident(const mh_config *c, const mh_rec *recs, size_t n, const bench_pages *resident,
                           val_sim *out, mh_error *err)
{
    mh_hier *h;
    int rc = timed_hier(c, resident, 0, &h, err);
    if (rc == MH_OK)
        rc = make_touched_resident(h, c, recs, n, err);
    if (rc == MH_OK) {
        mh_hier_access(h, recs, n);
        mh_hier_time_stats(h, &out->ts);
        snapshot(h, c, out, out->level_cycles, out->level_misses, out->level_accesses);
        out->ns = out->ts.ns;
    }
    mh_hier_destroy(h);
    return rc;
}

/* Replays in-memory records: two passes (second counted) when complete, else one cold pass
 * (its faults counted, its time taken from a replay with the pages resident). */
int val_replay_recs(const mh_config *c, const mh_rec *recs, size_t n, int complete, const bench_pages *resident,
                    val_sim *out, mh_error *err)
{
    mh_time_stats t1;
    double cyc1[VAL_MAX_LEVELS] = {0};
    uint64_t miss1[VAL_MAX_LEVELS] = {0}, acc1[VAL_MAX_LEVELS] = {0};
    memset(out, 0, sizeof *out);
    mh_hier *h;
    int rc = timed_hier(c, resident, 1, &h, err);
    if (rc != MH_OK)
        return rc;
    out->records = n;
    for (size_t i = 0; i < n; i++)
        out->accesses += recs[i].op != MH_OP_PREFETCH;
    out->warm = complete ? 1 : 0;
    mh_hier_access(h, recs, n);
    mh_hier_time_stats(h, &t1);
    snapshot(h, c, out, cyc1, miss1, acc1);
    out->first_touch_faults = t1.minor_faults;
    if (out->warm) {
        mh_hier_access(h, recs, n);
        mh_hier_time_stats(h, &out->ts);
        snapshot(h, c, out, out->level_cycles, out->level_misses, out->level_accesses);
        ts_delta(&out->ts, &t1);
        for (size_t i = 0; i < out->nlevels; i++) {
            out->level_cycles[i] -= cyc1[i];
            out->level_misses[i] -= miss1[i];
            out->level_accesses[i] -= acc1[i];
        }
        out->ns = out->ts.ns;
    } else {
        rc = replay_resident(c, recs, n, resident, out, err);
    }
    out->ns_per_access = out->accesses ? out->ns / (double)out->accesses : 0;
    mh_hier_destroy(h);
    return rc;
}

/* Reads the whole trace into memory and replays it. */
int val_replay(const mh_config *c, const char *path, int complete, val_sim *out, mh_error *err)
{
    mh_trace *t = NULL;
    int rc = mh_trace_open(path, &t, err);
    if (rc != MH_OK)
        return rc;
    size_t n = 0, cap = 1 << 16, got = 0;
    mh_rec *recs = malloc(cap * sizeof *recs);
    if (!recs)
        rc = mh_error_set(err, MH_ENOMEM, "%s: out of memory", path);
    while (rc == MH_OK) {
        if (n == cap) {
            mh_rec *g = realloc(recs, 2 * cap * sizeof *recs);
            if (!g) {
                rc = mh_error_set(err, MH_ENOMEM, "%s: out of memory at record %zu", path, n);
                break;
            }
            recs = g;
            cap *= 2;
        }
        rc = mh_trace_read(t, recs + n, cap - n, &got, err);
        if (rc != MH_OK || got == 0)
            break;
        n += got;
    }
    mh_trace_close(t);
    bench_pages *res = NULL;
    if (rc == MH_OK)
        rc = bench_resident_load(path, &res, err);
    if (rc == MH_OK)
        rc = val_replay_recs(c, recs, n, complete, res, out, err);
    bench_pages_free(res);
    free(recs);
    return rc;
}

/* Signed relative error in percent. */
double val_error_pct(double measured, double simulated)
{
    if (!(measured > 0))
        return measured == 0 && simulated == 0 ? 0 : NAN;
    return (simulated - measured) / measured * 100.0;
}

/* qsort order for doubles. */
static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Summarises finite |errors|. */
void val_summarise(const double *err_pct, size_t n, val_summary *out)
{
    memset(out, 0, sizeof *out);
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return;
    size_t m = 0, in = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(err_pct[i])) {
            v[m] = fabs(err_pct[i]);
            in += v[m] <= VAL_WITHIN;
            m++;
        }
    qsort(v, m, sizeof *v, cmp_double);
    out->points = m;
    if (m) {
        out->median_abs = m % 2 ? v[m / 2] : (v[m / 2 - 1] + v[m / 2]) / 2;
        double pos = 0.9 * (double)(m - 1);
        size_t i = (size_t)pos;
        out->p90_abs = i + 1 < m ? v[i] + (pos - (double)i) * (v[i + 1] - v[i]) : v[m - 1];
        out->within = 100.0 * (double)in / (double)m;
    }
    free(v);
}

/* The pairing table: hardware/software event -> simulated count and how they correspond. */
static const struct {
    const char *event;
    val_sim_kind kind;
    const char *pairing;
} pairings[] = {
    {"PAPI_L1_DCM", VAL_SIM_L1_MISS, "PAPI_L1_DCM <-> L1d demand misses (excl. prefetch fills)"},
    {"PAPI_L2_DCM", VAL_SIM_L2_MISS, "PAPI_L2_DCM <-> L2 demand misses (excl. prefetch fills)"},
    {"PAPI_L3_TCM", VAL_SIM_L3_MISS, "PAPI_L3_TCM <-> L3 demand misses (excl. prefetch fills)"},
    {"PAPI_TOT_CYC", VAL_SIM_CYCLES, "PAPI_TOT_CYC <-> simulated cycles at frequency_ghz"},
    {"PAPI_TOT_INS", VAL_SIM_INSTR, "PAPI_TOT_INS <-> records + instruction gaps"},
    {"perf::MINOR-FAULTS", VAL_SIM_MINOR, "perf::MINOR-FAULTS <-> simulated minor faults (first touches)"},
    {"perf::MAJOR-FAULTS", VAL_SIM_MAJOR, "perf::MAJOR-FAULTS <-> simulated major faults (disk reads)"},
    {"perf::PAGE-FAULTS", VAL_SIM_FAULTS, "perf::PAGE-FAULTS <-> simulated minor + major faults"},
    {"perf::TASK-CLOCK", VAL_SIM_TASK_NS, "perf::TASK-CLOCK (ns) <-> simulated ns"},
};

/* Looks an event up in the pairing table. */
val_sim_kind val_pairing(const char *event, const char **pairing)
{
    for (size_t i = 0; i < sizeof pairings / sizeof pairings[0]; i++)
        if (!strcmp(event, pairings[i].event)) {
            *pairing = pairings[i].pairing;
            return pairings[i].kind;
        }
    *pairing = "no simulated counterpart";
    return VAL_SIM_NONE;
}

/* The simulated count per native repetition. */
double val_sim_count(const val_sim *s, val_sim_kind kind, uint64_t rep_accesses, double freq_ghz)
{
    double scale = s->accesses ? (double)rep_accesses / (double)s->accesses : 0, v;
    switch (kind) {
    case VAL_SIM_L1_MISS: v = s->nlevels > 0 ? (double)s->level_misses[0] : NAN; break;
    case VAL_SIM_L2_MISS: v = s->nlevels > 1 ? (double)s->level_misses[1] : NAN; break;
    case VAL_SIM_L3_MISS: v = s->nlevels > 2 ? (double)s->level_misses[2] : NAN; break;
    case VAL_SIM_CYCLES: v = s->ns * freq_ghz; break;
    case VAL_SIM_INSTR: v = (double)(s->ts.records + s->ts.instructions); break;
    case VAL_SIM_MINOR: v = (double)s->ts.minor_faults; break;
    case VAL_SIM_MAJOR: v = (double)s->ts.major_faults; break;
    case VAL_SIM_FAULTS: v = (double)(s->ts.minor_faults + s->ts.major_faults); break;
    case VAL_SIM_TASK_NS: v = s->ns; break;
    default: return NAN;
    }
    return v * scale;
}

/* validation.csv header (exact). */
void val_csv_header(FILE *f)
{
    fputs("kernel,variant,size_bytes,metric,measured,measured_p10,measured_p90,simulated,error_pct,pairing\n", f);
}

/* Prints a number cell, or nothing for NAN. */
static void cell(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, ",%.6g", v);
    else
        fputc(',', f);
}

/* One validation row; "not measured" for a missing measurement, error_pct then empty. */
void val_csv_row(FILE *f, const char *kernel, const char *variant, size_t size, const char *metric,
                 double measured, double p10, double p90, double simulated, const char *pairing)
{
    int have = isfinite(measured) && measured >= 0;
    fprintf(f, "%s,%s,%zu,%s", kernel, variant, size, metric);
    if (have)
        cell(f, measured);
    else
        fputs(",not measured", f);
    cell(f, have ? p10 : NAN);
    cell(f, have ? p90 : NAN);
    cell(f, simulated);
    cell(f, have ? val_error_pct(measured, simulated) : NAN);
    fprintf(f, ",%s\n", pairing);
}

/* See validate.h. */
int val_two_speeds(double median, double p10, double simulated, double *fast_err)
{
    if (!(median > 0) || !(p10 > 0) || (median - p10) / median * 100 <= VAL_WITHIN)
        return 0;
    double e = val_error_pct(p10, simulated);
    if (!(fabs(e) <= VAL_WITHIN))
        return 0;
    *fast_err = e;
    return 1;
}

/* See validate.h. */
void val_two_speeds_tag(FILE *f, double median, double p10, double simulated)
{
    double fast;
    if (val_two_speeds(median, p10, simulated, &fast))
        fprintf(f, " [two speeds: the model is %+.0f%% from the faster, p10 %.3f ns against the median %.3f]", fast,
                p10, median);
}

/* Likely reason for a miss, from the kernel, the size against the caches and the error's sign. */
const char *val_reason(const char *kernel, const char *variant, size_t size, double err_pct,
                       uint64_t l1, uint64_t llc)
{
    int slow = err_pct > 0, big = size > llc, small = size <= l1;
    if (!strcmp(kernel, "stream") || !strcmp(kernel, "stride")) {
        long stride = !strcmp(kernel, "stride") ? atol(variant + 1) : 0;
        if (stride >= 4096 && !slow && !small && stride % 4096 == 0)
            return "L1 set conflict: a 4 KiB-multiple stride puts every line in one L1 set, and such misses "
                   "overlap far less than the MSHRs allow (set_gap of the serving level: 0, or shorter than this run's)";
        if (small) /* every line in L1d, and its few pages in the DTLB */
            return slow ? "compute: base_cpi x gap (the ALU rate) overstates this loop's cost: the core dispatches "
                          "its moves, NOPs and fused branches beside the ALUs"
                        : "compute: loop costs more than base_cpi x gap";
        if (stride >= 4096)
            return slow ? "TLB: one new page per load; real walks overlap (page-walk caches, MLP)"
                        : "TLB: a page walk per load is dearer than walk_latency (nested paging on a VM)";
        if (big)
            return slow ? "hardware prefetcher too timid: the L2 stream prefetcher learns from demand misses only, "
                          "so L1 prefetches wait for RAM in the L1 MSHRs (raise degree/distance)"
                        : "reorder buffer: hits on late prefetches never stop issue with rob = 0; or bandwidth_gbs too high";
        return slow ? "hardware prefetcher missing or too timid in the config (L1d stride, L2 stream; raise degree/distance)"
                    : "bandwidth between levels too high; or, inside L2, a state of the host: such walks run at "
                      "two rates, switching every few ms (a [two speeds] tag says so)";
    }
    if (!strcmp(kernel, "stack"))
        return slow ? "store buffer: stores retire without waiting; compute cost overstated"
               : big ? "store queue: the descent's stores (frames downward, each frame's words upward) miss to "
                       "memory, an order the machine's prefetchers do not follow (dense stores run 3x faster), and "
                       "fill its store queue; the model bounds stores only with [hierarchy] store_queue (0: they "
                       "retire at issue)"
                     : "compute: the recursion's call/return work exceeds the gap estimate";
    if (small)                               /* every line in L1d: no miss to wait for */
        return slow ? "compute: base_cpi x gap overstates this pointer walk's instructions"
                    : "compute: the pointer walk's instructions cost more than base_cpi x gap (every line in L1d)";
    if (slow && !strcmp(kernel, "prefetch") && !strcmp(variant, "d1"))
        return "prefetch distance 1: the prefetch's address arrives with the line that holds the next node's "
               "address too, so the model gains nothing from it (the core starts the next miss a few cycles sooner)";
    if (slow)
        return big ? "MLP/prefetch: the core overlaps the next nodes' loads; software prefetch hides more; or page "
                     "walks cheaper this run than at calibration (pointer walks past the LLC moved 1.7x between runs)"
                   : "dependency: every node load flagged dependent on the previous load (serialised)";
    return big ? "RAM vs TLB split: calibrate reads RAM from the page-local chase, which a spatial prefetcher "
                 "speeds up, so a node that hits the TLB pays too little (chase gN measures R + W/N); or walks/DRAM "
                 "dearer this run than at calibration (pointer walks past the LLC moved 1.7x between runs)"
               : "timing: hits on lines still in flight complete early (no hit-under-miss wait)";
}
