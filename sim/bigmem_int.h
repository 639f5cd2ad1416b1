/* bigmem_int.h — memory for the simulator's large, randomly accessed arrays (slot arrays, the 3C
 * shadow, the one-pass sweep's hash): internal to the library. */
#ifndef MH_BIGMEM_INT_H
#define MH_BIGMEM_INT_H

#include <stddef.h>

#define MH_BIG_HUGE ((size_t)2 << 20) /* huge page size; arrays this big go onto huge pages */

/* Returns n bytes (zeroed when zero = 1) to be released with free(), or NULL when out of memory.
 * An array of MH_BIG_HUGE bytes or more is MH_BIG_HUGE-aligned and advised onto huge pages:
 * random accesses to a 4 MiB array in 4 KiB pages miss the host's TLB (a nested walk in a VM). */
void *mh_big_alloc(size_t n, int zero);

#endif
