/* level_int.h — one set-associative cache level (sim/level.c), its replacement policies
 * (sim/policy.c, one registry table) and the 3C shadow (sim/shadow.c). Internal to the library.
 *
 * Storage: one flat array of 64-bit slots, `ways` consecutive slots per set. A slot holds
 * ((line number + 1) << MH_SL_SHIFT) | flags, so 0 means invalid and a lookup is one compare
 * per way. Policies that keep an order (lru, fifo) keep the slots of a set sorted newest
 * first: a hit in way 0 costs nothing, the victim is the last way, and the valid slots are
 * always a prefix of the set. The other policies keep slots in place and use side arrays. */
#ifndef MH_LEVEL_INT_H
#define MH_LEVEL_INT_H

#include <string.h>

#include "config_int.h"
#include "prefetch_int.h"

#define MH_SL_DIRTY 1u     /* line modified (write-back) */
#define MH_SL_PF 2u        /* filled by a hardware prefetch, not yet used by a demand access */
#define MH_SL_SHIFT 2      /* flags live in the low bits */
#define MH_SL_FLAGS 3u

typedef struct mh_shadow mh_shadow;
typedef struct mh_level mh_level;

/* One replacement policy: a registry entry. Slot-ordering policies (reorder = 1) need no hooks. */
typedef struct mh_repl {
    const char *name;                                            /* config name */
    int reorder;                                                 /* 1: slots kept newest first */
    int promote;                                                 /* reorder only: move to front on hit */
    void (*hit)(mh_level *L, uint32_t set, uint32_t way);        /* NULL: nothing to update */
    uint32_t (*victim)(mh_level *L, uint32_t set);               /* way to replace (set full) */
    void (*fill)(mh_level *L, uint32_t set, uint32_t way);       /* NULL: nothing to update */
    int per_set;                                                 /* 1: all its state is in the set
                                                                    (no generator shared by sets) */
    const char *help;                                            /* one line for --help */
} mh_repl;

/* Returns the policy for an enum mh_policy value, or NULL. */
const mh_repl *mh_policy_get(int id);
/* Returns the enum mh_policy value for name, or -1. */
int mh_policy_lookup(const char *name);
/* Returns the policy name of id, or "?". */
const char *mh_policy_name(int id);
/* Bytes of per-slot state (meta) and per-set state (tree) policy id needs for `ways` ways. */
void mh_policy_state_size(int id, uint32_t ways, size_t *meta_per_slot, size_t *tree_per_set);

/* One cache level: geometry, slots, policy state and statistics. */
struct mh_level {
    const mh_repl *pol;      /* replacement policy */
    uint64_t *slot;            /* sets * ways slots */
    uint8_t *meta;             /* per-slot policy state (RRPV), or NULL */
    uint8_t *tree;             /* per-set policy state (PLRU tree bits), or NULL */
    uint32_t tree_stride;      /* bytes of tree per set */
    uint32_t ways;             /* associativity */
    uint32_t sets;             /* number of sets (power of two) */
    uint64_t set_mask;         /* sets - 1 */
    uint32_t line;             /* line size in bytes */
    int line_shift;            /* log2(line) */
    int write_back;            /* 1 back, 0 through */
    int allocate;              /* 1 write-allocate */
    int inclusion;             /* relation to the next level (enum mh_inclusion) */
    int next;                  /* next level index, -1 = memory */
    int depth;                 /* distance from the top (0 = entry level) */
    uint64_t rng;              /* xorshift state for random / brrip, seeded from cfg seed */
    mh_shadow *shadow;         /* 3C shadow, NULL when classification is off */
    mh_pf *pf;                 /* hardware prefetcher, NULL when none */
    char name[MH_NAME_MAX];    /* level name */
    mh_level_stats st;         /* statistics (hits derived at copy-out) */
    int promote;               /* pol->promote, kept here for the hit path */
    int lean;                  /* ordered policy (lru, fifo): hier.c's lean path */
    int chain;                 /* lean down to memory with one line size, write-back, allocate: chain_miss */
    int ev_lean;               /* every inclusive upper is lean, without inclusive uppers, lines >= ours */
    int down_lean;             /* exclusive over an ordered next level whose lines are >= ours */
    int stays;                 /* a clean victim only counts: no inclusive uppers, not exclusive */
    uint32_t up_ways;          /* ways of every inclusive upper when ev_lean and they agree, else 0 */
    int shape;                 /* chain entry level: hier.c's shapes entry for its path, or -1 */
};

/* Builds level L from lc (seeded from lc->seed); classify = 1 creates the 3C shadow. */
int mh_level_init(mh_level *L, const mh_level_cfg *lc, int classify, mh_error *err);
/* Frees L's arrays (L itself is owned by the caller). */
void mh_level_fini(mh_level *L);
/* Returns the way a new line will replace for a policy that keeps slots in place. */
uint32_t mh_level_victim_inplace(mh_level *L, uint32_t set);
/* Next pseudo-random number of L's own generator (xorshift64*). */
uint64_t mh_level_rand(mh_level *L);

/* ---- ordered sets (lru, fifo): slots newest first. The shifts carry one value along instead of
 * copying with an index offset, so the compiler keeps them inline (no memmove call). ---- */

/* Moves the slot in way w to the front (ways 0..w-1 move back by one). */
static inline void mh_set_promote(uint64_t *s, uint32_t w)
{
    uint64_t carry = s[w];
    for (uint32_t k = 0; k <= w; k++) {
        uint64_t t = s[k];
        s[k] = carry;
        carry = t;
    }
}
/* mh_set_push for a given number of ways; always inlined so a constant `ways` unrolls it. */
static inline __attribute__((always_inline)) uint64_t mh_set_push_n(uint64_t *s, uint32_t ways, uint64_t v)
{
    uint64_t carry = v;
#pragma GCC unroll 16
    for (uint32_t k = 0; k < ways; k++) {
        uint64_t t = s[k];
        s[k] = carry;
        carry = t;
    }
    return carry;
}
/* mh_set_push for a constant number of ways (<= 16): every slot is read before any is written, so
 * the compiler moves them with vector loads and stores (the carried form spills at 16 ways). */
static inline __attribute__((always_inline)) uint64_t mh_set_push_k(uint64_t *s, uint32_t ways, uint64_t v)
{
    uint64_t t[16];
#pragma GCC unroll 16
    for (uint32_t k = 0; k < ways; k++)
        t[k] = s[k];
    s[0] = v;
#pragma GCC unroll 16
    for (uint32_t k = 1; k < ways; k++)
        s[k] = t[k - 1];
    return t[ways - 1];
}
/* Puts v in front of the set; returns the slot pushed out of the last way (0 = none). The usual
 * associativities get straight-line code. */
static inline uint64_t mh_set_push(uint64_t *s, uint32_t ways, uint64_t v)
{
    switch (ways) {
    case 4:
        return mh_set_push_k(s, 4, v);
    case 8:
        return mh_set_push_k(s, 8, v);
    case 16:
        return mh_set_push_k(s, 16, v);
    default:
        return mh_set_push_n(s, ways, v);
    }
}
/* Drops way w (< ways); later ways move forward and the last way becomes invalid. memmove: the
 * library's vector copy beats a slot-by-slot loop for the 16-way victim caches that drop on hits. */
static inline void mh_set_drop(uint64_t *s, uint32_t ways, uint32_t w)
{
    memmove(s + w, s + w + 1, (size_t)(ways - 1 - w) * sizeof *s);
    s[ways - 1] = 0;
}

/* Records a hit on way; returns the way the line now occupies. */
static inline uint32_t mh_level_touch(mh_level *L, uint32_t set, uint32_t way)
{
    if (L->pol->reorder) {
        if (L->promote && way != 0) {
            mh_set_promote(L->slot + (size_t)set * L->ways, way);
            return 0;
        }
        return way;
    }
    if (L->pol->hit)
        L->pol->hit(L, set, way);
    return way;
}
/* Returns the way a new line will replace (an invalid way when one exists). */
static inline uint32_t mh_level_victim(mh_level *L, uint32_t set)
{
    return L->pol->reorder ? L->ways - 1 : mh_level_victim_inplace(L, set); /* ordered: invalid slots sit last */
}
/* Puts slot value v into way (chosen by mh_level_victim); returns the way it now occupies. */
static inline uint32_t mh_level_install(mh_level *L, uint32_t set, uint32_t way, uint64_t v)
{
    uint64_t *s = L->slot + (size_t)set * L->ways;
    if (L->pol->reorder) {
        if (way + 1 == L->ways) /* the usual case: the victim is the last way */
            mh_set_push(s, L->ways, v);
        else
            mh_set_push_n(s, way + 1, v);
        return 0;
    }
    s[way] = v;
    if (L->pol->fill)
        L->pol->fill(L, set, way);
    return way;
}
/* Invalidates way of set; ordered policies close the gap so valid slots stay a prefix. */
static inline void mh_level_remove(mh_level *L, uint32_t set, uint32_t way)
{
    uint64_t *s = L->slot + (size_t)set * L->ways;
    if (L->pol->reorder) {
        mh_set_drop(s, L->ways, way);
        return;
    }
    s[way] = 0;
    if (L->meta)
        L->meta[(size_t)set * L->ways + way] = 3; /* RRIP: first candidate for reuse */
}

/* Slot value for line with flags. */
static inline uint64_t mh_slot_make(uint64_t line, unsigned flags)
{
    return ((line + 1) << MH_SL_SHIFT) | flags;
}
/* Line number stored in a valid slot. */
static inline uint64_t mh_slot_line(uint64_t v)
{
    return (v >> MH_SL_SHIFT) - 1;
}

/* mh_level_find's branch-free scan of `ways` ways; always inlined so a constant unrolls it. */
static inline __attribute__((always_inline)) int mh_set_find_n(const uint64_t *s, uint32_t ways, uint64_t want)
{
    int found = -1;
#pragma GCC unroll 16
    for (uint32_t w = ways; w-- > 0;)
        found = (s[w] & ~(uint64_t)MH_SL_FLAGS) == want ? (int)w : found;
    return found;
}

/* Returns the way of `line` in set, or -1 (inline: the simulator's innermost loop). */
static inline int mh_level_find(const mh_level *L, uint32_t set, uint64_t line)
{
    const uint64_t *s = L->slot + (size_t)set * L->ways;
    const uint64_t want = (line + 1) << MH_SL_SHIFT;
    switch (L->ways) { /* branch-free scans: misses are common here and exits mispredict */
    case 8:
        return mh_set_find_n(s, 8, want);
    case 16:
        return mh_set_find_n(s, 16, want);
    default:
        if (L->ways <= 16)
            return mh_set_find_n(s, L->ways, want);
    }
    for (uint32_t w = 0; w < L->ways; w++)
        if ((s[w] & ~(uint64_t)MH_SL_FLAGS) == want)
            return (int)w;
    return -1;
}

/* ---- 3C shadow (sim/shadow.c): fully associative LRU of the level's capacity + seen set ---- */

/* Creates a shadow of `lines` lines; NULL when out of memory. */
mh_shadow *mh_shadow_create(uint64_t lines);
/* Looks line up (hit moves it to MRU); on a miss inserts it when alloc. Returns 1 on a hit. */
int mh_shadow_access(mh_shadow *s, uint64_t line, int alloc);
/* Returns 1 when line was referenced before, and marks it referenced. */
int mh_shadow_seen(mh_shadow *s, uint64_t line);
/* Asks the host to load what looking up line (recs[i].addr >> shift) will read, for the k
 * records at recs: stage 0 their hash buckets, stage 1 the nodes those buckets lead to (best
 * after a stage 0 for the same records, some records earlier). Changes nothing. */
void mh_shadow_prefetch(const mh_shadow *s, const mh_rec *recs, size_t k, int shift, int stage);
/* mh_shadow_prefetch for one lookup of line. */
void mh_shadow_prefetch_line(const mh_shadow *s, uint64_t line, int stage);
/* The 3C class of a lookup of line at its level (hit: whether the level held it; alloc: whether
 * a miss installs it): 0 for a hit, else 1 conflict (the shadow held it), 2 capacity (seen
 * before), 3 compulsory. Updates the shadow as mh_shadow_access, and the seen set on a miss only:
 * a line present at the level was referenced before (fills other than demand misses mark their
 * line when a demand access first uses it). */
int mh_shadow_classify(mh_shadow *s, uint64_t line, int hit, int alloc);
/* Drops line from the fully associative part (explicit invalidation). */
void mh_shadow_remove(mh_shadow *s, uint64_t line);
/* Frees s; NULL is a no-op. */
void mh_shadow_destroy(mh_shadow *s);

#endif
