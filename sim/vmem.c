/* vmem.c — page table (open-addressing hash) + physical frames with LRU or clock replacement. */
#include <stdlib.h>

#include "vmem_int.h"

#define NIL UINT32_MAX   /* no frame / end of list */
#define RECENT 64        /* direct-mapped cache of recently touched resident pages */

/* One page-table entry. */
typedef struct pte {
    uint64_t key;       /* page number + 1; 0 = empty slot */
    uint32_t frame;     /* resident frame, or NIL when paged out */
} pte;

struct mh_vmem {
    pte *tab;           /* hash table of every page ever touched */
    uint64_t tab_mask;  /* table size - 1 (power of two) */
    uint64_t used;      /* occupied slots */
    unsigned tab_bits;  /* log2(table size) */
    unsigned shift;     /* log2(page size) */
    int policy;         /* enum mh_page_policy */
    uint32_t nframes;   /* frames; 0 = unlimited */
    uint32_t nused;     /* frames handed out so far */
    uint64_t *fvpn;     /* per frame: page held */
    uint32_t *prev;     /* per frame: LRU list towards MRU */
    uint32_t *next;     /* per frame: LRU list towards LRU */
    uint8_t *dirty;     /* per frame: written since loaded */
    uint8_t *ref;       /* per frame: clock reference bit */
    uint32_t mru, lru;  /* LRU list ends */
    uint32_t hand;      /* clock hand */
    uint64_t recent_key[RECENT];   /* fast path: resident page keys by key % RECENT ... */
    uint32_t recent_frame[RECENT]; /* ... and their frames (0 when unlimited) */
};

/* Hashes a key into the table. */
static uint64_t slot_of(const mh_vmem *v, uint64_t key)
{
    return (key * 0x9E3779B97F4A7C15ull) >> (64 - v->tab_bits);
}

/* Returns the slot holding key, or the empty slot where it would go. */
static uint64_t find(const mh_vmem *v, uint64_t key)
{
    uint64_t s = slot_of(v, key);
    while (v->tab[s].key && v->tab[s].key != key) s = (s + 1) & v->tab_mask;
    return s;
}

/* Doubles the table; returns 0 or -1 when out of memory (table unchanged). */
static int grow(mh_vmem *v)
{
    pte *old = v->tab;
    uint64_t n = (v->tab_mask + 1) * 2;
    pte *tab = calloc(n, sizeof *tab);
    if (!tab) return -1;
    uint64_t oldn = v->tab_mask + 1;
    v->tab = tab;
    v->tab_mask = n - 1;
    v->tab_bits++;
    for (uint64_t i = 0; i < oldn; i++)
        if (old[i].key) v->tab[find(v, old[i].key)] = old[i];
    free(old);
    return 0;
}

/* Unlinks frame f from the LRU list. */
static void lru_unlink(mh_vmem *v, uint32_t f)
{
    if (v->prev[f] != NIL) v->next[v->prev[f]] = v->next[f]; else v->mru = v->next[f];
    if (v->next[f] != NIL) v->prev[v->next[f]] = v->prev[f]; else v->lru = v->prev[f];
}

/* Puts frame f at the MRU end. */
static void lru_push(mh_vmem *v, uint32_t f)
{
    v->prev[f] = NIL;
    v->next[f] = v->mru;
    if (v->mru != NIL) v->prev[v->mru] = f; else v->lru = f;
    v->mru = f;
}

/* Marks frame f used now (LRU: move to MRU; clock: set the reference bit). */
static void use_frame(mh_vmem *v, uint32_t f)
{
    if (v->policy == MH_PAGE_CLOCK) { v->ref[f] = 1; return; }
    if (v->mru == f) return;
    lru_unlink(v, f);
    lru_push(v, f);
}

/* Chooses the frame to evict: LRU tail, or the first unreferenced frame under the clock hand. */
static uint32_t victim(mh_vmem *v)
{
    if (v->policy != MH_PAGE_CLOCK) return v->lru;
    while (v->ref[v->hand]) {
        v->ref[v->hand] = 0;
        v->hand = v->hand + 1 == v->nframes ? 0 : v->hand + 1;
    }
    uint32_t f = v->hand;
    v->hand = v->hand + 1 == v->nframes ? 0 : v->hand + 1;
    return f;
}

/* Returns a frame for a page coming in: a never-used one, else an evicted one (dirty -> *wrote_out). */
static uint32_t take_frame(mh_vmem *v, int *wrote_out)
{
    uint32_t f;
    if (v->nused < v->nframes) {
        f = v->nused++;
    } else {
        f = victim(v);
        uint64_t gone = v->fvpn[f] + 1;
        v->tab[find(v, gone)].frame = NIL;
        if (v->recent_key[gone % RECENT] == gone) v->recent_key[gone % RECENT] = 0;
        if (v->dirty[f]) *wrote_out = 1;
        if (v->policy != MH_PAGE_CLOCK) lru_unlink(v, f);
    }
    v->dirty[f] = 0;
    if (v->policy == MH_PAGE_CLOCK) v->ref[f] = 1; else lru_push(v, f);
    return f;
}

/* Builds an empty page table with capacity / page_size frames. */
int mh_vmem_create(const mh_ram_cfg *c, mh_vmem **out, mh_error *err)
{
    uint64_t ps = c->page_size;
    if (ps == 0 || (ps & (ps - 1)))
        return mh_error_set(err, MH_ECONFIG, "[RAM] page_size = %llu, must be a power of two (e.g. 4K)",
                            (unsigned long long)ps);
    uint64_t nf = c->capacity / ps;
    if (c->capacity && (nf == 0 || nf >= NIL))
        return mh_error_set(err, MH_ECONFIG, "[RAM] capacity = %llu, must hold 1 to 2^32-2 pages of %llu bytes",
                            (unsigned long long)c->capacity, (unsigned long long)ps);
    mh_vmem *v = calloc(1, sizeof *v);
    if (!v) return mh_error_set(err, MH_ENOMEM, "[RAM]: out of memory");
    v->tab_bits = 12;
    v->tab_mask = (1u << v->tab_bits) - 1;
    v->tab = calloc(v->tab_mask + 1, sizeof *v->tab);
    v->nframes = (uint32_t)nf;
    v->policy = c->page_policy;
    while ((1ull << v->shift) < ps) v->shift++;
    v->mru = v->lru = NIL;
    if (nf) {
        v->fvpn = calloc(nf, sizeof *v->fvpn);
        v->prev = calloc(nf, sizeof *v->prev);
        v->next = calloc(nf, sizeof *v->next);
        v->dirty = calloc(nf, 1);
        v->ref = calloc(nf, 1);
    }
    if (!v->tab || (nf && (!v->fvpn || !v->prev || !v->next || !v->dirty || !v->ref))) {
        mh_vmem_destroy(v);
        return mh_error_set(err, MH_ENOMEM, "[RAM]: out of memory for %llu page frames", (unsigned long long)nf);
    }
    *out = v;
    return MH_OK;
}

/* Touches addr's page: fast path for the page touched last, else a hash lookup and maybe a fault. */
int mh_vmem_touch(mh_vmem *v, uint64_t addr, int write, int *wrote_out)
{
    uint64_t key = (addr >> v->shift) + 1;
    unsigned r = (unsigned)(key % RECENT);
    if (key == v->recent_key[r]) {           /* resident: no hash lookup */
        if (v->nframes) {
            uint32_t f = v->recent_frame[r];
            use_frame(v, f);
            v->dirty[f] |= (uint8_t)write;
        }
        return MH_VM_HIT;
    }
    uint64_t s = find(v, key);
    int res = MH_VM_HIT;
    if (!v->tab[s].key) {
        if ((v->used + 1) * 2 > v->tab_mask + 1) {
            if (grow(v)) return -1;
            s = find(v, key);
        }
        v->tab[s].key = key;
        v->tab[s].frame = NIL;
        v->used++;
        res = MH_VM_MINOR;
    } else if (v->tab[s].frame == NIL && v->nframes) {
        res = MH_VM_MAJOR;
    }
    uint32_t f = 0;
    if (v->nframes) {
        if (res == MH_VM_HIT) {
            f = v->tab[s].frame;
            use_frame(v, f);
        } else {
            f = take_frame(v, wrote_out);   /* does not move table slots */
            v->tab[s].frame = f;
            v->fvpn[f] = key - 1;
        }
        v->dirty[f] |= (uint8_t)write;
    }
    v->recent_key[r] = key;
    v->recent_frame[r] = f;
    return res;
}

/* Preloads pages: a touch of each that no caller sees (no statistics live here). */
int mh_vmem_preload(mh_vmem *v, uint64_t addr, uint64_t len)
{
    if (!len) return 0;
    uint64_t last = addr + (len - 1) < addr ? UINT64_MAX : addr + (len - 1);
    for (uint64_t pg = addr >> v->shift; pg <= last >> v->shift; pg++) {
        int wrote = 0;
        if (mh_vmem_touch(v, pg << v->shift, 0, &wrote) < 0) return -1;
        if (pg == UINT64_MAX >> v->shift) break; /* the top page: pg + 1 would wrap */
    }
    return 0;
}

/* Number of frames (0 = unlimited). */
uint64_t mh_vmem_frames(const mh_vmem *v)
{
    return v->nframes;
}

/* Frees v and its arrays. */
void mh_vmem_destroy(mh_vmem *v)
{
    if (!v) return;
    free(v->tab);
    free(v->fvpn);
    free(v->prev);
    free(v->next);
    free(v->dirty);
    free(v->ref);
    free(v);
}
