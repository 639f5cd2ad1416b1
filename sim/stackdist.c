/* stackdist.c — one-pass miss-ratio curves for LRU caches (Mattson stack distances).
 *
 * The requested geometries are grouped by set count. Each group keeps one LRU stack per set,
 * as deep as the group's largest associativity, so one pass gives the misses of every
 * associativity of that set count; groups of different set counts share the decode and the
 * line split. Shallow stacks are small arrays (move to front); a deep fully associative stack
 * uses the Fenwick tree of stackdist_fa.c. Groups run from the fewest sets up: with
 * power-of-two set counts a line on top of its set's stack is on top in every finer mapping
 * too (no line of the finer set was touched since), so the remaining groups are skipped.
 * A group's stack is as deep as its largest ways, rounded up to 8 (4..8 ways), 16 (9..16) or 32
 * (17..32): a deeper LRU stack holds every shallower one in its top positions, so the counts are
 * the same. When every group is 8, 16 or 32 deep the curve starts narrow: its stacks hold 32-bit
 * lines, a region index (the line's bits above the low 24, numbered as first seen) over the low
 * 24 bits, so a set is one, two or four 32-byte vectors and the stacks take half the memory; a
 * 256th region or an invalidation converts them to 64-bit lines for good (mrc_widen). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__AVX2__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "bigmem_int.h"
#include "config_int.h"
#include "stackdist_int.h"

/* All geometries of one set count. */
typedef struct sd_group {
    uint32_t sets;       /* power of two */
    uint32_t depth;      /* stack depth = largest requested ways */
    uint64_t set_mask;   /* sets - 1 */
    uint64_t *stack;     /* sets * depth line numbers, newest first (array mode) */
    uint32_t *stack32;   /* the same in narrow form while the curve is narrow, else NULL */
    mh_sd_fa *fa;        /* deep fully associative stack (sets == 1), else NULL */
    uint32_t nw;         /* requested associativities */
    uint32_t *ways;      /* sorted ascending, unique */
    uint16_t *bucket;    /* bucket[d] = number of requested ways <= d, for d = 0..depth */
    uint64_t *cnt;       /* (nw + 1) * MH_KINDS: accesses per bucket and kind */
    int holes;           /* an invalidation left holes mid-stack: take the general path */
} sd_group;

struct mh_mrc {
    uint32_t line;             /* line size, bytes */
    int shift;                 /* log2(line) */
    unsigned op_mask;          /* 1 << op for the ops that reach the level */
    size_t ng;
    size_t g_far;              /* first group whose stacks outgrow the host L2 cache (prefetched) */
    sd_group *g;               /* ascending set counts */
    uint64_t last;             /* last line referenced (on top of every stack) */
    int last_ok;               /* last is valid */
    int all8;                  /* every group an 8-deep array stack without holes: mrc_record8 */
    uint64_t acc[MH_KINDS];    /* line accesses per kind */
    char level[MH_NAME_MAX];   /* level name when built from configs, else "" */
    int level_index;           /* its index in those configs, else -1 */
    uint32_t *depth;           /* 2 * ng scratch depths: per line, and deepest per record */
    int narrow;                /* 8-, 16- or 32-deep stacks kept in stack32 (narrow lines, see the top) */
    uint32_t nv_all;           /* narrow: 8-position vectors of every group's stack when all are
                                  equally deep (1, 2 or 4), else 0 */
    uint32_t nregion;          /* regions numbered so far */
    uint32_t last_ri;          /* index of the region last looked up */
    uint64_t last_hi;          /* its bits above the low MRC_LOW_BITS (UINT64_MAX: none yet) */
    uint64_t region[255];      /* high bits of each region index (255 << 24 would reach MRC_HOLE32) */
};

#define MRC_LOW_BITS 24                          /* a line's bits kept as they are in narrow form */
#define MRC_LOW_MASK ((1u << MRC_LOW_BITS) - 1u)
#define MRC_HOLE32 UINT32_MAX                    /* empty narrow position (region index 255) */

/* References line in a per-set array stack s of W positions; returns its previous depth
 * (W = miss). Lines above the topmost hole (or above the line) shift down by one. */
static inline uint32_t sd_set_access(uint64_t *s, uint32_t W, uint64_t line)
{
    uint32_t d = W, h = W;
    for (uint32_t i = 0; i < W; i++) {
        uint64_t v = s[i];
        if (v == line) {
            d = i;
            break;
        }
        if (v == MH_SD_HOLE && h == W)
            h = i;
    }
    uint32_t stop = h < d ? h : d;
    if (stop == W)
        stop = W - 1; /* miss into a full set: the LRU line falls off */
    if (d < W && h < d)
        s[d] = MH_SD_HOLE; /* a hole above absorbed the shift; the old position frees up */
    for (uint32_t i = stop; i > 0; i--) /* short: cheaper inline than a memmove call */
        s[i] = s[i - 1];
    s[0] = line;
    return d;
}

/* Position of line in array stack s of W positions (W = absent). */
static inline uint32_t sd_find(const uint64_t *s, uint32_t W, uint64_t line)
{
    for (uint32_t i = 0; i < W; i++)
        if (s[i] == line)
            return i;
    return W;
}

#if defined(__AVX2__)
/* sd_set_access_fast for an 8-deep stack with AVX2 (the build's SIM_ARCH): line's position d
 * (8 = absent) from two compares, then position i takes its upper neighbour (line at 0) when
 * i <= d, else keeps its own. One path for hits at any depth and misses, no data branch, and the
 * shifted vectors come from registers: a load across the last stores to this stack (a coarse
 * group's few sets are hit again at once) would wait for them. */
static inline uint32_t sd_access8(uint64_t *s, uint64_t line)
{
    const __m256i w = _mm256_set1_epi64x((long long)line);
    const __m256i c0 = _mm256_loadu_si256((const __m256i *)s), c1 = _mm256_loadu_si256((const __m256i *)(s + 4));
    uint32_t m = (uint32_t)_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(c0, w))) |
                 (uint32_t)_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(c1, w))) << 4;
    uint32_t d = m ? (uint32_t)__builtin_ctz(m) : 8;
    __m256i up0 = _mm256_blend_epi32(_mm256_permute4x64_epi64(c0, 0x90), w, 0x03); /* line, s0, s1, s2 */
    __m256i up1 = _mm256_alignr_epi8(c1, _mm256_permute2x128_si256(c0, c1, 0x21), 8); /* s3 .. s6 */
    const __m256i d1 = _mm256_set1_epi64x((long long)d + 1);
    __m256i t0 = _mm256_cmpgt_epi64(d1, _mm256_setr_epi64x(0, 1, 2, 3));
    __m256i t1 = _mm256_cmpgt_epi64(d1, _mm256_setr_epi64x(4, 5, 6, 7));
    _mm256_storeu_si256((__m256i *)s, _mm256_blendv_epi8(c0, up0, t0));
    _mm256_storeu_si256((__m256i *)(s + 4), _mm256_blendv_epi8(c1, up1, t1));
    return d;
}
#elif defined(__SSE2__)
/* Position of line in an 8-deep stack (8 = absent): all eight compared at once, no early exit,
 * so a miss (the common case in the coarse groups) costs no mispredicted loop. */
static inline uint32_t sd_find8(const uint64_t *s, uint64_t line)
{
    const __m128i w = _mm_set1_epi64x((long long)line);
    const __m128i *p = (const __m128i *)s;
    __m128i c0 = _mm_cmpeq_epi32(_mm_loadu_si128(p), w), c1 = _mm_cmpeq_epi32(_mm_loadu_si128(p + 1), w);
    __m128i c2 = _mm_cmpeq_epi32(_mm_loadu_si128(p + 2), w), c3 = _mm_cmpeq_epi32(_mm_loadu_si128(p + 3), w);
    uint32_t m = (uint32_t)_mm_movemask_epi8(_mm_packs_epi16(_mm_packs_epi32(c0, c1), _mm_packs_epi32(c2, c3)));
    m &= (m >> 1) & 0x5555u; /* both 32-bit halves of a slot match */
    return m ? (uint32_t)__builtin_ctz(m) / 2 : 8;
}
#endif

#if defined(__AVX2__)
/* sd_access8 on a narrow stack of nv vectors of 8 positions (nv = 1, 2 or 4, a constant where
 * inlined): c's position d (8 nv = absent) from nv compares; then position i takes its upper
 * neighbour (c at 0; a vector's first, the last of the vector before) when i <= d. */
static inline __attribute__((always_inline)) uint32_t sd_accessv(uint32_t *s, const uint32_t nv, uint32_t c)
{
    const __m256i w = _mm256_set1_epi32((int)c), idx = _mm256_setr_epi32(0, 0, 1, 2, 3, 4, 5, 6);
    __m256i v[4], carry = w;
    uint32_t m = 0;
    for (uint32_t j = 0; j < nv; j++) {
        v[j] = _mm256_loadu_si256((const __m256i *)(s + 8 * j));
        m |= (uint32_t)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(v[j], w))) << (8 * j);
    }
    uint32_t d = m ? (uint32_t)__builtin_ctz(m) : 8 * nv;
    const __m256i d1 = _mm256_set1_epi32((int)d + 1), lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (uint32_t j = 0; j < nv; j++) {
        __m256i up = _mm256_blend_epi32(_mm256_permutevar8x32_epi32(v[j], idx), carry, 0x01);
        carry = _mm256_permutevar8x32_epi32(v[j], _mm256_set1_epi32(7));
        __m256i t = _mm256_cmpgt_epi32(d1, _mm256_add_epi32(lane, _mm256_set1_epi32((int)(8 * j))));
        _mm256_storeu_si256((__m256i *)(s + 8 * j), _mm256_blendv_epi8(v[j], up, t));
    }
    return d;
}
#else
/* A W-deep narrow stack (portable build): find c, then shift the lines above it down. */
static inline uint32_t sd_accessv(uint32_t *s, const uint32_t nv, uint32_t c)
{
    const uint32_t W = 8 * nv;
    uint32_t d = W;
    for (uint32_t i = 0; i < W; i++)
        if (s[i] == c) {
            d = i;
            break;
        }
    for (uint32_t i = d < W ? d : W - 1; i > 0; i--)
        s[i] = s[i - 1];
    s[0] = c;
    return d;
}
#endif

/* c in group stack s of depth 8, 16 or 32 (narrow); returns its previous depth. */
static inline uint32_t sd_access_narrow(uint32_t *s, uint32_t depth, uint32_t c)
{
    return depth == 8 ? sd_accessv(s, 1, c) : depth == 16 ? sd_accessv(s, 2, c) : sd_accessv(s, 4, c);
}

/* sd_set_access for a stack whose holes, if any, are all below its lines (a cold set's
 * unfilled ways: no invalidation yet). A miss then drops the bottom position, which is the
 * topmost hole when there is one, so the result equals the general path's without looking
 * for holes. */
static inline uint32_t sd_set_access_fast(uint64_t *s, uint32_t W, uint64_t line)
{
#if defined(__AVX2__)
    if (W == 8)
        return sd_access8(s, line);
#elif defined(__SSE2__)
    if (W == 8) { /* position i takes its upper neighbour (line at 0) when i <= d, else keeps its
                     own: one path for hits at any depth and misses (d = 8), no data branches */
        uint32_t d = sd_find8(s, line);
        if (d == 8) { /* miss: every line moves down one, the last falls off; four vector moves */
            __m128i a = _mm_loadu_si128((const __m128i *)s), b = _mm_loadu_si128((const __m128i *)(s + 2));
            __m128i c = _mm_loadu_si128((const __m128i *)(s + 4));
            uint64_t x = s[6];
            _mm_storeu_si128((__m128i *)(s + 1), a);
            _mm_storeu_si128((__m128i *)(s + 3), b);
            _mm_storeu_si128((__m128i *)(s + 5), c);
            s[7] = x;
            s[0] = line;
            return 8;
        }
        const __m128i dd = _mm_set1_epi32((int)d);
        __m128i o0 = _mm_loadu_si128((const __m128i *)s), o1 = _mm_loadu_si128((const __m128i *)(s + 2));
        __m128i o2 = _mm_loadu_si128((const __m128i *)(s + 4)), o3 = _mm_loadu_si128((const __m128i *)(s + 6));
        __m128i u0 = _mm_unpacklo_epi64(_mm_cvtsi64_si128((long long)line), o0);
        __m128i u1 = _mm_loadu_si128((const __m128i *)(s + 1)), u2 = _mm_loadu_si128((const __m128i *)(s + 3));
        __m128i u3 = _mm_loadu_si128((const __m128i *)(s + 5));
        /* lane masks: slot i moves when i <= d, i.e. i < d + 1 (both 32-bit halves of a slot) */
        const __m128i d1 = _mm_add_epi32(dd, _mm_set1_epi32(1));
        __m128i m0 = _mm_cmpgt_epi32(d1, _mm_set_epi32(1, 1, 0, 0)), m1 = _mm_cmpgt_epi32(d1, _mm_set_epi32(3, 3, 2, 2));
        __m128i m2 = _mm_cmpgt_epi32(d1, _mm_set_epi32(5, 5, 4, 4)), m3 = _mm_cmpgt_epi32(d1, _mm_set_epi32(7, 7, 6, 6));
        _mm_storeu_si128((__m128i *)s, _mm_or_si128(_mm_and_si128(m0, u0), _mm_andnot_si128(m0, o0)));
        _mm_storeu_si128((__m128i *)(s + 2), _mm_or_si128(_mm_and_si128(m1, u1), _mm_andnot_si128(m1, o1)));
        _mm_storeu_si128((__m128i *)(s + 4), _mm_or_si128(_mm_and_si128(m2, u2), _mm_andnot_si128(m2, o2)));
        _mm_storeu_si128((__m128i *)(s + 6), _mm_or_si128(_mm_and_si128(m3, u3), _mm_andnot_si128(m3, o3)));
        return d;
    }
#endif
    uint32_t d = sd_find(s, W, line);
    uint32_t stop = d < W ? d : W - 1;
    for (uint32_t i = stop; i > 0; i--)
        s[i] = s[i - 1];
    s[0] = line;
    return d;
}

/* Turns line's position in array stack s into a hole, if present. */
static void sd_set_invalidate(uint64_t *s, uint32_t W, uint64_t line)
{
    for (uint32_t i = 0; i < W; i++)
        if (s[i] == line) {
            s[i] = MH_SD_HOLE;
            return;
        }
}

/* Looks up (or numbers) the region whose high bits are hi; 0 when all 255 indices are taken. */
static int mrc_region(mh_mrc *m, uint64_t hi)
{
    uint32_t i = 0;
    while (i < m->nregion && m->region[i] != hi)
        i++;
    if (i == m->nregion) {
        if (i == sizeof m->region / sizeof m->region[0])
            return 0;
        m->region[m->nregion++] = hi;
    }
    m->last_hi = hi;
    m->last_ri = i;
    return 1;
}

/* line's narrow form, or MRC_HOLE32 when it would need a 256th region (nothing changed). */
static inline uint32_t mrc_narrow(mh_mrc *m, uint64_t line)
{
    uint64_t hi = line >> MRC_LOW_BITS;
    if (hi != m->last_hi && !mrc_region(m, hi))
        return MRC_HOLE32;
    return m->last_ri << MRC_LOW_BITS | (uint32_t)(line & MRC_LOW_MASK);
}

/* Stacks this small stay in the host's L2 cache: not prefetched (their loads overlap each other;
 * a prefetch per such group and record cost more than it saved). */
#define MRC_NEAR_BYTES (256u << 10)

/* First group whose stacks (elem bytes a position) outgrow the host's L2 cache. */
static size_t mrc_far(const mh_mrc *m, size_t elem)
{
    size_t k = 0;
    while (k < m->ng && (uint64_t)m->g[k].sets * m->g[k].depth * elem <= MRC_NEAR_BYTES)
        k++;
    return k;
}

/* Leaves narrow mode for good: every narrow stack is written out as line numbers into the
 * 64-bit stack allocated for it at creation. No-op when not narrow. */
static void mrc_widen(mh_mrc *m)
{
    if (!m->narrow)
        return;
    for (size_t k = 0; k < m->ng; k++) {
        sd_group *g = &m->g[k];
        size_t slots = (size_t)g->sets * g->depth;
        for (size_t i = 0; i < slots; i++) {
            uint32_t c = g->stack32[i];
            g->stack[i] = c == MRC_HOLE32 ? MH_SD_HOLE : m->region[c >> MRC_LOW_BITS] << MRC_LOW_BITS | (c & MRC_LOW_MASK);
        }
        mh_big_free(g->stack32, slots * sizeof *g->stack32);
        g->stack32 = NULL;
    }
    m->narrow = 0;
    m->g_far = mrc_far(m, sizeof(uint64_t));
}

/* mrc_line on narrow stacks: c is line's narrow form (its set index bits are line's). */
static inline size_t mrc_line_narrow(mh_mrc *m, uint64_t line, uint32_t c, uint32_t *d)
{
    m->last = line;
    m->last_ok = 1;
    for (size_t k = 0; k < m->ng; k++) {
        sd_group *g = &m->g[k];
        d[k] = sd_access_narrow(g->stack32 + (c & g->set_mask) * g->depth, g->depth, c);
        if (d[k] == 0)
            return k;
    }
    return m->ng;
}

/* References line in every group; returns the number of groups visited (the others have it
 * on top, depth 0) and stores each visited group's depth in d[]. */
static inline size_t mrc_line(mh_mrc *m, uint64_t line, uint32_t *d)
{
    if (m->last_ok && line == m->last)
        return 0; /* depth 0 everywhere: nothing moves */
    if (m->narrow) {
        uint32_t c = mrc_narrow(m, line);
        if (c != MRC_HOLE32)
            return mrc_line_narrow(m, line, c, d);
        mrc_widen(m);
    }
    m->last = line;
    m->last_ok = 1;
    for (size_t k = 0; k < m->ng; k++) {
        sd_group *g = &m->g[k];
        if (g->fa)
            d[k] = mh_sd_fa_access(g->fa, line);
        else if (g->holes)
            d[k] = sd_set_access(g->stack + (line & g->set_mask) * g->depth, g->depth, line);
        else
            d[k] = sd_set_access_fast(g->stack + (line & g->set_mask) * g->depth, g->depth, line);
        if (d[k] == 0)
            return k; /* on top here, so on top (and unchanged) in every finer set mapping */
    }
    return m->ng;
}

/* mrc_record for a one-line access when m->all8: each visited group counts its depth at once
 * (the same counts; the 8-deep search and shifts inline with a constant depth). */
static inline void mrc_record8(mh_mrc *m, uint64_t line, int kind)
{
    m->acc[kind]++;
    if (m->last_ok && line == m->last)
        return; /* depth 0 everywhere: nothing moves */
    m->last = line;
    m->last_ok = 1;
    for (size_t k = 0; k < m->ng; k++) {
        sd_group *g = &m->g[k];
        uint32_t d = sd_set_access_fast(g->stack + (line & g->set_mask) * 8, 8, line);
        if (d == 0)
            return; /* on top here, so on top in every finer set mapping: hits, not counted */
        g->cnt[(size_t)g->bucket[d] * MH_KINDS + (size_t)kind]++;
    }
}

/* One access of kind covering lines first..last: like the hierarchy (and DineroIV) it is one
 * access, a miss in a cache when any of its lines misses there, i.e. by its deepest line. */
static void mrc_record(mh_mrc *m, uint64_t first, uint64_t last, int kind)
{
    uint32_t *d = m->depth, *dmax = m->depth + m->ng;
    size_t seen = mrc_line(m, first, d);
    m->acc[kind]++;
    if (first != last) {
        memcpy(dmax, d, seen * sizeof *d);
        for (size_t k = seen; k < m->ng; k++)
            dmax[k] = 0;
        for (uint64_t l = first + 1; l <= last; l++) {
            size_t s = mrc_line(m, l, d);
            for (size_t k = 0; k < s; k++)
                dmax[k] = d[k] > dmax[k] ? d[k] : dmax[k];
            seen = s > seen ? s : seen;
        }
        d = dmax;
    }
    for (size_t k = 0; k < seen; k++) {
        sd_group *g = &m->g[k];
        g->cnt[(size_t)g->bucket[d[k]] * MH_KINDS + (size_t)kind]++;
    }
}

/* Records an access on 64-bit stacks: the fused 8-deep path for a one-line access when it applies. */
static inline void mrc_record_wide(mh_mrc *m, uint64_t first, uint64_t last, int kind)
{
    if (m->all8 && first == last)
        mrc_record8(m, first, kind);
    else
        mrc_record(m, first, last, kind);
}

/* mrc_record8 on narrow stacks (m->narrow, 8, 16 or 32 deep; nv = m->nv_all, a constant where
 * inlined, so that loop keeps the depth out of registers, or 0 for groups of several depths);
 * widens first when line needs a 256th region. */
static inline __attribute__((always_inline)) void mrc_record_narrow(mh_mrc *m, uint64_t line, int kind,
                                                                    const uint32_t nv)
{
    if (m->last_ok && line == m->last) {
        m->acc[kind]++;
        return;
    }
    uint32_t c = mrc_narrow(m, line);
    if (c == MRC_HOLE32) {
        mrc_widen(m);
        mrc_record_wide(m, line, line, kind);
        return;
    }
    m->acc[kind]++;
    m->last = line;
    m->last_ok = 1;
    for (size_t k = 0; k < m->ng; k++) {
        sd_group *g = &m->g[k];
        uint32_t d = nv ? sd_accessv(g->stack32 + (c & g->set_mask) * 8 * nv, nv, c)
                        : sd_access_narrow(g->stack32 + (c & g->set_mask) * g->depth, g->depth, c);
        if (d == 0)
            return;
        g->cnt[(size_t)g->bucket[d] * MH_KINDS + (size_t)kind]++;
    }
}

#define MRC_AHEAD 8 /* records between a set's prefetch and its use */

/* Starts loading line's set in every group too big to stay in the host's L2 cache (a deep fully
 * associative stack: its hash slot). */
static inline void mrc_prefetch(const mh_mrc *m, uint64_t line)
{
    for (size_t k = m->g_far; k < m->ng; k++) {
        const sd_group *g = &m->g[k];
        if (g->stack32)
            __builtin_prefetch(g->stack32 + (line & g->set_mask) * g->depth, 1, 3);
        else if (g->stack)
            __builtin_prefetch(g->stack + (line & g->set_mask) * g->depth, 1, 3);
        else
            mh_sd_fa_prefetch(g->fa, line);
    }
}

/* Drops line from every stack (DineroIV's invalidate record). */
static void mrc_invalidate(mh_mrc *m, uint64_t line)
{
    mrc_widen(m);
    m->last_ok = 0;
    for (size_t k = 0; k < m->ng; k++) {
        sd_group *g = &m->g[k];
        if (g->fa) {
            mh_sd_fa_invalidate(g->fa, line);
        } else {
            g->holes = 1;
            m->all8 = 0;
            sd_set_invalidate(g->stack + (line & g->set_mask) * g->depth, g->depth, line);
        }
    }
}

/* Feeds n records: each access touches every line it covers; ops outside the level's mask
 * are ignored, copy-back changes no LRU state, invalidate drops the lines. */
void mh_mrc_access(mh_mrc *m, const mh_rec *recs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const mh_rec *r = &recs[i];
        if (i + MRC_AHEAD < n) { /* the groups' sets are independent cache misses: start them early */
            const mh_rec *a = &recs[i + MRC_AHEAD];
            uint64_t la = a->addr >> m->shift;
            if (a->op < 32 && (m->op_mask >> a->op & 1u) && la != a[-1].addr >> m->shift) /* else no load */
                mrc_prefetch(m, la);
        }
        uint64_t first = r->addr >> m->shift;
        uint64_t last = (r->addr + (r->size ? r->size - 1u : 0u)) >> m->shift;
        if (last < first)
            last = UINT64_MAX >> m->shift; /* ran past 2^64 - 1: cut there, like the hierarchy */
        if (r->op == MH_OP_INVALIDATE) {
            for (uint64_t l = first; l <= last; l++)
                mrc_invalidate(m, l);
            continue;
        }
        if (r->op >= MH_KINDS || !(m->op_mask & (1u << r->op)))
            continue;
        if (m->narrow && first == last) {
            if (m->nv_all == 1)
                mrc_record_narrow(m, first, r->op, 1);
            else if (m->nv_all == 2)
                mrc_record_narrow(m, first, r->op, 2);
            else if (m->nv_all == 4)
                mrc_record_narrow(m, first, r->op, 4);
            else
                mrc_record_narrow(m, first, r->op, 0);
        } else {
            mrc_record_wide(m, first, last, r->op);
        }
    }
}

/* qsort order: by sets, then ways. */
static int cmp_geom(const void *a, const void *b)
{
    const mh_mrc_geom *x = a, *y = b;
    if (x->sets != y->sets)
        return x->sets < y->sets ? -1 : 1;
    return x->ways < y->ways ? -1 : x->ways > y->ways;
}

/* Allocates group g for the sorted, unique ways w[0..nw). */
static int group_init(sd_group *g, uint32_t sets, const uint32_t *w, uint32_t nw)
{
    g->sets = sets;
    g->set_mask = sets - 1u;
    g->nw = nw;
    g->depth = w[nw - 1];
    if (g->depth >= 4 && g->depth <= 32) /* narrow (32-bit) positions: never more memory than before */
        g->depth = g->depth <= 8 ? 8 : g->depth <= 16 ? 16 : 32;
    g->ways = malloc(nw * sizeof *g->ways);
    g->bucket = malloc(((size_t)g->depth + 1) * sizeof *g->bucket);
    g->cnt = calloc(((size_t)nw + 1) * MH_KINDS, sizeof *g->cnt);
    if (!g->ways || !g->bucket || !g->cnt)
        return MH_ENOMEM;
    memcpy(g->ways, w, nw * sizeof *w);
    for (uint32_t d = 0, b = 0; d <= g->depth; d++) {
        while (b < nw && w[b] <= d)
            b++;
        g->bucket[d] = (uint16_t)b;
    }
    if (sets == 1 && g->depth > MH_SD_ARRAY_MAX)
        return (g->fa = mh_sd_fa_create(g->depth)) ? MH_OK : MH_ENOMEM;
    size_t slots = (size_t)sets * g->depth;
    if (slots / g->depth != sets || !(g->stack = mh_big_alloc(slots * sizeof *g->stack, 0)))
        return MH_ENOMEM;
    return MH_OK;
}

/* Empties every group's array stack: the narrow one when m->narrow (the 64-bit one stays
 * untouched, mapped but not resident, until mrc_widen fills it), else the 64-bit one. */
static int mrc_clear(mh_mrc *m)
{
    for (size_t k = 0; k < m->ng; k++) {
        sd_group *g = &m->g[k];
        size_t slots = (size_t)g->sets * g->depth;
        if (!g->stack)
            continue;
        if (!m->narrow) {
            for (size_t i = 0; i < slots; i++)
                g->stack[i] = MH_SD_HOLE;
        } else if ((g->stack32 = mh_big_alloc(slots * sizeof *g->stack32, 0))) {
            memset(g->stack32, 0xff, slots * sizeof *g->stack32); /* MRC_HOLE32 */
        } else {
            return MH_ENOMEM;
        }
    }
    return MH_OK;
}

/* Checks the arguments of mh_mrc_create. */
static int mrc_check(uint32_t line, const mh_mrc_geom *geoms, size_t n, mh_error *err)
{
    if (line == 0 || (line & (line - 1)))
        return mh_error_set(err, MH_EINVAL, "miss-ratio curve: line = %u, must be a power of two", line);
    if (!geoms || n == 0 || n > 65535)
        return mh_error_set(err, MH_EINVAL, "miss-ratio curve: %zu geometries, must be 1..65535", n);
    for (size_t i = 0; i < n; i++) {
        if (geoms[i].sets == 0 || (geoms[i].sets & (geoms[i].sets - 1)))
            return mh_error_set(err, MH_EINVAL, "miss-ratio curve: sets = %u, must be a power of two",
                                geoms[i].sets);
        if (geoms[i].ways == 0 || geoms[i].ways > (1u << 26))
            return mh_error_set(err, MH_EINVAL, "miss-ratio curve: ways = %u, must be 1..%u", geoms[i].ways,
                                1u << 26);
    }
    return MH_OK;
}

/* Creates a curve for caches of `line`-byte lines and the given (sets, ways) geometries;
 * op_mask (1 << mh_op) selects the record kinds the cache sees. */
int mh_mrc_create(uint32_t line, const mh_mrc_geom *geoms, size_t n, unsigned op_mask, mh_mrc **out,
                  mh_error *err)
{
    int rc = mrc_check(line, geoms, n, err);
    if (rc != MH_OK)
        return rc;
    mh_mrc *m = calloc(1, sizeof *m);
    mh_mrc_geom *s = malloc(n * sizeof *s);
    uint32_t *w = malloc(n * sizeof *w);
    if (!m || !s || !w) {
        free(m);
        free(s);
        free(w);
        return mh_error_set(err, MH_ENOMEM, "miss-ratio curve: out of memory");
    }
    memcpy(s, geoms, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_geom);
    m->line = line;
    m->shift = __builtin_ctz(line);
    m->op_mask = op_mask;
    m->level_index = -1;
    m->g = calloc(n, sizeof *m->g);
    m->depth = calloc(2 * n, sizeof *m->depth);
    rc = m->g && m->depth ? MH_OK : MH_ENOMEM;
    for (size_t i = 0; rc == MH_OK && i < n;) {
        uint32_t nw = 0;
        size_t j = i;
        for (; j < n && s[j].sets == s[i].sets; j++)
            if (nw == 0 || w[nw - 1] != s[j].ways)
                w[nw++] = s[j].ways;
        rc = group_init(&m->g[m->ng++], s[i].sets, w, nw);
        i = j;
    }
    free(s);
    free(w);
    m->all8 = rc == MH_OK && m->ng > 0;
    for (size_t k = 0; m->all8 && k < m->ng; k++)
        m->all8 &= !m->g[k].fa && m->g[k].depth == 8;
    m->narrow = rc == MH_OK && m->ng > 0 && m->g[m->ng - 1].set_mask <= MRC_LOW_MASK;
    for (size_t k = 0; m->narrow && k < m->ng; k++)
        m->narrow &= !m->g[k].fa && (m->g[k].depth == 8 || m->g[k].depth == 16 || m->g[k].depth == 32);
    m->nv_all = m->narrow ? m->g[0].depth / 8 : 0;
    for (size_t k = 0; k < m->ng; k++)
        if (m->g[k].depth != 8 * m->nv_all)
            m->nv_all = 0;
    m->last_hi = UINT64_MAX;
    m->g_far = mrc_far(m, m->narrow ? sizeof(uint32_t) : sizeof(uint64_t));
    if (rc == MH_OK)
        rc = mrc_clear(m);
    if (rc != MH_OK) {
        mh_mrc_destroy(m);
        return mh_error_set(err, rc, "miss-ratio curve: out of memory");
    }
    *out = m;
    return MH_OK;
}

/* Fills out[kind] (accesses, hits, misses) for the cache of sets × ways; MH_ENOTFOUND when
 * that geometry was not requested at creation. */
int mh_mrc_misses(const mh_mrc *m, uint32_t sets, uint32_t ways, mh_counts out[MH_KINDS])
{
    for (size_t k = 0; k < m->ng; k++) {
        const sd_group *g = &m->g[k];
        if (g->sets != sets)
            continue;
        for (uint32_t i = 0; i < g->nw; i++) {
            if (g->ways[i] != ways)
                continue;
            for (int kind = 0; kind < MH_KINDS; kind++) {
                uint64_t miss = 0;
                for (uint32_t b = i + 1; b <= g->nw; b++)
                    miss += g->cnt[(size_t)b * MH_KINDS + (size_t)kind];
                out[kind] = (mh_counts){.accesses = m->acc[kind], .hits = m->acc[kind] - miss, .misses = miss};
            }
            return MH_OK;
        }
    }
    return MH_ENOTFOUND;
}

/* Frees m; NULL is a no-op. */
void mh_mrc_destroy(mh_mrc *m)
{
    if (!m)
        return;
    for (size_t k = 0; k < m->ng; k++) {
        mh_big_free(m->g[k].stack, (size_t)m->g[k].sets * m->g[k].depth * sizeof *m->g[k].stack);
        mh_big_free(m->g[k].stack32, (size_t)m->g[k].sets * m->g[k].depth * sizeof *m->g[k].stack32);
        mh_sd_fa_destroy(m->g[k].fa);
        free(m->g[k].ways);
        free(m->g[k].bucket);
        free(m->g[k].cnt);
    }
    free(m->g);
    free(m->depth);
    free(m);
}

/* ---------- from configs ---------- */

/* MH_OK when the level called name in c can be simulated in one pass, else MH_ENOTFOUND or
 * MH_EUNSUPPORTED with the reason: it must be an entry level (fed by the trace itself), LRU,
 * write-allocate, without a prefetcher, and not kept inclusive by back-invalidation from below. */
int mh_mrc_level_check(const mh_config *c, const char *name, mh_error *err)
{
    int i = mh_config_level_index(c, name);
    if (i < 0)
        return mh_error_set(err, MH_ENOTFOUND, "%s: no level [%s]", c->source, name);
    const mh_level_cfg *l = &c->level[i];
    const char *why = NULL;
    int fed = 0; /* some level sends its misses here */
    for (size_t j = 0; j < c->nlevels; j++)
        fed |= c->level[j].next == i;
    if ((i != c->data && i != c->ifetch) || fed)
        why = "is not an entry level (it sees the misses of the levels above, not the trace)";
    else if (l->policy != MH_POL_LRU)
        why = "does not use policy = lru";
    else if (!l->allocate)
        why = "is allocate = no (no-write-allocate is not a stack algorithm)";
    else if (l->prefetcher != MH_PF_NONE)
        why = "has a hardware prefetcher (its fills change the contents)";
    else if (l->inclusion == MH_INC_INCLUSIVE)
        why = "is inclusion = inclusive (back-invalidations from the next level change its contents)";
    if (why)
        return mh_error_set(err, MH_EUNSUPPORTED, "%s: [%s] %s; one-pass mode needs an LRU, write-allocate "
                            "entry level", c->source, name, why);
    return MH_OK;
}

/* Creates one curve covering level `name` of every config (all must pass mh_mrc_level_check
 * and agree on its line size and on which record kinds reach it). */
int mh_mrc_from_configs(const mh_config *const *cfgs, size_t n, const char *name, mh_mrc **out, mh_error *err)
{
    mh_mrc_geom *g = n ? malloc(n * sizeof *g) : NULL;
    unsigned mask = 0;
    int rc = g ? MH_OK : mh_error_set(err, MH_ENOMEM, "miss-ratio curve: out of memory");
    uint32_t line = 0;
    int idx = -1;
    for (size_t v = 0; rc == MH_OK && v < n; v++) {
        const mh_config *c = cfgs[v];
        rc = mh_mrc_level_check(c, name, err);
        if (rc != MH_OK)
            break;
        int i = mh_config_level_index(c, name);
        unsigned mk = (i == c->data ? (1u << MH_OP_READ) | (1u << MH_OP_WRITE) | (1u << MH_OP_MISC) |
                                          (1u << MH_OP_PREFETCH) : 0u) |
                      (i == c->ifetch ? 1u << MH_OP_IFETCH : 0u);
        if (v == 0) {
            line = c->level[i].line;
            mask = mk;
            idx = i;
        } else if (line != c->level[i].line || mask != mk || idx != i) {
            rc = mh_error_set(err, MH_EUNSUPPORTED, "%s: [%s] line size or routing differs between variants; "
                              "one-pass mode needs one line size", c->source, name);
        }
        g[v] = (mh_mrc_geom){.sets = c->level[i].sets, .ways = c->level[i].ways};
    }
    if (rc == MH_OK)
        rc = mh_mrc_create(line, g, n, mask, out, err);
    if (rc == MH_OK) {
        snprintf((*out)->level, sizeof (*out)->level, "%s", name);
        (*out)->level_index = idx;
    }
    free(g);
    return rc;
}

/* Fills out[kind] for c's geometry of the curve's level (c must be one of the configs the
 * curve was built from). */
int mh_mrc_misses_for(const mh_mrc *m, const mh_config *c, mh_counts out[MH_KINDS])
{
    if (m->level_index < 0 || (size_t)m->level_index >= c->nlevels)
        return MH_EINVAL;
    const mh_level_cfg *l = &c->level[m->level_index];
    return mh_mrc_misses(m, l->sets, l->ways, out);
}
