/* test_resident.c — resident-page snapshots (mincore), the TRACE.resident sidecar written from
 * a trace and a snapshot, its parser's errors, and its effect on simulated minor faults. */
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

#include "resident.h"

#define NPAGES 16

/* A fresh mapping of NPAGES pages with pages 0, 1, 2 and 7 touched; fails the test otherwise. */
static char *touched_mapping(size_t page)
{
    char *m = mmap(NULL, NPAGES * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(m != MAP_FAILED);
    madvise(m, NPAGES * page, MADV_NOHUGEPAGE); /* one 4K page per touch, whatever THP says */
    const int touch[] = {0, 1, 2, 7};
    for (size_t i = 0; i < sizeof touch / sizeof *touch; i++)
        m[(size_t)touch[i] * page + 5] = 1;
    return m;
}

/* The snapshot holds exactly the touched pages of a fresh mapping. */
static void test_snapshot(void **state)
{
    (void)state;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    char *m = touched_mapping(page);
    bench_pages *p = NULL;
    mh_error err = {0, ""};
    assert_int_equal(bench_pages_snapshot(&p, &err), MH_OK);
    for (size_t k = 0; k < NPAGES; k++)
        assert_int_equal(bench_pages_has(p, (uint64_t)(uintptr_t)(m + k * page + page / 2)),
                         k <= 2 || k == 7);
    assert_true(bench_pages_count(p) >= 4);
    bench_pages_free(p);
    munmap(m, NPAGES * page);
}

/* Writes records touching pages 1, 7 (resident), 5 (not) and a straddle of pages 2..3 (2
 * resident) to path. */
static void write_trace(const char *path, const char *m, size_t page)
{
    uint64_t b = (uint64_t)(uintptr_t)m;
    mh_rec r[] = {
        {b + page + 8, 0, 8, MH_OP_READ, 0},       {b + 7 * page, 0, 8, MH_OP_WRITE, 0},
        {b + 5 * page + 64, 0, 8, MH_OP_READ, 0},  {b + 3 * page - 4, 0, 8, MH_OP_READ, 0},
        {b + page + 16, 0, 8, MH_OP_READ, 0},
    };
    mh_writer *w = NULL;
    mh_meta meta = {0};
    mh_error err = {0, ""};
    assert_int_equal(mh_writer_open(path, "mht", &meta, &w, &err), MH_OK);
    assert_int_equal(mh_writer_write(w, r, sizeof r / sizeof *r, &err), MH_OK);
    assert_int_equal(mh_writer_close(w, &err), MH_OK);
}

/* Replays path with its sidecar applied (its setup pages touched when setup_faults, else made
 * resident) on a config with 4 KiB pages; returns the minor faults. */
static uint64_t replay_faults_as(const char *path, const bench_pages *res, int setup_faults)
{
    const char *text = "[hierarchy]\nname = t\nifetch = L1\ndata = L1\n"
                       "[L1]\nsize = 4K\nways = 4\nline = 64\nlatency = 4\n"
                       "[RAM]\nlatency_ns = 100\nrow_hit_ns = 100\npage_size = 4K\n";
    mh_config *c = NULL;
    mh_error err = {0, ""};
    assert_int_equal(mh_config_parse(text, "t", &c, &err), MH_OK);
    mh_hier_opts o = mh_hier_opts_default();
    o.timing = 1;
    mh_hier *h = NULL;
    assert_int_equal(mh_hier_create(c, &o, &h, &err), MH_OK);
    assert_int_equal(bench_pages_apply(res, h, setup_faults, &err), MH_OK);
    mh_trace *t = NULL;
    mh_rec buf[16];
    size_t n = 0;
    assert_int_equal(mh_trace_open(path, &t, &err), MH_OK);
    assert_int_equal(mh_trace_read(t, buf, 16, &n, &err), MH_OK);
    mh_trace_close(t);
    mh_hier_access(h, buf, n);
    mh_time_stats s;
    assert_int_equal(mh_hier_time_stats(h, &s), MH_OK);
    mh_hier_destroy(h);
    mh_config_free(c);
    assert_true(s.cycles > 0);
    return s.minor_faults;
}

/* replay_faults_as, the setup's first touches counted. */
static uint64_t replay_faults(const char *path, const bench_pages *res)
{
    return replay_faults_as(path, res, 1);
}

/* A sidecar test's ground: a fresh mapping with pages 0, 1, 2 and 7 touched, a trace over it
 * (write_trace) and the paths of the trace and its sidecar. */
typedef struct fixture {
    size_t page;       /* the host's page size (4 KiB: the replay config's) */
    char *m;           /* the mapping, NPAGES pages */
    uint64_t b;        /* its address */
    char path[128];    /* the trace */
    char side[160];    /* path.resident */
} fixture;

/* Builds f for the test called tag; skips the test unless pages are 4 KiB. */
static void fixture_open(fixture *f, const char *tag)
{
    f->page = (size_t)sysconf(_SC_PAGESIZE);
    if (f->page != 4096)
        skip(); /* the replay config's pages are 4 KiB */
    f->m = touched_mapping(f->page);
    f->b = (uint64_t)(uintptr_t)f->m;
    snprintf(f->path, sizeof f->path, "/tmp/mh-test-resident-%s-%ld.mht", tag, (long)getpid());
    snprintf(f->side, sizeof f->side, "%s.resident", f->path);
    write_trace(f->path, f->m, f->page);
}

/* Removes f's files and mapping. */
static void fixture_close(fixture *f)
{
    unlink(f->side);
    unlink(f->path);
    munmap(f->m, NPAGES * f->page);
}

/* The sidecar keeps the snapshot's pages the trace touches (1, 2, 7; page 3 of the straddle was
 * not resident), in runs. Replayed with it, only page 5 faults; without it, pages 1, 7, 5 and 2
 * do (the fault model touches the page of a record's first byte). */
static void test_sidecar_round_trip(void **state)
{
    (void)state;
    fixture f;
    fixture_open(&f, "trip");
    size_t page = f.page;
    bench_pages *snap = NULL, *back = NULL;
    mh_error err = {0, ""};
    uint64_t kept = 0, b = f.b;
    assert_int_equal(bench_pages_snapshot(&snap, &err), MH_OK);
    assert_int_equal(bench_resident_write(snap, f.path, &kept, &err), MH_OK);
    assert_int_equal(kept, 3);
    assert_int_equal(bench_resident_load(f.path, &back, &err), MH_OK);
    assert_non_null(back);
    assert_int_equal(bench_pages_count(back), 3);
    assert_true(bench_pages_has(back, b + page) && bench_pages_has(back, b + 2 * page + 9));
    assert_true(bench_pages_has(back, b + 7 * page) && !bench_pages_has(back, b + 3 * page));
    assert_int_equal(replay_faults(f.path, back), 1);
    assert_int_equal(replay_faults(f.path, NULL), 4);
    bench_pages_free(back);
    bench_pages_free(snap);
    unlink(f.side);
    assert_int_equal(bench_resident_load(f.path, &back, &err), MH_OK); /* none: not an error */
    assert_null(back);
    fixture_close(&f);
}

/* The setup's first touches: a span over pages 4..7 adds 4, 5 and 6 (7 was resident before),
 * written as `setup` runs and read back. Replayed with them counted, the three fault before the
 * trace and the trace's page 5 no more (3 in all); made resident instead, nothing faults. */
static void test_sidecar_setup(void **state)
{
    (void)state;
    fixture f;
    fixture_open(&f, "setup");
    size_t page = f.page;
    const char *path = f.path;
    bench_pages *snap = NULL, *back = NULL;
    mh_error err = {0, ""};
    uint64_t kept = 0, b = f.b;
    assert_int_equal(bench_pages_snapshot(&snap, &err), MH_OK);
    assert_null(bench_pages_setup(snap));
    assert_int_equal(bench_pages_add_setup(snap, b + 4 * page + 100, b + 7 * page + 1, &err), MH_OK);
    assert_int_equal(bench_pages_add_setup(snap, b + 5 * page, b + 6 * page, &err), MH_OK); /* again: nothing new */
    assert_int_equal(bench_pages_count(bench_pages_setup(snap)), 3);
    assert_int_equal(bench_resident_write(snap, path, &kept, &err), MH_OK);
    assert_int_equal(kept, 3);
    assert_int_equal(bench_resident_load(path, &back, &err), MH_OK);
    const bench_pages *su = bench_pages_setup(back);
    uint64_t lo = 0, hi = 0;
    assert_int_equal(bench_pages_count(su), 3);
    assert_true(bench_pages_run(su, 0, &lo, &hi) && lo == b + 4 * page && hi == b + 7 * page);
    assert_false(bench_pages_run(su, 1, &lo, &hi));
    assert_int_equal(bench_pages_count(back), 3);
    assert_false(bench_pages_has(back, b + 5 * page)); /* resident runs stay the trace's */
    assert_int_equal(replay_faults(path, back), 3);
    assert_int_equal(replay_faults_as(path, back, 0), 0);
    bench_pages_free(back);
    bench_pages_free(snap);
    fixture_close(&f);
}

/* A malformed sidecar is refused naming file:line and what was expected. */
static void test_sidecar_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"# c\n0x1000 1\n", ":2: expected 'page_size N'"},
        {"page_size 4096\n0x1001 1\n", ":2: run 0x1001 + 1 pages must be page-aligned"},
        {"page_size 4096\n0x2000 1\n0x1000 1\n", ":3: run 0x1000 + 1 pages must be page-aligned (4096), ascending"},
        {"page_size 4096\n0x1000 0\n", ":2: expected '0xADDR PAGES'"},
        {"page_size 4096\n1000 2\n", ":2: expected '0xADDR PAGES'"},
        {"page_size 4096\n0x1000 2x\n", ":2: expected '0xADDR PAGES'"},
        {"page_size 3000\n", ":1: expected 'page_size N' (a power of two"},
        {"page_size 4096x\n", ":1: expected 'page_size N'"},
        {"", ":0: no 'page_size N' line"},
        {"page_size 4096\nsetup 0x1000\n", ":2: expected '0xADDR PAGES'"},
        {"page_size 4096\nsetup 0x3000 1\nsetup 0x1000 1\n", ":3: run 0x1000 + 1 pages must be page-aligned"},
        {"page_size 4096\n0x1000 4\nsetup 0x2000 1\n", ": setup page 0x2000 is also listed as resident"},
    };
    char path[128], side[160];
    snprintf(path, sizeof path, "/tmp/mh-test-resident-bad-%ld.mht", (long)getpid());
    snprintf(side, sizeof side, "%s.resident", path);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        FILE *f = fopen(side, "w");
        assert_non_null(f);
        fputs(cases[i].text, f);
        fclose(f);
        bench_pages *p = NULL;
        mh_error err = {0, ""};
        assert_int_equal(bench_resident_load(path, &p, &err), MH_EFORMAT);
        assert_null(p);
        if (!strstr(err.msg, cases[i].want) || !strstr(err.msg, side))
            fail_msg("case %zu: got '%s', want '%s'", i, err.msg, cases[i].want);
    }
    unlink(side);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot),
        cmocka_unit_test(test_sidecar_round_trip),
        cmocka_unit_test(test_sidecar_setup),
        cmocka_unit_test(test_sidecar_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
