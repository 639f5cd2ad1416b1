/* test_mht.c — .mht format versions 3 and 4: the slot ring and the lap blocks decode as the
 * format comment in sim/trace_mht.c specifies (hand-built blocks), the lap coder's parts against
 * plain models, exact round trips with many slots in use and through lap blocks, a version 2 file
 * (tests/data/small-v2.mht) still reads, the sizes the slot choice and the lap blocks are for (a
 * prefetching walk, laps of a chase), and malformed slot bits and lap blocks are reported with
 * the block. Run from the repository root (tests/run.sh does). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zstd.h>

#include "lapcode_int.h"
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

/* Writes a file of the given version around nb blocks of raw columns (raw[b], rawlen[b] bytes,
 * n[b] records), each block a zstd frame of its own. */
static void write_blocks(const char *path, unsigned version, unsigned nb, uint8_t *const *raw,
                         const size_t *rawlen, const uint32_t *n)
{
    uint8_t h[24], e[24];
    uint64_t total = 0;
    static const uint8_t magic[8] = {0x89, 'M', 'H', 'T', '\r', '\n', 0x1a, '\n'};
    memcpy(h, magic, 8);
    h[8] = (uint8_t)version;
    h[9] = h[10] = h[11] = 0;
    le32(h + 12, 65536);
    le32(h + 16, 0);
    le32(h + 20, crc(h, 20));
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(h, 1, 24, f), 24);
    for (unsigned k = 0; k < nb; k++) {
        size_t cap = ZSTD_compressBound(rawlen[k]);
        uint8_t *comp = malloc(cap), b[28];
        assert_non_null(comp);
        size_t clen = ZSTD_compress(comp, cap, raw[k], rawlen[k], 3);
        assert_false(ZSTD_isError(clen));
        memcpy(b, "MHB1", 4);
        le32(b + 4, n[k]);
        le32(b + 8, (uint32_t)clen);
        le32(b + 12, (uint32_t)rawlen[k]);
        le32(b + 16, crc(comp, clen));
        le32(b + 20, crc(raw[k], rawlen[k]));
        le32(b + 24, crc(b, 24));
        assert_int_equal(fwrite(b, 1, 28, f), 28);
        assert_int_equal(fwrite(comp, 1, clen, f), clen);
        free(comp);
        total += n[k];
    }
    memcpy(e, "MHE1", 4);
    le32(e + 4, nb);
    le32(e + 8, (uint32_t)total);
    le32(e + 12, (uint32_t)(total >> 32));
    le32(e + 16, 0);
    le32(e + 20, crc(e, 20));
    assert_int_equal(fwrite(e, 1, 24, f), 24);
    assert_int_equal(fclose(f), 0);
}

/* Writes a one-block file of the given version around the raw columns of n records. */
static void write_block_file(const char *path, unsigned version, const uint8_t *raw, size_t rawlen,
                             uint32_t n)
{
    uint8_t *r = (uint8_t *)raw;
    write_blocks(path, version, 1, &r, &rawlen, &n);
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

/* Writes r as .mht, checks version 4 and an exact read back in several read sizes. */
static void roundtrip(const char *name, const mh_rec *r, size_t n, mh_rec *back)
{
    char path[300];
    tpath(path, sizeof path, name);
    write_mht(path, r, n, 4099);
    assert_int_equal(file_version(path), 4);
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

/* Blocks without gaps, with and without flags, with and without slot inserts (the decoder's loop
 * for each): every record reads back whole, flags 0 included, into a buffer full of other bytes. */
static void test_flags_without_gaps(void **state)
{
    (void)state;
    enum { SEG = 70000, N = 4 * SEG };
    mh_rec *w = malloc(N * sizeof *w), *back = malloc((N + 1) * sizeof *back);
    assert_non_null(w);
    assert_non_null(back);
    uint64_t s = 11;
    for (size_t i = 0; i < N; i++) {
        size_t seg = i / SEG;  /* 0, 1: flags 0; 2, 3: some flags; 1, 3: random jumps (inserts) */
        uint64_t a = 0x400000 + 4 * i;
        if (seg % 2 && i % 3 == 0)
            a = 0x7f0000000000ull + (rnd(&s) % (1u << 30)) * 8;
        w[i] = (mh_rec){a, 0, (uint16_t)(1 + i % 8), (uint8_t)(i % 3), (uint8_t)(seg >= 2 && i % 5 == 0)};
    }
    char path[300];
    tpath(path, sizeof path, "nogap.mht");
    write_mht(path, w, N, 4099);
    static const size_t caps[] = {1, 777, 65536};
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        memset(back, 0xa5, (N + 1) * sizeof *back);
        assert_int_equal(read_mht(path, back, N + 1, caps[c]), N);
        assert_same(w, back, N);
    }
    free(w);
    free(back);
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

/* One lap of a chase over `lines` random 64-byte lines at base, as the chase kernel records it. */
static void chase_lap(mh_rec *r, uint32_t lines, uint64_t base, uint64_t seed)
{
    uint32_t *order = malloc(lines * sizeof *order);
    assert_non_null(order);
    perm(order, lines, seed);
    for (uint32_t i = 0; i < lines; i++)
        r[i] = (mh_rec){base + 64ull * order[i], 0, 8, MH_OP_READ, 1};
    free(order);
}

/* One lap of a chase over 2^17 random lines (8 MiB) takes under 1.96 bytes per record, and over
 * 2^16 under 1.84: lap blocks code each line by its place among the lines not yet visited, whose
 * floor is log2(lines!) bits (1.945 and 1.82 bytes; slot deltas took 2.31 and 2.20). */
static void test_chase_size(void **state)
{
    (void)state;
    static const uint32_t lines[2] = {1u << 17, 1u << 16};
    static const double most[2] = {1.96, 1.84};
    mh_rec *r = malloc((1u << 17) * sizeof *r);
    assert_non_null(r);
    for (int k = 0; k < 2; k++) {
        chase_lap(r, lines[k], 0x7f62f2e00000ull, 42);
        char path[300];
        double bpr = (double)write_mht(tpath(path, sizeof path, "chase.mht"), r, lines[k], 4096) / lines[k];
        print_message("# chase lap over %u lines: %.4f bytes/record\n", lines[k], bpr);
        assert_true(bpr < most[k]);
        mh_rec *back = malloc(((size_t)lines[k] + 1) * sizeof *back);
        assert_non_null(back);
        assert_int_equal(read_mht(path, back, lines[k] + 1, 1000), lines[k]);
        assert_same(r, back, lines[k]);
        free(back);
    }
    free(r);
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

/* ---- lap blocks (version 4) ---- */

/* The lap coder's range coder returns every value it was given, for bounds 1 to 2^24 (one and
 * two steps), consumes exactly the bytes it wrote, and costs within 0.01 % (+ 6 bytes) of
 * the sum of log2(bound). */
static void test_lap_coder_values(void **state)
{
    (void)state;
    enum { M = 200000 };
    uint32_t *v = malloc(M * sizeof *v), *n = malloc(M * sizeof *n);
    uint8_t *buf = malloc(4 * (size_t)M + 16);
    assert_non_null(v);
    assert_non_null(n);
    assert_non_null(buf);
    uint64_t seed = 7;
    for (int trial = 0; trial < 6; trial++) {
        uint32_t m = trial == 0 ? 1 : (uint32_t)(rnd(&seed) % M) + 1;
        double bits = 0;
        for (uint32_t i = 0; i < m; i++) {
            uint64_t r = rnd(&seed);
            static const uint32_t fixed[6] = {1, 2, 65536, 65537, 1u << 24, (1u << 24) - 1};
            n[i] = r % 4 == 0 ? fixed[(r >> 8) % 6] : r % 4 == 1 ? (uint32_t)(r >> 40) % 256 + 1
                                                                 : (uint32_t)(r >> 20) % (1u << 24) + 1;
            v[i] = (r >> 3) % 3 == 0 ? n[i] - 1 : (uint32_t)(rnd(&seed) % n[i]);
            bits += log2((double)n[i]);
        }
        mh_rc_enc e;
        mh_rc_enc_init(&e, buf);
        for (uint32_t i = 0; i < m; i++)
            mh_rc_put(&e, v[i], n[i]);
        size_t len = mh_rc_enc_finish(&e);
        assert_true((double)len <= bits / 8 * 1.0001 + 6);
        mh_rc_dec d;
        assert_int_equal(mh_rc_dec_init(&d, buf, len), 0);
        for (uint32_t i = 0; i < m; i++)
            if (mh_rc_get(&d, n[i]) != v[i])
                fail_msg("trial %d value %u of %u: wrong (bound %u)", trial, i, m, n[i]);
        assert_false(d.bad);
        assert_ptr_equal(d.p, buf + len);
        assert_int_equal(mh_rc_dec_init(&d, buf, 4), -1);   /* shorter than the flush */
    }
    free(v);
    free(n);
    free(buf);
}

/* The unvisited-line set agrees with a plain array of flags, at sizes around a power of two,
 * over three laps (every line is unvisited again once the last is visited): a line is fresh
 * exactly when unflagged; the fresh lines are exactly those at places below `left`, each the line
 * select gives for its place; a visit moves the last unvisited line into the visited line's place. */
static void test_lap_set(void **state)
{
    (void)state;
    static const uint32_t sizes[] = {1, 63, 64, 65, 1000, 4097};
    uint64_t seed = 11;
    mh_lapset s = {0};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        uint32_t n = sizes[k], left = n;
        uint8_t *seen = calloc(n, 1), *hit = calloc(n, 1);
        assert_non_null(seen);
        assert_non_null(hit);
        assert_int_equal(mh_lap_reset(&s, n), 0);
        for (uint32_t i = 0; i < n; i++)
            assert_int_equal(mh_lap_select(&s, i), i);   /* in order after a reset */
        for (uint32_t step = 0; step < 3 * n; step++) {
            uint32_t x = (uint32_t)(rnd(&seed) % n);
            assert_int_equal(mh_lap_fresh(&s, x), !seen[x]);
            if (seen[x])
                continue;
            uint32_t at = mh_lap_index(&s, x);
            assert_true(at < left);
            assert_int_equal(mh_lap_select(&s, at), x);
            uint32_t last = mh_lap_select(&s, left - 1);
            assert_int_equal(s.left, left);
            mh_lap_visit(&s, x);
            seen[x] = 1;
            if (--left == 0) {
                memset(seen, 0, n);
                left = n;
            } else if (last != x) {
                assert_int_equal(mh_lap_select(&s, at), last);
            }
            assert_int_equal(s.left, left);
            if (step % 97 == 0) {   /* the places below left hold exactly the fresh lines */
                memset(hit, 0, n);
                for (uint32_t u = 0; u < left; u++) {
                    uint32_t y = mh_lap_select(&s, u);
                    assert_true(y < n && !seen[y] && !hit[y]);
                    hit[y] = 1;
                }
            }
        }
        free(seen);
        free(hit);
    }
    assert_int_not_equal(mh_lap_reset(&s, 0), 0);
    assert_int_not_equal(mh_lap_reset(&s, MH_LAP_MAX_LINES + 1), 0);
    mh_lap_free(&s);
}

/* Undoing recorded visits (mh_lap_undo) restores the set exactly: places, successors, the
 * previous line and the lap count, across laps that end among the visits (a rejected trial of a
 * lap block is undone this way). */
static void test_lap_undo(void **state)
{
    (void)state;
    static const uint32_t sizes[] = {1, 2, 65, 1000};
    static mh_lapstep log[4096];
    uint64_t seed = 29;
    mh_lapset s = {0};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        uint32_t n = sizes[k];
        assert_int_equal(mh_lap_reset(&s, n), 0);
        uint32_t *arr = malloc(n * sizeof *arr);
        mh_lapline *line = malloc(n * sizeof *line);
        assert_non_null(arr);
        assert_non_null(line);
        for (int round = 0; round < 20; round++) {
            for (uint32_t v = (uint32_t)(rnd(&seed) % (2 * n + 1)); v; v--)   /* unrecorded visits */
                mh_lap_take(&s, (uint32_t)(rnd(&seed) % s.left));
            memcpy(arr, s.arr, n * sizeof *arr);
            memcpy(line, s.line, n * sizeof *line);
            uint32_t left = s.left, prev = s.prev, laps = s.laps;
            s.log = log;
            s.logged = 0;
            for (uint32_t v = (uint32_t)(rnd(&seed) % (3 * n + 1)); v; v--) {
                uint32_t u = (uint32_t)(rnd(&seed) % s.left);
                if (v & 1)
                    mh_lap_take(&s, u);
                else
                    mh_lap_visit(&s, mh_lap_select(&s, u));
            }
            mh_lap_undo(&s);
            s.log = NULL;
            assert_int_equal(s.logged, 0);
            assert_int_equal(s.left, left);
            assert_int_equal(s.prev, prev);
            assert_int_equal(s.laps, laps);
            assert_memory_equal(s.arr, arr, n * sizeof *arr);
            for (uint32_t i = 0; i < n; i++) {
                assert_int_equal(s.line[i].pos, line[i].pos);
                if (laps > 0)   /* successors are all written from the second lap on */
                    assert_int_equal(s.line[i].succ, line[i].succ);
            }
        }
        free(arr);
        free(line);
    }
    mh_lap_free(&s);
}

/* The lap state of the format comment, kept the plain way: the array of lines, a flag and a
 * successor per line. */
typedef struct spec_lap {
    uint8_t seen[4096];   /* visited in this lap */
    uint32_t arr[4096];   /* the lines, the unvisited first */
    uint32_t succ[4096];  /* the line that followed it last time (UINT32_MAX: none) */
    uint32_t prev;        /* the last line (UINT32_MAX: none) */
    uint16_t prob;        /* the hit bit's probability */
    uint32_t lines;       /* lines of the region */
    uint32_t left;        /* not yet visited */
    uint32_t laps;        /* laps completed */
} spec_lap;

/* Visits unvisited line x of st as the format comment says: the last unvisited line takes x's
 * place in the array, x goes just past them; x is the previous line's successor; after the last
 * line, a new lap (the first lap's last line keeps no successor). */
static void spec_visit(spec_lap *st, uint32_t x)
{
    uint32_t place = 0, last = st->left - 1;
    while (st->arr[place] != x)
        place++;
    st->arr[place] = st->arr[last];
    st->arr[last] = x;
    if (st->prev != UINT32_MAX)
        st->succ[st->prev] = x;
    st->prev = x;
    st->seen[x] = 1;
    if (--st->left == 0) {
        if (st->laps++ == 0)
            st->succ[x] = UINT32_MAX;
        memset(st->seen, 0, sizeof st->seen);
        st->left = st->lines;
    }
}

/* Raw version-4 lap-block columns for addresses a[0..n) (gap 0, size 8, op read, shift 3), as the
 * format comment specifies: where lap[i] is set and a[i]'s line x = (a >> ls) - lo is in the
 * region and unvisited in st, a lap record (the prediction's bit, then, unless a hit, x's place in
 * the array of lines, uniform among those left); the other records are coded against
 * slot 0 in place, and visit their line when it is in the region and unvisited. mode 0 starts st
 * afresh. Returns the raw length. */
static size_t spec_lap_block(const uint64_t *a, const uint8_t *lap, uint32_t n, uint64_t lo,
                             uint32_t lines, unsigned ls, unsigned mode, spec_lap *st, uint8_t *raw)
{
    static uint8_t col[4 * 4096 + 16];
    uint8_t *ctl = raw + 40, *op = ctl + n, *fl = op + n, *hi = fl + n, *ad = hi + n, *q = ad;
    uint64_t slot0 = 0;
    mh_rc_enc e;
    mh_rc_enc_init(&e, col);
    if (mode == 0) {
        memset(st->seen, 0, sizeof st->seen);
        memset(st->succ, 0xff, sizeof st->succ);
        for (uint32_t y = 0; y < lines; y++)
            st->arr[y] = y;
        st->prev = UINT32_MAX;
        st->prob = 1024;
        st->laps = 0;
        st->lines = st->left = lines;
    }
    for (uint32_t i = 0; i < n; i++) {
        op[i] = MH_OP_READ;
        fl[i] = 0;
        uint64_t xl = (a[i] >> ls) - lo;
        int fresh = xl < lines && !st->seen[xl];
        if (lap[i] && fresh) {
            uint32_t x = (uint32_t)xl, place = 0;
            while (st->arr[place] != x)   /* found by a search, as the format comment says it */
                place++;
            uint32_t pred = st->prev == UINT32_MAX ? UINT32_MAX : st->succ[st->prev];
            if (pred != UINT32_MAX && !st->seen[pred])
                mh_rc_put_bit(&e, &st->prob, x != pred);
            if (pred == UINT32_MAX || st->seen[pred] || x != pred)
                mh_rc_put(&e, place, st->left);
            spec_visit(st, x);
            ctl[i] = 0x80;
            hi[i] = (uint8_t)((a[i] & ((1ull << ls) - 1)) >> 3);
            continue;
        }
        int64_t d = (int64_t)(a[i] - slot0) >> 3;
        uint64_t z = ((uint64_t)d << 1) ^ (uint64_t)(d >> 63);
        unsigned al = nbytes(z);
        ctl[i] = (uint8_t)(al - 1);
        hi[i] = (uint8_t)(z >> (8 * (al - 1)));
        for (unsigned b = 0; b + 1 < al; b++)
            *q++ = (uint8_t)(z >> (8 * b));
        slot0 = a[i];
        if (fresh)   /* visited as a lap record would be, without a code */
            spec_visit(st, (uint32_t)xl);
    }
    size_t la = (size_t)(q - ad), lb = mh_rc_enc_finish(&e);
    memset(q, 8, n);   /* sizes: 1 byte each, 8 */
    q += n;
    memcpy(q, col, lb);
    q += lb;
    le32(raw, (uint32_t)la);
    le32(raw + 4, 0);
    le32(raw + 8, n);
    raw[12] = 3;
    raw[13] = 1;
    raw[14] = raw[15] = 0;
    le32(raw + 16, (uint32_t)lo);
    le32(raw + 20, (uint32_t)(lo >> 32));
    le32(raw + 24, lines);
    raw[28] = (uint8_t)ls;
    raw[29] = (uint8_t)mode;
    raw[30] = raw[31] = 0;
    le32(raw + 32, (uint32_t)lb);
    le32(raw + 36, 0);
    return (size_t)(q - raw);
}

/* Addresses for a lap block: where lap[i] (one in three not), the next line of a random lap
 * over `lines` lines from lo (*pos counting through it; each lap after the first repeats the one
 * before with a tenth of its lines swapped), at a random 8-byte offset below min(2^ls, 2048);
 * elsewhere a random address far from the region, or (one in two) a random line of the region:
 * the block builder codes a lap line already visited that way too. */
static void lap_addresses(uint64_t *a, uint8_t *lap, uint32_t n, uint64_t lo, uint32_t lines, unsigned ls,
                          uint32_t *order, uint32_t *pos, uint64_t *seed)
{
    uint64_t span = ls >= 11 ? 2048 : 1ull << ls;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t r = rnd(seed);
        lap[i] = r % 3 != 0;
        if (!lap[i]) {
            a[i] = r & 8 ? ((lo + (r >> 24) % lines) << ls) + (r >> 4) % (span / 8) * 8
                         : 0x400000 + (r >> 20) % (1u << 20) * 8;
            continue;
        }
        if (*pos == 0)
            perm(order, lines, r);
        else if (*pos % lines == 0)
            for (uint32_t k = 0; k < lines / 10; k++) {
                uint32_t x = (uint32_t)(rnd(seed) % lines), y = (uint32_t)(rnd(seed) % lines), t = order[x];
                order[x] = order[y];
                order[y] = t;
            }
        a[i] = ((lo + order[(*pos)++ % lines]) << ls) + (r >> 32) % (span / 8) * 8;
    }
}

/* Hand-built lap blocks decode as the format comment says: laps over 1000 lines of 64 bytes
 * that wrap into the next inside block 1 and go on in block 2 (mode 1), each repeating most of
 * the one before (predicted lines, hits and misses), then a new region of 70 lines of 4 KiB
 * (block 3, mode 0), with ordinary records between the lap records. */
static void test_lap_spec(void **state)
{
    (void)state;
    enum { N1 = 1600, N2 = 1500, N3 = 300, NT = N1 + N2 + N3 };
    static uint64_t a[NT];
    static uint8_t lap[NT], raw1[40 + 21 * N1], raw2[40 + 21 * N2], raw3[40 + 21 * N3];
    static uint32_t order[1000];
    static spec_lap st;
    static mh_rec back[NT + 1];
    uint64_t seed = 5, lo1 = 0x7f0000100000ull >> 6, lo3 = 0x55c563d00000ull >> 12;
    uint32_t pos = 0;
    lap_addresses(a, lap, N1 + N2, lo1, 1000, 6, order, &pos, &seed);
    pos = 0;
    lap_addresses(a + N1 + N2, lap + N1 + N2, N3, lo3, 70, 12, order, &pos, &seed);
    uint8_t *raw[3] = {raw1, raw2, raw3};
    size_t len[3];
    uint32_t n[3] = {N1, N2, N3};
    len[0] = spec_lap_block(a, lap, N1, lo1, 1000, 6, 0, &st, raw1);
    len[1] = spec_lap_block(a + N1, lap + N1, N2, lo1, 1000, 6, 1, &st, raw2);
    len[2] = spec_lap_block(a + N1 + N2, lap + N1 + N2, N3, lo3, 70, 12, 0, &st, raw3);
    char path[300];
    tpath(path, sizeof path, "lapspec.mht");
    write_blocks(path, 4, 3, raw, len, n);
    static const size_t caps[] = {1, 333, 65536};
    for (size_t c = 0; c < 3; c++) {
        assert_int_equal(read_mht(path, back, NT + 1, caps[c]), NT);
        for (uint32_t i = 0; i < NT; i++)
            if (back[i].addr != a[i] || back[i].size != 8 || back[i].op != MH_OP_READ || back[i].gap)
                fail_msg("record %u: %llx, expected %llx", i + 1, (unsigned long long)back[i].addr,
                         (unsigned long long)a[i]);
    }
}

/* Writes the columns in raw (one block, version) to the scratch file and expects `what`. */
static void lap_expect(const char *path, unsigned version, const uint8_t *raw, size_t len, uint32_t n,
                       const char *what)
{
    write_block_file(path, version, raw, len, n);
    expect_corrupt(path, what);
}

/* Malformed lap blocks are corruption named with the block: header fields out of range, a lap
 * that goes on from none or from another region, a lap column too short, too long or coding a
 * place past the lines left, lap records with slot or insert bits, bit 7 outside lap blocks, and
 * the lap flag in version 3. */
static void test_lap_corrupt(void **state)
{
    (void)state;
    enum { N = 300 };
    static uint64_t a[N];
    static uint8_t lap[N], raw[40 + 21 * N + 8], bad[40 + 21 * N + 8];
    static uint32_t order[1000];
    static spec_lap st;
    uint64_t seed = 3, lo = 0x7f0000100000ull >> 6;
    uint32_t pos = 0, first = 0;
    lap_addresses(a, lap, N, lo, 1000, 6, order, &pos, &seed);
    while (!lap[first])
        first++;
    size_t len = spec_lap_block(a, lap, N, lo, 1000, 6, 0, &st, raw);
    size_t lcol = len - 40 - 4u * N - (size_t)raw[0] - ((size_t)raw[1] << 8) - N; /* lap column at raw + len - lcol */
    char path[300];
    tpath(path, sizeof path, "lapbad.mht");
    mh_rec back[N + 1];
    write_block_file(path, 4, raw, len, N);
    assert_int_equal(read_mht(path, back, N + 1, 64), N);
    static const struct { unsigned at; uint8_t val; } hdr[] = {
        {24, 0}, {27, 2}, {28, 64}, {29, 2}, {30, 1}, {36, 1},   /* lines 0 or > 2^24, ls, mode, zeros */
    };
    for (size_t k = 0; k < sizeof hdr / sizeof hdr[0]; k++) {
        memcpy(bad, raw, len);
        if (hdr[k].at == 24)
            memset(bad + 24, 0, 4);
        else
            bad[hdr[k].at] = hdr[k].val;
        lap_expect(path, 4, bad, len, N, "block 1: lap header malformed");
    }
    memcpy(bad, raw, len);
    bad[29] = 1;
    lap_expect(path, 4, bad, len, N, "block 1: lap block goes on from a lap it does not follow");
    memcpy(bad, raw, len);
    bad[len - lcol] = 1;                            /* the coder's first byte is 0 */
    lap_expect(path, 4, bad, len, N, "block 1: lap column malformed");
    memcpy(bad, raw, len);
    memset(bad + len - lcol + 1, 0xff, 3);          /* the first place would be 1000 of 1000 */
    bad[len - lcol + 4] = 0xfe;
    lap_expect(path, 4, bad, len, N, "block 1: lap column malformed");
    memcpy(bad, raw, len);
    le32(bad + 32, (uint32_t)lcol - 1);             /* one byte short */
    lap_expect(path, 4, bad, len - 1, N, "block 1: lap column malformed");
    memcpy(bad, raw, len);
    bad[len] = 0;
    le32(bad + 32, (uint32_t)lcol + 1);             /* one byte left over */
    lap_expect(path, 4, bad, len + 1, N, "block 1: lap column malformed");
    memcpy(bad, raw, len);
    bad[40 + N + first] |= 8;                        /* a lap record with slot 1 */
    lap_expect(path, 4, bad, len, N, "block 1: lap record malformed");
    memcpy(bad, raw, len);
    bad[40 + first] |= 0x40;                         /* a lap record with the insert bit */
    lap_expect(path, 4, bad, len, N, "block 1: lap record malformed");
    memcpy(bad, raw, len);
    le32(bad + 32, (uint32_t)lcol + 1);              /* the lengths no longer add up */
    lap_expect(path, 4, bad, len, N, "block 1: column lengths do not add up");
    lap_expect(path, 3, raw, len, N, "block 1: column lengths do not add up");  /* no laps in v3 */
    /* bit 7 in an ordinary version 4 block */
    uint8_t k[N] = {0}, ins[N] = {0}, extra[N] = {0};
    for (uint32_t i = 0; i < N; i++)
        a[i] = 0x1000 + 64 * i;
    size_t olen = spec_columns(a, k, ins, extra, N, bad);
    bad[16 + 3] |= 0x80;
    lap_expect(path, 4, bad, olen, N, "block 1: record columns malformed");
    /* mode 1 after a lap block of another region */
    static uint8_t second[40 + 21 * N + 8];
    memcpy(second, raw, len);
    second[29] = 1;
    second[16] ^= 1;                                  /* lo + 1 */
    uint8_t *blocks[2] = {raw, second};
    size_t lens[2] = {len, len};
    uint32_t ns[2] = {N, N};
    write_blocks(path, 4, 2, blocks, lens, ns);
    expect_corrupt(path, "block 2: lap block goes on from a lap it does not follow");
}

/* Writer round trips through lap blocks are exact, read in pieces of 1 to 2^20 records: chase
 * laps over 2^17 lines (several blocks, laps after the first, in new orders or repeating one
 * cycle, which then costs a fraction of a bit per record), a chase over a region too big for a
 * lap, random reads with revisits beside a stream, a prefetching walk, the fixture's mixed
 * records between chase loads, and a lap whose trial in its second block loses (undone) before
 * the lap goes on in the third. */
static void test_lap_roundtrip(void **state)
{
    (void)state;
    enum { L = 1 << 17, MAX = 3 * L };
    mh_rec *r = malloc(MAX * sizeof *r), *back = malloc((MAX + 1) * sizeof *back);
    uint32_t *order = malloc(L * sizeof *order);
    assert_non_null(r);
    assert_non_null(back);
    assert_non_null(order);
    uint64_t seed = 17;
    for (int pattern = 0; pattern < 7; pattern++) {
        size_t n = 0;
        if (pattern == 0) {   /* three laps, a new order each */
            for (int lap = 0; lap < 3; lap++, n += L)
                chase_lap(r + n, L, 0x7f62f2e00040ull, (uint64_t)lap + 1);
        } else if (pattern == 6) {   /* a lap block, one whose lap trial loses (256 lines read
                                      * again and again), then the lap going on */
            chase_lap(r, 1u << 16, 0x7f62f2e00000ull, 12);
            for (n = 1u << 16; n < (2u << 16); n++)
                r[n] = r[rnd(&seed) % 256];
            chase_lap(r + n, 1u << 16, 0x7f62f2e00000ull, 13);
            n += 1u << 16;
        } else if (pattern == 5) {   /* three laps of one cycle, as the chase kernel walks it */
            for (int lap = 0; lap < 3; lap++, n += L)
                chase_lap(r + n, L, 0x7f62f2e00000ull, 8);
        } else if (pattern == 1) {   /* 2^17 lines spread over 2^25 lines: no lap fits */
            chase_lap(r, L, 0, 9);
            for (n = 0; n < L; n++)
                r[n].addr = 0x7f0000000000ull + (r[n].addr / 64) * 256 * 64 + 8;
        } else if (pattern == 2) {   /* random reads within 1 MiB with revisits, and a stream */
            for (n = 0; n < 200000; n++)
                r[n] = n % 4 ? (mh_rec){0x10000000 + rnd(&seed) % (1u << 20) / 8 * 8, 3, 8, MH_OP_READ, 0}
                             : (mh_rec){0x20000000 + 8 * n, 1, 8, MH_OP_WRITE, 0};
        } else if (pattern == 3) {
            perm(order, 1u << 16, 23);
            n = prefetch_walk(r, order, 1u << 16, 16);
        } else {   /* chase loads with the fixture's records between them */
            chase_lap(r, L, 0x7f62f2e00000ull, 4);
            for (uint32_t i = 0; i < L; i++)
                if (i % 3 == 0)
                    r[i] = fixture_rec(i);
            n = L;
        }
        char path[300];
        tpath(path, sizeof path, "laprt.mht");
        size_t bytes = write_mht(path, r, n, 5000);
        print_message("# lap round trip %d: %zu records, %.3f bytes/record\n", pattern, n, (double)bytes / n);
        if (pattern == 5)   /* the later laps are predicted: about a third of one lap's 1.95 */
            assert_true((double)bytes / n < 0.70);
        static const size_t caps[] = {1, 1000, 65536, 1u << 20};
        for (size_t c = pattern ? 1 : 0; c < 4; c++) {   /* one at a time: the three laps only */
            memset(back, 0, (n + 1) * sizeof *back);
            assert_int_equal(read_mht(path, back, n + 1, caps[c]), n);
            assert_same(r, back, n);
        }
    }
    free(r);
    free(back);
    free(order);
}

/* mh_writer_set: laps = off writes no lap block (one chase lap over 2^17 lines then takes the
 * slot deltas' ~2.3 bytes per record) and reads back exactly; unknown keys and values, a din
 * writer, and an option after the first record are MH_EINVAL and change nothing. */
static void test_writer_laps_option(void **state)
{
    (void)state;
    enum { L = 1 << 17 };
    mh_rec *r = malloc(L * sizeof *r), *back = malloc((L + 1) * sizeof *back);
    assert_non_null(r);
    assert_non_null(back);
    chase_lap(r, L, 0x7f62f2e00000ull, 42);
    char path[300];
    tpath(path, sizeof path, "nolaps.mht");
    mh_writer *w;
    mh_error err;
    assert_int_equal(mh_writer_open(path, "mht", NULL, &w, &err), MH_OK);
    assert_int_equal(mh_writer_set(w, "laps", "maybe", &err), MH_EINVAL);
    assert_non_null(strstr(err.msg, "laps = maybe, must be on or off"));
    assert_int_equal(mh_writer_set(w, "level", "19", &err), MH_EINVAL);
    assert_non_null(strstr(err.msg, "unknown option 'level', expected laps"));
    assert_int_equal(mh_writer_set(w, "laps", "off", &err), MH_OK);
    assert_int_equal(mh_writer_write(w, r, L, &err), MH_OK);
    assert_int_equal(mh_writer_set(w, "laps", "on", &err), MH_EINVAL);   /* too late */
    assert_non_null(strstr(err.msg, "must come before the first"));
    assert_int_equal(mh_writer_close(w, &err), MH_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    print_message("# chase lap, laps off: %.3f bytes/record\n", (double)st.st_size / L);
    assert_true((double)st.st_size / L > 2.2);
    assert_int_equal(read_mht(path, back, L + 1, 5000), L);
    assert_same(r, back, L);
    tpath(path, sizeof path, "nolaps.din");
    assert_int_equal(mh_writer_open(path, "din", NULL, &w, &err), MH_OK);
    assert_int_equal(mh_writer_set(w, "laps", "off", &err), MH_EINVAL);
    assert_non_null(strstr(err.msg, "din writer: unknown option 'laps'"));
    mh_writer_abort(w);
    free(r);
    free(back);
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
        cmocka_unit_test(test_flags_without_gaps),
        cmocka_unit_test(test_v2_fixture),
        cmocka_unit_test(test_prefetch_size),
        cmocka_unit_test(test_chase_size),
        cmocka_unit_test(test_bad_slot_bits),
        cmocka_unit_test(test_lap_coder_values),
        cmocka_unit_test(test_lap_set),
        cmocka_unit_test(test_lap_undo),
        cmocka_unit_test(test_lap_spec),
        cmocka_unit_test(test_lap_corrupt),
        cmocka_unit_test(test_lap_roundtrip),
        cmocka_unit_test(test_writer_laps_option),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
