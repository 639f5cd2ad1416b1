/* bigmem.c — large arrays on huge pages where the system allows (see bigmem_int.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bigmem_int.h"

/* n rounded up to whole huge pages. */
static size_t huge_round(size_t n)
{
    return (n + MH_BIG_HUGE - 1) & ~(MH_BIG_HUGE - 1);
}

/* A small array on whole host cache-line pairs (MH_BIG_LINE): a set of up to 16 slots then lies
 * in one line pair, and threads replaying different sets (sim --split) never share a line. */
static void *small_alloc(size_t n, int zero)
{
    size_t r = (n + MH_BIG_LINE - 1) & ~(MH_BIG_LINE - 1);
    void *p = r >= n ? aligned_alloc(MH_BIG_LINE, r ? r : MH_BIG_LINE) : NULL;
    if (p && zero)
        memset(p, 0, r);
    return p;
}

/* See bigmem_int.h. A mapping one huge page longer than needed is trimmed to an aligned one; the
 * advice may fail (no transparent huge pages): small pages then. */
void *mh_big_alloc(size_t n, int zero)
{
    if (n < MH_BIG_HUGE)
        return small_alloc(n, zero);
    size_t r = huge_round(n);
    if (r < n || r + MH_BIG_HUGE < r)
        return NULL; /* size overflow */
    char *base = mmap(NULL, r + MH_BIG_HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
        return NULL;
    char *p = (char *)huge_round((size_t)(uintptr_t)base);
    if (p > base)
        munmap(base, (size_t)(p - base));
    if (base + r + MH_BIG_HUGE > p + r)
        munmap(p + r, (size_t)(base + r + MH_BIG_HUGE - (p + r)));
    madvise(p, r, MADV_HUGEPAGE);
    return p;
}

/* See bigmem_int.h. */
void mh_big_free(void *p, size_t n)
{
    if (!p)
        return;
    if (n < MH_BIG_HUGE)
        free(p);
    else
        munmap(p, huge_round(n));
}
