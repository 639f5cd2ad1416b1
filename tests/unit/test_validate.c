/* test_validate.c — error percentages, summary statistics, "not measured" cells, counter
 * pairings, and the warm/cold replay rules on synthetic inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_int.h"
#include "validate.h"

/* Signed error in percent; zero over zero is 0, anything over zero is undefined. */
static void test_error_pct(void **state)
{
    (void)state;
    assert_float_equal(val_error_pct(100, 110), 10.0, 1e-12);
    assert_float_equal(val_error_pct(2, 1), -50.0, 1e-12);
    assert_float_equal(val_error_pct(0, 0), 0.0, 0);
    assert_true(isnan(val_error_pct(0, 5)));
    assert_true(isnan(val_error_pct(-1, 5)));
    assert_true(isnan(val_error_pct(NAN, 5)));
}

/* Median, p90 (interpolated) and share within 15% of |errors|; NAN entries are skipped. */
static void test_summary(void **state)
{
    (void)state;
    const double e[] = {1, -2, 3, -20, NAN, 5, 14.9, -15, 40, 0, 7};
    val_summary s;
    val_summarise(e, sizeof e / sizeof e[0], &s);
    assert_int_equal(s.points, 10);
    /* |e| sorted: 0 1 2 3 5 7 14.9 15 20 40 */
    assert_float_equal(s.median_abs, 6.0, 1e-12);
    assert_float_equal(s.p90_abs, 20 + 0.1 * 20, 1e-9);
    assert_float_equal(s.within, 80.0, 1e-12);
    val_summarise(NULL, 0, &s);
    assert_int_equal(s.points, 0);
    const double one[] = {-12.5};
    val_summarise(one, 1, &s);
    assert_float_equal(s.median_abs, 12.5, 0);
    assert_float_equal(s.p90_abs, 12.5, 0);
    assert_float_equal(s.within, 100, 0);
}

/* Renders one row into a string. */
static void row(char *buf, size_t n, double meas, double p10, double p90, double sim)
{
    FILE *f = fmemopen(buf, n, "w");
    assert_non_null(f);
    val_csv_row(f, "stream", "read", 4096, "PAPI_L1_DCM", meas, p10, p90, sim, "PAPI_L1_DCM <-> L1d demand misses");
    fclose(f);
}

/* The exact header; "not measured" with an empty error, never 0; measured rows carry the error. */
static void test_csv_rows(void **state)
{
    (void)state;
    char buf[512];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    val_csv_header(f);
    fclose(f);
    assert_string_equal(buf, "kernel,variant,size_bytes,metric,measured,measured_p10,measured_p90,simulated,error_pct,pairing\n");
    row(buf, sizeof buf, NAN, 1, 2, 128);
    assert_string_equal(buf, "stream,read,4096,PAPI_L1_DCM,not measured,,,128,,PAPI_L1_DCM <-> L1d demand misses\n");
    row(buf, sizeof buf, -1, NAN, NAN, 128);
    assert_non_null(strstr(buf, ",not measured,,,128,,"));
    row(buf, sizeof buf, 100, 90, 120, 110);
    assert_string_equal(buf, "stream,read,4096,PAPI_L1_DCM,100,90,120,110,10,PAPI_L1_DCM <-> L1d demand misses\n");
    row(buf, sizeof buf, 0, NAN, NAN, 0);
    assert_string_equal(buf, "stream,read,4096,PAPI_L1_DCM,0,,,0,0,PAPI_L1_DCM <-> L1d demand misses\n");
    row(buf, sizeof buf, 0, NAN, NAN, 3);
    assert_string_equal(buf, "stream,read,4096,PAPI_L1_DCM,0,,,3,,PAPI_L1_DCM <-> L1d demand misses\n");
}

/* Every default event has a pairing that names both sides; unknown events have none. */
static void test_pairings(void **state)
{
    (void)state;
    const char *p;
    assert_int_equal(val_pairing("PAPI_L1_DCM", &p), VAL_SIM_L1_MISS);
    assert_non_null(strstr(p, "excl. prefetch fills"));
    assert_int_equal(val_pairing("perf::MINOR-FAULTS", &p), VAL_SIM_MINOR);
    assert_non_null(strstr(p, "<->"));
    assert_int_equal(val_pairing("PAPI_TOT_CYC", &p), VAL_SIM_CYCLES);
    assert_int_equal(val_pairing("perf::TASK-CLOCK", &p), VAL_SIM_TASK_NS);
    assert_int_equal(val_pairing("PAPI_FP_OPS", &p), VAL_SIM_NONE);
}

static const char ini[] =
    "[hierarchy]\nname = t\nifetch = L1d\ndata = L1d\nfrequency_ghz = 1.0\nbase_cpi = 1\n"
    "[L1d]\nsize = 1K\nways = 2\nline = 64\nlatency = 2\nnext = L2\n"
    "[L2]\nsize = 8K\nways = 4\nline = 64\nlatency = 10\n"
    "[RAM]\nlatency_ns = 100\nrow_hit_ns = 100\npage_size = 4K\nminor_fault_ns = 1000\n";

/* 64 sequential line reads over 4 KiB (one page), plus one software prefetch record. */
static size_t trace(mh_rec *r)
{
    size_t n = 0;
    for (int i = 0; i < 64; i++)
        r[n++] = (mh_rec){.addr = 0x10000 + 64 * (uint64_t)i, .size = 8, .op = MH_OP_READ, .gap = 0};
    r[n++] = (mh_rec){.addr = 0x10000, .size = 8, .op = MH_OP_PREFETCH};
    return n;
}

/* Complete trace: the second pass is counted (all L2 hits, no faults); first-touch faults come
 * from the cold pass; prefetch records are not accesses. Truncated: one cold pass, timed with its pages resident. */
static void test_replay_warm_cold(void **state)
{
    (void)state;
    mh_config *c = NULL;
    mh_error err = {0};
    mh_rec r[80];
    size_t n = trace(r);
    val_sim warm, cold;
    assert_int_equal(mh_config_parse(ini, "t.ini", &c, &err), MH_OK);
    assert_int_equal(val_replay_recs(c, r, n, 1, NULL, &warm, &err), MH_OK);
    assert_int_equal(warm.records, 65);
    assert_int_equal(warm.accesses, 64);
    assert_int_equal(warm.warm, 1);
    assert_int_equal(warm.first_touch_faults, 1);
    assert_int_equal(warm.ts.minor_faults, 0);
    assert_int_equal(warm.nlevels, 2);
    assert_string_equal(warm.names[0], "L1d");
    assert_int_equal(warm.level_misses[0], 63);  /* 4K does not fit the 1K L1d; the prefetch kept line 0 */
    assert_int_equal(warm.level_misses[1], 0);   /* but fits the 8K L2: warm hits */
    assert_true(warm.ns_per_access > 0);
    assert_int_equal(val_replay_recs(c, r, n, 0, NULL, &cold, &err), MH_OK);
    assert_int_equal(cold.warm, 0);
    assert_int_equal(cold.level_misses[1], 64);  /* compulsory */
    assert_int_equal(cold.first_touch_faults, 1);
    assert_int_equal(cold.ts.minor_faults, 0);   /* removed: pages were resident natively */
    assert_float_equal(cold.ts.cycles_minor_fault, 0, 0);
    assert_true(cold.ns_per_access > warm.ns_per_access);
    assert_true(cold.ns < 64 * 1000.0);          /* the 1000 ns fault is not in the time */
    /* per-repetition counts scale by rep accesses / trace accesses */
    assert_float_equal(val_sim_count(&warm, VAL_SIM_L1_MISS, 128, 1.0), 126, 1e-9);
    assert_float_equal(val_sim_count(&warm, VAL_SIM_TASK_NS, 64, 1.0), warm.ns, 1e-9);
    assert_float_equal(val_sim_count(&warm, VAL_SIM_CYCLES, 64, 2.0), 2 * warm.ns, 1e-9);
    assert_true(isnan(val_sim_count(&warm, VAL_SIM_L3_MISS, 64, 1.0)));
    assert_float_equal(val_sim_count(&warm, VAL_SIM_MINOR, 64, 1.0), 0, 0);
    mh_config_free(c);
}

/* A truncated trace is timed with its pages resident: a cold pass of 1024 independent line reads
 * over 16 fresh pages is bound by the memory channel (64 B at 6.4 GB/s and 1 GHz: 10 cycles per
 * line), which the 16 first-touch faults (1000 cycles each) would hide if they stayed in the
 * replay and were only subtracted afterwards (~20 cycles per page of issue and latency left). */
static void test_cold_pass_keeps_bandwidth(void **state)
{
    (void)state;
    static const char bw_ini[] =
        "[hierarchy]\nname = t\nifetch = L1d\ndata = L1d\nfrequency_ghz = 1.0\nbase_cpi = 1\n"
        "[L1d]\nsize = 1K\nways = 2\nline = 64\nlatency = 2\nnext = L2\nmshrs = 16\n"
        "[L2]\nsize = 8K\nways = 4\nline = 64\nlatency = 10\n"
        "[RAM]\nlatency_ns = 100\nrow_hit_ns = 100\nbandwidth_gbs = 6.4\npage_size = 4K\nminor_fault_ns = 1000\n";
    mh_config *c = NULL;
    mh_error err = {0};
    enum { LINES = 1024 };
    mh_rec *r = calloc(LINES, sizeof *r);
    assert_non_null(r);
    for (size_t i = 0; i < LINES; i++)
        r[i] = (mh_rec){.addr = 0x100000 + 64 * (uint64_t)i, .size = 8, .op = MH_OP_READ, .gap = 0};
    val_sim cold;
    assert_int_equal(mh_config_parse(bw_ini, "t.ini", &c, &err), MH_OK);
    assert_int_equal(val_replay_recs(c, r, LINES, 0, NULL, &cold, &err), MH_OK);
    assert_int_equal(cold.first_touch_faults, 16);
    assert_int_equal(cold.ts.minor_faults, 0);
    assert_true(cold.ns >= 0.95 * LINES * 10);   /* the channel's 10240 cycles */
    assert_true(cold.ns <= LINES * 10 + 200);    /* plus one latency and the issue of the first */
    mh_config_free(c);
    free(r);
}

/* A missing trace is a clean error. */
static void test_replay_missing(void **state)
{
    (void)state;
    mh_config *c = NULL;
    mh_error err = {0};
    val_sim s;
    assert_int_equal(mh_config_parse(ini, "t.ini", &c, &err), MH_OK);
    assert_true(val_replay(c, "/nonexistent/x.mht", 1, &s, &err) < 0);
    assert_true(strlen(err.msg) > 0);
    mh_config_free(c);
}

/* The run's clock: the median of the probes that read; clock.csv round-trips; an absent file
 * reads as no clock; a bad row names file:line. */
static void test_run_clock(void **state)
{
    (void)state;
    const double ghz[] = {3.1, 0, 2.9, 3.0}, cpi[] = {0.15, 0, 0.16, 0.15}, none[] = {0, 0};
    char dir[] = "/tmp/mh_clock_XXXXXX", path[64];
    mh_error err = {0};
    double g = -1;
    assert_true(fabs(val_clock_median(ghz, 4) - 3.0) < 1e-12);     /* {2.9, 3.0, 3.1} */
    assert_true(fabs(val_clock_median(ghz, 2) - 3.1) < 1e-12);     /* the 0 is left out */
    assert_true(val_clock_median(none, 2) == 0);
    assert_non_null(mkdtemp(dir));
    assert_int_equal(val_clock_read(dir, &g, &err), MH_OK);
    assert_true(g == 0);                                           /* no clock.csv: no clock */
    const int round[] = {1, 1, 2, 3};
    const unsigned char busy[] = {0, 0, 1, 0};
    assert_int_equal(val_clock_write(dir, round, ghz, cpi, busy, 4, &err), MH_OK);
    assert_int_equal(val_clock_read(dir, &g, &err), MH_OK);
    assert_true(fabs(g - 3.0) < 1e-9);
    snprintf(path, sizeof path, "%s/clock.csv", dir);
    char text[256] = {0};
    FILE *f = fopen(path, "r");
    assert_int_equal(fread(text, 1, sizeof text - 1, f) > 0, 1);
    fclose(f);
    assert_string_equal(text, "round,frequency_ghz,base_cpi,busy\n1,3.1000,0.1500,0\n2,2.9000,0.1600,1\n"
                              "3,3.0000,0.1500,0\n");                /* the failed probe left out */
    f = fopen(path, "w");                                          /* a run before the busy column */
    fputs("round,frequency_ghz,base_cpi\n1,3.0,0.1\n2,3.2,0.1\n", f);
    fclose(f);
    assert_int_equal(val_clock_read(dir, &g, &err), MH_OK);
    assert_true(fabs(g - 3.1) < 1e-9);
    f = fopen(path, "w");
    fputs("round,frequency_ghz,base_cpi,busy\n1,3.0,0.1,0\n2,3.2,0.1,2\n", f);
    fclose(f);
    assert_int_equal(val_clock_read(dir, &g, &err), MH_EFORMAT);   /* busy is 0 or 1 */
    assert_non_null(strstr(err.msg, "clock.csv:3:"));
    f = fopen(path, "w");
    fputs("round,frequency_ghz,base_cpi\n1,3.0,0.1\n2,-1,0.1\n", f);
    fclose(f);
    assert_int_equal(val_clock_read(dir, &g, &err), MH_EFORMAT);
    assert_non_null(strstr(err.msg, "clock.csv:3:"));
    f = fopen(path, "w");
    fputs("round,frequency_ghz,base_cpi\n", f);
    fclose(f);
    assert_int_equal(val_clock_read(dir, &g, &err), MH_EFORMAT);
    assert_non_null(strstr(err.msg, "no probes"));
    unlink(path);
    rmdir(dir);
}

/* A scripted core probe: cpi[i] for the i-th call; fails past the script's end. */
typedef struct probe_script {
    const double *cpi;
    int n, calls;
} probe_script;

static int scripted_probe(void *ctx, double *ghz, double *cpi)
{
    probe_script *s = ctx;
    if (s->calls >= s->n)
        return MH_EUNSUPPORTED;
    *ghz = 3.0;
    *cpi = s->cpi[s->calls++];
    return MH_OK;
}

/* The wait for a quiet core: quiet at once (no wait), quiet after two busy probes, busy past the
 * limit, no reference (never waits), a failing probe; the threshold is VAL_BUSY_RATIO x ref. */
static void test_quiet_wait(void **state)
{
    (void)state;
    const double quiet[] = {0.16}, later[] = {0.30, 0.21, 0.19}, always[] = {0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3};
    double ghz, cpi, w = -1;
    probe_script s = {quiet, 1, 0};
    assert_int_equal(val_quiet_wait(scripted_probe, &s, 0.158, 1.0, 0, &ghz, &cpi, &w), 1);
    assert_int_equal(s.calls, 1);
    assert_true(w == 0 && cpi == 0.16);
    s = (probe_script){later, 3, 0};                               /* 0.21 > 0.158 x 1.25 = 0.1975 */
    assert_int_equal(val_quiet_wait(scripted_probe, &s, 0.158, 10.0, 0, &ghz, &cpi, &w), 1);
    assert_int_equal(s.calls, 3);
    assert_true(w > 0 && w < 10.0 && cpi == 0.19);
    s = (probe_script){always, 8, 0};                              /* busy past 20 ms (8 probes of 5 ms) */
    assert_int_equal(val_quiet_wait(scripted_probe, &s, 0.158, 0.02, 0.005, &ghz, &cpi, &w), 0);
    assert_true(w >= 0.02 && cpi == 0.3 && s.calls >= 2 && s.calls <= 8);
    s = (probe_script){always, 8, 0};                              /* no limit: measured busy at once */
    assert_int_equal(val_quiet_wait(scripted_probe, &s, 0.158, 0, 0, &ghz, &cpi, &w), 0);
    assert_int_equal(s.calls, 1);
    assert_true(w == 0);                                           /* and no wait counted */
    s = (probe_script){always, 8, 0};                              /* no reference issue rate */
    assert_int_equal(val_quiet_wait(scripted_probe, &s, 0, 1.0, 0, &ghz, &cpi, &w), 1);
    assert_int_equal(s.calls, 1);
    s = (probe_script){always, 2, 0};                              /* the probe stops working */
    assert_int_equal(val_quiet_wait(scripted_probe, &s, 0.158, 1.0, 0, &ghz, &cpi, &w), -1);
    s = (probe_script){always, 0, 0};
    assert_int_equal(val_quiet_wait(scripted_probe, &s, 0.158, 1.0, 0, &ghz, &cpi, &w), -1);
}

/* The rounds kept for a point's median: the quiet ones, in order; all when none was quiet. */
static void test_quiet_rounds(void **state)
{
    (void)state;
    double med[] = {1, 2, 3}, p10[] = {0.1, 0.2, 0.3}, p90[] = {10, 20, 30};
    const unsigned char one[] = {1, 0, 0}, all[] = {1, 1, 1}, none[] = {0, 0, 0};
    assert_int_equal(val_quiet_rounds(none, 3, med, p10, p90), 3);
    assert_true(med[0] == 1 && med[2] == 3);
    assert_int_equal(val_quiet_rounds(one, 3, med, p10, p90), 2);
    assert_true(med[0] == 2 && med[1] == 3 && p10[0] == 0.2 && p10[1] == 0.3 && p90[0] == 20 && p90[1] == 30);
    double m2[] = {5, 6, 7}, q10[] = {4, 5, 6}, q90[] = {6, 7, 8};
    assert_int_equal(val_quiet_rounds(all, 3, m2, q10, q90), 3);
    assert_true(m2[0] == 5 && m2[1] == 6 && m2[2] == 7);
}

/* Only the rounds that measured the captured round's layout count; their busy flags go along. */
static void test_layout_rounds(void **state)
{
    (void)state;
    double med[] = {1, 2, 3}, p10[] = {0.1, 0.2, 0.3}, p90[] = {10, 20, 30};
    unsigned char busy[] = {0, 1, 0};
    const uint64_t moved[] = {7, 9, 7}, same[] = {0, 0, 0}, apart[] = {7, 8, 9};
    assert_int_equal(val_layout_rounds(same, 3, busy, med, p10, p90), 3); /* no layout: every round */
    assert_true(med[1] == 2 && busy[1] == 1);
    assert_int_equal(val_layout_rounds(moved, 3, busy, med, p10, p90), 2);
    assert_true(med[0] == 1 && med[1] == 3 && p10[1] == 0.3 && p90[1] == 30 && busy[0] == 0 && busy[1] == 0);
    double m2[] = {5, 6, 7}, q10[] = {4, 5, 6}, q90[] = {6, 7, 8};
    unsigned char b2[] = {1, 0, 0};
    assert_int_equal(val_layout_rounds(apart, 3, b2, m2, q10, q90), 1); /* the captured round alone */
    assert_true(m2[0] == 5 && b2[0] == 1);
    assert_int_equal(val_quiet_rounds(b2, 1, m2, q10, q90), 1); /* busy, but the only one left */
}

/* Reasons exist for every kernel and both signs, and name the suspected mechanism. */
static void test_reasons(void **state)
{
    (void)state;
    const char *k[] = {"stream", "stride", "stack", "heap", "pool", "prefetch"};
    for (size_t i = 0; i < 6; i++)
        for (int s = -1; s <= 1; s += 2) {
            const char *r = val_reason(k[i], "s64", 1 << 20, 40.0 * s, 32768, 8 << 20);
            assert_non_null(r);
            assert_true(strlen(r) > 10);
        }
    assert_non_null(strstr(val_reason("stream", "read", 1 << 20, 50, 32768, 8 << 20), "prefetcher"));
    assert_non_null(strstr(val_reason("stride", "s4096", 1 << 20, 50, 32768, 8 << 20), "TLB"));
    assert_non_null(strstr(val_reason("heap", "default", 64 << 20, 50, 32768, 8 << 20), "MLP"));
    assert_non_null(strstr(val_reason("prefetch", "d0", 64 << 20, 50, 32768, 8 << 20), "between runs"));
    assert_non_null(strstr(val_reason("pool", "default", 64 << 20, -20, 32768, 8 << 20), "between runs"));
    assert_null(strstr(val_reason("pool", "default", 1 << 20, -20, 32768, 8 << 20), "between runs"));
    assert_non_null(strstr(val_reason("heap", "default", 64 << 20, -20, 32768, 8 << 20), "RAM vs TLB split"));
    assert_non_null(strstr(val_reason("stride", "s4096", 1 << 20, -50, 32768, 8 << 20), "set conflict"));
    assert_non_null(strstr(val_reason("stride", "s64", 64 << 20, 50, 32768, 8 << 20), "L2 stream prefetcher"));
    assert_non_null(strstr(val_reason("stride", "s256", 256 << 10, -40, 49152, 8 << 20), "two rates"));
    assert_non_null(strstr(val_reason("stream", "copy", 64 << 20, -30, 32768, 8 << 20), "reorder buffer"));
    assert_non_null(strstr(val_reason("stack", "default", 64 << 20, -30, 32768, 8 << 20), "store queue"));
    assert_non_null(strstr(val_reason("stack", "default", 64 << 20, -30, 32768, 8 << 20), "prefetchers do not follow"));
    assert_non_null(strstr(val_reason("stack", "default", 1 << 20, -30, 32768, 8 << 20), "compute"));
    assert_non_null(strstr(val_reason("heap", "default", 16384, -30, 32768, 8 << 20), "every line in L1d"));
    assert_non_null(strstr(val_reason("prefetch", "d2", 16384, 30, 32768, 8 << 20), "compute"));
    assert_non_null(strstr(val_reason("prefetch", "d2", 1 << 20, -30, 32768, 8 << 20), "in flight"));
    /* s4096 inside L1d: four pages, no TLB miss; the loop's cost is the compute model's */
    assert_non_null(strstr(val_reason("stride", "s4096", 16384, 47, 49152, 8 << 20), "ALU rate"));
    assert_non_null(strstr(val_reason("prefetch", "d1", 4 << 20, 22, 32768, 8 << 20), "distance 1"));
    assert_non_null(strstr(val_reason("prefetch", "d1", 4 << 20, -22, 32768, 8 << 20), "in flight"));
}

/* Two speeds: p10 far below the median and the model near p10 (the development VM's s256 at
 * 256 KiB: 0.275 / 0.475 ns, simulated 0.277); not when either condition fails. */
static void test_two_speeds(void **state)
{
    (void)state;
    double e = 99;
    assert_int_equal(val_two_speeds(0.475, 0.275, 0.277, &e), 1);
    assert_float_equal(e, val_error_pct(0.275, 0.277), 1e-12);
    e = 99;
    assert_int_equal(val_two_speeds(0.475, 0.46, 0.277, &e), 0);   /* one speed: p10 near the median */
    assert_int_equal(val_two_speeds(0.475, 0.275, 0.33, &e), 0);   /* model 20 % from the faster too */
    assert_int_equal(val_two_speeds(0.475, 0.275, 0.22, &e), 0);   /* ... on either side */
    assert_int_equal(val_two_speeds(0.475, 0.275, 0.316, &e), 1);  /* 14.9 % from it */
    assert_int_equal(val_two_speeds(0, 0, 0.2, &e), 0);
    assert_int_equal(val_two_speeds(NAN, 0.2, 0.2, &e), 0);
    assert_int_equal(val_two_speeds(0.475, 0.275, NAN, &e), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_pct),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_csv_rows),
        cmocka_unit_test(test_pairings),
        cmocka_unit_test(test_replay_warm_cold),
        cmocka_unit_test(test_cold_pass_keeps_bandwidth),
        cmocka_unit_test(test_replay_missing),
        cmocka_unit_test(test_run_clock),
        cmocka_unit_test(test_quiet_wait),
        cmocka_unit_test(test_quiet_rounds),
        cmocka_unit_test(test_layout_rounds),
        cmocka_unit_test(test_reasons),
        cmocka_unit_test(test_two_speeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
