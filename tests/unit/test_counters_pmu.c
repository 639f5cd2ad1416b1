/* test_counters_pmu.c — bench/counters.c on a machine with hardware counters: the simulated PMU
 * of tests/lib/fake_papi.c is linked in place of libpapi (see the Makefile), so the presets are
 * available, the counters can run out and PAPI's own errors can be provoked. Its hardware counts
 * are made up from the thread's CPU time with known ratios (TOT_CYC = 3 TASK-CLOCK, TOT_INS =
 * 2 TOT_CYC, L1_DCM = TOT_CYC / 16, ...), which shows each value landing at its own event; its
 * software events count for real. The tests set the fake's FAKE_PAPI_* variables before each ctr_create. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "counters.h"

/* Clears every FAKE_PAPI_* setting, then sets counters (0: leave the fake's default of 4). */
static void pmu(int counters)
{
    unsetenv("FAKE_PAPI_ABSENT");
    unsetenv("FAKE_PAPI_NO_MPX");
    unsetenv("FAKE_PAPI_INIT_FAIL");
    unsetenv("FAKE_PAPI_COUNTERS");
    unsetenv("FAKE_PAPI_SETS");
    if (counters) {
        char b[16];
        snprintf(b, sizeof b, "%d", counters);
        setenv("FAKE_PAPI_COUNTERS", b, 1);
    }
}

/* Index of event name in s, or -1. */
static int find(const ctr_set *s, const char *name)
{
    for (size_t i = 0; i < ctr_count(s); i++)
        if (!strcmp(ctr_name(s, i), name))
            return (int)i;
    return -1;
}

/* Writes one byte per page; not instrumented, so ASan's shadow reads add no page faults. */
__attribute__((no_sanitize_address, noinline)) static void touch(char *p, size_t pages, size_t ps)
{
    for (size_t i = 0; i < pages; i++)
        ((volatile char *)p)[i * ps] = 1;
}

/* One repetition touching `pages` fresh pages (0: a busy loop instead); values into v. */
static void repetition(ctr_set *s, size_t pages, long long *v)
{
    long ps = sysconf(_SC_PAGESIZE);
    mh_error err = {0};
    char *p = NULL;
    if (pages) {
        p = mmap(NULL, pages * (size_t)ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        assert_true(p != MAP_FAILED);
        madvise(p, pages * (size_t)ps, MADV_NOHUGEPAGE);
    }
    assert_int_equal(ctr_start(s, &err), MH_OK);
    if (pages)
        touch(p, pages, (size_t)ps);
    else
        for (volatile long i = 0; i < 3000000; i++)
            ;
    assert_int_equal(ctr_stop(s, v, &err), MH_OK);
    if (pages)
        munmap(p, pages * (size_t)ps);
}

/* Each value counted in this repetition sits at its own event: the fake's ratios to its thread
 * CPU time (perf::TASK-CLOCK, counted in every group) hold exactly; returns how many hardware
 * events were counted. */
static int check_ratios(const ctr_set *s, const long long *v)
{
    static const struct { const char *name; long long mul, div; } r[] = {
        {"PAPI_TOT_CYC", 3, 1},  {"PAPI_TOT_INS", 6, 1},  {"PAPI_L1_DCM", 3, 16},
        {"PAPI_L2_DCM", 3, 64},  {"PAPI_L3_TCM", 3, 256}, {"PAPI_BR_MSP", 3, 8},
    };
    int clk = find(s, "perf::TASK-CLOCK"), counted = 0;
    assert_true(clk >= 0 && v[clk] > 1000);
    for (size_t k = 0; k < sizeof r / sizeof r[0]; k++) {
        int i = find(s, r[k].name);
        if (i < 0 || v[i] == CTR_NOT_MEASURED)
            continue;
        assert_int_equal(v[i], v[clk] * r[k].mul / r[k].div);
        counted++;
    }
    return counted;
}

/* What ctr_report_unavailable prints for s. */
static void report_of(const ctr_set *s, char *buf, size_t n)
{
    FILE *f = tmpfile();
    ctr_report_unavailable(s, f);
    rewind(f);
    buf[fread(buf, 1, n - 1, f)] = '\0';
    fclose(f);
}

/* PAPI_library_init failing: no hardware event, each with that reason; software events still
 * counted (perf_event_open), or unavailable naming perf_event_open too. Runs first: PAPI stays
 * uninitialised only until an init succeeds. */
static void test_init_failure(void **state)
{
    (void)state;
    pmu(0);
    setenv("FAKE_PAPI_INIT_FAIL", "1", 1);
    ctr_set *s = NULL;
    mh_error err = {0};
    assert_int_equal(ctr_create(NULL, 0, &s, &err), MH_OK);
    for (size_t i = 0; i < ctr_count(s); i++) {
        assert_string_not_equal(ctr_backend(s, i), "papi");
        if (ctr_is_hardware(s, i)) {
            assert_false(ctr_available(s, i));
            assert_non_null(strstr(ctr_reason(s, i), "PAPI_library_init: Not supported by component (-4)"));
        } else if (ctr_available(s, i)) {
            assert_non_null(strstr(ctr_note(s, i), "counted with perf_event_open"));
        } else {
            assert_non_null(strstr(ctr_reason(s, i), "perf_event_open"));
        }
    }
    assert_int_equal(ctr_groups(s), 0);
    ctr_destroy(s);
    unsetenv("FAKE_PAPI_INIT_FAIL");
}

/* The default list on a 4-counter PMU: the 5 hardware events do not fit, so two groups take
 * turns by repetition, the software events in both; every event is counted by PAPI, each value
 * at its own event, per repetition. */
static void test_default_groups(void **state)
{
    (void)state;
    pmu(4);
    ctr_set *s = NULL;
    mh_error err = {0};
    long long v[16];
    assert_int_equal(ctr_create(NULL, 0, &s, &err), MH_OK);
    assert_int_equal(ctr_count(s), 9);
    assert_int_equal(ctr_available_count(s), 9);
    assert_int_equal(ctr_groups(s), 2);
    for (size_t i = 0; i < ctr_count(s); i++) {
        assert_true(ctr_available(s, i));
        assert_string_equal(ctr_backend(s, i), "papi");
        assert_string_equal(ctr_reason(s, i), "");
        assert_string_equal(ctr_note(s, i), "");
    }
    int mi = find(s, "perf::MINOR-FAULTS"), pf = find(s, "perf::PAGE-FAULTS"), ins = find(s, "PAPI_TOT_INS");
    assert_int_equal(ctr_group_of(s, (size_t)find(s, "PAPI_L1_DCM")), 0);
    assert_int_equal(ctr_group_of(s, (size_t)find(s, "PAPI_TOT_CYC")), 0);
    assert_int_equal(ctr_group_of(s, (size_t)ins), 1);
    assert_int_equal(ctr_group_of(s, (size_t)mi), -1);   /* in every group */
    repetition(s, 2000, v);                  /* group 0: the first four presets */
    assert_in_range(v[mi], 1940, 2065);
    assert_true(v[pf] >= v[mi]);
    assert_int_equal(check_ratios(s, v), 4);
    assert_int_equal(v[ins], CTR_NOT_MEASURED);
    repetition(s, 0, v);                     /* group 1: PAPI_TOT_INS; faults per repetition */
    assert_in_range(v[mi], 0, 5);
    assert_int_equal(check_ratios(s, v), 1);
    assert_true(v[ins] > 0);
    assert_int_equal(v[find(s, "PAPI_TOT_CYC")], CTR_NOT_MEASURED);
    repetition(s, 0, v);                     /* group 0 again */
    assert_int_equal(check_ratios(s, v), 4);
    char buf[4096] = "";
    report_of(s, buf, sizeof buf);
    assert_null(strstr(buf, "not measured"));
    assert_non_null(strstr(buf, "cannot count the 5 hardware events at once: 2 groups take turns"));
    ctr_destroy(s);
}

/* Enough counters: one set, every event in every repetition, nothing reported. */
static void test_fits_counters(void **state)
{
    (void)state;
    pmu(8);
    ctr_set *s = NULL;
    mh_error err = {0};
    long long v[16];
    assert_int_equal(ctr_create(NULL, 0, &s, &err), MH_OK);
    assert_int_equal(ctr_available_count(s), 9);
    assert_int_equal(ctr_groups(s), 1);
    assert_int_equal(ctr_group_of(s, 0), -1);
    for (int rep = 0; rep < 2; rep++) {
        repetition(s, 0, v);
        assert_int_equal(check_ratios(s, v), 5);
    }
    char buf[1024] = "";
    report_of(s, buf, sizeof buf);
    assert_string_equal(buf, "");
    ctr_destroy(s);
}

/* A preset the CPU lacks: unavailable with PAPI's reason, read as CTR_NOT_MEASURED (never 0),
 * reported once; the events after it keep their own values. */
static void test_absent_preset(void **state)
{
    (void)state;
    pmu(8);
    setenv("FAKE_PAPI_ABSENT", "PAPI_L2_DCM,PAPI_L3_TCM", 1);
    ctr_set *s = NULL;
    mh_error err = {0};
    long long v[16];
    assert_int_equal(ctr_create(NULL, 0, &s, &err), MH_OK);
    assert_int_equal(ctr_available_count(s), 7);
    int l3 = find(s, "PAPI_L3_TCM");
    assert_false(ctr_available(s, (size_t)l3));
    assert_string_equal(ctr_backend(s, (size_t)l3), "none");
    assert_non_null(strstr(ctr_reason(s, (size_t)l3), "PAPI_query_named_event: Event does not exist (-7)"));
    assert_non_null(strstr(ctr_reason(s, (size_t)l3), "no hardware PMU event for it on this machine"));
    repetition(s, 0, v);
    assert_int_equal(v[l3], CTR_NOT_MEASURED);
    assert_int_equal(v[find(s, "PAPI_L2_DCM")], CTR_NOT_MEASURED);
    assert_int_equal(check_ratios(s, v), 3);
    char buf[2048] = "";
    report_of(s, buf, sizeof buf);
    assert_non_null(strstr(buf, "counter PAPI_L3_TCM not measured: PAPI_query_named_event"));
    assert_non_null(strstr(buf, "counter PAPI_L2_DCM not measured: "));
    assert_null(strstr(buf, "PAPI_L1_DCM"));
    ctr_destroy(s);
}

/* An event asked for twice: PAPI refuses it twice in one set, so the repeat reads the first's
 * count, and a single counter still suffices (no second group for a duplicate). */
static void test_duplicates(void **state)
{
    (void)state;
    pmu(1);
    const char *names[] = {"PAPI_TOT_CYC", "perf::MINOR-FAULTS", "PAPI_TOT_CYC"};
    ctr_set *s = NULL;
    mh_error err = {0};
    long long v[3];
    assert_int_equal(ctr_create(names, 3, &s, &err), MH_OK);
    assert_int_equal(ctr_available_count(s), 3);
    assert_int_equal(ctr_groups(s), 1);
    assert_string_equal(ctr_backend(s, 2), "papi");
    repetition(s, 100, v);
    assert_true(v[0] > 0);
    assert_int_equal(v[2], v[0]);
    assert_in_range(v[1], 95, 110);
    ctr_destroy(s);
}

/* One counter: each hardware event in a group of its own, the groups in turn (every event counted
 * once in as many repetitions); past the groups' limit (8) an event is not measured, saying why. */
static void test_one_counter(void **state)
{
    (void)state;
    pmu(1);
    const char *names[] = {"PAPI_L1_DCM", "PAPI_L2_DCM", "PAPI_L3_TCM", "PAPI_TOT_CYC", "PAPI_TOT_INS",
                           "PAPI_L1_ICM", "PAPI_L2_ICM", "PAPI_TLB_DM", "PAPI_BR_MSP", "perf::TASK-CLOCK"};
    size_t n = sizeof names / sizeof names[0];
    ctr_set *s = NULL;
    mh_error err = {0};
    long long v[16];
    int seen[16] = {0};
    assert_int_equal(ctr_create(names, n, &s, &err), MH_OK);
    assert_int_equal(ctr_groups(s), 8);
    assert_int_equal(ctr_available_count(s), 9);
    int br = find(s, "PAPI_BR_MSP");
    assert_false(ctr_available(s, (size_t)br));
    assert_non_null(strstr(ctr_reason(s, (size_t)br), "PAPI_add_named_event: Event exists, but cannot be counted "
                                                        "due to counter resource limitations (-8): no room for it "
                                                        "in any of 8 event groups"));
    for (int rep = 0; rep < 16; rep++) {
        repetition(s, 0, v);
        int hw = 0;
        for (size_t i = 0; i < n; i++)
            if (ctr_is_hardware(s, i) && v[i] != CTR_NOT_MEASURED) {
                hw++;
                seen[i]++;
            }
        assert_int_equal(hw, 1);             /* one group, one counter, one event */
        check_ratios(s, v);
        assert_int_equal(v[br], CTR_NOT_MEASURED);
    }
    for (size_t i = 0; i < n; i++)
        if (ctr_is_hardware(s, i) && (int)i != br)
            assert_int_equal(seen[i], 2);    /* 16 repetitions, 8 groups */
    ctr_destroy(s);
}

/* PAPI refusing a second event set: the first group is kept, the events of the second are not
 * measured, naming the failure. */
static void test_second_group_refused(void **state)
{
    (void)state;
    pmu(4);
    setenv("FAKE_PAPI_SETS", "1", 1);
    ctr_set *s = NULL;
    mh_error err = {0};
    long long v[16];
    assert_int_equal(ctr_create(NULL, 0, &s, &err), MH_OK);
    assert_int_equal(ctr_groups(s), 1);
    assert_int_equal(ctr_available_count(s), 8);
    int ins = find(s, "PAPI_TOT_INS");
    assert_false(ctr_available(s, (size_t)ins));
    assert_non_null(strstr(ctr_reason(s, (size_t)ins), "PAPI_create_eventset for event group 2: Insufficient memory (-2)"));
    for (int rep = 0; rep < 2; rep++) {
        repetition(s, 0, v);
        assert_int_equal(check_ratios(s, v), 4);
        assert_int_equal(v[ins], CTR_NOT_MEASURED);
    }
    ctr_destroy(s);
}

/* PAPI counts with one set per thread at a time: starting a second while the first runs fails
 * with PAPI's reason and leaves the first running; after the first stops, the second starts. */
static void test_one_running_set(void **state)
{
    (void)state;
    pmu(4);
    const char *a_names[] = {"PAPI_TOT_CYC"}, *b_names[] = {"perf::MINOR-FAULTS"};
    ctr_set *a = NULL, *b = NULL;
    mh_error err = {0};
    long long va[1], vb[1];
    assert_int_equal(ctr_create(a_names, 1, &a, &err), MH_OK);
    assert_int_equal(ctr_create(b_names, 1, &b, &err), MH_OK);
    assert_string_equal(ctr_backend(b, 0), "papi");
    assert_int_equal(ctr_start(a, &err), MH_OK);
    assert_int_equal(ctr_start(b, &err), MH_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "PAPI_start: EventSet is currently counting (-10)"));
    assert_int_equal(ctr_stop(a, va, &err), MH_OK);
    assert_true(va[0] >= 0);
    assert_int_equal(ctr_start(b, &err), MH_OK);
    assert_int_equal(ctr_stop(b, vb, &err), MH_OK);
    assert_in_range(vb[0], 0, 5);
    ctr_destroy(a);
    ctr_destroy(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_failure),    cmocka_unit_test(test_default_groups),
        cmocka_unit_test(test_fits_counters),   cmocka_unit_test(test_absent_preset),
        cmocka_unit_test(test_duplicates),      cmocka_unit_test(test_one_counter),
        cmocka_unit_test(test_one_running_set), cmocka_unit_test(test_second_group_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
