/* lapcode.c — the lap coder's unvisited-line set (an array of the lines, the unvisited first, and
 * each line's place in it: a place and a line by the other in one load, a visit in a swap; a
 * successor per line) and its range coder for uniform values and adaptive bits (LZMA's carry
 * handling and bit model; values above 2^16 are coded as a high and a low part so that the
 * interval never narrows below 2^8 per value: at most ~0.006 bits lost each). */
#include <stdlib.h>
#include <string.h>

#include "bigmem_int.h"
#include "lapcode_int.h"

/* ---- the set ---- */

/* Frees the arrays (the struct keeps its other fields). */
static void lap_drop(mh_lapset *s)
{
    mh_big_free(s->arr, (size_t)s->cap * sizeof *s->arr);
    mh_big_free(s->line, (size_t)s->cap * sizeof *s->line);
    s->arr = NULL;
    s->line = NULL;
    s->cap = 0;
}

/* Grows the arrays to hold `lines` lines; nonzero when out of memory (the set is then empty). */
static int lap_grow(mh_lapset *s, uint32_t lines)
{
    if (s->cap >= lines)
        return 0;
    lap_drop(s);   /* on huge pages when big: a walk's lines are random accesses */
    s->arr = mh_big_alloc((size_t)lines * sizeof *s->arr, 0);
    s->line = mh_big_alloc((size_t)lines * sizeof *s->line, 0);
    s->cap = lines;
    if (!s->arr || !s->line) {
        lap_drop(s);
        return -1;
    }
    return 0;
}

int mh_lap_reset(mh_lapset *s, uint32_t lines)
{
    if (lines == 0 || lines > MH_LAP_MAX_LINES || lap_grow(s, lines)) {
        s->lines = s->left = 0;
        return -1;
    }
    for (uint32_t i = 0; i < lines; i++) {
        s->arr[i] = i;
        s->line[i].pos = i;   /* .succ is read from the second lap on: by then all written */
    }
    s->lines = s->left = lines;
    s->prev = MH_LAP_NONE;
    s->prob = MH_RC_PROB_INIT;
    s->laps = 0;
    return 0;
}

void mh_lap_free(mh_lapset *s)
{
    lap_drop(s);
    memset(s, 0, sizeof *s);
}

/* Visits line i at place `at` (see mh_lap_visit), recording it when s->log is set. */
static inline void lap_move(mh_lapset *s, uint32_t i, uint32_t at)
{
    uint32_t last = --s->left, moved = s->arr[last];
    mh_lapstep *st = s->log ? &s->log[s->logged++] : NULL;
    if (st)
        *st = (mh_lapstep){i, at, moved, s->prev, s->prev != MH_LAP_NONE ? s->line[s->prev].succ : 0, 0};
    if (last >= 16)   /* the line whose place a visit 16 on will write, if none moves it first */
        __builtin_prefetch(&s->line[s->arr[last - 16]], 1);
    s->arr[at] = moved;
    s->line[moved].pos = at;
    s->arr[last] = i;
    s->line[i].pos = last;
    if (s->prev != MH_LAP_NONE)
        s->line[s->prev].succ = i;
    s->prev = i;
    if (s->left == 0) {   /* a new lap; after the first, every line has a successor but the last */
        if (s->laps == 0)
            s->line[i].succ = MH_LAP_NONE;
        s->left = s->lines;
        if (st)
            st->wrapped = 1;
        s->laps++;
    }
}

void mh_lap_visit(mh_lapset *s, uint32_t i)
{
    lap_move(s, i, s->line[i].pos);
}

uint32_t mh_lap_take(mh_lapset *s, uint32_t u)
{
    uint32_t i = s->arr[u];
    lap_move(s, i, u);
    return i;
}

void mh_lap_undo(mh_lapset *s)
{
    while (s->logged) {
        const mh_lapstep *st = &s->log[--s->logged];
        if (st->wrapped) {   /* back in the lap before; a first lap's cleared successor is not read
                              * again before it is written */
            s->laps--;
            s->left = 0;
        }
        uint32_t last = s->left;   /* where the visit put the line */
        s->arr[last] = st->moved;
        s->line[st->moved].pos = last;
        s->arr[st->at] = st->i;
        s->line[st->i].pos = st->at;
        s->left = last + 1;
        s->prev = st->prev;
        if (st->prev != MH_LAP_NONE)
            s->line[st->prev].succ = st->succ;
    }
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
