/* lapcode_int.h — the .mht lap coder's parts: the set of a region's unvisited lines, each
 * line's successor in the walk so far, and a range coder for uniform values and adaptive bits. A
 * lap block codes each fresh line of a walk as a hit when it is the line that followed the walk's
 * previous line before (a repeated lap costs a fraction of a bit per line), else as its place
 * among the region's lines not yet visited, uniform: one random lap over N lines costs log2(N!)
 * bits, about log2 N - 1.44 per line (sim/trace_mht.c has the format). Lifecycle: a zeroed
 * mh_lapset -> mh_lap_reset -> predict/index/select/visit ... -> mh_lap_free. */
#ifndef MH_LAPCODE_INT_H
#define MH_LAPCODE_INT_H

#include <stddef.h>
#include <stdint.h>

#define MH_LAP_MAX_LINES (1u << 22)  /* lines a region may hold (12 bytes each: 48 MiB) */
#define MH_RC_FLUSH 5                /* bytes the encoder's flush adds; the decoder starts on them */
#define MH_LAP_NONE UINT32_MAX       /* no line */
#define MH_RC_PROB_INIT 1024         /* an adaptive bit's first probability of 0 (of 2048) */

/* Lines of one region, the unvisited ones first in an array: a line's place there is what a lap
 * record codes, and visiting a line swaps it with the last unvisited one (O(1) both ways). */
typedef struct mh_lapline {
    uint32_t pos;       /* the line's place in arr (unvisited: < left) */
    uint32_t succ;      /* the line visited right after it last time (MH_LAP_NONE) */
} mh_lapline;

/* One visit, as mh_lap_undo needs it. */
typedef struct mh_lapstep {
    uint32_t i, at;     /* the line visited and its place then */
    uint32_t moved;     /* the line that took that place */
    uint32_t prev;      /* the previous line then */
    uint32_t succ;      /* that line's successor then */
    uint32_t wrapped;   /* 1 when the visit ended a lap */
} mh_lapstep;

typedef struct mh_lapset {
    uint32_t *arr;      /* lines; arr[0, left) are the unvisited ones */
    mh_lapline *line;   /* per line (together: a visit writes the place of the line whose successor
                         * the next visit writes) */
    uint32_t cap;       /* lines allocated for */
    uint32_t lines;     /* lines in the region */
    uint32_t left;      /* lines not yet visited */
    uint32_t prev;      /* the line visited last (MH_LAP_NONE at first) */
    uint16_t prob;      /* the hit bit's probability of a hit, of 2048 */
    uint32_t laps;      /* laps completed since the reset (none: no line has a successor yet) */
    mh_lapstep *log;    /* NULL, or where each visit is recorded for mh_lap_undo */
    uint32_t logged;    /* visits recorded there */
} mh_lapset;

/* Starts a region of `lines` (1..MH_LAP_MAX_LINES) lines: every line unvisited, in order (arr[i]
 * = i), no successors, no previous line, the hit bit's probability at its start; nonzero when out
 * of memory or lines is out of range (the set is then empty, lines 0). */
int mh_lap_reset(mh_lapset *s, uint32_t lines);

/* Frees the set's arrays; the struct is zeroed. */
void mh_lap_free(mh_lapset *s);

/* Whether line i (< lines) is still unvisited. */
static inline int mh_lap_fresh(const mh_lapset *s, uint32_t i)
{
    return s->line[i].pos < s->left;
}

/* The place of unvisited line i among the unvisited (< left): what a lap record codes. */
static inline uint32_t mh_lap_index(const mh_lapset *s, uint32_t i)
{
    return s->line[i].pos;
}

/* The unvisited line at place u (< left). */
static inline uint32_t mh_lap_select(const mh_lapset *s, uint32_t u)
{
    return s->arr[u];
}

/* The predicted next line: the successor of the previous line when it is still unvisited, else
 * MH_LAP_NONE (no hit bit is coded then). */
static inline uint32_t mh_lap_predict(const mh_lapset *s)
{
    if (s->laps == 0)   /* each line is visited once so far: the previous one has no successor */
        return MH_LAP_NONE;
    uint32_t x = s->prev == MH_LAP_NONE ? MH_LAP_NONE : s->line[s->prev].succ;
    return x != MH_LAP_NONE && mh_lap_fresh(s, x) ? x : MH_LAP_NONE;
}

/* Marks unvisited line i visited (the last unvisited line takes its place, i goes to the place
 * just past the unvisited) and the previous line's successor; when none is left, every line is
 * unvisited again in the order arr holds (a new lap; successors stay). */
void mh_lap_visit(mh_lapset *s, uint32_t i);

/* Visits the unvisited line at place u (< left) as mh_lap_visit does; returns it. */
uint32_t mh_lap_take(mh_lapset *s, uint32_t u);

/* Undoes the visits recorded in s->log since `logged` was 0, newest first (the hit bit's
 * probability is the caller's to restore); then logged is 0. */
void mh_lap_undo(mh_lapset *s);

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
