/* crc32c_arm.c — CRC32C with Armv8's crc32c instructions, three lanes at a time
 * (crc32c_lanes.h); aarch64 builds (the Makefile picks this file there). The instructions are
 * optional in Armv8.0, so the kernel's hardware capabilities say whether to use them. */
#include <arm_acle.h>
#include <asm/hwcap.h>
#include <sys/auxv.h>

#define CRC_TARGET __attribute__((target("+crc")))
#define CRC_U64(crc, v) __crc32cd((crc), (v))
#define CRC_U8(crc, b) __crc32cb((crc), (b))
#include "crc32c_lanes.h"

/* See crc32c_int.h. */
int mh_crc32c_hw(uint32_t *crc, const void *data, size_t n)
{
    if (!(getauxval(AT_HWCAP) & HWCAP_CRC32))
        return 0;
    *crc = lanes_run(*crc, data, n);
    return 1;
}
