/* test_capture.c — the capture writer thread: records reach the .mht in order and unchanged
 * (also past the ring's capacity, where the kernel thread waits), the budget bounds them, and
 * a writer error fails the capture with no file left behind. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture.h"

/* Next value of a xorshift64 generator. */
static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Record i of the synthetic sequence seeded by *s (random addresses: incompressible). */
static mh_rec synth(uint64_t *s)
{
    uint64_t x = next_rand(s);
    mh_rec r = {.addr = next_rand(s), .gap = (uint32_t)(x & 0xff), .size = (uint16_t)(1u << (x >> 8 & 3)),
                .op = (uint8_t)(x >> 10 & 1), .flags = (uint8_t)(x >> 11 & 1)};
    return r;
}

/* Puts n synthetic records into c. */
static void put_n(bench_cap *c, uint64_t n, uint64_t seed)
{
    for (uint64_t i = 0; i < n && !c->full; i++) {
        mh_rec r = synth(&seed);
        bench_cap_put(c, (const void *)(uintptr_t)r.addr, r.size, r.op, r.flags, r.gap);
    }
}

/* A unique temporary path for a trace. */
static void temp_path(char *path, size_t cap, const char *tag)
{
    snprintf(path, cap, "/tmp/mh-test-capture-%s-%ld.mht", tag, (long)getpid());
}

/* Captures n records (budget) through the writer thread into path; returns bench_cap_finish's code. */
static int capture_to(const char *path, uint64_t n, uint64_t budget, uint64_t seed, uint64_t *recorded)
{
    mh_error err = {0};
    mh_meta meta = {0};
    mh_writer *w = NULL;
    assert_int_equal(mh_writer_open(path, "mht", &meta, &w, &err), MH_OK);
    bench_cap *c = malloc(sizeof *c);
    assert_non_null(c);
    bench_cap_init(c, w, 0, budget);
    assert_non_null(c->ring);
    put_n(c, n, seed);
    int rc = bench_cap_finish(c);
    *recorded = c->recorded;
    if (rc == MH_OK)
        rc = mh_writer_close(w, &err);
    else
        mh_writer_abort(w);
    bench_cap_free(c);
    free(c);
    return rc;
}

/* Reads path back and checks it holds exactly the first n records of the sequence. */
static void check_trace(const char *path, uint64_t n, uint64_t seed)
{
    mh_error err = {0};
    mh_trace *t = NULL;
    assert_int_equal(mh_trace_open(path, &t, &err), MH_OK);
    mh_rec *buf = malloc(65536 * sizeof *buf);
    assert_non_null(buf);
    uint64_t seen = 0;
    size_t got;
    while (mh_trace_read(t, buf, 65536, &got, &err) == MH_OK && got) {
        for (size_t i = 0; i < got; i++, seen++) {
            mh_rec want = synth(&seed);
            if (seen >= n || memcmp(&want, &buf[i], sizeof want) != 0)
                fail_msg("record %llu differs or is extra", (unsigned long long)seen);
        }
    }
    assert_int_equal(err.code, MH_OK);
    assert_int_equal(seen, n);
    free(buf);
    mh_trace_close(t);
}

/* Records past the ring's capacity (the kernel thread waits for the writer) arrive in order. */
static void test_ring_order_past_capacity(void **state)
{
    (void)state;
    char path[128];
    temp_path(path, sizeof path, "order");
    uint64_t n = (uint64_t)BENCH_CAP_RING_MAX * BENCH_CAP_SLOT + 3 * BENCH_CAP_SLOT + 17, rec = 0;
    assert_int_equal(capture_to(path, n, n, 42, &rec), MH_OK);
    assert_int_equal(rec, n);
    check_trace(path, n, 42);
    unlink(path);
}

/* The budget bounds the records written, also mid-buffer. */
static void test_ring_budget(void **state)
{
    (void)state;
    char path[128];
    temp_path(path, sizeof path, "budget");
    uint64_t rec = 0;
    assert_int_equal(capture_to(path, 100000, 40001, 9, &rec), MH_OK);
    assert_int_equal(rec, 40001);
    check_trace(path, 40001, 9);
    unlink(path);
}

/* A write error in the writer thread fails the capture; the caller's abort leaves no file. */
static void test_ring_writer_error(void **state)
{
    (void)state;
    char path[128];
    temp_path(path, sizeof path, "error");
    struct rlimit old, small = {.rlim_cur = 256 * 1024};
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small.rlim_max = old.rlim_max;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN); /* the write then fails with EFBIG */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    uint64_t rec = 0;
    int rc = capture_to(path, 1000000, 1000000, 5, &rec);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_not_equal(rc, MH_OK);
    assert_int_equal(access(path, F_OK), -1);
}

/* Runs the tests. */
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_order_past_capacity),
        cmocka_unit_test(test_ring_budget),
        cmocka_unit_test(test_ring_writer_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
