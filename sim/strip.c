/* strip.c — trace stripping (memhier.h, mh_strip_*): one-line records that hit their entry
 * level's most recently used line are taken out of a batch before the replay and counted.
 *
 * Why it is exact: the table keeps, for each value of the line's low bits (`key`: bits that
 * every level's set index contains), the line and entry level of the last record with that key.
 * Whatever changes a set holding line X at any level — an install, a victim moving down, a
 * write-back, a back-invalidation — starts with a record whose line lies in a set of the same
 * index bits, hence has X's key (the argument of hier_split.c). So when the last record with X's
 * key was on X at the same entry level, X is still there, on top of its ordered set (lru: moved
 * to the front by that record; fifo: hits never reorder), and a hit on it changes no state: only
 * the access count. A write also sets the dirty flag, so one is taken out only where an earlier
 * write of the same run dirtied X already (write-back, write-allocate entry level). Anything else
 * — a record over several lines, a copyback or invalidate — forgets the keys it touches. */
#include <stdlib.h>
#include <string.h>

#include "hier_int.h"

#define STRIP_KEYS_MAX 65536 /* keys kept at most: fewer index bits are as exact, only coarser */

/* Slot: ((line + 1) << 2) | side << 1 | dirty, 0 = nothing known. */
#define STRIP_SIDE 2u  /* the line was at the instruction entry level (split entry levels) */
#define STRIP_DIRTY 1u /* an earlier write of this run dirtied the line */

struct mh_strip {
    uint64_t *tab;            /* one slot per key */
    uint64_t mask;            /* keys - 1 */
    int shift;                /* log2(line) */
    uint64_t side[MH_KINDS];  /* STRIP_SIDE for ifetch records when the ifetch entry level is separate */
    uint64_t wslot;           /* mask giving a written line's slot from key | STRIP_DIRTY: all ones
                                 where the data entry level writes back and allocates, no dirty
                                 mark where it only allocates, 0 where a write may leave it out */
};

/* NULL when every level of h leaves repeated hits on its most recent line alone and counts
 * nothing else for them, else the reason. */
static const char *strip_refusal(const mh_hier *h)
{
    if (h->tm)
        return "the timing model sees every record";
    if (h->slow)
        return "3C shadows and hardware prefetchers see every lookup";
    const int entry[2] = {h->data, h->ifetch};
    for (int i = 0; i < 2; i++)
        if (!h->lv[entry[i]].pol->reorder)
            return "an entry level's policy is not lru or fifo";
    for (size_t l = 1; l < h->n; l++)
        if (h->lv[l].line != h->lv[0].line)
            return "the levels have lines of several sizes";
    return NULL;
}

/* See memhier.h. */
int mh_strip_create(const mh_hier *h, mh_strip **out, mh_error *err)
{
    if (out)
        *out = NULL;
    if (!h || !out)
        return mh_error_set(err, MH_EINVAL, "strip: NULL argument");
    const char *why = strip_refusal(h);
    if (why)
        return mh_error_set(err, MH_EUNSUPPORTED, "strip: %s", why);
    uint64_t keys = STRIP_KEYS_MAX;
    for (size_t l = 0; l < h->n; l++)
        keys = h->lv[l].sets < keys ? h->lv[l].sets : keys; /* powers of two: the common low bits */
    mh_strip *s = calloc(1, sizeof *s);
    if (s)
        s->tab = calloc(keys, sizeof *s->tab);
    if (!s || !s->tab) {
        free(s);
        return mh_error_set(err, MH_ENOMEM, "strip: out of memory for %llu keys", (unsigned long long)keys);
    }
    const mh_level *D = &h->lv[h->data];
    s->mask = keys - 1;
    s->shift = D->line_shift;
    s->side[MH_OP_IFETCH] = h->ifetch != h->data ? STRIP_SIDE : 0;
    s->wslot = !D->allocate ? 0 : D->write_back ? ~(uint64_t)0 : ~(uint64_t)STRIP_DIRTY;
    *out = s;
    return MH_OK;
}

/* Forgets what record r (a copyback, an invalidate, or one over several lines) may change. */
static void strip_forget(mh_strip *s, const mh_rec *r)
{
    uint64_t first = r->addr >> s->shift, end = r->addr + (r->size ? r->size - 1u : 0u);
    uint64_t last = end < r->addr ? UINT64_MAX >> s->shift : end >> s->shift; /* cut at 2^64 - 1 */
    if (r->op >= MH_KINDS || last - first >= s->mask) {
        memset(s->tab, 0, (s->mask + 1) * sizeof *s->tab);
        return;
    }
    for (uint64_t l = first; l <= last; l++)
        s->tab[l & s->mask] = 0;
}

/* See memhier.h. Without a branch on the outcome: a record is always copied to the next kept
 * position, which advances only when it stays (whether a record goes follows the trace's mix,
 * not a pattern a predictor learns); the slot is rewritten either way (a record taken out would
 * leave it as it was). */
size_t mh_strip_run(mh_strip *s, mh_rec *recs, size_t n, uint64_t hits[MH_KINDS])
{
    uint64_t *tab = s->tab;
    const uint64_t mask = s->mask, wslot = s->wslot, iside = s->side[MH_OP_IFETCH];
    const int shift = s->shift;
    uint64_t taken_by[MH_KINDS] = {0}; /* locals: stores to recs and tab cannot touch them */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t raw[2]; /* the record as two words: moved whole, not field by field */
        memcpy(raw, &recs[i], sizeof raw);
        const mh_rec r = recs[i];
        const uint64_t line = r.addr >> shift;
        /* size 0 counts as 1: its "last byte" r.addr - 1 lies in r's line or sends r below */
        if (r.op >= MH_KINDS || ((r.addr + r.size - 1u) >> shift) != line) {
            strip_forget(s, &r);
            memcpy(&recs[m++], raw, sizeof raw);
            continue;
        }
        const uint64_t write = r.op == MH_OP_WRITE;
        const uint64_t key = ((line + 1) << 2) | (r.op == MH_OP_IFETCH ? iside : 0);
        uint64_t *t = &tab[line & mask];
        const uint64_t old = *t, same = (old & ~(uint64_t)STRIP_DIRTY) == key;
        const uint64_t taken = same & (~write | old) & 1u; /* a write goes only onto a dirtied line */
        /* a read leaves the line on top (its dirty mark kept); a write, the line dirtied where
         * the level writes back and allocates, on top where it only allocates, else maybe gone */
        *t = write ? wslot & (key | STRIP_DIRTY) : same ? old : key;
        taken_by[r.op] += taken;
        memcpy(&recs[m], raw, sizeof raw);
        m += 1u - taken;
    }
    for (int k = 0; k < MH_KINDS; k++)
        hits[k] += taken_by[k];
    return m;
}

/* See memhier.h. What the table knew may be stale after records it did not see: none of it is kept. */
void mh_strip_skip(mh_strip *s)
{
    memset(s->tab, 0, (s->mask + 1) * sizeof *s->tab);
}

/* See memhier.h. */
void mh_strip_destroy(mh_strip *s)
{
    if (!s)
        return;
    free(s->tab);
    free(s);
}

/* See memhier.h. */
void mh_hier_count_hits(mh_hier *h, const uint64_t hits[MH_KINDS])
{
    for (int k = 0; k < MH_KINDS; k++)
        h->lv[k == MH_OP_IFETCH ? h->ifetch : h->data].st.kind[k].accesses += hits[k];
}
