/* dram_int.h — the open-row DRAM model (sim/dram.c): each bank keeps its last row open; an access
 * to the open row is a row hit (row_hit_ns), any other a row miss (latency_ns). */
#ifndef MH_DRAM_INT_H
#define MH_DRAM_INT_H

#include "config_int.h"

typedef struct mh_dram mh_dram;

/* Builds the bank state for c; *out = NULL (no row model: every access costs latency_ns) when
 * banks or row_size is 0. */
int mh_dram_create(const mh_ram_cfg *c, mh_dram **out, mh_error *err);
/* Accesses addr: row = addr / row_size, bank = row mod banks; returns 1 on an open-row hit, else 0
 * (and opens the row). */
int mh_dram_access(mh_dram *d, uint64_t addr);
/* Frees d; NULL is a no-op. */
void mh_dram_destroy(mh_dram *d);

#endif
