/* test_trace.c — trace readers and writers: exact records from fixtures, detection,
 * exact error messages, .mht round trips, truncation and corruption with block numbers.
 * Run from the repository root (tests/run.sh does). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "memhier.h"

static char tmpdir[256];

/* Builds "tmpdir/name" into buf. */
static const char *tpath(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
    return buf;
}

/* Writes len bytes to path. */
static void write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Reads a whole file; *len gets its size; caller frees. */
static char *read_bytes(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Reads every record of an open trace with batches of cap; returns the count, or the error. */
static int drain(mh_trace *t, mh_rec *out, size_t max, size_t cap, size_t *count, mh_error *err)
{
    size_t total = 0, n;
    int rc;
    for (;;) {
        rc = mh_trace_read(t, out + total, cap < max - total ? cap : max - total, &n, err);
        if (rc || n == 0)
            break;
        total += n;
        assert_true(total < max);
    }
    *count = total;
    return rc;
}

/* Opens path with detection, reads all records (batch cap), checks the format name. */
static size_t read_all(const char *path, const char *format, mh_rec *out, size_t max, size_t cap)
{
    mh_trace *t = NULL;
    mh_error err = {0};
    int rc = mh_trace_open(path, &t, &err);
    if (rc)
        fail_msg("open %s: %s", path, err.msg);
    assert_string_equal(mh_trace_format(t), format);
    size_t count;
    rc = drain(t, out, max, cap, &count, &err);
    if (rc)
        fail_msg("read %s: %s", path, err.msg);
    mh_trace_close(t);
    return count;
}

/* Asserts one record's fields. */
static void check_rec(const mh_rec *r, int op, uint64_t addr, unsigned size)
{
    assert_int_equal(r->op, op);
    assert_int_equal(r->addr, addr);
    assert_int_equal(r->size, size);
    assert_int_equal(r->flags, 0);
    assert_int_equal(r->gap, 0);
}

/* Creates the scratch directory. */
static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mh-test-trace-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

/* Removes the scratch directory. */
static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- metadata ---- */

/* set replaces, rejects over-long values, reports a full table. */
static void test_meta(void **state)
{
    (void)state;
    mh_meta m = {0};
    char key[16], big[300];
    assert_null(mh_meta_get(&m, "kernel"));
    assert_int_equal(mh_meta_set(&m, "kernel", "stream"), MH_OK);
    assert_int_equal(mh_meta_set(&m, "kernel", "chase"), MH_OK);
    assert_int_equal(m.n, 1);
    assert_string_equal(mh_meta_get(&m, "kernel"), "chase");
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(mh_meta_set(&m, "params", big), MH_EINVAL);
    big[223] = '\0';
    assert_int_equal(mh_meta_set(&m, "params", big), MH_OK);
    for (int i = 2; i < MH_META_MAX; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(mh_meta_set(&m, key, "v"), MH_OK);
    }
    assert_int_equal(mh_meta_set(&m, "one-more", "v"), MH_ENOMEM);
    assert_int_equal(mh_meta_set(&m, "k5", "replaced"), MH_OK);
    assert_string_equal(mh_meta_get(&m, "k5"), "replaced");
}

/* ---- text formats ---- */

/* din: 0x or not, extra fields, tabs, CRLF, leading blanks, 2-digit label, 2^64 edge. */
static void test_din_fixture(void **state)
{
    (void)state;
    mh_rec r[32];
    size_t n = read_all("tests/data/small.din", "din", r, 32, 3);
    assert_int_equal(n, 10);
    check_rec(&r[0], MH_OP_READ, 0x1000, 4);
    check_rec(&r[1], MH_OP_WRITE, 0x2004, 4);
    check_rec(&r[2], MH_OP_IFETCH, 0x3008, 4);
    check_rec(&r[3], MH_OP_MISC, 0xabcdec, 4);          /* aligned down to 4 */
    check_rec(&r[4], MH_OP_COPYBACK, 0x4, 4);
    check_rec(&r[5], MH_OP_INVALIDATE, 0xfffffffffffffffcull, 4);
    check_rec(&r[6], MH_OP_READ, 0, 4);
    check_rec(&r[7], MH_OP_WRITE, 0x12345678, 4);
    check_rec(&r[8], MH_OP_READ, 0xdeadbeec, 4);
    check_rec(&r[9], MH_OP_IFETCH, 0x10, 4);           /* last line without '\n' */
}

/* xdin: every type letter, exact addresses and sizes up to ffff. */
static void test_xdin_fixture(void **state)
{
    (void)state;
    mh_rec r[32];
    size_t n = read_all("tests/data/small.xdin", "xdin", r, 32, 1000);
    assert_int_equal(n, 7);
    check_rec(&r[0], MH_OP_READ, 0x1000, 4);
    check_rec(&r[1], MH_OP_WRITE, 0x2001, 8);
    check_rec(&r[2], MH_OP_IFETCH, 0x400000, 2);
    check_rec(&r[3], MH_OP_MISC, 0xffffffffffffffffull, 1);
    check_rec(&r[4], MH_OP_COPYBACK, 0x40, 0x40);
    check_rec(&r[5], MH_OP_INVALIDATE, 0x80, 0x40);
    check_rec(&r[6], MH_OP_READ, 0, 0xffff);
}

/* lackey: banners skipped, M split into load + store, with every batch size. */
static void test_lackey_fixture(void **state)
{
    (void)state;
    mh_rec r[32];
    for (size_t cap = 1; cap <= 8; cap++) {   /* cap 1 splits the M line across calls */
        size_t n = read_all("tests/data/small.lackey", "lackey", r, 32, cap);
        assert_int_equal(n, 7);
        check_rec(&r[0], MH_OP_IFETCH, 0x401ab70, 3);
        check_rec(&r[1], MH_OP_WRITE, 0x1fff000628, 8);
        check_rec(&r[2], MH_OP_READ, 0x4030ee8, 8);
        check_rec(&r[3], MH_OP_READ, 0x1fff000620, 4);   /* M = load ... */
        check_rec(&r[4], MH_OP_WRITE, 0x1fff000620, 4);  /* ... then store */
        check_rec(&r[5], MH_OP_IFETCH, 0x401b771, 15);
        check_rec(&r[6], MH_OP_READ, 0xffffffffffffff00ull, 64);
    }
}

/* Real Valgrind output when valgrind is installed: records only I/L/S/M, M counted twice. */
static void test_lackey_real(void **state)
{
    (void)state;
    char out[300], cmd[2048];
    tpath(out, sizeof out, "true.lackey");
    snprintf(cmd, sizeof cmd,
             "valgrind --tool=lackey --trace-mem=yes --log-file='%s' /bin/true >/dev/null 2>&1", out);
    if (system(cmd) != 0)
        skip();
    snprintf(cmd, sizeof cmd, "grep -c '^I  \\|^ [LS] ' '%s' > '%s.n1'; grep -c '^ M ' '%s' > '%s.n2'",
             out, out, out, out);
    assert_int_equal(system(cmd), 0);
    size_t len;
    char p1[320], p2[320];
    snprintf(p1, sizeof p1, "%s.n1", out);
    snprintf(p2, sizeof p2, "%s.n2", out);
    char *a = read_bytes(p1, &len), *b = read_bytes(p2, &len);
    size_t expect = strtoull(a, NULL, 10) + 2 * strtoull(b, NULL, 10);
    free(a);
    free(b);
    mh_trace *t;
    mh_error err;
    assert_int_equal(mh_trace_open(out, &t, &err), MH_OK);
    assert_string_equal(mh_trace_format(t), "lackey");
    mh_rec buf[4096];
    size_t n, total = 0;
    int rc;
    while ((rc = mh_trace_read(t, buf, 4096, &n, &err)) == MH_OK && n)
        total += n;
    assert_int_equal(rc, MH_OK);
    mh_trace_close(t);
    assert_int_equal(total, expect);
    assert_true(total > 1000);
}

/* Every tests/bad/trace-* input fails with exactly the message in its .err file. */
static void test_bad_inputs(void **state)
{
    (void)state;
    static const struct { const char *file; int code; } cases[] = {
        {"trace-din-nonhex.din", MH_EFORMAT},        {"trace-din-missing-address.din", MH_EFORMAT},
        {"trace-din-label.din", MH_EFORMAT},         {"trace-din-label-word.din", MH_EFORMAT},
        {"trace-din-empty-line.din", MH_EFORMAT},    {"trace-din-overflow.din", MH_EFORMAT},
        {"trace-din-0x.din", MH_EFORMAT},            {"trace-xdin-size-zero.xdin", MH_EFORMAT},
        {"trace-xdin-size-big.xdin", MH_EFORMAT},    {"trace-xdin-size-nonhex.xdin", MH_EFORMAT},
        {"trace-xdin-type.xdin", MH_EFORMAT},        {"trace-xdin-missing-size.xdin", MH_EFORMAT},
        {"trace-xdin-address.xdin", MH_EFORMAT},     {"trace-lackey-kind.lackey", MH_EFORMAT},
        {"trace-lackey-size.lackey", MH_EFORMAT},    {"trace-lackey-comma.lackey", MH_EFORMAT},
        {"trace-lackey-size-zero.lackey", MH_EFORMAT}, {"trace-unknown.txt", MH_EFORMAT},
        {"trace-binary.bin", MH_EFORMAT},            {"trace-mht-truncated.mht", MH_ECORRUPT},
        {"trace-mht-flipped.mht", MH_ECORRUPT},      {"trace-mht-no-end.mht", MH_ECORRUPT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256], errpath[260];
        size_t len;
        snprintf(path, sizeof path, "tests/bad/%s", cases[i].file);
        snprintf(errpath, sizeof errpath, "%s.err", path);
        char *want = read_bytes(errpath, &len);
        mh_trace *t = NULL;
        mh_error err = {0};
        int rc = mh_trace_open(path, &t, &err);
        if (rc == MH_OK) {
            mh_rec buf[64];
            size_t n;
            do
                rc = mh_trace_read(t, buf, 64, &n, &err);
            while (rc == MH_OK && n > 0);
            /* the error is sticky */
            mh_error again = {0};
            assert_int_equal(mh_trace_read(t, buf, 64, &n, &again), rc);
            assert_string_equal(again.msg, err.msg);
            mh_trace_close(t);
        }
        assert_int_equal(rc, cases[i].code);
        assert_int_equal(err.code, cases[i].code);
        assert_string_equal(err.msg, want);
        free(want);
    }
}

/* A line longer than the input buffer is an error with its line number. */
static void test_long_line(void **state)
{
    (void)state;
    char path[300];
    size_t len = (1u << 20) + 100;
    char *b = malloc(len);
    assert_non_null(b);
    memset(b, ' ', len);
    memcpy(b, "0 1000\n1 2000", 13);
    b[len - 1] = '\n';
    write_bytes(tpath(path, sizeof path, "long.din"), b, len);
    free(b);
    mh_trace *t;
    mh_error err;
    mh_rec r[8];
    size_t n;
    assert_int_equal(mh_trace_open(path, &t, &err), MH_OK);
    assert_int_equal(mh_trace_read(t, r, 8, &n, &err), MH_EFORMAT);
    mh_trace_close(t);
    char want[400];
    snprintf(want, sizeof want, "%s:2: line longer than 1048576 bytes, expected one record per line", path);
    assert_string_equal(err.msg, want);
}

/* Empty input, named formats, unknown format names, missing files, directories. */
static void test_detect_and_named(void **state)
{
    (void)state;
    char path[300];
    mh_trace *t;
    mh_error err;
    mh_rec r[4];
    size_t n;
    /* empty input: an empty din trace */
    write_bytes(tpath(path, sizeof path, "empty"), "", 0);
    assert_int_equal(mh_trace_open(path, &t, &err), MH_OK);
    assert_string_equal(mh_trace_format(t), "din");
    assert_int_equal(mh_trace_has_timing_info(t), 0);
    assert_int_equal(mh_trace_read(t, r, 4, &n, &err), MH_OK);
    assert_int_equal(n, 0);
    assert_int_equal(mh_trace_read(t, r, 0, &n, &err), MH_EINVAL);
    mh_trace_close(t);
    /* a named format skips detection: din text read as xdin fails on line 1 */
    assert_int_equal(mh_trace_open_format("tests/data/small.din", "xdin", &t, &err), MH_OK);
    assert_int_equal(mh_trace_read(t, r, 4, &n, &err), MH_EFORMAT);
    assert_string_equal(err.msg, "tests/data/small.din:1: unknown access type '0', expected r, w, i, m, c or v");
    mh_trace_close(t);
    assert_int_equal(mh_trace_open_format("x", "bogus", &t, &err), MH_EINVAL);
    assert_string_equal(err.msg, "unknown trace format 'bogus', expected din, xdin, lackey or mht");
    assert_int_equal(mh_trace_open("/nonexistent/t.din", &t, &err), MH_ENOTFOUND);  /* bad input, exit 2 */
    assert_string_equal(err.msg, "/nonexistent/t.din: cannot open: No such file or directory");
    /* a directory: open works, read fails with EIO */
    assert_int_equal(mh_trace_open(tmpdir, &t, &err), MH_EIO);
    assert_non_null(strstr(err.msg, ": read failed: Is a directory"));
}

/* Runs mh_trace_open("-") with stdin fed from a child writing path's bytes; returns records. */
static size_t read_via_pipe(const char *path, const char *format, mh_rec *out, size_t max)
{
    size_t len;
    char *data = read_bytes(path, &len);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        for (size_t off = 0; off < len;) {   /* dribble small pieces to exercise refills */
            size_t k = len - off < 7 ? len - off : 7;
            if (write(fds[1], data + off, k) != (ssize_t)k)
                break;
            off += k;
        }
        free(data);
        _exit(0);
    }
    free(data);
    close(fds[1]);
    int saved = dup(0);
    assert_true(dup2(fds[0], 0) == 0);
    close(fds[0]);
    mh_trace *t;
    mh_error err;
    int rc = mh_trace_open("-", &t, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_string_equal(mh_trace_format(t), format);
    size_t count;
    rc = drain(t, out, max, 5, &count, &err);
    if (rc)
        fail_msg("%s", err.msg);
    mh_trace_close(t);
    dup2(saved, 0);
    close(saved);
    int st;
    waitpid(pid, &st, 0);
    assert_int_equal(st, 0);
    return count;
}

/* "-" reads stdin from a pipe (small writes) and detects the format there. */
static void test_stdin(void **state)
{
    (void)state;
    mh_rec a[32], b[32];
    const char *files[] = {"tests/data/small.din", "tests/data/small.xdin", "tests/data/small.lackey"};
    const char *fmts[] = {"din", "xdin", "lackey"};
    for (int i = 0; i < 3; i++) {
        size_t n1 = read_all(files[i], fmts[i], a, 32, 100);
        size_t n2 = read_via_pipe(files[i], fmts[i], b, 32);
        assert_int_equal(n1, n2);
        assert_memory_equal(a, b, n1 * sizeof *a);
    }
}

/* ---- .mht ---- */

/* Fills r with a reproducible mix: every op, flags, gaps, sizes, strides, jumps, 2^64 edges. */
static void gen_records(mh_rec *r, size_t n, uint64_t seed)
{
    uint64_t x = seed, seq = 0x7ffd0000;
    for (size_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t h = x >> 17;
        memset(&r[i], 0, sizeof r[i]);
        r[i].op = (uint8_t)(h % MH_OP_COUNT);
        r[i].flags = (uint8_t)((h >> 3) & 1 ? MH_FLAG_DEP : 0) | (uint8_t)((h >> 9) & 0x80);
        r[i].gap = (h >> 4) & 1 ? (uint32_t)(h >> 20) : (uint32_t)((h >> 5) & 3);
        r[i].size = (h >> 7) & 1 ? (uint16_t)(1 + (h >> 30) % 65535) : 8;
        switch ((h >> 11) & 3) {
        case 0: r[i].addr = seq += 64; break;
        case 1: r[i].addr = x; break;
        case 2: r[i].addr = UINT64_MAX - (h & 0xff); break;
        default: r[i].addr = h & 0xff; break;
        }
    }
}

/* Writes n records with the given batch size; returns MH_OK. */
static void write_mht(const char *path, const mh_rec *r, size_t n, size_t batch, const mh_meta *meta)
{
    mh_writer *w;
    mh_error err;
    int rc = mh_writer_open(path, "mht", meta, &w, &err);
    if (rc)
        fail_msg("%s", err.msg);
    for (size_t i = 0; i < n; i += batch) {
        rc = mh_writer_write(w, r + i, n - i < batch ? n - i : batch, &err);
        if (rc)
            fail_msg("%s", err.msg);
    }
    rc = mh_writer_close(w, &err);
    if (rc)
        fail_msg("%s", err.msg);
}

#define BIG (3 * 65536 + 12345)

/* records -> .mht -> records identical (flags, gaps, sizes, 2^64 edges), metadata kept. */
static void test_mht_roundtrip(void **state)
{
    (void)state;
    char path[300];
    mh_rec *r = malloc(BIG * sizeof *r), *back = malloc((BIG + 1) * sizeof *back);
    assert_non_null(r);
    assert_non_null(back);
    gen_records(r, BIG, 42);
    mh_meta meta = {0};
    mh_meta_set(&meta, "source", "unit test");
    mh_meta_set(&meta, "kernel", "mixed");
    mh_meta_set(&meta, "params", "n=1 stride=64");
    tpath(path, sizeof path, "rt.mht");
    write_mht(path, r, BIG, 1000, &meta);
    size_t caps[] = {1, 777, 65536, 100000};
    for (int c = 0; c < 4; c++) {
        size_t cap = caps[c];
        if (cap == 1) {   /* one record per call is slow: check the first 70000 only */
            mh_trace *t;
            mh_error err;
            size_t n;
            assert_int_equal(mh_trace_open(path, &t, &err), MH_OK);
            for (size_t i = 0; i < 70000; i++) {
                assert_int_equal(mh_trace_read(t, back, 1, &n, &err), MH_OK);
                assert_int_equal(n, 1);
                assert_memory_equal(back, &r[i], sizeof *r);
            }
            mh_trace_close(t);
            continue;
        }
        size_t n = read_all(path, "mht", back, BIG + 1, cap);
        assert_int_equal(n, BIG);
        assert_memory_equal(back, r, BIG * sizeof *r);
    }
    mh_trace *t;
    mh_error err;
    assert_int_equal(mh_trace_open(path, &t, &err), MH_OK);
    assert_int_equal(mh_trace_has_timing_info(t), 1);
    const mh_meta *m = mh_trace_meta(t);
    assert_string_equal(mh_meta_get(m, "source"), "unit test");
    assert_string_equal(mh_meta_get(m, "kernel"), "mixed");
    assert_string_equal(mh_meta_get(m, "params"), "n=1 stride=64");
    assert_non_null(mh_meta_get(m, "created"));
    assert_non_null(mh_meta_get(m, "version"));
    assert_int_equal(strlen(mh_meta_get(m, "created")), 20);   /* 2026-01-01T00:00:00Z */
    mh_trace_close(t);
    /* the same records through stdin */
    size_t n = read_via_pipe(path, "mht", back, BIG + 1);
    assert_int_equal(n, BIG);
    assert_memory_equal(back, r, BIG * sizeof *r);
    free(r);
    free(back);
}

/* Zero records read back as zero records; exactly one full block. */
static void test_mht_empty_and_exact_block(void **state)
{
    (void)state;
    char path[300];
    mh_rec r[65536], back[8];
    mh_trace *t;
    mh_error err;
    size_t n;
    tpath(path, sizeof path, "empty.mht");
    write_mht(path, r, 0, 1, NULL);
    assert_int_equal(mh_trace_open(path, &t, &err), MH_OK);
    assert_string_equal(mh_trace_format(t), "mht");
    assert_int_equal(mh_trace_read(t, back, 8, &n, &err), MH_OK);
    assert_int_equal(n, 0);
    assert_int_equal(mh_trace_read(t, back, 8, &n, &err), MH_OK);
    assert_int_equal(n, 0);
    mh_trace_close(t);
    /* exactly one full block: the last block is not followed by an empty one */
    gen_records(r, 65536, 7);
    tpath(path, sizeof path, "one.mht");
    write_mht(path, r, 65536, 65536, NULL);
    static mh_rec big[65537];
    assert_int_equal(read_all(path, "mht", big, 65537, 4096), 65536);
    assert_memory_equal(big, r, sizeof r);
}

/* Byte offsets of each block start and of the end marker in an .mht image. */
static size_t block_offsets(const unsigned char *b, size_t len, size_t *off, size_t max)
{
    size_t p = 20, k = 0;
    uint32_t cnt = b[16] | b[17] << 8 | b[18] << 16 | (uint32_t)b[19] << 24;
    for (uint32_t i = 0; i < cnt; i++) {
        p += 1 + b[p];
        p += 1 + b[p];
    }
    p += 4;
    while (p < len && k < max) {
        off[k++] = p;
        if (memcmp(b + p, "MHE1", 4) == 0)
            break;
        uint32_t comp = b[p + 8] | b[p + 9] << 8 | b[p + 10] << 16 | (uint32_t)b[p + 11] << 24;
        p += 28 + comp;
    }
    return k;
}

/* Reads path to the end and returns the status and message. */
static int read_fail(const char *path, mh_error *err)
{
    mh_trace *t;
    int rc = mh_trace_open(path, &t, err);
    if (rc)
        return rc;
    static mh_rec buf[100000];
    size_t n;
    do
        rc = mh_trace_read(t, buf, 100000, &n, err);
    while (rc == MH_OK && n > 0);
    mh_trace_close(t);
    return rc;
}

/* Asserts that path (cut or patched) fails with MH_ECORRUPT and exactly "path: what". */
static void expect_corrupt(const char *path, const char *what)
{
    mh_error err = {0};
    char want[600];
    assert_int_equal(read_fail(path, &err), MH_ECORRUPT);
    snprintf(want, sizeof want, "%s: %s", path, what);
    assert_string_equal(err.msg, want);
}

/* Cuts at many offsets and flipped bytes: MH_ECORRUPT naming the block. */
static void test_mht_truncated_and_corrupt(void **state)
{
    (void)state;
    char path[300], cut[300];
    mh_rec *r = malloc(BIG * sizeof *r);
    assert_non_null(r);
    gen_records(r, BIG, 9);
    tpath(path, sizeof path, "src.mht");
    write_mht(path, r, BIG, 4096, NULL);
    free(r);
    size_t len, off[16];
    unsigned char *b = (unsigned char *)read_bytes(path, &len);
    size_t nb = block_offsets(b, len, off, 16);
    assert_int_equal(nb, 5);                 /* 4 blocks + end marker */
    assert_int_equal(off[4], len - 24);
    tpath(cut, sizeof cut, "cut.mht");
    struct { size_t at; const char *what; } cuts[] = {
        {10, "truncated in the .mht header"},
        {off[0] - 2, "truncated in the .mht header"},
        {off[0], "truncated after block 0 (end marker missing)"},
        {off[0] + 10, "block 1: truncated header (10 of 28 bytes)"},
        {off[1] - 1, NULL},
        {off[2], "truncated after block 2 (end marker missing)"},
        {off[2] + 100, "block 3: truncated payload (72 of "},
        {off[4], "truncated after block 4 (end marker missing)"},
        {off[4] + 12, "truncated in the end marker after block 4"},
        {len - 1, "truncated in the end marker after block 4"},
    };
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        write_bytes(cut, b, cuts[i].at);
        mh_error err = {0};
        assert_int_equal(read_fail(cut, &err), MH_ECORRUPT);
        char want[600];
        if (!cuts[i].what) {
            snprintf(want, sizeof want, "%s: block 1: truncated payload (%zu of %zu bytes)", cut,
                     off[1] - 1 - off[0] - 28, off[1] - off[0] - 28);
            assert_string_equal(err.msg, want);
        } else {
            snprintf(want, sizeof want, "%s: %s", cut, cuts[i].what);
            assert_int_equal(strncmp(err.msg, want, strlen(want)), 0);
        }
    }
    /* flipped bytes */
    struct { size_t at; const char *what; } flips[] = {
        {12, "header checksum mismatch"},
        {off[1] + 40, "block 2: checksum mismatch"},
        {off[2] + 4, "block 3: header checksum mismatch"},
        {off[3], "block 4: bad block tag"},
        {off[4] + 8, "end marker checksum mismatch after block 4"},
    };
    for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
        b[flips[i].at] ^= 0x20;
        write_bytes(cut, b, len);
        b[flips[i].at] ^= 0x20;
        expect_corrupt(cut, flips[i].what);
    }
    /* trailing data after a valid end marker */
    unsigned char *c = malloc(len + 1);
    memcpy(c, b, len);
    c[len] = 'x';
    write_bytes(cut, c, len + 1);
    expect_corrupt(cut, "unexpected data after the end marker");
    free(c);
    /* a version from the future */
    b[8] = 9;
    write_bytes(cut, b, len);
    mh_error err;
    assert_int_equal(read_fail(cut, &err), MH_EFORMAT);
    char want[600];
    snprintf(want, sizeof want, "%s: .mht version 9, this build reads versions 1 to 4", cut);
    assert_string_equal(err.msg, want);
    free(b);
}

/* ---- writers ---- */

/* Writers use PATH.tmp.PID, rename on close, remove it on abort or error. */
static void test_writer_tmp_and_abort(void **state)
{
    (void)state;
    char path[300], tmp[400];
    struct stat st;
    mh_writer *w;
    mh_error err;
    mh_rec r[3] = {{0x10, 0, 4, MH_OP_READ, 0}, {0x20, 0, 4, MH_OP_WRITE, 0}, {0x30, 0, 4, 9, 0}};
    tpath(path, sizeof path, "w.mht");
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    assert_int_equal(mh_writer_open(path, "mht", NULL, &w, &err), MH_OK);
    assert_int_equal(mh_writer_write(w, r, 2, &err), MH_OK);
    assert_int_equal(stat(tmp, &st), 0);
    assert_int_not_equal(stat(path, &st), 0);
    mh_writer_abort(w);
    assert_int_not_equal(stat(tmp, &st), 0);
    assert_int_not_equal(stat(path, &st), 0);
    /* a bad record: the error sticks and close removes the temporary file */
    assert_int_equal(mh_writer_open(path, "mht", NULL, &w, &err), MH_OK);
    assert_int_equal(mh_writer_write(w, r, 3, &err), MH_EINVAL);
    char want[600];
    snprintf(want, sizeof want, "%s: record 3: op 9 size 4, expected op 0..6 and size >= 1", path);
    assert_string_equal(err.msg, want);
    assert_int_equal(mh_writer_close(w, &err), MH_EINVAL);
    assert_string_equal(err.msg, want);
    assert_int_not_equal(stat(tmp, &st), 0);
    assert_int_not_equal(stat(path, &st), 0);
    assert_int_equal(mh_writer_open(path, "csv", NULL, &w, &err), MH_EINVAL);
    assert_string_equal(err.msg, "unknown output trace format 'csv', expected mht or din");
    assert_int_equal(mh_writer_open("/nonexistent/x.mht", "mht", NULL, &w, &err), MH_EIO);
    snprintf(want, sizeof want,
             "/nonexistent/x.mht: cannot create /nonexistent/x.mht.tmp.%ld: No such file or directory",
             (long)getpid());
    assert_string_equal(err.msg, want);
    mh_writer_abort(NULL);
}

/* din writer text, prefetch written as misc, read back aligned. */
static void test_din_writer(void **state)
{
    (void)state;
    char path[300];
    mh_writer *w;
    mh_error err;
    mh_rec r[7] = {
        {0x1000, 5, 8, MH_OP_READ, MH_FLAG_DEP}, {0x2003, 0, 4, MH_OP_WRITE, 0},
        {0, 0, 4, MH_OP_IFETCH, 0},              {0xffffffffffffffffull, 0, 1, MH_OP_MISC, 0},
        {0x40, 0, 64, MH_OP_PREFETCH, 0},        {0x80, 0, 4, MH_OP_COPYBACK, 0},
        {0xc0, 0, 4, MH_OP_INVALIDATE, 0},
    };
    tpath(path, sizeof path, "w.din");
    assert_int_equal(mh_writer_open(path, "din", NULL, &w, &err), MH_OK);
    assert_int_equal(mh_writer_write(w, r, 7, &err), MH_OK);
    assert_int_equal(mh_writer_close(w, &err), MH_OK);
    size_t len;
    char *text = read_bytes(path, &len);
    assert_string_equal(text, "0 1000\n1 2003\n2 0\n3 ffffffffffffffff\n3 40\n4 80\n5 c0\n");
    free(text);
    mh_rec back[16];
    assert_int_equal(read_all(path, "din", back, 16, 16), 7);
    check_rec(&back[1], MH_OP_WRITE, 0x2000, 4);
    check_rec(&back[3], MH_OP_MISC, 0xfffffffffffffffcull, 4);
    check_rec(&back[4], MH_OP_MISC, 0x40, 4);
    check_rec(&back[6], MH_OP_INVALIDATE, 0xc0, 4);
}

/* Many din lines crossing input-buffer refills: the fast path equals what was written. */
static void test_din_large(void **state)
{
    (void)state;
    static const uint8_t expect_op[MH_OP_COUNT] = {MH_OP_READ, MH_OP_WRITE, MH_OP_IFETCH, MH_OP_MISC,
                                                  MH_OP_MISC, MH_OP_COPYBACK, MH_OP_INVALIDATE};
    char path[300];
    size_t n = 300000;
    mh_rec *r = malloc(n * sizeof *r), *back = malloc((n + 1) * sizeof *back);
    assert_non_null(r);
    assert_non_null(back);
    gen_records(r, n, 5);
    tpath(path, sizeof path, "big.din");
    mh_writer *w;
    mh_error err;
    assert_int_equal(mh_writer_open(path, "din", NULL, &w, &err), MH_OK);
    assert_int_equal(mh_writer_write(w, r, n, &err), MH_OK);
    assert_int_equal(mh_writer_close(w, &err), MH_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_size > 3 * (1 << 20));
    assert_int_equal(read_all(path, "din", back, n + 1, 999), n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(back[i].addr, r[i].addr & ~3ull);
        assert_int_equal(back[i].op, expect_op[r[i].op]);
        assert_int_equal(back[i].size, 4);
    }
    free(r);
    free(back);
}

/* Regenerates the .mht files of tests/bad (run with MH_REGEN_BAD=1 from the repository root). */
static void test_bad_mht_files(void **state)
{
    (void)state;
    static mh_rec r[2 * 65536 + 10];
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        r[i] = (mh_rec){0x10000 + 64 * i, 1, 8, (uint8_t)(i % 2), 0};
    char path[300];
    size_t len, off[8];
    tpath(path, sizeof path, "bad.mht");
    mh_meta meta = {0};
    mh_meta_set(&meta, "created", "2026-01-01T00:00:00Z");
    mh_meta_set(&meta, "version", "test");
    write_mht(path, r, sizeof r / sizeof r[0], 65536, &meta);
    unsigned char *b = (unsigned char *)read_bytes(path, &len);
    assert_int_equal(block_offsets(b, len, off, 8), 4);
    const char *dir = getenv("MH_REGEN_BAD") ? "tests/bad" : tmpdir;
    struct { const char *name; size_t cut; size_t flip; const char *what; } f[] = {
        {"trace-mht-truncated.mht", off[1] + 30, 0, "block 2: truncated payload"},
        {"trace-mht-flipped.mht", len, off[1] + 40, "block 2: checksum mismatch"},
        {"trace-mht-no-end.mht", off[3], 0, "truncated after block 3 (end marker missing)"},
    };
    for (int i = 0; i < 3; i++) {
        char p[400], e[420], msg[600], fixed[400];
        snprintf(p, sizeof p, "%s/%s", dir, f[i].name);
        if (f[i].flip)
            b[f[i].flip] ^= 1;
        write_bytes(p, b, f[i].cut);
        if (f[i].flip)
            b[f[i].flip] ^= 1;
        mh_error err;
        assert_int_equal(read_fail(p, &err), MH_ECORRUPT);
        snprintf(fixed, sizeof fixed, "tests/bad/%s", f[i].name);
        snprintf(msg, sizeof msg, "%s%s", fixed, err.msg + strlen(p));
        snprintf(e, sizeof e, "%s.err", p);
        write_bytes(e, msg, strlen(msg));
        assert_non_null(strstr(msg, f[i].what));
    }
    free(b);
}

/* Runs every test in one group with a scratch directory. */
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meta),
        cmocka_unit_test(test_din_fixture),
        cmocka_unit_test(test_xdin_fixture),
        cmocka_unit_test(test_lackey_fixture),
        cmocka_unit_test(test_lackey_real),
        cmocka_unit_test(test_bad_mht_files),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_detect_and_named),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_mht_roundtrip),
        cmocka_unit_test(test_mht_empty_and_exact_block),
        cmocka_unit_test(test_mht_truncated_and_corrupt),
        cmocka_unit_test(test_writer_tmp_and_abort),
        cmocka_unit_test(test_din_writer),
        cmocka_unit_test(test_din_large),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
