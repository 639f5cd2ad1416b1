/* bigmem.c — large arrays on huge pages where the system allows (see bigmem_int.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bigmem_int.h"

/* See bigmem_int.h. The advice may fail (no transparent huge pages): small pages then. */
void *mh_big_alloc(size_t n, int zero)
{
    if (n < MH_BIG_HUGE)
        return zero ? calloc(1, n ? n : 1) : malloc(n ? n : 1);
    size_t r = (n + MH_BIG_HUGE - 1) & ~(MH_BIG_HUGE - 1);
    void *p = aligned_alloc(MH_BIG_HUGE, r);
    if (!p)
        return NULL;
    madvise(p, r, MADV_HUGEPAGE);
    if (zero)
        memset(p, 0, r);
    return p;
}
