/* setscan.h — finding a line in one set of an ordered ("lean") level: the early-exit scan for
 * hits near the front, and the full scan for lookups that usually miss. The one place where the
 * host's vector unit is chosen: AVX2 where the build targets it (the Makefile's SIM_ARCH), else
 * SSE2 (baseline on x86-64); elsewhere the scalar loop runs. */
#ifndef MH_SETSCAN_H
#define MH_SETSCAN_H

#include <stdint.h>
#if defined(__AVX2__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "level_int.h"

/* lean_find for a given number of ways; always inlined so a constant `ways` unrolls it. */
static inline __attribute__((always_inline)) uint32_t lean_find_n(const uint64_t *s, uint32_t ways,
                                                                   uint64_t want)
{
#pragma GCC unroll 16
    for (uint32_t w = 0; w < ways; w++)
        if ((s[w] & ~(uint64_t)MH_SL_FLAGS) == want)
            return w;
    return ways;
}

/* Returns the way of slot value `want` (flags ignored) in the ordered set s, or ways. Early exit:
 * ordered sets put recently used lines first, so most hits stop at way 0 or 1 (the entry
 * level's hit path). */
static inline uint32_t lean_find(const uint64_t *s, uint32_t ways, uint64_t want)
{
    switch (ways) {
    case 8:
        return lean_find_n(s, 8, want);
    case 16:
        return lean_find_n(s, 16, want);
    default:
        return lean_find_n(s, ways, want);
    }
}

#if defined(__AVX2__)
/* Four ways of s compared with `want` at once (AVX2, x86-64-v3); returns a mask with bit j set
 * when way j matches. */
static inline uint32_t match4_avx2(const uint64_t *s, __m256i mask, __m256i want)
{
    __m256i c = _mm256_cmpeq_epi64(_mm256_and_si256(_mm256_loadu_si256((const __m256i *)s), mask), want);
    return (uint32_t)_mm256_movemask_pd(_mm256_castsi256_pd(c));
}
#elif defined(__SSE2__)
/* Eight ways of s compared with `want` at once (SSE2, baseline on x86-64); returns a mask with
 * bit 2j set when way j matches. */
static inline uint32_t match8_sse2(const uint64_t *s, __m128i mask, __m128i want)
{
    const __m128i *p = (const __m128i *)s;
    __m128i c0 = _mm_cmpeq_epi32(_mm_and_si128(_mm_loadu_si128(p), mask), want);
    __m128i c1 = _mm_cmpeq_epi32(_mm_and_si128(_mm_loadu_si128(p + 1), mask), want);
    __m128i c2 = _mm_cmpeq_epi32(_mm_and_si128(_mm_loadu_si128(p + 2), mask), want);
    __m128i c3 = _mm_cmpeq_epi32(_mm_and_si128(_mm_loadu_si128(p + 3), mask), want);
    /* a way matches when both 32-bit halves do: two mask bits per way after packing */
    uint32_t m = (uint32_t)_mm_movemask_epi8(_mm_packs_epi16(_mm_packs_epi32(c0, c1), _mm_packs_epi32(c2, c3)));
    return m & (m >> 1) & 0x5555u;
}
#endif

/* lean_find for lookups that usually miss or hit anywhere (lower levels, back-invalidation,
 * victims moving down): no early exit; four ways per step where AVX2 is available (ways a
 * multiple of 4), else eight where SSE2 is (a multiple of 8). */
static inline uint32_t lean_scan(const uint64_t *s, uint32_t ways, uint64_t want)
{
#if defined(__AVX2__)
    if ((ways & 3) == 0 && ways <= 16) {
        const __m256i mask = _mm256_set1_epi64x((long long)~(uint64_t)MH_SL_FLAGS);
        const __m256i w = _mm256_set1_epi64x((long long)want);
        uint32_t m = 0;
#pragma GCC unroll 4
        for (uint32_t k = 0; k < ways; k += 4)
            m |= match4_avx2(s + k, mask, w) << k;
        return m ? (uint32_t)__builtin_ctz(m) : ways;
    }
#elif defined(__SSE2__)
    if ((ways & 7) == 0 && ways <= 16) {
        const __m128i mask = _mm_set1_epi64x((long long)~(uint64_t)MH_SL_FLAGS);
        const __m128i w = _mm_set1_epi64x((long long)want);
        uint32_t m = match8_sse2(s, mask, w);
        if (ways == 16)
            m |= match8_sse2(s + 8, mask, w) << 16;
        return m ? (uint32_t)__builtin_ctz(m) / 2 : ways;
    }
#endif
    return lean_find(s, ways, want);
}

/* mh_set_drop for a constant number of ways: way w (< ways) leaves, later ways move forward, the
 * last becomes invalid. Where AVX2 is available and ways is 8 or 16, without a branch on w: every
 * slot is read, then each vector of four takes the slot or its successor by comparing its ways
 * with w (a hit anywhere in a victim cache's set drops there: w is unpredictable). */
static inline __attribute__((always_inline)) void mh_set_drop_k(uint64_t *s, const uint32_t ways, uint32_t w)
{
#if defined(__AVX2__)
    if (ways == 8 || ways == 16) {
        __m256i cur[4], next[4];
        const __m256i wm1 = _mm256_set1_epi64x((long long)w - 1);
#pragma GCC unroll 4
        for (uint32_t k = 0; k < ways / 4; k++)
            cur[k] = _mm256_loadu_si256((const __m256i *)(s + 4 * k));
#pragma GCC unroll 4
        for (uint32_t k = 0; k + 1 < ways / 4; k++)
            next[k] = _mm256_loadu_si256((const __m256i *)(s + 4 * k + 1));
        /* the last four: ways 1..3 of the last vector, then an invalid slot */
        next[ways / 4 - 1] = _mm256_blend_epi32(_mm256_permute4x64_epi64(cur[ways / 4 - 1], 0xF9),
                                                _mm256_setzero_si256(), 0xC0);
#pragma GCC unroll 4
        for (uint32_t k = 0; k < ways / 4; k++) {
            __m256i idx = _mm256_setr_epi64x(4 * k, 4 * k + 1, 4 * k + 2, 4 * k + 3);
            __m256i take = _mm256_cmpgt_epi64(idx, wm1); /* way >= w: its successor moves in */
            _mm256_storeu_si256((__m256i *)(s + 4 * k), _mm256_blendv_epi8(cur[k], next[k], take));
        }
        return;
    }
#endif
    mh_set_drop(s, ways, w);
}

/* mh_set_push_k with AVX2 for 8 and 16 ways: the vectors of the pushed set are those read one
 * slot lower (unaligned loads), the first one shifted in registers, v in front; returns the slot
 * pushed out of the last way (0 = none). About half the instructions of the compiler's
 * element-wise shuffle. */
static inline __attribute__((always_inline)) uint64_t lean_push_k(uint64_t *s, const uint32_t ways, uint64_t v)
{
#if defined(__AVX2__)
    if (ways == 8 || ways == 16) {
        __m256i next[4];
        const uint64_t out = s[ways - 1];
        const __m256i first = _mm256_loadu_si256((const __m256i *)s);
        next[0] = _mm256_blend_epi32(_mm256_permute4x64_epi64(first, 0x90), _mm256_set1_epi64x((long long)v), 0x03);
#pragma GCC unroll 4
        for (uint32_t k = 1; k < ways / 4; k++)
            next[k] = _mm256_loadu_si256((const __m256i *)(s + 4 * k - 1));
#pragma GCC unroll 4
        for (uint32_t k = 0; k < ways / 4; k++)
            _mm256_storeu_si256((__m256i *)(s + 4 * k), next[k]);
        return out;
    }
#endif
    return mh_set_push_k(s, ways, v);
}

/* mh_set_push with the usual associativities dispatched to lean_push_k. */
static inline uint64_t lean_push(uint64_t *s, uint32_t ways, uint64_t v)
{
    if (ways == 8 || ways == 16)
        return ways == 8 ? lean_push_k(s, 8, v) : lean_push_k(s, 16, v);
    return mh_set_push(s, ways, v);
}

/* mh_set_drop with the usual victim-cache associativities dispatched to mh_set_drop_k. */
static inline void lean_drop_way(uint64_t *s, uint32_t ways, uint32_t w)
{
    if (ways == 8)
        mh_set_drop_k(s, 8, w);
    else if (ways == 16)
        mh_set_drop_k(s, 16, w);
    else
        mh_set_drop(s, ways, w);
}

#endif
