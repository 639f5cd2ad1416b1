/* test_mht.c — .mht format version 3: the slot ring decodes as the format comment in
 * sim/trace_mht.c specifies (hand-built blocks), exact round trips with many slots in use,
 * a version 2 file (tests/data/small-v2.mht) still reads, the sizes the slot choice is for
 * (a prefetching walk, one lap of a chase), and malformed slot bits are reported with the
 * block. Run from the repository root (tests/run.sh does). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zstd.h>

#include "memhier.h"

static char tmpdir[256];

/* Builds "tmpdir/name" into buf. */
static const char *tpath(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
    return buf;
}

/* ---- synthetic patterns ---- */

/* xorshift64 step. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A random order of n items (Fisher-Yates from seed). */
static void perm(uint32_t *order, uint32_t n, uint64_t seed)
{
    for (uint32_t i = 0; i < n; i++)
        order[i] = i;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(rnd(&seed) % (i + 1)), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
}

/* The prefetch kernel's walk over n 128-byte nodes in the given order with distance d: per
 * node a load of p+8, a prefetch of the node d ahead, loads of p+24 and p. Returns 4n. */
static size_t prefetch_walk(mh_rec *r, const uint32_t *order, uint32_t n, uint32_t d)
{
    size_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t p = 0x55c563d00000ull + 128ull * order[i];
        uint64_t q = 0x55c563d00000ull + 128ull * order[(i + d) % n];
        r[k++] = (mh_rec){p + 8, 0, 8, MH_OP_READ, 0};
        r[k++] = (mh_rec){q, 0, 1, MH_OP_PREFETCH, 0};
        r[k++] = (mh_rec){p + 24, 0, 8, MH_OP_READ, 0};
        r[k++] = (mh_rec){p, 0, 8, MH_OP_READ, 1};
    }
    return k;
}

/* The records of tests/data/small-v2.mht (written by the version 2 writer): all ops, 0/1/2/4
 * byte gaps, 1/2-byte sizes, flags, nine interleaved streams so that all eight slots are used. */
static mh_rec fixture_rec(uint32_t i)
{
    static const uint64_t base[9] = {0x10000, 0x7ffd0000, 0x400000, 0x55c563d00000, 0x7f0000001000,
                                     0x20000000, 0x1000, 0x900000000, 0xffffffffffff0000ull};
    unsigned s = (i * 5u) % 9u;
    uint64_t a = base[s] + 8u * (uint64_t)i * (s + 1u);
    if (s == 4)
        a = base[s] + (((uint64_t)i * 2654435761u) % (1u << 26)) * 8u;
    if (s == 8)
        a = base[s] + (uint64_t)(i % 4096u) * 4u;
    uint32_t gap = i % 5 == 0 ? 0 : i % 5 == 1 ? i % 200 : i % 5 == 2 ? 300 + i : 70000u + i;
    uint16_t size = (uint16_t)(i % 11 == 0 ? 300 : 1 + i % 8);
    return (mh_rec){a, gap, size, (uint8_t)(i % MH_OP_COUNT), (uint8_t)(i * 13u)};
}
#define FIXTURE_RECS 3000u

/* ---- file helpers ---- */

/* Writes n records to path as .mht (batches of batch); returns the file size. */
static size_t write_mht(const char *path, const mh_rec *r, size_t n, size_t batch)
{
    mh_writer *w;
    mh_error err;
    assert_int_equal(mh_writer_open(path, "mht", NULL, &w, &err), MH_OK);
    for (size_t i = 0; i < n; i += batch)
        assert_int_equal(mh_writer_write(w, r + i, n - i < batch ? n - i : batch, &err), MH_OK);
    assert_int_equal(mh_writer_close(w, &err), MH_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (size_t)st.st_size;
}

/* Reads all records of path (in reads of cap) into out (room for max); returns how many. */
static size_t read_mht(const char *path, mh_rec *out, size_t max, size_t cap)
{
    mh_trace *t;
    mh_error err;
    assert_int_equal(mh_trace_open(path, &t, &err), MH_OK);
    assert_string_equal(mh_trace_format(t), "mht");
    size_t total = 0, n;
    do {
        int rc = mh_trace_read(t, out + total, max - total < cap ? max - total : cap, &n, &err);
        if (rc)
            fail_msg("%s", err.msg);
        total += n;
    } while (n > 0 && total < max);
    mh_trace_close(t);
    return total;
}

/* The format version in path's header. */
static unsigned file_version(const char *path)
{
    unsigned char h[10];
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(h, 1, 10, f), 10);
    fclose(f);
    return h[8] | (unsigned)h[9] << 8;
}

/* Fails unless a and b hold the same n records. */
static void assert_same(const mh_rec *a, const mh_rec *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].addr != b[i].addr || a[i].gap != b[i].gap || a[i].size != b[i].size ||
            a[i].op != b[i].op || a[i].flags != b[i].flags)
            fail_msg("record %zu: %llx/%u/%u/%u/%u, expected %llx/%u/%u/%u/%u", i + 1,
                     (unsigned long long)b[i].addr, b[i].gap, b[i].size, b[i].op, b[i].flags,
                     (unsigned long long)a[i].addr, a[i].gap, a[i].size, a[i].op, a[i].flags);
}

/* ---- hand-built files ---- */

/* CRC32C, bitwise (independent of the library's). */
static uint32_t crc(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
    }
    return ~c;
}

/* Little-endian u32 store. */
static void le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Writes a one-block file of the given version around the raw columns of n records. */
static void write_block_file(const char *path, unsigned version, const uint8_t *raw, size_t rawlen,
                             uint32_t n)
{
    size_t cap = ZSTD_compressBound(rawlen);
    uint8_t *comp = malloc(cap), h[24], b[28], e[24];
    assert_non_null(comp);
    size_t clen = ZSTD_compress(comp, cap, raw, rawlen, 3);
    assert_false(ZSTD_isError(clen));
    static const uint8_t magic[8] = {0x89, 'M', 'H', 'T', '\r', '\n', 0x1a, '\n'};
    memcpy(h, magic, 8);
    h[8] = (uint8_t)version;
    h[9] = h[10] = h[11] = 0;
    le32(h + 12, 65536);
    le32(h + 16, 0);
    le32(h + 20, crc(h, 20));
    memcpy(b, "MHB1", 4);
    le32(b + 4, n);
    le32(b + 8, (uint32_t)clen);
    le32(b + 12, (uint32_t)rawlen);
    le32(b + 16, crc(comp, clen));
    le32(b + 20, crc(raw, rawlen));
    le32(b + 24, crc(b, 24));
    memcpy(e, "MHE1", 4);
    le32(e + 4, 1);
    le32(e + 8, n);
    le32(e + 12, 0);
    le32(e + 16, 0);
    le32(e + 20, crc(e, 20));
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(h, 1, 24, f), 24);
    assert_int_equal(fwrite(b, 1, 28, f), 28);
    assert_int_equal(fwrite(comp, 1, clen, f), clen);
    assert_int_equal(fwrite(e, 1, 24, f), 24);
    assert_int_equal(fclose(f), 0);
    free(comp);
}

/* Bytes needed for v (at least 1). */
static unsigned nbytes(uint64_t v)
{
    unsigned l = 1;
    while (l < 8 && (v >> (8 * l)))
        l++;
    return l;
}

/* Raw version-3 columns for addresses a[0..n) (gap 0, size 8, op read), coded with the given
 * slot numbers k and insert bits, as the format comment specifies: slot j = (k + p) mod 32,
 * z = zigzag((a - slot[j]) >> 3), an insert goes to slot[p] and advances p, else slot[j].
 * Every field is widened by extra[i] bytes (up to 8). Returns the raw length. */
static size_t spec_columns(const uint64_t *a, const uint8_t *k, const uint8_t *ins, const uint8_t *extra,
                           uint32_t n, uint8_t *raw)
{
    uint64_t slot[32] = {0};
    unsigned p = 0;
    uint8_t *ctl = raw + 16, *op = ctl + n, *fl = op + n, *hi = fl + n, *ad = hi + n, *q = ad;
    for (uint32_t i = 0; i < n; i++) {
        unsigned j = (k[i] + p) % 32;
        int64_t d = (int64_t)(a[i] - slot[j]) >> 3;
        uint64_t z = ((uint64_t)d << 1) ^ (uint64_t)(d >> 63);
        unsigned al = nbytes(z) + extra[i];
        al = al > 8 ? 8 : al;
        ctl[i] = (uint8_t)((al - 1) | ins[i] << 6);
        op[i] = (uint8_t)(MH_OP_READ | k[i] << 3);
        fl[i] = 0;
        hi[i] = (uint8_t)(z >> (8 * (al - 1)));
        for (unsigned b = 0; b + 1 < al; b++)
            *q++ = (uint8_t)(z >> (8 * b));
        if (ins[i]) {
            slot[p] = a[i];
            p = (p + 1) % 32;
        } else {
            slot[j] = a[i];
        }
    }
    size_t la = (size_t)(q - ad);
    memset(q, 8, n);   /* sizes: 1 byte each, 8 */
    q += n;
    le32(raw, (uint32_t)la);
    le32(raw + 4, 0);
    le32(raw + 8, n);
    raw[12] = 3;
    raw[13] = raw[14] = raw[15] = 0;
    return (size_t)(q - raw);
}

/* ---- tests ---- */

/* A hand-built version 3 block with arbitrary slot numbers, inserts (the ring wraps several
 * times) and widened fields decodes to the addresses the format comment says. */
static void test_v3_spec(void **state)
{
    (void)state;
    enum { N = 3000 };
    static uint64_t a[N];
    static uint8_t k[N], ins[N], extra[N], raw[16 + 17 * N];
    static mh_rec back[N + 1];
    uint64_t s = 99;
    for (uint32_t i = 0; i < N; i++) {
        uint64_t r = rnd(&s);
        a[i] = (r & 1 ? 0x7f0000000000ull : 0x400000ull) + ((r >> 8) % (1u << 20)) * 8;
        k[i] = (uint8_t)((r >> 40) % 32);
        ins[i] = (uint8_t)((r >> 50) % 3 == 0);
        extra[i] = (uint8_t)((r >> 56) % 4 == 0 ? (r >> 60) % 3 : 0);
    }
    size_t len = spec_columns(a, k, ins, extra, N, raw);
    char path[300];
    tpath(path, sizeof path, "spec3.mht");
    write_block_file(path, 3, raw, len, N);
    assert_int_equal(read_mht(path, back, N + 1, 777), N);
    for (uint32_t i = 0; i < N; i++)
        if (back[i].addr != a[i] || back[i].size != 8 || back[i].op != MH_OP_READ || back[i].gap)
            fail_msg("record %u: %llx, expected %llx", i + 1, (unsigned long long)back[i].addr,
                     (unsigned long long)a[i]);
}

/* Writes r as .mht, checks version 3 and an exact read back in several read sizes. */
static void roundtrip(const char *name, const mh_rec *r, size_t n, mh_rec *back)
{
    char path[300];
    tpath(path, sizeof path, name);
    write_mht(path, r, n, 4099);
    assert_int_equal(file_version(path), 3);
    static const size_t caps[] = {1, 1000, 65536, 1u << 20};
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        memset(back, 0, (n + 1) * sizeof *back);
        assert_int_equal(read_mht(path, back, n + 1, caps[c]), n);
        assert_same(r, back, n);
    }
}

/* Round trips with many slots in use: a prefetching walk with distance 24 (25 live slots)
 * interleaved with 12 strided streams and random jumps, all ops, gaps, sizes and flags, over
 * several blocks; and the version 2 fixture's records re-encoded. */
static void test_v3_roundtrip_many_slots(void **state)
{
    (void)state;
    enum { NODES = 40000 };
    size_t cap = 7 * (size_t)NODES;
    mh_rec *r = malloc(cap * sizeof *r), *w = malloc(cap * sizeof *w);
    mh_rec *back = malloc((cap + 1) * sizeof *back);
    uint32_t *order = malloc(NODES * sizeof *order);
    assert_non_null(r);
    assert_non_null(w);
    assert_non_null(back);
    assert_non_null(order);
    perm(order, NODES, 5);
    size_t n = prefetch_walk(r, order, NODES, 24), m = 0;
    uint64_t s = 7;
    for (size_t i = 0; i < n; i++) {
        w[m++] = r[i];
        if (i % 2 == 0) {   /* a streaming access between the walk's */
            unsigned st = (unsigned)(i / 2 % 12);
            w[m++] = (mh_rec){0x10000000ull * (st + 1) + 8 * (i / 24), (uint32_t)(i % 3 ? 0 : i), 8,
                              (uint8_t)(st % MH_OP_COUNT), (uint8_t)st};
        }
        if (i % 97 == 0)
            w[m++] = (mh_rec){rnd(&s) & ~7ull, 70000, 300, MH_OP_WRITE, 0xff};
    }
    w[m++] = (mh_rec){~0ull, 0xffffffffu, 0xffff, MH_OP_INVALIDATE, 1};
    w[m++] = (mh_rec){0, 0, 1, MH_OP_READ, 0};
    assert_true(m <= cap);
    roundtrip("many.mht", w, m, back);
    for (uint32_t i = 0; i < FIXTURE_RECS; i++)
        r[i] = fixture_rec(i);
    roundtrip("fixture3.mht", r, FIXTURE_RECS, back);
    free(r);
    free(w);
    free(back);
    free(order);
}

/* tests/data/small-v2.mht, written by the version 2 writer, reads exactly. */
static void test_v2_fixture(void **state)
{
    (void)state;
    static mh_rec back[FIXTURE_RECS + 1], want[FIXTURE_RECS];
    const char *path = "tests/data/small-v2.mht";
    assert_int_equal(file_version(path), 2);
    for (uint32_t i = 0; i < FIXTURE_RECS; i++)
        want[i] = fixture_rec(i);
    assert_int_equal(read_mht(path, back, FIXTURE_RECS + 1, 333), FIXTURE_RECS);
    assert_same(want, back, FIXTURE_RECS);
}

/* The prefetching walk (distance 16, 64K nodes) takes under 1.2 bytes per record (0.69): the
 * load of a node finds the slot its prefetch filled. Version 2's choice (eight slots, shortest
 * delta, in place) took 1.90. */
static void test_prefetch_size(void **state)
{
    (void)state;
    enum { NODES = 1 << 16 };
    mh_rec *r = malloc(4 * (size_t)NODES * sizeof *r);
    uint32_t *order = malloc(NODES * sizeof *order);
    assert_non_null(r);
    assert_non_null(order);
    perm(order, NODES, 42);
    size_t n = prefetch_walk(r, order, NODES, 16);
    char path[300];
    double bpr = (double)write_mht(tpath(path, sizeof path, "pf.mht"), r, n, n) / (double)n;
    print_message("# prefetch walk: %.3f bytes/record\n", bpr);
    assert_true(bpr < 1.2);
    free(r);
    free(order);
}

/* One lap of a chase over 2^17 random lines takes under 2.38 bytes per record (2.31; version
 * 2: 2.45): address fields are widened so that the columns of a random walk stay uniform. */
static void test_chase_size(void **state)
{
    (void)state;
    enum { LINES = 1 << 17 };
    mh_rec *r = malloc(LINES * sizeof *r);
    uint32_t *order = malloc(LINES * sizeof *order);
    assert_non_null(r);
    assert_non_null(order);
    perm(order, LINES, 42);
    for (uint32_t i = 0; i < LINES; i++)
        r[i] = (mh_rec){0x7f62f2e00000ull + 64ull * order[i], 0, 8, MH_OP_READ, 1};
    char path[300];
    double bpr = (double)write_mht(tpath(path, sizeof path, "chase.mht"), r, LINES, LINES) / LINES;
    print_message("# chase lap: %.3f bytes/record\n", bpr);
    assert_true(bpr < 2.38);
    free(r);
    free(order);
}

/* Reads path expecting MH_ECORRUPT with message "path: what". */
static void expect_corrupt(const char *path, const char *what)
{
    mh_trace *t;
    mh_error err;
    mh_rec buf[64];
    size_t n;
    assert_int_equal(mh_trace_open(path, &t, &err), MH_OK);
    int rc;
    while ((rc = mh_trace_read(t, buf, 64, &n, &err)) == MH_OK && n > 0)
        ;
    mh_trace_close(t);
    assert_int_equal(rc, MH_ECORRUPT);
    char want[600];
    snprintf(want, sizeof want, "%s: %s", path, what);
    assert_string_equal(err.msg, want);
}

/* Slot bits a version may not use are corruption in the block: the insert bit or a slot
 * above 7 in version 2, ctrl bit 7 in version 3. */
static void test_bad_slot_bits(void **state)
{
    (void)state;
    enum { N = 40 };
    uint64_t a[N];
    uint8_t k[N] = {0}, ins[N] = {0}, extra[N] = {0}, raw[16 + 17 * N];
    for (uint32_t i = 0; i < N; i++)
        a[i] = 0x1000 + 64 * i;
    char path[300];
    tpath(path, sizeof path, "bits.mht");
    size_t len = spec_columns(a, k, ins, extra, N, raw);
    write_block_file(path, 2, raw, len, N);   /* valid as version 2 too: no inserts, slot 0 */
    mh_rec back[N + 1];
    assert_int_equal(read_mht(path, back, N + 1, 7), N);
    raw[16 + 5] |= 0x40;                       /* ctrl: insert bit in version 2 */
    write_block_file(path, 2, raw, len, N);
    expect_corrupt(path, "block 1: record columns malformed");
    raw[16 + 5] &= 0x3f;
    raw[16 + N + 9] |= 0x40;                   /* op: slot 8 in version 2 */
    write_block_file(path, 2, raw, len, N);
    expect_corrupt(path, "block 1: record columns malformed");
    raw[16 + N + 9] &= 0x3f;
    raw[16 + 3] |= 0x80;                       /* ctrl bit 7 in version 3 */
    write_block_file(path, 3, raw, len, N);
    expect_corrupt(path, "block 1: record columns malformed");
}

/* Creates the scratch directory. */
static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mh-test-mht-%ld", (long)getpid());
    return mkdir(tmpdir, 0700);
}

/* Removes the scratch directory. */
static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Runs every test in one group with a scratch directory. */
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v3_spec),
        cmocka_unit_test(test_v3_roundtrip_many_slots),
        cmocka_unit_test(test_v2_fixture),
        cmocka_unit_test(test_prefetch_size),
        cmocka_unit_test(test_chase_size),
        cmocka_unit_test(test_bad_slot_bits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
