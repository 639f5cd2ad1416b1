/* shadow.c — the 3C classifier's shadow of one level: a fully associative LRU cache of the same
 * number of lines (hash chains + intrusive doubly linked recency list, all in flat arrays, O(1)
 * per access) and a chunked bitmap of every line ever referenced (compulsory misses).
 * Definitions follow DineroIV (ref.c, d4ref "classify misses"): a miss that hits in the fully
 * associative cache is a conflict miss; one that misses there is compulsory if the line was never
 * referenced before, else a capacity miss. */
#include <stdlib.h>
#include <string.h>

#include "bigmem_int.h"
#include "level_int.h"

#define NIL UINT32_MAX

/* One line of the fully associative cache: key and links together (one host cache miss). */
typedef struct node {
    uint64_t key;               /* line */
    uint32_t prev, next, hnext; /* recency list and hash chain links */
} node;

struct mh_shadow {
    uint32_t cap;        /* lines in the fully associative cache */
    uint32_t used;       /* nodes in use */
    uint32_t head, tail; /* MRU and LRU nodes */
    node *nd;            /* cap nodes */
    uint32_t *bucket;    /* hash -> first node */
    uint64_t bmask;      /* buckets - 1 */
    uint32_t *freel;     /* free node stack (after removals) */
    uint32_t nfree;
    uint64_t *ckey;      /* seen set: open-addressing table of chunk number + 1; 0 = empty */
    uint32_t *cidx;      /* chunk -> its bitmap in bits[] */
    uint64_t cmask;      /* table capacity - 1 */
    uint64_t nchunks;    /* chunks in use */
    uint64_t *bits;      /* CHUNK_WORDS words per chunk: one bit per line ever referenced */
    uint64_t bits_cap;   /* chunks the bitmap pool holds */
};

#define CHUNK_SHIFT 12                          /* 4096 lines per chunk: neighbours share one */
#define CHUNK_WORDS ((1u << CHUNK_SHIFT) / 64)

/* 64-bit mix for hashing line numbers. */
static inline uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

/* Creates a shadow of `lines` lines. */
mh_shadow *mh_shadow_create(uint64_t lines)
{
    if (lines == 0 || lines >= NIL)
        return NULL;
    mh_shadow *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    uint64_t nb = 1;
    while (nb < lines * 2)
        nb <<= 1;
    s->cap = (uint32_t)lines;
    s->head = s->tail = NIL;
    s->nd = mh_big_alloc(lines * sizeof *s->nd, 0);
    s->freel = malloc(lines * sizeof *s->freel);
    s->bucket = mh_big_alloc(nb * sizeof *s->bucket, 0);
    s->bmask = nb - 1;
    s->cmask = 63;
    s->ckey = calloc(s->cmask + 1, sizeof *s->ckey);
    s->cidx = calloc(s->cmask + 1, sizeof *s->cidx);
    if (!s->nd || !s->freel || !s->bucket || !s->ckey || !s->cidx) {
        mh_shadow_destroy(s);
        return NULL;
    }
    for (uint64_t i = 0; i < nb; i++)
        s->bucket[i] = NIL;
    return s;
}

/* Frees s. */
void mh_shadow_destroy(mh_shadow *s)
{
    if (!s)
        return;
    mh_big_free(s->nd, (size_t)s->cap * sizeof *s->nd);
    free(s->freel);
    mh_big_free(s->bucket, (size_t)(s->bmask + 1) * sizeof *s->bucket);
    free(s->ckey);
    free(s->cidx);
    free(s->bits);
    free(s);
}

/* Unlinks node n from the recency list. */
static void list_unlink(mh_shadow *s, uint32_t n)
{
    if (s->nd[n].prev != NIL) s->nd[s->nd[n].prev].next = s->nd[n].next; else s->head = s->nd[n].next;
    if (s->nd[n].next != NIL) s->nd[s->nd[n].next].prev = s->nd[n].prev; else s->tail = s->nd[n].prev;
}

/* Links node n at the MRU end. */
static void list_push_front(mh_shadow *s, uint32_t n)
{
    s->nd[n].prev = NIL;
    s->nd[n].next = s->head;
    if (s->head != NIL) s->nd[s->head].prev = n; else s->tail = n;
    s->head = n;
}

/* Returns the node of line, or NIL; *link gets the pointer that refers to it. */
static uint32_t hash_find(mh_shadow *s, uint64_t line, uint32_t **link)
{
    uint32_t *p = &s->bucket[mix(line) & s->bmask];
    while (*p != NIL && s->nd[*p].key != line)
        p = &s->nd[*p].hnext;
    *link = p;
    return *p;
}

/* Removes node n from its hash chain. */
static void hash_unlink(mh_shadow *s, uint32_t n)
{
    uint32_t *p;
    hash_find(s, s->nd[n].key, &p);
    *p = s->nd[n].hnext;
}

/* Stage 0: asks for line's hash bucket; stage 1: for the node the bucket (asked for some lookups
 * earlier) leads to. Inlined in both loops below (a call per line cost the replay 15 %). */
static inline __attribute__((always_inline)) void line_prefetch(const mh_shadow *s, uint64_t line, int stage)
{
    const uint32_t *b = &s->bucket[mix(line) & s->bmask];
    if (!stage)
        __builtin_prefetch(b);
    else if (*b != NIL)
        __builtin_prefetch(&s->nd[*b]);
}

/* See level_int.h. */
void mh_shadow_prefetch_line(const mh_shadow *s, uint64_t line, int stage)
{
    line_prefetch(s, line, stage);
}

/* See level_int.h. Stage 1 reads the buckets stage 0 asked for a chunk earlier. */
void mh_shadow_prefetch(const mh_shadow *s, const mh_rec *recs, size_t k, int shift, int stage)
{
    for (size_t i = 0; i < k; i++)
        line_prefetch(s, recs[i].addr >> shift, stage);
}

/* Looks line up; hit -> MRU; miss + alloc -> insert, evicting the LRU line when full. */
int mh_shadow_access(mh_shadow *s, uint64_t line, int alloc)
{
    uint32_t *p, n = hash_find(s, line, &p);
    if (n != NIL) {
        if (s->head != n) {
            list_unlink(s, n);
            list_push_front(s, n);
        }
        return 1;
    }
    if (!alloc)
        return 0;
    if (s->nfree)
        n = s->freel[--s->nfree];
    else if (s->used < s->cap)
        n = s->used++;
    else {
        n = s->tail;
        list_unlink(s, n);
        hash_unlink(s, n);
        hash_find(s, line, &p); /* the chain may have changed */
    }
    s->nd[n].key = line;
    s->nd[n].hnext = NIL;
    *p = n;
    list_push_front(s, n);
    return 0;
}

/* Drops line from the fully associative part. */
void mh_shadow_remove(mh_shadow *s, uint64_t line)
{
    uint32_t *p, n = hash_find(s, line, &p);
    if (n == NIL)
        return;
    *p = s->nd[n].hnext;
    list_unlink(s, n);
    s->freel[s->nfree++] = n;
}

/* Doubles the chunk table; returns 0 when out of memory. */
static int chunks_grow(mh_shadow *s)
{
    uint64_t nm = s->cmask * 2 + 1, *k = calloc(nm + 1, sizeof *k);
    uint32_t *x = calloc(nm + 1, sizeof *x);
    if (!k || !x) {
        free(k);
        free(x);
        return 0;
    }
    for (uint64_t i = 0; i <= s->cmask; i++) {
        if (!s->ckey[i])
            continue;
        uint64_t j = mix(s->ckey[i]) & nm;
        while (k[j])
            j = (j + 1) & nm;
        k[j] = s->ckey[i];
        x[j] = s->cidx[i];
    }
    free(s->ckey);
    free(s->cidx);
    s->ckey = k;
    s->cidx = x;
    s->cmask = nm;
    return 1;
}

/* Returns the bitmap of line's chunk, creating it; NULL when out of memory. */
static uint64_t *chunk_of(mh_shadow *s, uint64_t line)
{
    uint64_t key = (line >> CHUNK_SHIFT) + 1, j = mix(key) & s->cmask;
    while (s->ckey[j]) {
        if (s->ckey[j] == key)
            return s->bits + (size_t)s->cidx[j] * CHUNK_WORDS;
        j = (j + 1) & s->cmask;
    }
    if ((s->nchunks + 1) * 2 > s->cmask + 1) {
        if (!chunks_grow(s))
            return NULL;
        return chunk_of(s, line);
    }
    if (s->nchunks == s->bits_cap) {
        uint64_t cap = s->bits_cap ? s->bits_cap * 2 : 16;
        uint64_t *b = realloc(s->bits, (size_t)cap * CHUNK_WORDS * sizeof *b);
        if (!b)
            return NULL;
        s->bits = b;
        s->bits_cap = cap;
    }
    uint64_t *b = s->bits + (size_t)s->nchunks * CHUNK_WORDS;
    memset(b, 0, CHUNK_WORDS * sizeof *b);
    s->ckey[j] = key;
    s->cidx[j] = (uint32_t)s->nchunks++;
    return b;
}

/* See level_int.h. */
int mh_shadow_classify(mh_shadow *s, uint64_t line, int hit, int alloc)
{
    int fa_hit = mh_shadow_access(s, line, alloc);
    if (hit)
        return 0;
    int seen = mh_shadow_seen(s, line);
    return fa_hit ? 1 : seen ? 2 : 3;
}

/* Returns 1 if line was referenced before; records it (a chunked bitmap, like DineroIV's
 * infinite cache: neighbouring lines share a chunk, so the set stays cache-friendly). */
int mh_shadow_seen(mh_shadow *s, uint64_t line)
{
    uint64_t *b = chunk_of(s, line);
    if (!b)
        return 0; /* out of memory: classify as compulsory */
    uint64_t bit = 1ull << (line & 63), *w = &b[(line >> 6) & (CHUNK_WORDS - 1)];
    int seen = (*w & bit) != 0;
    *w |= bit;
    return seen;
}
