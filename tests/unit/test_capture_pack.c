/* test_capture_pack.c — packed capture records: every field survives packing (escapes too, also
 * across buffer ends), and the stream kernel's unchecked spans record exactly one record per
 * access, in order, up to the budget, across buffer refills and passes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capture.h"
#include "kernels.h"

/* A record with these fields. */
static mh_rec rec(uint64_t addr, unsigned size, int op, int flags, uint32_t gap)
{
    return (mh_rec){.addr = addr, .gap = gap, .size = (uint16_t)size, .op = (uint8_t)op, .flags = (uint8_t)flags};
}

/* Records that pack and records that need an escape come back unchanged and in order, through
 * bench_cap_put and the cursor (addresses below 2^48 there), with escapes landing on every
 * position near a buffer's end. */
static void test_pack_roundtrip(void **state)
{
    (void)state;
    const mh_rec kinds[] = {
        rec(0x7fffdeadbeefULL, 8, MH_OP_READ, MH_FLAG_DEP, 2), rec(0, 1, MH_OP_PREFETCH, 0, 0),
        rec(0xffffffffffffULL, 128, MH_OP_INVALIDATE, 1, 511),  /* largest that packs */
        rec(0x1000, 24, MH_OP_READ, 0, 1),                       /* size not a power of two */
        rec(0x2000, 8, MH_OP_WRITE, 0, 512),                     /* gap too large */
        rec(0x3000, 256, MH_OP_MISC, 0, 0),                      /* size too large */
        rec(0x4000, 8, MH_OP_READ, 2, 0),                        /* unknown flag bit */
        rec(0x1000000000000ULL, 8, MH_OP_WRITE, 0, 3),           /* address above 2^48: escape */
        rec(UINT64_MAX, 65535, MH_OP_COPYBACK, 255, UINT32_MAX), /* every field at its maximum */
    };
    const size_t n = 3 * BENCH_CAP_BUF + 11;
    for (int via_cursor = 0; via_cursor < 2; via_cursor++) {
        size_t nk = sizeof kinds / sizeof kinds[0] - (via_cursor ? 2 : 0); /* the last two: >= 2^48 */
        bench_cap c;
        bench_cap_init(&c, NULL, 1, n);
        bench_cur cur = bench_cur_begin(&c);
        for (size_t i = 0; i < n; i++) {
            const mh_rec *r = &kinds[(i * 7 + i / 5) % nk];
            const void *a = (const void *)(uintptr_t)r->addr;
            if (via_cursor)
                BENCH_PUT(&c, cur, a, r->size, r->op, r->flags, r->gap);
            else
                bench_cap_put(&c, a, r->size, r->op, r->flags, r->gap);
        }
        if (via_cursor)
            bench_cur_end(&c, cur);
        assert_true(c.full);
        assert_int_equal(bench_cap_flush(&c), MH_OK);
        assert_int_equal(c.mem_n, n);
        for (size_t i = 0; i < n; i++)
            assert_memory_equal(&c.mem[i], &kinds[(i * 7 + i / 5) % nk], sizeof(mh_rec));
        bench_cap_free(&c);
    }
}

/* An address at or above 2^48 through the cursor fails the capture (it cannot be packed, and the
 * cursor does not check addresses one by one); the records before its buffer stay counted. */
static void test_cursor_high_address(void **state)
{
    (void)state;
    bench_cap c;
    bench_cap_init(&c, NULL, 1, 100000);
    bench_cur cur = bench_cur_begin(&c);
    for (uint64_t i = 0; i < BENCH_CAP_BUF + 10; i++)
        BENCH_PUT(&c, cur, (const void *)(uintptr_t)(0x1000 + 8 * i), 8, MH_OP_READ, 0, 1);
    BENCH_PUT(&c, cur, (const void *)(uintptr_t)0x1000000000000ULL, 8, MH_OP_READ, 0, 1);
    BENCH_PUT(&c, cur, (const void *)(uintptr_t)0x2000, 8, MH_OP_READ, 0, 1);
    bench_cur_end(&c, cur);
    assert_int_equal(c.status, MH_EINVAL);
    assert_non_null(strstr(c.err.msg, "2^48"));
    assert_true(c.full);
    assert_int_equal(c.recorded, BENCH_CAP_BUF);
    assert_int_not_equal(bench_cap_flush(&c), MH_OK);
    assert_int_equal(c.mem_n, BENCH_CAP_BUF);
    bench_cap_free(&c);
}

/* Captures stream variant v at size bytes into memory with budget records; checks every record. */
static void check_stream(const char *v, size_t size, uint64_t budget)
{
    const bench_kernel *k = bench_kernel_find("stream");
    long param = 0;
    bench_params p = {.size = size, .variant = bench_variant_find(k, v, &param), .min_accesses = 4 * budget};
    void *st = NULL;
    bench_info info = {0};
    mh_error err = {0};
    assert_int_equal(k->setup(&p, &st, &info, &err), MH_OK);
    bench_cap c;
    bench_cap_init(&c, NULL, 1, budget);
    k->capture(st, &c);
    assert_int_equal(bench_cap_flush(&c), MH_OK);
    assert_int_equal(c.mem_n, budget);
    int copy = !strcmp(v, "copy"), write = !strcmp(v, "write");
    size_t per = copy ? 2 : 1, words = (copy ? size / 2 : size) / 8;
    uint64_t a0 = c.mem[0].addr, b0 = copy ? c.mem[1].addr : 0;
    for (size_t i = 0; i < budget; i++) {
        size_t it = i / per, w = it % words;
        int second = copy && i % 2;
        mh_rec want = rec((second ? b0 : a0) + 8 * w, 8, second || write ? MH_OP_WRITE : MH_OP_READ, 0,
                          copy ? (second ? 1 : 3) : 3);
        assert_memory_equal(&c.mem[i], &want, sizeof want);
    }
    bench_cap_free(&c);
    bench_metrics m;
    assert_int_equal(k->teardown(st, &m, &err), MH_OK);
}

/* Stream records over several passes and buffer refills, budgets ending mid-pass, mid-buffer and
 * between a copy's load and store. */
static void test_stream_spans(void **state)
{
    (void)state;
    const uint64_t budgets[] = {1, 2, 3, BENCH_CAP_BUF - 1, BENCH_CAP_BUF, BENCH_CAP_BUF + 1, 5 * BENCH_CAP_BUF + 3};
    const char *vs[] = {"read", "write", "copy"};
    for (size_t v = 0; v < 3; v++)
        for (size_t b = 0; b < sizeof budgets / sizeof budgets[0]; b++) {
            check_stream(vs[v], 8192, budgets[b]);
            check_stream(vs[v], 8200, budgets[b]); /* words not a divisor of the buffer */
        }
}

/* Runs the tests. */
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pack_roundtrip),
        cmocka_unit_test(test_cursor_high_address),
        cmocka_unit_test(test_stream_spans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
