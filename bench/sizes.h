/* sizes.h — working-set size lists: the --sizes parser and the log2 ladder. */
#ifndef BENCH_SIZES_H
#define BENCH_SIZES_H

#include <stddef.h>

#include "memhier.h"

#define BENCH_SIZES_MAX 4096            /* points one list may expand to */
#define BENCH_SIZE_MIN 64               /* one cache line */
#define BENCH_SIZE_LIMIT ((size_t)1 << 40) /* 1 TiB: larger is surely a typo */
#define BENCH_LADDER_STEPS 4            /* default points per doubling */

/* Parses a --sizes value: comma-separated items, each SIZE or LO:HI[:POINTS_PER_DOUBLING]
 * (a log2 ladder, default 4 points per doubling, ends included). SIZE is bytes with an
 * optional K/M/G/T suffix (binary; "KB", "KiB" also accepted). On success *out (malloc'ed,
 * caller frees) holds *n >= 1 sizes in input order, ladder duplicates removed. Errors
 * (MH_EINVAL) quote the text and name the item: zero, below one line, garbage, overflow. */
int bench_parse_sizes(const char *text, size_t **out, size_t *n, mh_error *err);

/* Fills out (capacity cap) with the ladder lo..hi, steps points per doubling, each rounded
 * down to a multiple of 64, duplicates dropped; returns the number of points (<= cap). */
size_t bench_size_ladder(size_t lo, size_t hi, unsigned steps, size_t *out, size_t cap);

#endif
