/* test_counters.c — the counters module on the real PAPI path: availability with reasons,
 * software events that count (minor faults of fresh pages), several events per set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "counters.h"
#include "memhier.h"

/* Index of name in s, or -1. */
static int find(const ctr_set *s, const char *name)
{
    for (size_t i = 0; i < ctr_count(s); i++)
        if (!strcmp(ctr_name(s, i), name))
            return (int)i;
    return -1;
}

/* The default list: nine events in order; every event is either available or has a reason. */
static void test_default_list(void **state)
{
    (void)state;
    ctr_set *s = NULL;
    mh_error err = {0};
    assert_int_equal(ctr_create(NULL, 0, &s, &err), MH_OK);
    assert_int_equal(ctr_count(s), ctr_default_count());
    assert_int_equal(ctr_count(s), 9);
    size_t avail = 0;
    for (size_t i = 0; i < ctr_count(s); i++) {
        assert_string_equal(ctr_name(s, i), ctr_default_events[i]);
        if (ctr_available(s, i)) {
            avail++;
            assert_string_equal(ctr_reason(s, i), "");
            assert_string_not_equal(ctr_backend(s, i), "none");
        } else {
            assert_true(strlen(ctr_reason(s, i)) > 10);
            assert_string_equal(ctr_backend(s, i), "none");
        }
    }
    assert_int_equal(avail, ctr_available_count(s));
    assert_true(ctr_is_hardware(s, (size_t)find(s, "PAPI_TOT_CYC")));
    assert_false(ctr_is_hardware(s, (size_t)find(s, "perf::MINOR-FAULTS")));
    ctr_destroy(s);
}

/* Presets: on a machine without a PMU they are unavailable with PAPI's reason. */
static void test_presets_reason(void **state)
{
    (void)state;
    const char *names[] = {"PAPI_L1_DCM", "PAPI_TOT_CYC"};
    ctr_set *s = NULL;
    mh_error err = {0};
    assert_int_equal(ctr_create(names, 2, &s, &err), MH_OK);
    if (ctr_available(s, 0) && ctr_available(s, 1)) {
        ctr_destroy(s);
        skip(); /* this machine has a hardware PMU: nothing to check about missing presets */
    }
    for (size_t i = 0; i < 2; i++)
        if (!ctr_available(s, i)) {
            assert_non_null(strstr(ctr_reason(s, i), "PAPI_"));
            assert_true(strlen(ctr_reason(s, i)) > 20);
        }
    long long v[2];
    assert_int_equal(ctr_start(s, &err), MH_OK);
    assert_int_equal(ctr_stop(s, v, &err), MH_OK);
    for (size_t i = 0; i < 2; i++)
        if (!ctr_available(s, i))
            assert_int_equal(v[i], CTR_NOT_MEASURED);
    FILE *f = tmpfile();
    char buf[2048] = "";
    ctr_report_unavailable(s, f);
    rewind(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_non_null(strstr(buf, "counter PAPI_L1_DCM not measured: "));
    ctr_destroy(s);
}

/* Writes one byte per page; not instrumented, so ASan's shadow reads add no page faults. */
__attribute__((no_sanitize_address, noinline)) static void touch(char *p, size_t pages, size_t ps)
{
    for (size_t i = 0; i < pages; i++)
        ((volatile char *)p)[i * ps] = 1;
}

/* Touches `pages` fresh pages of an anonymous mapping (THP off) and returns minor faults counted. */
static long long faults_for(ctr_set *s, int mi, size_t pages)
{
    long ps = sysconf(_SC_PAGESIZE);
    mh_error err = {0};
    long long v[32];
    assert_true(ctr_count(s) <= 32);
    char *p = mmap(NULL, pages * (size_t)ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    madvise(p, pages * (size_t)ps, MADV_NOHUGEPAGE);
    assert_int_equal(ctr_start(s, &err), MH_OK);
    touch(p, pages, (size_t)ps);
    assert_int_equal(ctr_stop(s, v, &err), MH_OK);
    munmap(p, pages * (size_t)ps);
    return v[mi];
}

/* Touching N fresh pages raises perf::MINOR-FAULTS by N within 3%; a repetition without new pages adds ~0. */
static void test_minor_faults(void **state)
{
    (void)state;
    const char *names[] = {"perf::MINOR-FAULTS", "perf::PAGE-FAULTS", "perf::MAJOR-FAULTS", "perf::TASK-CLOCK"};
    ctr_set *s = NULL;
    mh_error err = {0};
    assert_int_equal(ctr_create(names, 4, &s, &err), MH_OK);
    if (!ctr_available(s, 0)) {
        fprintf(stderr, "# perf::MINOR-FAULTS unavailable: %s\n", ctr_reason(s, 0));
        ctr_destroy(s);
        skip();
    }
    for (size_t n = 1000; n <= 4000; n *= 2) {
        long long got = faults_for(s, 0, n);
        assert_in_range(got, (long long)n - (long long)n * 3 / 100, (long long)n + (long long)n * 3 / 100 + 5);
    }
    long long v[4];
    assert_int_equal(ctr_start(s, &err), MH_OK);
    assert_int_equal(ctr_stop(s, v, &err), MH_OK);
    assert_in_range(v[0], 0, 5);            /* per repetition, not cumulative */
    assert_in_range(v[2], 0, 5);            /* no major faults from anonymous memory */
    assert_true(v[1] >= v[0]);
    assert_int_equal(ctr_start(s, &err), MH_OK);
    for (volatile long i = 0; i < 2000000; i++)
        ;
    assert_int_equal(ctr_stop(s, v, &err), MH_OK);
    assert_true(v[3] > 0);                  /* task clock: nanoseconds of this thread */
    ctr_destroy(s);
}

/* Many events in one set (more than any PMU has counters, duplicates, unknown names): each
 * available one is counted, the others read CTR_NOT_MEASURED, never 0. */
static void test_many_events(void **state)
{
    (void)state;
    const char *names[] = {"PAPI_L1_DCM", "PAPI_L2_DCM", "PAPI_L3_TCM", "PAPI_TOT_CYC", "PAPI_TOT_INS",
                           "PAPI_L1_ICM", "PAPI_BR_MSP", "PAPI_TLB_DM", "perf::PAGE-FAULTS",
                           "perf::MINOR-FAULTS", "perf::MINOR-FAULTS", "perf::TASK-CLOCK", "nosuch::EVENT"};
    size_t n = sizeof names / sizeof names[0];
    ctr_set *s = NULL;
    mh_error err = {0};
    long long v[16];
    assert_int_equal(ctr_create(names, n, &s, &err), MH_OK);
    assert_int_equal(ctr_count(s), n);
    assert_false(ctr_available(s, n - 1));
    assert_non_null(strstr(ctr_reason(s, n - 1), "PAPI_query_named_event"));
    for (int rep = 0; rep < 3; rep++) {
        assert_int_equal(ctr_start(s, &err), MH_OK);
        assert_int_equal(ctr_stop(s, v, &err), MH_OK);
        for (size_t i = 0; i < n; i++)
            if (!ctr_available(s, i))
                assert_int_equal(v[i], CTR_NOT_MEASURED);
            else
                assert_true(v[i] >= 0);
    }
    if (ctr_available(s, 9) && ctr_available(s, 10)) {
        long long a = faults_for(s, 9, 500);
        assert_in_range(a, 485, 520);
    }
    ctr_destroy(s);
}

/* Misuse is reported, not crashed on. */
static void test_errors(void **state)
{
    (void)state;
    ctr_set *s = NULL;
    mh_error err = {0};
    long long v[9];
    const char *empty[] = {""};
    assert_int_equal(ctr_create(NULL, 3, &s, &err), MH_EINVAL);
    assert_int_equal(ctr_create(empty, 1, &s, &err), MH_EINVAL);
    assert_null(s);
    assert_int_equal(ctr_create(NULL, 0, &s, &err), MH_OK);
    assert_int_equal(ctr_stop(s, v, &err), MH_EINVAL);
    assert_int_equal(ctr_start(s, &err), MH_OK);
    assert_int_equal(ctr_start(s, &err), MH_EINVAL);
    ctr_destroy(s); /* while running */
    ctr_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_list), cmocka_unit_test(test_presets_reason),
        cmocka_unit_test(test_minor_faults), cmocka_unit_test(test_many_events),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
