/* hier_split.c — set-partitioned replay (memhier.h, mh_hier_split): a hierarchy's sets divided
 * into parts by address bits that every level's set index contains, each part replayed on its
 * own copy of the hierarchy's counters while all parts share the sets.
 *
 * Why it is exact: a level's replacement state (ordered slots, PLRU bits, RRPVs) belongs to its
 * set, and everything one access sets off — the fill below, the victim's write-back or move down,
 * an inclusive level's back-invalidation — concerns lines of the same sets at every level, hence
 * of the same part. Records of different parts therefore commute; only a record spanning parts,
 * and the copyback and invalidate operations, need every part stopped at it. What cannot be split:
 * anything with state across sets (the timing model, the 3C shadow, hardware prefetchers, the
 * random and brrip policies' generator). */
#include <stdlib.h>
#include <string.h>

#include "hier_int.h"

#define MH_PART_LINE 128 /* host cache line, with the adjacent-line prefetch: the unit of sharing */

/* One part: the parent's levels copied with their own counters, pointing at the parent's sets. */
struct mh_hier_part {
    mh_hier h;          /* shallow copy of the parent: own lv[] (counters from zero), shared slots */
    int shift;          /* lowest part bit of an address */
    uint64_t mask;      /* part bits after the shift (nparts - 1) */
    uint64_t want;      /* this part's number */
};

/* log2 of a power of two. */
static int log2u(uint64_t v)
{
    int k = 0;
    while (v > 1) {
        v >>= 1;
        k++;
    }
    return k;
}

/* Checks that every level of h replays set by set; returns MH_OK or MH_EUNSUPPORTED naming why. */
static int check_splittable(const mh_hier *h, mh_error *err)
{
    if (h->tm)
        return mh_error_set(err, MH_EUNSUPPORTED, "split: the timing model keeps one clock for all sets (use count-only)");
    for (size_t i = 0; i < h->n; i++) {
        const mh_level *L = &h->lv[i];
        if (L->shadow)
            return mh_error_set(err, MH_EUNSUPPORTED, "split: [%s] 3C classification keeps one fully associative shadow for all sets", L->name);
        if (L->pf)
            return mh_error_set(err, MH_EUNSUPPORTED, "split: [%s] a hardware prefetcher fetches lines of other sets", L->name);
        if (!L->pol->per_set)
            return mh_error_set(err, MH_EUNSUPPORTED, "split: [%s] policy %s draws from one generator for all sets", L->name, L->pol->name);
    }
    return MH_OK;
}

/* The lowest address bit of k part bits that lie in every level's set index, or -1. */
static int part_shift(const mh_hier *h, int k)
{
    int lo = 0, hi = 64;
    for (size_t i = 0; i < h->n; i++) {
        const mh_level *L = &h->lv[i];
        int top = L->line_shift + log2u(L->sets);
        lo = L->line_shift > lo ? L->line_shift : lo;
        hi = top < hi ? top : hi;
    }
    return hi - lo >= k ? hi - k : -1; /* the highest bits: fewest records span two parts */
}

/* Frees part p (not the sets it shares). */
static void part_free(mh_hier_part *p)
{
    if (p)
        free(p->h.lv);
    free(p);
}

/* n bytes that share no host cache line with any other allocation (a part's counters are written
 * by its own thread only: a neighbour's thread must not have to fetch the line back), zeroed. */
static void *line_alloc(size_t n)
{
    n = (n + MH_PART_LINE - 1) & ~(size_t)(MH_PART_LINE - 1);
    void *p = aligned_alloc(MH_PART_LINE, n);
    if (p)
        memset(p, 0, n);
    return p;
}

/* A part of h numbered want: h's levels with counters from zero. NULL when out of memory. */
static mh_hier_part *part_new(const mh_hier *h, int shift, uint64_t mask, uint64_t want)
{
    mh_hier_part *p = line_alloc(sizeof *p);
    if (!p || !(p->h.lv = line_alloc(h->n * sizeof *p->h.lv))) {
        part_free(p);
        return NULL;
    }
    mh_level *lv = p->h.lv;
    p->h = *h;
    p->h.lv = lv;
    p->h.mem_read = p->h.mem_written = 0;
    for (size_t i = 0; i < h->n; i++) {
        lv[i] = h->lv[i];
        memset(&lv[i].st, 0, sizeof lv[i].st);
        lv[i].st.name = h->lv[i].st.name;
    }
    p->shift = shift;
    p->mask = mask;
    p->want = want;
    return p;
}

/* See memhier.h. */
int mh_hier_split(mh_hier *h, unsigned nparts, mh_hier_part **parts, mh_error *err)
{
    if (!h || !parts || nparts < 2 || nparts > 64 || (nparts & (nparts - 1)))
        return mh_error_set(err, MH_EINVAL, "split: %u parts, must be a power of two in 2..64", nparts);
    int rc = check_splittable(h, err), k = log2u(nparts);
    if (rc != MH_OK)
        return rc;
    int shift = part_shift(h, k);
    if (shift < 0)
        return mh_error_set(err, MH_EUNSUPPORTED,
                            "split: fewer than %d set-index bits are common to every level (a fully associative "
                            "level, or sets too few for the largest line)", k);
    for (unsigned i = 0; i < nparts; i++) {
        if (!(parts[i] = part_new(h, shift, nparts - 1u, i))) {
            while (i-- > 0)
                part_free(parts[i]);
            return mh_error_set(err, MH_ENOMEM, "split: out of memory for %u parts", nparts);
        }
    }
    return MH_OK;
}

/* The part of record r (<= mask), or MH_PART_SHARED: the part of its first byte unless its last
 * byte lies in another part, it wraps past 2^64 - 1, or it is a copyback or invalidate. */
static inline unsigned part_of(const mh_rec *r, int shift, uint64_t mask)
{
    uint64_t a = r->addr, e = a + r->size - (r->size != 0);
    int span = (e < a) | ((a >> shift) != (e >> shift)) | (r->op >= MH_KINDS);
    return span ? MH_PART_SHARED : (unsigned)((a >> shift) & mask);
}

/* See memhier.h. Branch-free but for the rare spanning record. */
void mh_part_tag(const mh_hier_part *p, const mh_rec *recs, size_t n, uint8_t *tag)
{
    const int shift = p->shift;
    const uint64_t mask = p->mask;
    for (size_t i = 0; i < n; i++)
        tag[i] = (uint8_t)part_of(&recs[i], shift, mask);
}

/* See memhier.h. Branch-free but for the rare spanning record: each record is stored at the end
 * of its part's list (random addresses would mispredict a branch on the part every other record). */
size_t mh_part_deal(const mh_hier_part *p, const mh_rec *recs, size_t n, mh_rec *const *out, size_t *count)
{
    const int shift = p->shift;
    const uint64_t mask = p->mask;
    for (size_t i = 0; i < n; i++) {
        unsigned j = part_of(&recs[i], shift, mask);
        if (j == MH_PART_SHARED)
            return i;
        out[j][count[j]++] = recs[i];
    }
    return n;
}

/* See memhier.h. */
size_t mh_part_replay_own(mh_hier_part *p, const mh_rec *recs, size_t n)
{
    size_t m = 0;
    while (m < n && part_of(&recs[m], p->shift, p->mask) == p->want)
        m++;
    mh_hier_access(&p->h, recs, m);
    return m;
}

/* See memhier.h. */
size_t mh_part_replay(mh_hier_part *p, const mh_rec *recs, const uint8_t *tag, size_t n)
{
    return mh_hier_replay_part(&p->h, recs, tag, n, (uint8_t)p->want);
}

/* See memhier.h. */
void mh_part_replay_shared(mh_hier_part *p, const mh_rec *r)
{
    mh_hier_access(&p->h, r, 1);
}

/* Adds counters b to a. */
static void stats_add(mh_level_stats *a, const mh_level_stats *b)
{
    for (int k = 0; k < MH_KINDS; k++) {
        a->kind[k].accesses += b->kind[k].accesses;
        a->kind[k].hits += b->kind[k].hits;
        a->kind[k].misses += b->kind[k].misses;
        a->kind[k].compulsory += b->kind[k].compulsory;
        a->kind[k].capacity += b->kind[k].capacity;
        a->kind[k].conflict += b->kind[k].conflict;
    }
    a->evictions += b->evictions;
    a->writebacks += b->writebacks;
    a->bytes_from_next += b->bytes_from_next;
    a->bytes_to_next += b->bytes_to_next;
    a->back_invalidations += b->back_invalidations;
    a->pf_issued += b->pf_issued;
    a->pf_fill_bytes += b->pf_fill_bytes;
    a->pf_useful += b->pf_useful;
    a->pf_late += b->pf_late;
    a->pf_useless += b->pf_useless;
    a->cycles += b->cycles;
}

/* See memhier.h. */
void mh_hier_join(mh_hier *h, mh_hier_part **parts, unsigned nparts)
{
    for (unsigned i = 0; i < nparts; i++) {
        mh_hier_part *p = parts[i];
        if (!p)
            continue;
        for (size_t l = 0; l < h->n; l++)
            stats_add(&h->lv[l].st, &p->h.lv[l].st);
        h->mem_read += p->h.mem_read;
        h->mem_written += p->h.mem_written;
        part_free(p);
        parts[i] = NULL;
    }
}
