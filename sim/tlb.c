/* tlb.c — a set-associative TLB with LRU replacement. Entries live in a flat array; a hash index
 * (page -> entry) makes a lookup O(1) whatever the associativity (fully associative L1 DTLBs are
 * common), and each set keeps its entries on a circular LRU list, so replacement is O(1) too:
 * the victim, the MRU's predecessor, becomes the MRU by moving the list's start, no link changes.
 * A replaced page's index slot is left behind: a lookup checks the entry's key anyway, so a stale
 * slot only lengthens probes, and the index is rebuilt from the entries once half of it is used. */
#include <stdlib.h>

#include "tlb_int.h"

/* One entry: its page and its place on its set's LRU list (side by side: one base pointer). */
typedef struct tlb_ent {
    uint64_t key;       /* page number + 1; 0 = invalid */
    int64_t ready;      /* when its translation completes (the timing model's clock; 0 = at once) */
    uint32_t prev;      /* neighbour towards the MRU end of its set's ring (the MRU's: the LRU) */
    uint32_t next;      /* neighbour towards the LRU end (the LRU's: the MRU) */
} tlb_ent;

struct mh_tlb {
    tlb_ent *ent;       /* entries, set by set */
    uint32_t *mru;      /* per set: most recently used entry; its prev is the LRU (the victim) */
    uint32_t *index;    /* hash of keys: entry + 1, 0 = empty (linear probing); may be stale */
    uint64_t index_mask;/* index size - 1 */
    uint64_t index_used;/* slots in use, stale ones included */
    unsigned index_shift;/* 64 - log2(index size): a hash's top bits pick the home slot */
    uint32_t entries;   /* number of entries */
    uint32_t sets;      /* entries / ways */
    uint64_t set_mask;  /* sets - 1 when sets is a power of two (modulo otherwise) */
    int sets_pow2;      /* sets is a power of two */
    unsigned shift;     /* log2(page size) */
};

/* Returns log2(x) for a power of two x, or -1 otherwise. */
static int log2_exact(uint64_t x)
{
    if (x == 0 || (x & (x - 1))) return -1;
    int n = 0;
    while (x >>= 1) n++;
    return n;
}

/* Returns the home slot of key in the index. */
static uint64_t home(const mh_tlb *t, uint64_t key)
{
    return (key * 0x9E3779B97F4A7C15ull) >> t->index_shift;
}

/* Rebuilds the index from the valid entries, dropping stale slots. */
static void index_rebuild(mh_tlb *t)
{
    for (uint64_t i = 0; i <= t->index_mask; i++) t->index[i] = 0;
    t->index_used = 0;
    for (uint32_t e = 0; e < t->entries; e++) {
        if (!t->ent[e].key) continue;
        uint64_t i = home(t, t->ent[e].key);
        while (t->index[i]) i = (i + 1) & t->index_mask;
        t->index[i] = e + 1;
        t->index_used++;
    }
}

/* Moves entry e of set s to the MRU end. */
static void make_mru(mh_tlb *t, uint32_t s, uint32_t e)
{
    uint32_t m = t->mru[s];
    if (m == e) return;
    tlb_ent *x = &t->ent[e], *h = &t->ent[m];
    t->ent[x->prev].next = x->next;                   /* unlink e */
    t->ent[x->next].prev = x->prev;
    x->prev = h->prev;                                /* and put it between the LRU and the MRU */
    x->next = m;
    t->ent[h->prev].next = e;
    h->prev = e;
    t->mru[s] = e;
}

/* Builds an empty TLB; rejects zero sizes, ways not dividing entries, non-power-of-two pages. */
int mh_tlb_create(const mh_tlb_cfg *c, const char *name, mh_tlb **out, mh_error *err)
{
    int sh = log2_exact(c->page_size);
    if (c->entries == 0 || c->ways == 0 || c->entries % c->ways || c->entries > (1u << 28))
        return mh_error_set(err, MH_ECONFIG, "[%s] entries = %u, ways = %u: entries must be a positive multiple of ways (at most 2^28)",
                            name, c->entries, c->ways);
    if (sh < 0)
        return mh_error_set(err, MH_ECONFIG, "[%s] page_size = %llu, must be a power of two (4K, 2M, 1G)",
                            name, (unsigned long long)c->page_size);
    mh_tlb *t = calloc(1, sizeof *t);
    if (!t) return mh_error_set(err, MH_ENOMEM, "[%s]: out of memory", name);
    uint32_t n = c->entries, ways = c->ways;
    t->entries = n;
    t->sets = n / ways;
    unsigned bits = 2;
    while ((1ull << bits) < 4ull * n) bits++;         /* load factor <= 1/4 */
    t->index_mask = (1ull << bits) - 1;
    t->index_shift = 64 - bits;
    t->ent = calloc(n, sizeof *t->ent);
    t->mru = calloc(t->sets, sizeof *t->mru);
    t->index = calloc(t->index_mask + 1, sizeof *t->index);
    if (!t->ent || !t->mru || !t->index) {
        mh_tlb_destroy(t);
        return mh_error_set(err, MH_ENOMEM, "[%s]: out of memory for %u entries", name, n);
    }
    for (uint32_t s = 0; s < t->sets; s++) {          /* each set: a list of its invalid entries */
        uint32_t base = s * ways;
        for (uint32_t w = 0; w < ways; w++) {
            t->ent[base + w].prev = base + (w ? w - 1 : ways - 1);
            t->ent[base + w].next = base + (w + 1 < ways ? w + 1 : 0);
        }
        t->mru[s] = base;
    }
    t->sets_pow2 = log2_exact(t->sets) >= 0;
    t->set_mask = t->sets - 1;
    t->shift = (unsigned)sh;
    *out = t;
    return MH_OK;
}

/* Returns the set of page vpn. */
static uint32_t set_of(const mh_tlb *t, uint64_t vpn)
{
    return (uint32_t)(t->sets_pow2 ? (vpn & t->set_mask) : vpn % t->sets);
}

/* A miss: page vpn replaces its set's LRU entry (ready at once; returned); i is the empty index
 * slot its probe ended at.
 * Kept out of line so that a hit saves no registers it does not use. */
static __attribute__((noinline)) uint32_t insert(mh_tlb *t, uint64_t vpn, uint64_t i)
{
    uint64_t key = vpn + 1;
    uint32_t s = set_of(t, vpn), v = t->ent[t->mru[s]].prev;
    t->ent[v].key = key;                              /* the old key's slot goes stale */
    t->ent[v].ready = 0;
    t->index[i] = v + 1;
    if (++t->index_used > t->index_mask / 2) index_rebuild(t);
    t->mru[s] = v;                                    /* the ring turns: v is the MRU */
    return v;
}

/* Probes the index for key: returns its entry + 1, or 0 with *slot the empty slot the probe ended at. */
static inline uint32_t probe(const mh_tlb *t, uint64_t key, uint64_t *slot)
{
    uint64_t i = home(t, key);
    for (uint32_t e; (e = t->index[i]) != 0; i = (i + 1) & t->index_mask)
        if (t->ent[e - 1].key == key) return e;
    *slot = i;
    return 0;
}

/* Looks up vaddr's page (a miss replaces the LRU entry of its set); *ready points at the entry's
 * completion time, which the caller reads on a hit and sets on a miss. Returns 1 on a hit. */
int mh_tlb_lookup_at(mh_tlb *t, uint64_t vaddr, int64_t **ready)
{
    uint64_t vpn = vaddr >> t->shift, i = 0;
    uint32_t e = probe(t, vpn + 1, &i);
    if (e) {
        make_mru(t, set_of(t, vpn), e - 1);
        *ready = &t->ent[e - 1].ready;
        return 1;
    }
    *ready = &t->ent[insert(t, vpn, i)].ready;
    return 0;
}

/* See tlb_int.h. */
int mh_tlb_find(mh_tlb *t, uint64_t vaddr, int64_t **ready)
{
    uint64_t vpn = vaddr >> t->shift, i;
    uint32_t e = probe(t, vpn + 1, &i);
    if (!e) return 0;
    make_mru(t, set_of(t, vpn), e - 1);
    *ready = &t->ent[e - 1].ready;
    return 1;
}

/* Looks up vaddr's page; on a miss replaces the least recently used entry of its set. */
int mh_tlb_lookup(mh_tlb *t, uint64_t vaddr)
{
    int64_t *ready;
    return mh_tlb_lookup_at(t, vaddr, &ready);
}

/* Returns log2 of the page size. */
unsigned mh_tlb_page_shift(const mh_tlb *t)
{
    return t->shift;
}

/* Frees t and its arrays. */
void mh_tlb_destroy(mh_tlb *t)
{
    if (!t) return;
    free(t->ent);
    free(t->mru);
    free(t->index);
    free(t);
}
