/* crc32c_x86.c — CRC32C with SSE4.2's crc32 instruction, three lanes at a time (crc32c_lanes.h);
 * x86-64 builds (the Makefile picks this file there). */
#include <nmmintrin.h>

#define CRC_TARGET __attribute__((target("sse4.2")))
#define CRC_U64(crc, v) ((uint32_t)_mm_crc32_u64((crc), (v)))
#define CRC_U8(crc, b) _mm_crc32_u8((crc), (b))
#include "crc32c_lanes.h"

/* See crc32c_int.h. Built for any x86-64: only the lanes use SSE4.2, once the CPU says it has it. */
int mh_crc32c_hw(uint32_t *crc, const void *data, size_t n)
{
    if (!__builtin_cpu_supports("sse4.2"))
        return 0;
    *crc = lanes_run(*crc, data, n);
    return 1;
}
