/* crc32c_int.h — CRC32C (Castagnoli, reflected polynomial 0x82f63b78): the checksum of .mht
 * headers and blocks. Two paths give the same values: slicing-by-8 tables (any CPU) and the CPU's
 * CRC instruction where the build has a file for it (crc32c_x86.c, crc32c_arm.c, both driving
 * crc32c_lanes.h; crc32c_generic.c elsewhere; the Makefile picks one). The register state is
 * kept raw: a CRC starts at ~0 and ends with ~. */
#ifndef SIM_CRC32C_INT_H
#define SIM_CRC32C_INT_H

#include <stddef.h>
#include <stdint.h>

/* Returns the CRC32C of n bytes at data (the instruction's path when the CPU has it). */
uint32_t mh_crc32c(const void *data, size_t n);
/* Returns the register state crc after n more bytes at data, by tables. */
uint32_t mh_crc32c_sw(uint32_t crc, const void *data, size_t n);
/* Continues *crc over n bytes with the CPU's instruction: 1 when the CPU has it, else 0 and *crc
 * untouched. */
int mh_crc32c_hw(uint32_t *crc, const void *data, size_t n);
/* Returns a * b modulo the polynomial, both in the reflected form (x^0 is bit 31): a register
 * multiplied by x^(8k) is that register after k zero bytes, which joins CRCs of adjacent pieces. */
uint32_t mh_crc32c_mul(uint32_t a, uint32_t b);

#endif
