/* bigmem.c — large arrays on huge pages where the system allows (see bigmem_int.h). */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "bigmem_int.h"

/* n rounded up to whole huge pages. */
static size_t huge_round(size_t n)
{
    return (n + MH_BIG_HUGE - 1) & ~(MH_BIG_HUGE - 1);
}

/* See bigmem_int.h. A mapping one huge page longer than needed is trimmed to an aligned one; the
 * advice may fail (no transparent huge pages): small pages then. */
void *mh_big_alloc(size_t n, int zero)
{
    if (n < MH_BIG_HUGE)
        return zero ? calloc(1, n ? n : 1) : malloc(n ? n : 1);
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
