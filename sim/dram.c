/* dram.c — open-row DRAM banks: which row each bank holds open. */
#include <stdlib.h>

#include "dram_int.h"

struct mh_dram {
    uint64_t *open;     /* per bank: open row + 1; 0 = closed (precharged) */
    uint32_t banks;     /* number of banks */
    unsigned shift;     /* log2(row_size) */
};

/* Builds closed banks; rejects a row size that is not a power of two. */
int mh_dram_create(const mh_ram_cfg *c, mh_dram **out, mh_error *err)
{
    if (c->banks == 0 || c->row_size == 0) { *out = NULL; return MH_OK; }
    if (c->row_size & (c->row_size - 1))
        return mh_error_set(err, MH_ECONFIG, "[RAM] row_size = %llu, must be a power of two",
                            (unsigned long long)c->row_size);
    mh_dram *d = calloc(1, sizeof *d);
    if (d) d->open = calloc(c->banks, sizeof *d->open);
    if (!d || !d->open) {
        mh_dram_destroy(d);
        return mh_error_set(err, MH_ENOMEM, "[RAM]: out of memory for %u banks", c->banks);
    }
    d->banks = c->banks;
    while ((1ull << d->shift) < c->row_size) d->shift++;
    *out = d;
    return MH_OK;
}

/* Returns 1 when addr's row is open in its bank, else opens it and returns 0. */
int mh_dram_access(mh_dram *d, uint64_t addr)
{
    uint64_t rowid = addr >> d->shift;
    uint32_t bank = (uint32_t)(rowid % d->banks);
    uint64_t key = rowid / d->banks + 1;
    if (d->open[bank] == key) return 1;
    d->open[bank] = key;
    return 0;
}

/* Frees d. */
void mh_dram_destroy(mh_dram *d)
{
    if (!d) return;
    free(d->open);
    free(d);
}
