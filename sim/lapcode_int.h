/* lapcode_int.h — the .mht lap coder's parts: a set of unvisited lines with rank and select, each
 * line's successor in the walk so far, and a range coder for uniform values and adaptive bits. A
 * lap block codes each fresh line of a walk as a hit when it is the line that followed the walk's
 * previous line before (a repeated lap costs a fraction of a bit per line), else as its rank among
 * the region's lines not yet visited: one random lap over N lines costs log2(N!) bits, about
 * log2 N - 1.44 per line (sim/trace_mht.c has the format). Lifecycle: a zeroed mh_lapset ->
 * mh_lap_reset -> predict/rank/select/visit ... -> mh_lap_free. */
#ifndef MH_LAPCODE_INT_H
#define MH_LAPCODE_INT_H

#include <stddef.h>
#include <stdint.h>

#define MH_LAP_MAX_LINES (1u << 24)  /* lines a region may hold (2 MiB of bits, 1 MiB of counts) */
#define MH_RC_FLUSH 5                /* bytes the encoder's flush adds; the decoder starts on them */
#define MH_LAP_NONE UINT32_MAX       /* no line */
#define MH_RC_PROB_INIT 1024         /* an adaptive bit's first probability of 0 (of 2048) */

#define MH_LAP_FAN 16                /* children per node of the count tree */
#define MH_LAP_LEVELS 5              /* count-tree levels enough for MH_LAP_MAX_LINES / 64 words */

/* Lines of one region, each visited or not, under a tree of counts: a node holds, for each of its
 * 16 children (64-line words at level 0), the unvisited lines of the children up to that one, so
 * select reads one node per level (5 at most) and visit subtracts one from a node's tail. */
typedef struct mh_lapset {
    uint64_t *bits;     /* 1 = not yet visited */
    uint32_t *cnt[MH_LAP_LEVELS]; /* per level, nodes of MH_LAP_FAN inclusive prefix counts */
    uint32_t nodes[MH_LAP_LEVELS]; /* nodes per level (the top level has one) */
    unsigned levels;    /* levels in use */
    uint32_t words;     /* words in use */
    uint32_t cap;       /* words allocated for */
    uint32_t lines;     /* lines in the region */
    uint32_t left;      /* lines not yet visited */
    uint32_t *succ;     /* per line: the line visited right after it last time (MH_LAP_NONE) */
    uint32_t prev;      /* the line visited last (MH_LAP_NONE at first) */
    uint16_t prob;      /* the hit bit's probability of a hit, of 2048 */
    uint32_t laps;      /* laps completed since the reset (none: no line has a successor yet) */
} mh_lapset;

/* Starts a region of `lines` (1..MH_LAP_MAX_LINES) lines: every line unvisited, no successors, no
 * previous line, the hit bit's probability at its start; nonzero when out of memory or lines is
 * out of range (the set is then empty, lines 0). */
int mh_lap_reset(mh_lapset *s, uint32_t lines);

/* Frees the set's arrays; the struct is zeroed. */
void mh_lap_free(mh_lapset *s);

/* Copies src into dst (same capacity or grown); nonzero when out of memory (dst unchanged). */
int mh_lap_copy(mh_lapset *dst, const mh_lapset *src);

/* Whether line i (< lines) is still unvisited. */
static inline int mh_lap_fresh(const mh_lapset *s, uint32_t i)
{
    return (int)((s->bits[i >> 6] >> (i & 63)) & 1);
}

/* Unvisited lines below line i (< lines). */
uint32_t mh_lap_rank(const mh_lapset *s, uint32_t i);

/* The unvisited line of rank r (< left). */
uint32_t mh_lap_select(const mh_lapset *s, uint32_t r);

/* The predicted next line: the successor of the previous line when it is still unvisited, else
 * MH_LAP_NONE (no hit bit is coded then). */
static inline uint32_t mh_lap_predict(const mh_lapset *s)
{
    if (s->laps == 0)   /* each line is visited once so far: the previous one has no successor */
        return MH_LAP_NONE;
    uint32_t x = s->prev == MH_LAP_NONE ? MH_LAP_NONE : s->succ[s->prev];
    return x != MH_LAP_NONE && mh_lap_fresh(s, x) ? x : MH_LAP_NONE;
}

/* Marks unvisited line i visited and the previous line's successor; when none is left, every line
 * is unvisited again (a new lap; successors stay). */
void mh_lap_visit(mh_lapset *s, uint32_t i);

/* Range encoder (LZMA's carry scheme); writes into a caller's buffer. */
typedef struct mh_rc_enc {
    uint64_t low;       /* low end of the interval (33 bits used) */
    uint32_t range;     /* its width */
    uint8_t cache;      /* byte held back for a carry */
    uint64_t pending;   /* bytes held back (the cache and 0xff bytes after it) */
    uint8_t *out, *p;   /* output start and cursor */
} mh_rc_enc;

/* Starts an encoder writing at out (room: about 3 bytes per coded value of up to 2^24, + 5). */
void mh_rc_enc_init(mh_rc_enc *e, uint8_t *out);

/* Codes v, uniform in [0, n), n in 1..2^24. */
void mh_rc_put(mh_rc_enc *e, uint32_t v, uint32_t n);

/* Codes bit (0 or 1) with the adaptive probability *p of a 0, and updates *p. */
void mh_rc_put_bit(mh_rc_enc *e, uint16_t *p, unsigned bit);

/* Flushes; returns the bytes written since init. */
size_t mh_rc_enc_finish(mh_rc_enc *e);

/* Range decoder over a bounded buffer. */
typedef struct mh_rc_dec {
    uint32_t code, range;      /* the coded value within the interval, and its width */
    const uint8_t *p, *end;    /* input cursor and end */
    int bad;                   /* a value out of range or a read past the end */
} mh_rc_dec;

/* Starts decoding the n bytes at in; nonzero when they cannot be a coder's output. */
int mh_rc_dec_init(mh_rc_dec *d, const uint8_t *in, size_t n);

/* Decodes a value uniform in [0, n), n in 1..2^24; on bad input returns 0 and sets d->bad. */
uint32_t mh_rc_get(mh_rc_dec *d, uint32_t n);

/* Decodes a bit coded with the adaptive probability *p of a 0, and updates *p. */
unsigned mh_rc_get_bit(mh_rc_dec *d, uint16_t *p);

#endif
