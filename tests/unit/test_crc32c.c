/* test_crc32c.c — CRC32C, the .mht checksum: the published check values, and every path (tables,
 * the CPU's instruction with its three lanes and their join) against the bitwise definition, at
 * every length and alignment around the lanes' boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crc32c_int.h"

#define BIG (3 * 8192 * 2 + 4096)  /* two long rounds of the instruction's three lanes, and more */

/* The bitwise definition: register state crc after n bytes at p (independent of the library). */
static uint32_t bitwise(uint32_t crc, const uint8_t *p, size_t n)
{
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
    }
    return crc;
}

/* n pseudo-random bytes (xorshift, fixed seed): the caller frees. */
static uint8_t *noise(size_t n, uint64_t seed)
{
    uint8_t *b = malloc(n ? n : 1);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        b[i] = (uint8_t)(seed >> 24);
    }
    return b;
}

/* Checks mh_crc32c, the tables and (when the CPU has it) the instruction on p[0..n). */
static void check(const uint8_t *p, size_t n)
{
    uint32_t want = bitwise(0xffffffffu, p, n);
    uint32_t got = mh_crc32c(p, n);
    if (got != ~want)
        fail_msg("length %zu at offset %zu: mh_crc32c %08x, expected %08x", n, (size_t)((uintptr_t)p & 63),
                 got, ~want);
    uint32_t sw = mh_crc32c_sw(0xffffffffu, p, n);
    if (sw != want)
        fail_msg("length %zu: tables give %08x, expected %08x", n, sw, want);
    uint32_t hw = 0xffffffffu;
    if (mh_crc32c_hw(&hw, p, n) && hw != want)
        fail_msg("length %zu: the instruction gives %08x, expected %08x", n, hw, want);
}

/* The check values of RFC 3720 (iSCSI) and the usual "123456789". */
static void test_known_values(void **state)
{
    (void)state;
    uint8_t b[32];
    assert_int_equal(mh_crc32c("123456789", 9), 0xe3069283u);
    memset(b, 0, sizeof b);
    assert_int_equal(mh_crc32c(b, 32), 0x8a9136aau);
    memset(b, 0xff, sizeof b);
    assert_int_equal(mh_crc32c(b, 32), 0x62a8ab43u);
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)i;
    assert_int_equal(mh_crc32c(b, 32), 0x46dd794eu);
    for (int i = 0; i < 32; i++)
        b[i] = (uint8_t)(31 - i);
    assert_int_equal(mh_crc32c(b, 32), 0x113fdb5cu);
    assert_int_equal(mh_crc32c(b, 0), 0u);
}

/* Every length up to 300 at every start within 8 bytes (the 8-byte steps and their tails). */
static void test_short_lengths(void **state)
{
    (void)state;
    uint8_t *b = noise(320, 1);
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n <= 300; n++)
            check(b + off, n);
    free(b);
}

/* Lengths around one and two rounds of three lanes (8 KiB lanes, then 1 KiB lanes), so each join
 * and the single lane after them count, at odd starts too. */
static void test_lane_boundaries(void **state)
{
    (void)state;
    uint8_t *b = noise(BIG + 16, 2);
    const size_t round = 3 * 8192, tail = 3 * 1024;  /* a long round, a short round */
    const size_t lens[] = {tail - 1, tail, tail + 1, 2 * tail + 7, 8191, 8192, 8193, round - 9, round - 1,
                           round, round + 1, round + 7, round + tail, round + 2 * tail + 5, 2 * round - 1,
                           2 * round, 2 * round + 3, BIG};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
        for (size_t off = 0; off < 16; off += 5)
            check(b + off, lens[i]);
    free(b);
}

/* One changed bit anywhere in a two-round buffer changes the CRC (each lane counts). */
static void test_bit_flips(void **state)
{
    (void)state;
    uint8_t *b = noise(BIG, 3);
    uint32_t base = mh_crc32c(b, BIG);
    const size_t at[] = {0, 8191, 8192, 16384 + 5, 3 * 8192, 3 * 8192 + 8192 + 1, BIG - 1};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        b[at[i]] ^= 0x10;
        if (mh_crc32c(b, BIG) == base)
            fail_msg("flipping a bit of byte %zu left the CRC at %08x", at[i], base);
        check(b, BIG);
        b[at[i]] ^= 0x10;
    }
    assert_int_equal(mh_crc32c(b, BIG), base);
    free(b);
}

/* The join: a register times x^(8k) is the register after k zero bytes. */
static void test_mul_shifts(void **state)
{
    (void)state;
    uint8_t zeros[64] = {0};
    uint32_t x8 = 0x80000000u;  /* x^0 */
    for (size_t k = 0; k < sizeof zeros; k++) {
        uint32_t reg = 0x9e3779b9u;
        for (int i = 0; i < 40; i++, reg = reg * 2654435761u + 12345u)
            assert_int_equal(mh_crc32c_mul(x8, reg), bitwise(reg, zeros, k));
        x8 = mh_crc32c_mul(x8, 0x00800000u);  /* times x^8 */
    }
    assert_int_equal(mh_crc32c_mul(0x80000000u, 0x12345678u), 0x12345678u);
    assert_int_equal(mh_crc32c_mul(0, 0x12345678u), 0u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_short_lengths),
        cmocka_unit_test(test_lane_boundaries),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_mul_shifts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
