/* support_core.h — helpers for the hierarchy tests (test_policy, test_hier, test_dinero, ...):
 * configs built directly in C (no parser) and records from din-like text. */
#ifndef SUPPORT_CORE_H
#define SUPPORT_CORE_H

#include "config_int.h"
#include "memhier.h"

/* Zeroes c and names it; levels are added with support_core_level. */
void support_core_config(mh_config *c);
/* Appends a level (lru, write-back, allocate, nine, next = memory, seed 1); returns its index. */
int support_core_level(mh_config *c, const char *name, uint64_t size, uint32_t ways, uint32_t line);
/* Parses "label hexaddr" lines like DineroIV's din reader (size 4, address aligned down to 4). */
size_t support_core_din(const char *text, mh_rec *out, size_t cap);
/* Builds a hierarchy from c (3C on, timing off); fails the test on error. */
mh_hier *support_core_hier(const mh_config *c);
/* Replays din text through h. */
void support_core_run(mh_hier *h, const char *din);
/* Level i's statistics. */
mh_level_stats support_core_stats(const mh_hier *h, size_t i);
/* Sum of misses over the demand kinds read, write, ifetch, misc. */
uint64_t support_core_misses(const mh_level_stats *s);
/* Asserts that a and b hold the same statistics, level by level (accesses and misses per kind,
 * evictions, write-backs, bytes each way, back-invalidations), and the same memory traffic. */
void support_core_same(const mh_hier *a, const mh_hier *b);

/* Writes n records of a mixed trace drawn from seed into r: random reads and writes over 256 KiB,
 * a sequential stream, a hot stack, ifetch, records straddling lines and 2 KiB blocks, large
 * records, copyback and invalidate ranges. Returns n. */
size_t support_core_mixed(mh_rec *r, size_t n, uint64_t seed);

#endif
