/* crc32c_lanes.h — the driver the CRC instruction paths share (crc32c_x86.c, crc32c_arm.c), each
 * of which includes it once after defining CRC_TARGET (the attribute that enables the
 * instruction), CRC_U64(crc, v) and CRC_U8(crc, b) (the instruction on 8 bytes / 1 byte,
 * uint32_t state). One instruction waits a few cycles for the one before, so a buffer runs as
 * three independent lanes side by side, joined by multiplying the first two by x^(8 x the bytes
 * after them): 8 KiB lanes while they fit, then 1 KiB lanes, then one lane for the rest. On the
 * development VM (x86), in cache: 27 (64 KiB) to 30 (512 KiB) GB/s against 11 for one lane. */
#ifndef SIM_CRC32C_LANES_H
#define SIM_CRC32C_LANES_H

#include <string.h>

#include "crc32c_int.h"

#define LONG_LANE 8192u          /* bytes per lane of a long round (3072 instructions; its join, two multiplies) */
#define LONG_X1 0x28461564u      /* x^(8 x LONG_LANE) mod P, reflected */
#define LONG_X2 0xbf455269u      /* x^(16 x LONG_LANE) mod P, reflected */
#define SHORT_LANE 1024u         /* bytes per lane of a short round (the tail of a buffer) */
#define SHORT_X1 0xe4172b16u     /* x^(8 x SHORT_LANE) mod P, reflected */
#define SHORT_X2 0x0d65762au     /* x^(16 x SHORT_LANE) mod P, reflected */

/* Returns crc continued over n bytes at p, one lane. */
CRC_TARGET static uint32_t lane1(uint32_t crc, const uint8_t *p, size_t n)
{
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        crc = CRC_U64(crc, v);
    }
    for (; n; p++, n--)
        crc = CRC_U8(crc, *p);
    return crc;
}

/* Returns crc continued over 3 x len bytes at p: three lanes of len bytes side by side, joined
 * with x1 = x^(8 len) and x2 = x^(16 len). Inlined, so len is a constant in each loop. */
CRC_TARGET __attribute__((always_inline)) static inline uint32_t lane3(uint32_t crc, const uint8_t *p, size_t len,
                                                                      uint32_t x1, uint32_t x2)
{
    uint32_t a = crc, b = 0, c = 0;
    for (size_t i = 0; i < len; i += 8) {
        uint64_t va, vb, vc;
        memcpy(&va, p + i, 8);
        memcpy(&vb, p + len + i, 8);
        memcpy(&vc, p + 2 * len + i, 8);
        a = CRC_U64(a, va);
        b = CRC_U64(b, vb);
        c = CRC_U64(c, vc);
    }
    return mh_crc32c_mul(x2, a) ^ mh_crc32c_mul(x1, b) ^ c;
}

/* Returns crc continued over n bytes at p: long rounds, short rounds, then one lane. Called only
 * once the CPU has been seen to have the instruction. */
CRC_TARGET static uint32_t lanes_run(uint32_t crc, const uint8_t *p, size_t n)
{
    for (; n >= 3 * LONG_LANE; p += 3 * LONG_LANE, n -= 3 * LONG_LANE)
        crc = lane3(crc, p, LONG_LANE, LONG_X1, LONG_X2);
    for (; n >= 3 * SHORT_LANE; p += 3 * SHORT_LANE, n -= 3 * SHORT_LANE)
        crc = lane3(crc, p, SHORT_LANE, SHORT_X1, SHORT_X2);
    return lane1(crc, p, n);
}

#endif
