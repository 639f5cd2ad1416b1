/* cg_prog.c — a small, deterministic memory workload for the Cachegrind equivalence test
 * (tests/integration/cachegrind.sh): array walks with several strides over 384 KiB, a pointer
 * chase through a random cyclic permutation (Sattolo) and a read-modify-write pass.
 * Aligned 8-byte elements only, so no access straddles a cache line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define ELEMS (48 * 1024) /* 384 KiB of uint64_t: above a 256 KiB LL */

static uint64_t rng = 88172645463325252ull;

/* xorshift64: deterministic across runs. */
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

int main(void)
{
    uint64_t *a = malloc(ELEMS * sizeof *a);
    uint32_t *perm = malloc(ELEMS * sizeof *perm);
    if (!a || !perm)
        return 1;
    for (uint32_t i = 0; i < ELEMS; i++) {
        a[i] = i;
        perm[i] = i;
    }
    for (uint32_t i = ELEMS - 1; i > 0; i--) { /* Sattolo: one cycle through every element */
        uint32_t j = (uint32_t)(next_rand() % i), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    uint64_t sum = 0;
    static const unsigned strides[] = {1, 2, 8, 16, 64};
    for (unsigned s = 0; s < sizeof strides / sizeof strides[0]; s++)
        for (int rep = 0; rep < 2; rep++)
            for (uint32_t i = 0; i < ELEMS; i += strides[s])
                sum += a[i];
    uint32_t p = 0;
    for (uint32_t i = 0; i < ELEMS; i++) { /* dependent random walk */
        p = perm[p];
        sum += a[p];
    }
    for (uint32_t i = 0; i < ELEMS; i += 3) /* read-modify-write */
        a[i] = a[i] * 3 + 1;
    for (uint32_t i = 0; i < 20000; i++) /* random writes */
        a[next_rand() % ELEMS] = i;
    for (uint32_t i = 0; i < ELEMS; i += 8)
        sum += a[i];
    printf("%llu\n", (unsigned long long)sum);
    free(perm);
    free(a);
    return 0;
}
