/* stackdist_fa.c — a deep fully associative LRU stack with exact stack distances in O(log n):
 * every stack position is a mark at the time slot of its last push; the depth of a line is
 * the number of marks newer than its own. A bitmap holds the marks and a Fenwick tree counts them
 * per block of 64 slots (a count is a tree sum plus one popcount; bitmap and tree take 1.5 bits a
 * slot, so they stay cached where a tree of slots would not). Holes keep their mark and are also
 * kept in a second bitmap and tree, so the topmost hole is found by binary descent. Slots are
 * renumbered when time runs out (amortised O(1): a compaction leaves the live marks 1/FA_SPAN of
 * the slots in use, so the next comes after 7 new marks per live one, and that window grows with
 * the footprint, so a small footprint stays cache-resident). Without
 * invalidations a hit just moves its mark (the hole tree is only used once one exists), and the
 * FA_FRONT most recent lines live in a small array in front of the tree: a reuse that shallow (a
 * hot stack, a line revisited) costs no hash or tree work; the line pushed out of the front
 * becomes the tree's newest mark. The first invalidation moves the front into the tree for good. */
#include <stdlib.h>
#include <string.h>

#include "bigmem_int.h"
#include "stackdist_int.h"

#define MAP_EMPTY UINT64_MAX      /* hash slot without a key */
#define FA_FRONT 8                /* lines in the front array */
#define FA_SPAN 8                 /* window slots per live mark after a compaction (4: 3 % slower) */
#define FA_COMPACT_AHEAD 256      /* marks between prefetching a line's hash slot and renumbering it */

/* One hash entry. */
typedef struct fa_ent {
    uint64_t key;     /* line, MAP_EMPTY = free */
    uint32_t val;     /* time slot of the key */
} fa_ent;

struct mh_sd_fa {
    uint32_t depth;   /* stack positions */
    uint32_t cap;     /* time slots allocated, 1-based */
    uint32_t ecap;    /* time slots in use until the next compaction (<= cap) */
    uint32_t nb;      /* 64-slot blocks covering slots 0..ecap */
    uint32_t top;     /* highest power of two <= nb, for the descent */
    uint32_t now;     /* next time slot to use */
    uint32_t oldest;  /* no mark lives below this slot */
    uint32_t marks;   /* lines + holes in the stack (<= depth) */
    uint32_t pend;    /* pushes into now's block not yet added to its count in mc */
    uint32_t holes;   /* explicit holes among the marks */
    uint64_t keys;    /* lines in the hash */
    uint64_t *mw;     /* bit t of mw[t / 64]: slot t holds a mark */
    uint64_t *hw;     /* the same for holes (a subset of the marks) */
    uint32_t *mc;     /* Fenwick tree over blocks (1-based): marks per block, less pend in now's */
    uint32_t *hc;     /* the same for holes */
    uint64_t *at;     /* at[slot]: line or MH_SD_HOLE, where slot holds a mark */
    fa_ent *map;      /* hash of lines: key and value side by side (one cache miss per lookup) */
    uint64_t front[FA_FRONT]; /* the most recent lines, newest first, MH_SD_HOLE = none yet; hashed
                                 (value unused), not marked in the tree */
    int front_on;     /* front[] in use (until the first invalidation) */
    uint64_t mask;    /* hash size - 1 */
    int shift;        /* 64 - log2(hash size) */
};

/* Adds v at slot i of Fenwick tree t (slots 1..cap). */
static void bit_add(uint32_t *t, uint32_t cap, uint32_t i, int32_t v)
{
    for (; i <= cap; i += i & -i)
        t[i] += (uint32_t)v;
}

/* Sum of t over slots 1..i. */
static uint32_t bit_sum(const uint32_t *t, uint32_t i)
{
    uint32_t s = 0;
    for (; i; i -= i & -i)
        s += t[i];
    return s;
}

/* Sets (v = 1) or clears (v = -1) slot t in bitmap w and counts it in w's block tree c. */
static void cnt_add(uint64_t *w, uint32_t *c, uint32_t nb, uint32_t t, int32_t v)
{
    uint64_t b = 1ull << (t & 63);
    w[t >> 6] = v > 0 ? w[t >> 6] | b : w[t >> 6] & ~b;
    bit_add(c, nb, (t >> 6) + 1, v);
}

/* Set slots among 0..t of bitmap w with block tree c. */
static uint32_t cnt_upto(const uint64_t *w, const uint32_t *c, uint32_t t)
{
    return bit_sum(c, t >> 6) + (uint32_t)__builtin_popcountll(w[t >> 6] & ((2ull << (t & 63)) - 1));
}

/* Slot of the k-th set slot of bitmap w with block tree c (1 <= k <= total). */
static uint32_t cnt_find(const uint64_t *w, const uint32_t *c, uint32_t nb, uint32_t top, uint32_t k)
{
    uint32_t b = 0; /* whole blocks before it */
    for (uint32_t step = top; step; step >>= 1)
        if (b + step <= nb && c[b + step] < k) {
            b += step;
            k -= c[b];
        }
    uint64_t x = w[b];
    while (--k)
        x &= x - 1;
    return b * 64 + (uint32_t)__builtin_ctzll(x);
}

/* First marked slot at or after t (one exists). */
static uint32_t mark_next(const uint64_t *w, uint32_t t)
{
    uint32_t b = t >> 6;
    uint64_t x = w[b] & (~0ull << (t & 63));
    while (!x)
        x = w[++b];
    return b * 64 + (uint32_t)__builtin_ctzll(x);
}

/* Slot t holds a mark. */
static int marked(const uint64_t *w, uint32_t t)
{
    return (int)(w[t >> 6] >> (t & 63) & 1);
}

/* Fibonacci hash of line into the table. */
static uint64_t map_hash(const mh_sd_fa *s, uint64_t line)
{
    return (line * 0x9E3779B97F4A7C15ull) >> s->shift;
}

/* Returns the hash index holding line, or the empty index where it would go. */
static uint64_t map_find(const mh_sd_fa *s, uint64_t line)
{
    uint64_t i = map_hash(s, line);
    while (s->map[i].key != MAP_EMPTY && s->map[i].key != line)
        i = (i + 1) & s->mask;
    return i;
}

/* Starts loading line's hash slot (a later mh_sd_fa_access finds it cached). */
void mh_sd_fa_prefetch(const mh_sd_fa *s, uint64_t line)
{
    __builtin_prefetch(&s->map[map_hash(s, line)].key, 0, 3);
}

/* Removes the key at index i, shifting later keys of its probe run back (no tombstones). */
static void map_delete(mh_sd_fa *s, uint64_t i)
{
    for (uint64_t j = (i + 1) & s->mask;; j = (j + 1) & s->mask) {
        if (s->map[j].key == MAP_EMPTY)
            break;
        uint64_t h = map_hash(s, s->map[j].key);
        if (((j - h) & s->mask) >= ((j - i) & s->mask)) {
            s->map[i].key = s->map[j].key;
            s->map[i].val = s->map[j].val;
            i = j;
        }
    }
    s->map[i].key = MAP_EMPTY;
}

/* Allocates an empty hash of hsize (power of two) keys; MH_OK or MH_ENOMEM. */
static int map_alloc(mh_sd_fa *s, uint64_t hsize)
{
    s->map = mh_big_alloc(hsize * sizeof *s->map, 0);
    if (!s->map)
        return MH_ENOMEM;
    for (uint64_t i = 0; i < hsize; i++)
        s->map[i].key = MAP_EMPTY;
    s->mask = hsize - 1;
    s->shift = 64 - __builtin_ctzll(hsize);
    return MH_OK;
}

/* Doubles the hash when it is 5/8 full; MH_OK or MH_ENOMEM (then unchanged). */
static int map_grow(mh_sd_fa *s)
{
    fa_ent *old = s->map;
    uint64_t n = s->mask + 1;
    if (map_alloc(s, 2 * n) != MH_OK) {
        s->map = old;
        s->mask = n - 1;
        s->shift = 64 - __builtin_ctzll(n);
        return MH_ENOMEM;
    }
    for (uint64_t i = 0; i < n; i++)
        if (old[i].key != MAP_EMPTY)
            s->map[map_find(s, old[i].key)] = old[i];
    mh_big_free(old, n * sizeof *old);
    return MH_OK;
}

/* Adds line, absent at its empty index i, growing the hash first when 5/8 full (a 2^19-line
 * stack keeps a 2^20-entry table, 16 MiB); returns the index it now has (a failed grow leaves a
 * fuller table: slower, still correct). */
static uint64_t map_insert(mh_sd_fa *s, uint64_t i, uint64_t line)
{
    if (8 * (s->keys + 1) > 5 * (s->mask + 1) && map_grow(s) == MH_OK)
        i = map_find(s, line);
    s->map[i].key = line;
    s->keys++;
    return i;
}

/* Sets the slot window to hold `live` marks with as many free slots again, and its descent top. */
static void fa_window(mh_sd_fa *s, uint32_t live)
{
    uint64_t want = (uint64_t)FA_SPAN * live + 256;
    s->ecap = want < s->cap ? (uint32_t)want : s->cap;
    s->nb = (s->ecap >> 6) + 1;
    for (s->top = 1; s->top * 2 <= s->nb; s->top *= 2)
        ;
}

/* Creates a stack of `depth` positions; NULL when out of memory. */
mh_sd_fa *mh_sd_fa_create(uint32_t depth)
{
    mh_sd_fa *s = calloc(1, sizeof *s);
    if (!s || depth == 0 || depth > UINT32_MAX / (2 * FA_SPAN)) {
        free(s);
        return NULL;
    }
    s->depth = depth;
    s->cap = FA_SPAN * depth + 2;
    fa_window(s, 0);
    uint32_t nb = (s->cap >> 6) + 1;
    s->mw = calloc(nb, sizeof *s->mw); /* zeroed lazily by the kernel: cheap when unused */
    s->hw = calloc(nb, sizeof *s->hw);
    s->mc = calloc(nb + 1, sizeof *s->mc);
    s->hc = calloc(nb + 1, sizeof *s->hc);
    s->at = mh_big_alloc((s->cap + 1) * sizeof *s->at, 0);
    if (!s->mw || !s->hw || !s->mc || !s->hc || !s->at || map_alloc(s, 1024) != MH_OK) {
        mh_sd_fa_destroy(s);
        return NULL;
    }
    s->now = s->oldest = 1;
    s->front_on = depth > FA_FRONT;
    for (int j = 0; j < FA_FRONT; j++)
        s->front[j] = MH_SD_HOLE;
    return s;
}

/* Sets bitmap w to slots 1..n (holes: those of them whose at[] is a hole) over blocks 0..nb-1 of
 * old and new windows, and builds its block tree c over the new window in linear time. */
static void cnt_rebuild(mh_sd_fa *s, uint64_t *w, uint32_t *c, uint32_t n, uint32_t old_nb, int holes)
{
    uint32_t clear = old_nb > s->nb ? old_nb : s->nb;
    memset(w, 0, clear * sizeof *w);
    memset(c, 0, (clear + 1) * sizeof *c);
    for (uint32_t t = 1; t <= n; t++)
        if (!holes || s->at[t] == MH_SD_HOLE)
            w[t >> 6] |= 1ull << (t & 63);
    for (uint32_t b = 0; b < s->nb; b++)
        c[b + 1] = (uint32_t)__builtin_popcountll(w[b]);
    for (uint32_t b = 1; b <= s->nb; b++) { /* linear-time Fenwick construction */
        uint32_t p = b + (b & -b);
        if (p <= s->nb)
            c[p] += c[b];
    }
}

/* Renumbers the live marks to slots 1..marks in order, resizes the window and rebuilds the
 * bitmaps and trees over it in O(window). */
static void fa_compact(mh_sd_fa *s)
{
    uint32_t n = 0;
    for (uint32_t t = s->oldest; t < s->now; t++) {
        uint32_t a = t + FA_COMPACT_AHEAD;
        if (a < s->now && marked(s->mw, a) && s->at[a] != MH_SD_HOLE)
            __builtin_prefetch(&s->map[map_hash(s, s->at[a])], 1, 0);
        if (!marked(s->mw, t))
            continue;
        uint64_t v = s->at[t];
        s->at[++n] = v;
        if (v != MH_SD_HOLE)
            s->map[map_find(s, v)].val = n;
    }
    uint32_t old_nb = s->nb;
    fa_window(s, n);
    cnt_rebuild(s, s->mw, s->mc, n, old_nb, 0);
    cnt_rebuild(s, s->hw, s->hc, s->holes ? n : 0, old_nb, 1);
    s->oldest = 1;
    s->now = n + 1;
    s->pend = 0;
}

/* Removes the mark at slot t from the trees (the caller fixes at[] and the map). */
static void fa_unmark(mh_sd_fa *s, uint32_t t, int hole)
{
    cnt_add(s->mw, s->mc, s->nb, t, -1);
    if (hole) {
        cnt_add(s->hw, s->hc, s->nb, t, -1);
        s->holes--;
    }
    s->marks--;
}

/* Marks line, whose hash value is set to now, at slot now and advances now. The count of now's
 * block is added to mc once it is full: a prefix count over mc never includes now's block. */
static void fa_push(mh_sd_fa *s, uint64_t line)
{
    s->at[s->now] = line;
    s->mw[s->now >> 6] |= 1ull << (s->now & 63);
    s->now++;
    s->marks++;
    s->pend++;
    if ((s->now & 63) == 0) {
        bit_add(s->mc, s->nb, s->now >> 6, (int32_t)s->pend);
        s->pend = 0;
    }
}

/* Marks line (hashed) as the tree's newest, at the next time slot. */
static void fa_mark_new(mh_sd_fa *s, uint64_t line)
{
    if (s->now > s->ecap)
        fa_compact(s);
    s->map[map_find(s, line)].val = s->now;
    fa_push(s, line);
}

/* Drops the oldest mark and its line (the bottom of a full stack). */
static void fa_drop_oldest(mh_sd_fa *s)
{
    s->oldest = mark_next(s->mw, s->oldest);
    map_delete(s, map_find(s, s->at[s->oldest]));
    s->keys--;
    fa_unmark(s, s->oldest, 0);
}

/* Position of line in the front array, FA_FRONT when absent (selects: where it is is data). */
static uint32_t front_find(const uint64_t *f, uint64_t line)
{
    uint32_t j = FA_FRONT;
    for (uint32_t k = FA_FRONT; k-- > 0;)
        j = f[k] == line ? k : j;
    return j;
}

/* mh_sd_fa_access while the front array is on (no holes anywhere). */
static uint32_t fa_access_front(mh_sd_fa *s, uint64_t line)
{
    uint32_t j = front_find(s->front, line);
    if (j < FA_FRONT) { /* a shallow reuse: only the front moves */
        memmove(s->front + 1, s->front, j * sizeof s->front[0]);
        s->front[0] = line;
        return j;
    }
    uint64_t i = map_find(s, line);
    uint32_t d = s->depth;
    if (s->map[i].key == line) { /* in the tree: below the front, under the newer marks */
        uint32_t t = s->map[i].val;
        d = FA_FRONT + s->marks - cnt_upto(s->mw, s->mc, t);
        fa_unmark(s, t, 0);
    } else {
        i = map_insert(s, i, line);
    }
    uint64_t spill = s->front[FA_FRONT - 1];
    memmove(s->front + 1, s->front, (FA_FRONT - 1) * sizeof s->front[0]);
    s->front[0] = line;
    if (spill != MH_SD_HOLE) { /* the front was full: its last line becomes the tree's newest */
        fa_mark_new(s, spill);
        if (s->marks > s->depth - FA_FRONT)
            fa_drop_oldest(s);
    }
    return d;
}

/* Moves the front array's lines into the tree (oldest first) and turns the array off. */
static void fa_front_off(mh_sd_fa *s)
{
    for (int j = FA_FRONT; j-- > 0;)
        if (s->front[j] != MH_SD_HOLE)
            fa_mark_new(s, s->front[j]);
    s->front_on = 0;
}

/* References line; returns its depth before the access (depth = not in the stack). */
uint32_t mh_sd_fa_access(mh_sd_fa *s, uint64_t line)
{
    if (s->front_on)
        return fa_access_front(s, line);
    uint64_t i = map_find(s, line);
    uint32_t d = s->depth;
    if (s->map[i].key == line) {
        uint32_t t = s->map[i].val;
        d = s->marks - cnt_upto(s->mw, s->mc, t);
        if (s->holes) { /* its position becomes a hole, absorbed below (maybe another one is) */
            s->at[t] = MH_SD_HOLE;
            cnt_add(s->hw, s->hc, s->nb, t, 1);
            s->holes++;
        } else { /* its own position would be the topmost hole: just drop the mark */
            fa_unmark(s, t, 0);
        }
    } else {
        i = map_insert(s, i, line);
    }
    if (s->now > s->ecap) {
        fa_compact(s);
        i = map_find(s, line);
    }
    s->map[i].val = s->now;
    fa_push(s, line);
    if (s->holes) { /* the topmost hole absorbs the shift */
        fa_unmark(s, cnt_find(s->hw, s->hc, s->nb, s->top, s->holes), 1);
    } else if (s->marks > s->depth) { /* no hole: the bottom line falls off */
        fa_drop_oldest(s);
    }
    return d;
}

/* Turns line's position into a hole (explicit invalidation); absent lines are ignored. */
void mh_sd_fa_invalidate(mh_sd_fa *s, uint64_t line)
{
    if (s->front_on)
        fa_front_off(s);
    uint64_t i = map_find(s, line);
    if (s->map[i].key != line)
        return;
    uint32_t t = s->map[i].val;
    map_delete(s, i);
    s->keys--;
    s->at[t] = MH_SD_HOLE;
    cnt_add(s->hw, s->hc, s->nb, t, 1);
    s->holes++;
}

/* Frees s; NULL is a no-op. */
void mh_sd_fa_destroy(mh_sd_fa *s)
{
    if (!s)
        return;
    free(s->mw);
    free(s->hw);
    free(s->mc);
    free(s->hc);
    mh_big_free(s->at, (size_t)(s->cap + 1) * sizeof *s->at);
    mh_big_free(s->map, (size_t)(s->mask + 1) * sizeof *s->map);
    free(s);
}
