/* bigmem_int.h — memory for the simulator's large, randomly accessed arrays (slot arrays, the 3C
 * shadow, the one-pass sweep's hash and set stacks): internal to the library. */
#ifndef MH_BIGMEM_INT_H
#define MH_BIGMEM_INT_H

#include <stddef.h>

#define MH_BIG_HUGE ((size_t)2 << 20) /* huge page size; arrays this big go onto huge pages */
#define MH_BIG_LINE ((size_t)128)     /* alignment of smaller arrays: a host cache-line pair */

/* Returns n bytes (zeroed when zero = 1; an array of MH_BIG_HUGE bytes or more always is),
 * aligned to MH_BIG_LINE at least, or NULL when out of memory. Release with mh_big_free(p, n),
 * the same n. An array of MH_BIG_HUGE bytes or more is a mapping of its own, MH_BIG_HUGE-aligned
 * and advised onto huge pages: random accesses to a 4 MiB array in 4 KiB pages miss the host's
 * TLB (a nested walk in a VM). Being its own mapping, it goes back to the system when freed:
 * malloc never hands its huge-page range to the program (the benchmark kernels count their page
 * faults in 4 KiB pages). */
void *mh_big_alloc(size_t n, int zero);
/* Releases p (NULL is a no-op), allocated by mh_big_alloc with the same n. */
void mh_big_free(void *p, size_t n);

#endif
