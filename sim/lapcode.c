/* lapcode.c — the lap coder's unvisited-line set (rank and select over a bitmap under a 16-ary
 * tree of prefix counts: a node per level each; a successor per line) and its range coder for
 * uniform values and adaptive bits (LZMA's carry handling and bit model; values above 2^16 are
 * coded as a high and a low part so that the interval never narrows below 2^8 per value: at most
 * ~0.006 bits lost each). */
#include <stdlib.h>
#include <string.h>
#if defined(__BMI2__)
#include <immintrin.h>
#endif

#include "lapcode_int.h"

/* ---- the set ---- */

/* Nodes at each level for `words` words; returns the levels (1..MH_LAP_LEVELS). */
static unsigned lap_shape(uint32_t words, uint32_t *nodes)
{
    unsigned l = 0;
    uint32_t below = words;
    do {
        nodes[l] = (below + MH_LAP_FAN - 1) / MH_LAP_FAN;
        below = nodes[l++];
    } while (below > 1);
    return l;
}

/* Frees the arrays (the struct keeps its other fields). */
static void lap_drop(mh_lapset *s)
{
    free(s->bits);
    free(s->succ);
    for (unsigned l = 0; l < MH_LAP_LEVELS; l++)
        free(s->cnt[l]);
    s->bits = NULL;
    s->succ = NULL;
    memset(s->cnt, 0, sizeof s->cnt);
    s->cap = 0;
}

/* Grows the arrays to hold `words` words (and their lines' successors); nonzero when out of
 * memory (the set is then empty). */
static int lap_grow(mh_lapset *s, uint32_t words)
{
    if (s->cap >= words)
        return 0;
    uint32_t nodes[MH_LAP_LEVELS];
    unsigned levels = lap_shape(words, nodes);
    lap_drop(s);
    s->bits = malloc((size_t)words * sizeof *s->bits);
    s->succ = malloc((size_t)words * 64 * sizeof *s->succ);
    int bad = !s->bits || !s->succ;
    for (unsigned l = 0; l < levels; l++)
        bad |= !(s->cnt[l] = malloc((size_t)nodes[l] * MH_LAP_FAN * sizeof *s->cnt[l]));
    if (bad) {
        lap_drop(s);
        return -1;
    }
    s->cap = words;
    return 0;
}

/* Fills level l's nodes from the totals below (words' popcounts at level 0). */
static void lap_level(mh_lapset *s, unsigned l)
{
    for (uint32_t n = 0; n < s->nodes[l]; n++) {
        uint32_t sum = 0, *node = s->cnt[l] + (size_t)n * MH_LAP_FAN;
        for (uint32_t k = 0; k < MH_LAP_FAN; k++) {
            uint32_t c = n * MH_LAP_FAN + k;
            if (l == 0)
                sum += c < s->words ? (uint32_t)__builtin_popcountll(s->bits[c]) : 0;
            else
                sum += c < s->nodes[l - 1] ? s->cnt[l - 1][(size_t)c * MH_LAP_FAN + MH_LAP_FAN - 1] : 0;
            node[k] = sum;
        }
    }
}

/* Makes every line unvisited again (a new lap: successors stay). After the first lap every line
 * has a successor but the last, whose entry was never written: it gets none. */
static void lap_refill(mh_lapset *s)
{
    if (s->laps == 0 && s->prev != MH_LAP_NONE)
        s->succ[s->prev] = MH_LAP_NONE;
    uint32_t words = s->words, lines = s->lines;
    memset(s->bits, 0xff, (size_t)words * sizeof *s->bits);
    if (lines & 63)
        s->bits[words - 1] = (1ull << (lines & 63)) - 1;
    for (unsigned l = 0; l < s->levels; l++)
        lap_level(s, l);
    s->left = lines;
    s->laps++;
}

int mh_lap_reset(mh_lapset *s, uint32_t lines)
{
    uint32_t words = (lines + 63) / 64;
    if (lines == 0 || lines > MH_LAP_MAX_LINES || lap_grow(s, words)) {
        s->lines = s->left = s->words = 0;
        return -1;
    }
    s->words = words;
    s->lines = lines;
    s->levels = lap_shape(words, s->nodes);
    s->prev = MH_LAP_NONE;   /* succ[] is read from the second lap on: by then all written */
    s->prob = MH_RC_PROB_INIT;
    lap_refill(s);
    s->laps = 0;
    return 0;
}

void mh_lap_free(mh_lapset *s)
{
    lap_drop(s);
    memset(s, 0, sizeof *s);
}

int mh_lap_copy(mh_lapset *dst, const mh_lapset *src)
{
    if (lap_grow(dst, src->words))
        return -1;
    memcpy(dst->bits, src->bits, (size_t)src->words * sizeof *src->bits);
    memcpy(dst->succ, src->succ, (size_t)src->lines * sizeof *src->succ);
    for (unsigned l = 0; l < src->levels; l++)
        memcpy(dst->cnt[l], src->cnt[l], (size_t)src->nodes[l] * MH_LAP_FAN * sizeof *src->cnt[l]);
    memcpy(dst->nodes, src->nodes, sizeof dst->nodes);
    dst->levels = src->levels;
    dst->words = src->words;
    dst->lines = src->lines;
    dst->left = src->left;
    dst->prev = src->prev;
    dst->prob = src->prob;
    dst->laps = src->laps;
    return 0;
}

uint32_t mh_lap_rank(const mh_lapset *s, uint32_t i)
{
    uint32_t w = i >> 6, sum = (uint32_t)__builtin_popcountll(s->bits[w] & ((1ull << (i & 63)) - 1));
    for (unsigned l = 0; l < s->levels; l++, w /= MH_LAP_FAN)   /* the children before, per level */
        if (w % MH_LAP_FAN)
            sum += s->cnt[l][(size_t)w - 1];
    return sum;
}

/* Bit position of the set bit of rank r (< popcount(v)) in v. */
#if defined(__BMI2__)
static unsigned select64(uint64_t v, unsigned r)
{
    return (unsigned)__builtin_ctzll(_pdep_u64(1ull << r, v));
}
#else
static unsigned select64(uint64_t v, unsigned r)
{
    unsigned pos = 0;
    for (unsigned half = 32; half >= 8; half /= 2) {   /* narrow to a byte by halves */
        uint64_t lowmask = (1ull << half) - 1;
        unsigned c = (unsigned)__builtin_popcountll(v & lowmask);
        if (r >= c) {
            r -= c;
            v >>= half;
            pos += half;
        } else {
            v &= lowmask;
        }
    }
    for (; r; r--)
        v &= v - 1;
    return pos + (unsigned)__builtin_ctzll(v);
}
#endif

uint32_t mh_lap_select(const mh_lapset *s, uint32_t r)
{
    uint32_t n = 0;   /* node index at the level, then the child it leads to */
    for (unsigned l = s->levels; l-- > 0;) {
        const uint32_t *node = s->cnt[l] + (size_t)n * MH_LAP_FAN;
        uint32_t c = 0;
        for (uint32_t k = 0; k < MH_LAP_FAN; k++)   /* children wholly at or below rank r */
            c += node[k] <= r;
        r -= c ? node[c - 1] : 0;
        n = n * MH_LAP_FAN + c;
    }
    return n * 64 + select64(s->bits[n], r);
}

void mh_lap_visit(mh_lapset *s, uint32_t i)
{
    uint32_t w = i >> 6;
    s->bits[w] &= ~(1ull << (i & 63));
    for (unsigned l = 0; l < s->levels; l++, w /= MH_LAP_FAN) {   /* this child and those after */
        uint32_t *node = s->cnt[l] + (size_t)(w / MH_LAP_FAN) * MH_LAP_FAN;
        for (uint32_t k = 0; k < MH_LAP_FAN; k++)
            node[k] -= k >= w % MH_LAP_FAN;
    }
    if (s->prev != MH_LAP_NONE)
        s->succ[s->prev] = i;
    s->prev = i;
    if (--s->left == 0)
        lap_refill(s);
}

/* ---- the range coder ---- */

#define RC_TOP (1u << 24)      /* the interval is renormalised below this width */
#define RC_STEP_MAX (1u << 16) /* largest n coded in one step */

void mh_rc_enc_init(mh_rc_enc *e, uint8_t *out)
{
    *e = (mh_rc_enc){0, 0xffffffffu, 0, 1, out, out};
}

/* Moves the top byte of low out, holding 0xff bytes back until a carry is settled. */
static void rc_shift_low(mh_rc_enc *e)
{
    if ((uint32_t)e->low < 0xff000000u || (e->low >> 32)) {
        uint8_t carry = (uint8_t)(e->low >> 32), b = e->cache;
        do {
            *e->p++ = (uint8_t)(b + carry);
            b = 0xff;
        } while (--e->pending);
        e->cache = (uint8_t)(e->low >> 24);
    }
    e->pending++;
    e->low = (uint32_t)e->low << 8;
}

/* Codes v uniform in [0, n), n <= RC_STEP_MAX. */
static void rc_put_step(mh_rc_enc *e, uint32_t v, uint32_t n)
{
    e->range /= n;
    e->low += (uint64_t)v * e->range;
    while (e->range < RC_TOP) {
        e->range <<= 8;
        rc_shift_low(e);
    }
}

/* Bits of the low part when n > RC_STEP_MAX: the high part then has at most RC_STEP_MAX values. */
static unsigned rc_split(uint32_t n)
{
    unsigned bits = 32 - (unsigned)__builtin_clz(n - 1);
    return bits - 16;
}

void mh_rc_put(mh_rc_enc *e, uint32_t v, uint32_t n)
{
    if (n <= RC_STEP_MAX) {
        rc_put_step(e, v, n);
        return;
    }
    unsigned k = rc_split(n);
    uint32_t hn = ((n - 1) >> k) + 1, h = v >> k;
    rc_put_step(e, h, hn);
    rc_put_step(e, v & ((1u << k) - 1), h == hn - 1 ? n - (h << k) : 1u << k);
}

#define RC_PROB_BITS 11     /* probabilities are of 2^11 */
#define RC_PROB_MOVE 5      /* adaptation: a probability moves 1/32 of the way each bit */

void mh_rc_put_bit(mh_rc_enc *e, uint16_t *p, unsigned bit)
{
    uint32_t bound = (e->range >> RC_PROB_BITS) * *p;
    if (bit) {
        e->low += bound;
        e->range -= bound;
        *p = (uint16_t)(*p - (*p >> RC_PROB_MOVE));
    } else {
        e->range = bound;
        *p = (uint16_t)(*p + (((1u << RC_PROB_BITS) - *p) >> RC_PROB_MOVE));
    }
    while (e->range < RC_TOP) {
        e->range <<= 8;
        rc_shift_low(e);
    }
}

size_t mh_rc_enc_finish(mh_rc_enc *e)
{
    for (int i = 0; i < MH_RC_FLUSH; i++)
        rc_shift_low(e);
    return (size_t)(e->p - e->out);
}

int mh_rc_dec_init(mh_rc_dec *d, const uint8_t *in, size_t n)
{
    *d = (mh_rc_dec){0, 0xffffffffu, in, in + n, 0};
    if (n < MH_RC_FLUSH || in[0] != 0)
        return -1;
    for (int i = 1; i < MH_RC_FLUSH; i++)
        d->code = d->code << 8 | in[i];
    d->p = in + MH_RC_FLUSH;
    return d->code == 0xffffffffu ? -1 : 0;
}

/* Next input byte; past the end, 0 and the bad flag. */
static uint8_t rc_byte(mh_rc_dec *d)
{
    if (d->p < d->end)
        return *d->p++;
    d->bad = 1;
    return 0;
}

/* Decodes a value uniform in [0, n), n <= RC_STEP_MAX. */
static uint32_t rc_get_step(mh_rc_dec *d, uint32_t n)
{
    d->range /= n;
    uint32_t v = d->code / d->range;
    if (v >= n) {
        d->bad = 1;
        v = n - 1;
    }
    d->code -= v * d->range;
    while (d->range < RC_TOP) {
        d->range <<= 8;
        d->code = d->code << 8 | rc_byte(d);
    }
    return v;
}

unsigned mh_rc_get_bit(mh_rc_dec *d, uint16_t *p)
{
    uint32_t bound = (d->range >> RC_PROB_BITS) * *p;
    unsigned bit = d->code >= bound;
    if (bit) {
        d->code -= bound;
        d->range -= bound;
        *p = (uint16_t)(*p - (*p >> RC_PROB_MOVE));
    } else {
        d->range = bound;
        *p = (uint16_t)(*p + (((1u << RC_PROB_BITS) - *p) >> RC_PROB_MOVE));
    }
    while (d->range < RC_TOP) {
        d->range <<= 8;
        d->code = d->code << 8 | rc_byte(d);
    }
    return bit;
}

uint32_t mh_rc_get(mh_rc_dec *d, uint32_t n)
{
    if (n <= RC_STEP_MAX)
        return rc_get_step(d, n);
    unsigned k = rc_split(n);
    uint32_t hn = ((n - 1) >> k) + 1, h = rc_get_step(d, hn);
    uint32_t l = rc_get_step(d, h == hn - 1 ? n - (h << k) : 1u << k);
    return d->bad ? 0 : h << k | l;
}
