/* hier.c — the hierarchy: routes records through levels linked by `next` (-1 = memory) with the
 * same code for every level, and keeps statistics and traffic.
 *
 * Conventions (DineroIV 7, ref.c d4ref / misc.c d4_dopending, matched on purpose):
 *  - a level counts every request it receives: trace records, line fills for upper misses (as
 *    reads of the upper line; a write miss's fill is a read, an ifetch's fill an ifetch),
 *    write-throughs (the write's own size) and write-backs (writes of the upper line);
 *  - a write miss without write-allocate does not fetch; it is passed down as the write itself;
 *  - a write-allocate miss whose write covers the whole line allocates without fetching;
 *  - on a miss the new line is installed first, then the fill goes down, then the victim's
 *    write-back (DineroIV's pending-stack order: fetch, write-through, write-back);
 *  - flush = DineroIV's end-of-run copy-back: dirty lines of each level, upper levels first, sets
 *    from last to first, oldest to newest within a set, become writes to the next level.
 * A request covering several lines counts one access (and one miss if any line missed), like a
 * Cachegrind reference; every line is simulated, and when any misses the whole request goes to
 * the next level as one request (Cachegrind looks every line of such a reference up in LL).
 * Known DineroIV difference: a fill from an upper level with larger lines than this one counts
 * once here (DineroIV splits it into one reference per block). INVALIDATE writes dirty data back
 * before dropping it (DineroIV discards it). opts.wb_bypass sends write-backs straight to memory
 * (Cachegrind, which has no write-backs). */
#include <stdlib.h>
#include <string.h>
#include "hier_int.h"
#include "setscan.h"

#define PF_MAX 32 /* prefetch candidates buffered per request */
#define MH_LOOKAHEAD 16 /* records between prefetching the far level's set and using it */
#define MH_FAR_BYTES (1u << 20) /* slot arrays this big rarely stay in the host's caches */

static int level_req(mh_hier *h, int li, const mh_req *r, unsigned *up_flags);
static int lean_pass_down(mh_hier *h, int li, const mh_req *r, int served, int missed);
static void evict(mh_hier *h, int li, uint64_t old);
static inline int lean_req(mh_hier *h, int li, const mh_req *r, uint64_t line, unsigned *up_flags);
static int general_req(mh_hier *h, int li, const mh_req *r, unsigned *up_flags);

/* Returns the slower of two serving levels (-1 = memory is slowest). */
static int deeper(const mh_hier *h, int a, int b)
{
    if (a < 0 || b < 0)
        return -1;
    return h->lv[a].depth >= h->lv[b].depth ? a : b;
}

/* Asks the host to start loading a set of `ways` slots: every host cache line it spans (a
 * 16-way set is 128 bytes, two lines). */
static inline void prefetch_slots(const uint64_t *s, uint32_t ways)
{
    __builtin_prefetch(s);
    if (ways > 8)
        __builtin_prefetch(s + ways - 1);
}

/* Asks the host to start loading the slots of level L's set for byte address addr. */
static inline void prefetch_set(const mh_level *L, uint64_t addr)
{
    prefetch_slots(L->slot + (size_t)((addr >> L->line_shift) & L->set_mask) * L->ways, L->ways);
}

/* The timing model's calls (none without it): made now, or logged for mh_hier_timing_run. */
static void tm_writeback(mh_hier *h, uint64_t addr)
{
    if (h->tlog)
        mh_tlog_event(h->tlog, MH_TEV_WRITEBACK, 0, 0, addr);
    else if (h->tm)
        mh_timing_writeback(h->tm, addr);
}

/* A hardware prefetch into level into, served by from (see tm_writeback). */
static void tm_prefetch(mh_hier *h, int into, int from, uint64_t addr)
{
    if (h->tlog)
        mh_tlog_event(h->tlog, MH_TEV_PREFETCH, into, from, addr);
    else if (h->tm)
        mh_timing_prefetch(h->tm, into, from, addr);
}

/* A demand hit at level L on a line a prefetch brought (see tm_writeback). */
static void tm_late(mh_hier *h, const mh_level *L, uint64_t addr)
{
    if (h->tlog)
        mh_tlog_event(h->tlog, MH_TEV_LATE, (int)(L - h->lv), 0, addr);
    else if (h->tm)
        (void)mh_timing_prefetch_late(h->tm, (int)(L - h->lv), addr);
}

/* Memory: counts the bytes and tells the timing model about writes. */
static int mem_req(mh_hier *h, const mh_req *r)
{
    if (r->kind == MH_OP_WRITE) {
        h->mem_written += r->bytes;
        tm_writeback(h, r->addr);
    } else {
        h->mem_read += r->bytes;
    }
    return -1;
}

/* Drops the line in `way` of `set` from level U (a back-invalidation); returns its dirty flag. */
static unsigned drop_line(mh_level *U, uint32_t set, uint32_t way)
{
    uint64_t v = U->slot[(size_t)set * U->ways + way];
    mh_level_remove(U, set, way);
    U->st.back_invalidations++;
    if (v & MH_SL_PF)
        U->st.pf_useless++;
    if (!(v & MH_SL_DIRTY))
        return 0;
    U->st.writebacks++;
    U->st.bytes_to_next += U->line;
    return MH_SL_DIRTY;
}

/* Drops line from lean level U if present (a back-invalidation); returns its dirty flag. */
static inline __attribute__((always_inline)) unsigned lean_drop(mh_level *U, uint64_t line)
{
    uint32_t set = (uint32_t)(line & U->set_mask);
    uint32_t way = lean_scan(U->slot + (size_t)set * U->ways, U->ways, (line + 1) << MH_SL_SHIFT);
    return way < U->ways ? drop_line(U, set, way) : 0;
}

/* Drops every line of level ui inside [addr, addr+len) and, recursively, from ui's inclusive
 * uppers. Returns MH_SL_DIRTY when a dropped copy was dirty (its data goes down with the victim). */
static unsigned back_invalidate(mh_hier *h, int ui, uint64_t addr, uint64_t len)
{
    mh_level *U = &h->lv[ui];
    unsigned dirty = 0;
    for (int k = 0; k < h->niup[ui]; k++)
        dirty |= back_invalidate(h, h->iup[ui][k], addr, len);
    uint64_t line = addr >> U->line_shift, last = (addr + len - 1) >> U->line_shift;
    if (U->lean && line == last) /* the usual case: one line, ordered set */
        return dirty | lean_drop(U, line);
    for (; line <= last; line++) {
        uint32_t set = (uint32_t)(line & U->set_mask);
        int way = mh_level_find(U, set, line);
        if (way >= 0)
            dirty |= drop_line(U, set, (uint32_t)way);
    }
    return dirty;
}

/* 1 when victim old of level L only counts: a clean line of a level that back-invalidates nothing
 * and sends nothing down (the entry level of a usual hierarchy; L->stays, set by link_levels). */
static inline int victim_stays(const mh_level *L, uint64_t old)
{
    return !(old & MH_SL_FLAGS) && L->stays;
}

/* Handles victim old of ordered level li: victim_stays's lines only count; anything else is evict's. */
static inline void chain_evict(mh_hier *h, int li, uint64_t old)
{
    if (victim_stays(&h->lv[li], old)) {
        h->lv[li].st.evictions++;
        return;
    }
    evict(h, li, old);
}

/* Puts `line` (D's units), a victim of an exclusive upper level, into ordered level di; D's own
 * victim goes to chain_evict. */
static inline void move_line_down(mh_hier *h, int di, uint64_t line, unsigned dirty)
{
    mh_level *D = &h->lv[di];
    uint64_t *s = D->slot + (size_t)(line & D->set_mask) * D->ways;
    uint32_t way = lean_scan(s, D->ways, (line + 1) << MH_SL_SHIFT);
    if (way < D->ways) {
        s[way] |= dirty;
        return;
    }
    uint64_t old = lean_push(s, D->ways, mh_slot_make(line, dirty)); /* the victim is the last way */
    if (old)
        chain_evict(h, di, old);
}

/* Puts a victim of an exclusive upper level into level di (no access is counted there). */
static void move_down(mh_hier *h, int di, uint64_t addr, uint32_t len, unsigned dirty)
{
    mh_level *D = &h->lv[di];
    for (uint64_t line = addr >> D->line_shift; line <= (addr + len - 1) >> D->line_shift; line++) {
        if (D->pol->reorder) {
            move_line_down(h, di, line, dirty);
            continue;
        }
        uint32_t set = (uint32_t)(line & D->set_mask);
        uint64_t *s = D->slot + (size_t)set * D->ways;
        int way = mh_level_find(D, set, line);
        if (way >= 0) {
            s[way] |= dirty;
            continue;
        }
        uint32_t vw = mh_level_victim(D, set);
        uint64_t old = s[vw];
        mh_level_install(D, set, vw, mh_slot_make(line, dirty));
        if (old)
            evict(h, di, old);
    }
}

/* Writes the dirty line at addr, leaving level li, back to the next level (to memory with
 * opts.wb_bypass), counting it. */
static void write_back(mh_hier *h, int li, uint64_t addr)
{
    mh_level *L = &h->lv[li];
    L->st.writebacks++;
    L->st.bytes_to_next += L->line;
    mh_req wb = {addr, L->line, L->line, MH_OP_WRITE, MH_SRC_WB, 0};
    unsigned f = 0;
    level_req(h, h->opts.wb_bypass ? -1 : L->next, &wb, &f);
}

/* Handles a line that left level li: back-invalidation, then write-back or move down. */
static void evict(mh_hier *h, int li, uint64_t old)
{
    mh_level *L = &h->lv[li];
    uint64_t addr = mh_slot_line(old) << L->line_shift;
    unsigned dirty = old & MH_SL_DIRTY;
    L->st.evictions++;
    if (old & MH_SL_PF)
        L->st.pf_useless++;
    for (int k = 0; k < h->niup[li]; k++) { /* ev_lean: one scan per upper level, inline */
        mh_level *U = &h->lv[h->iup[li][k]];
        dirty |= L->ev_lean ? lean_drop(U, addr >> U->line_shift) : back_invalidate(h, h->iup[li][k], addr, L->line);
    }
    if (L->inclusion == MH_INC_EXCLUSIVE && L->next >= 0) {
        L->st.bytes_to_next += L->line;
        if (dirty)
            L->st.writebacks++;
        if (L->down_lean)
            move_line_down(h, L->next, addr >> h->lv[L->next].line_shift, dirty);
        else
            move_down(h, L->next, addr, L->line, dirty);
    } else if (dirty) {
        write_back(h, li, addr);
    }
}

/* Fetches line (L's units) from below for level li; returns the serving level, ORs the moved
 * line's flags (exclusive lower level) into *flags. */
static int fetch_below(mh_hier *h, int li, uint64_t line, int kind, int src, unsigned *flags)
{
    mh_level *L = &h->lv[li];
    mh_req f = {line << L->line_shift, L->line, L->line, kind, src, L->inclusion == MH_INC_EXCLUSIVE};
    return level_req(h, L->next, &f, flags);
}

/* Sets flags on line in level li if it is (still) present. */
static void add_flags(mh_level *L, uint64_t line, unsigned flags)
{
    uint32_t set = (uint32_t)(line & L->set_mask);
    int way = mh_level_find(L, set, line);
    if (way >= 0)
        L->slot[(size_t)set * L->ways + (uint32_t)way] |= flags;
}

/* Issues level li's hardware prefetches for candidate lines not present. */
static void issue_prefetches(mh_hier *h, int li, const uint64_t *cand, size_t n)
{
    mh_level *L = &h->lv[li];
    for (size_t i = 0; i < n; i++) {
        uint64_t line = cand[i];
        uint32_t set = (uint32_t)(line & L->set_mask);
        if (mh_level_find(L, set, line) >= 0)
            continue;
        L->st.pf_issued++;
        L->st.pf_fill_bytes += L->line;
        uint32_t vw = mh_level_victim(L, set);
        uint64_t old = L->slot[(size_t)set * L->ways + vw];
        mh_level_install(L, set, vw, mh_slot_make(line, MH_SL_PF));
        unsigned f = 0;
        int served = fetch_below(h, li, line, MH_OP_PREFETCH, MH_SRC_PF, &f);
        if (f & MH_SL_DIRTY)
            add_flags(L, line, MH_SL_DIRTY);
        tm_prefetch(h, li, served, line << L->line_shift);
        if (old)
            evict(h, li, old);
    }
}

#define CLS_LOGGED 4 /* classify's answer inside mh_hier_access_logged: the log finds and counts the class */

/* 1 when level L's 3C shadow is run from the log (mh_hier_timing_run's thread): in a logged
 * replay, every level's but the entry levels'. Their shadows are small and see every record;
 * the big ones below see the misses only, and their tables miss the host's caches. */
static inline int shadow_apart(const mh_hier *h, const mh_level *L)
{
    return h->tlog && L != &h->lv[h->data] && L != &h->lv[h->ifetch];
}

/* classify's logged lookup (out of line: the paths that inline classify stay small). */
static __attribute__((noinline)) int log_lookup(mh_hier *h, const mh_level *L, uint64_t line, int hit, int alloc)
{
    mh_tlog_event(h->tlog, MH_TEV_SHADOW, (int)(L - h->lv), hit | alloc << 1, line);
    return hit ? 0 : CLS_LOGGED;
}

/* count_miss's logged class: c lies in h->lv[i].st.kind[k], and the log names i and k. */
static __attribute__((noinline)) void log_count(mh_hier *h, const mh_counts *c)
{
    size_t off = (size_t)((const char *)c - (const char *)h->lv), i = off / sizeof *h->lv;
    mh_tlog_event(h->tlog, MH_TEV_COUNT, (int)i, (int)(c - h->lv[i].st.kind), 0);
}

/* Updates the 3C shadow; returns the class of a miss: 1 conflict, 2 capacity, 3 compulsory
 * (0 for a hit); where the shadow runs from the log (shadow_apart) it logs the lookup instead and
 * returns CLS_LOGGED for a miss, whose class mh_hier_timing_run finds. */
static inline int classify(mh_hier *h, mh_level *L, uint64_t line, int hit, int alloc)
{
    if (shadow_apart(h, L))
        return log_lookup(h, L, line, hit, alloc);
    return mh_shadow_classify(L->shadow, line, hit, alloc);
}

/* Marks line seen in level L's 3C shadow (if any), or logs the mark (shadow_apart). */
static void shadow_seen(mh_hier *h, mh_level *L, uint64_t line)
{
    if (L->shadow && shadow_apart(h, L))
        mh_tlog_event(h->tlog, MH_TEV_SEEN, (int)(L - h->lv), 0, line);
    else if (L->shadow)
        mh_shadow_seen(L->shadow, line);
}

/* Drops line from level L's 3C shadow (if any: an invalidation), or logs the drop (shadow_apart). */
static void shadow_drop(mh_hier *h, mh_level *L, uint64_t line)
{
    if (L->shadow && shadow_apart(h, L))
        mh_tlog_event(h->tlog, MH_TEV_REMOVE, (int)(L - h->lv), 0, line);
    else if (L->shadow)
        mh_shadow_remove(L->shadow, line);
}

/* Adds one miss of class cls to counts c (kind k of a level of h); a CLS_LOGGED class is logged,
 * to be counted by mh_hier_timing_run. */
static void count_miss(mh_hier *h, mh_counts *c, int cls)
{
    c->misses++;
    if (cls == 1)
        c->conflict++;
    else if (cls == 2)
        c->capacity++;
    else if (cls == 3)
        c->compulsory++;
    else if (cls == CLS_LOGGED)
        log_count(h, c);
}

/* A demand hit on a prefetched line: useful (and maybe late). */
static void pf_used(mh_hier *h, mh_level *L, uint64_t *slot, uint64_t line)
{
    *slot &= ~(uint64_t)MH_SL_PF;
    L->st.pf_useful++;
    shadow_seen(h, L, line);
    tm_late(h, L, line << L->line_shift); /* the model counts it if late */
}

/* 1 for a demand request: neither a prefetch nor a write-back (it trains prefetchers and makes a
 * prefetched line useful). */
static inline int demand_req(int kind, int src)
{
    return kind != MH_OP_PREFETCH && src != MH_SRC_WB;
}

/* 1 when a request of kind `kind` from src trains level li's prefetcher: demand requests, and
 * below the entry levels every request but a write-back: an upper level's prefetch fills and
 * the misses of software prefetches too, as real L2 stream prefetchers see every L1 miss
 * request (at the entry level a software prefetch trains nothing: it is not a load). */
static inline int pf_trains(const mh_hier *h, int li, int kind, int src)
{
    return demand_req(kind, src) || (src != MH_SRC_WB && li != h->data && li != h->ifetch);
}

/* Lean paths: level li's prefetcher sees a lookup of line (miss: it missed) and what it proposes
 * is issued, where general_req observes and issues (after the fill, the victim and any write
 * passed down). */
static __attribute__((noinline)) void pf_lean(mh_hier *h, int li, uint64_t line, int miss)
{
    uint64_t cand[PF_MAX];
    size_t n = mh_pf_observe(h->lv[li].pf, line, miss, cand, PF_MAX);
    if (n)
        issue_prefetches(h, li, cand, n);
}

/* pf_lean when level li has a prefetcher that a request of kind from src trains (h->slow first:
 * one load answers for a hierarchy without prefetchers or shadows). */
static inline void pf_turn(mh_hier *h, int li, uint64_t line, int miss, int kind, int src)
{
    if (h->slow && h->lv[li].pf && pf_trains(h, li, kind, src))
        pf_lean(h, li, line, miss);
}

/* Outcome of looking one line of a request up in a level. */
typedef struct line_res {
    int hit;          /* found */
    int fetch;        /* the line must come from below (installed here or passed through) */
    int installed;    /* a slot was filled here */
    int pass_write;   /* write miss without allocation: the write goes down */
    uint64_t victim;  /* slot value replaced by the install (0 = none) */
} line_res;

/* DineroIV: a write-allocate miss whose write covers all of line la (L's units) is not fetched
 * (unless L is inclusive of the level below, which must then hold the line). */
static inline int write_covers_line(const mh_level *L, uint64_t addr, uint32_t size, uint64_t la)
{
    return addr <= la && addr + (size - 1u) >= la + (L->line - 1u) && L->inclusion != MH_INC_INCLUSIVE;
}

/* Looks line up in level li for request r and updates it: hit bookkeeping, or install of the
 * missing line (the fill itself and the victim are left to the caller). */
static void line_step(mh_hier *h, int li, const mh_req *r, uint64_t line, int alloc, int demand,
                      unsigned *up_flags, line_res *o, int *cls)
{
    mh_level *L = &h->lv[li];
    const int write = r->kind == MH_OP_WRITE;
    uint32_t set = (uint32_t)(line & L->set_mask);
    int way = mh_level_find(L, set, line);
    memset(o, 0, sizeof *o);
    if (L->shadow) {
        int c = classify(h, L, line, way >= 0, alloc);
        *cls = c > *cls ? c : *cls;
    }
    if (way >= 0) {
        uint32_t w = mh_level_touch(L, set, (uint32_t)way);
        uint64_t *s = &L->slot[(size_t)set * L->ways + w];
        o->hit = 1;
        if ((*s & MH_SL_PF) && demand)
            pf_used(h, L, s, line);
        if (write && L->write_back)
            *s |= MH_SL_DIRTY;
        if (r->excl && !write) { /* victim cache: the line moves up */
            *up_flags |= (unsigned)(*s & MH_SL_DIRTY);
            mh_level_remove(L, set, w);
        }
        return;
    }
    if (!alloc && write) {
        o->pass_write = 1;
        return;
    }
    o->fetch = 1;
    if (!alloc) /* exclusive upper's fill: pass through, keep nothing */
        return;
    uint64_t la = line << L->line_shift;
    uint32_t vw = mh_level_victim(L, set);
    o->installed = 1;
    o->victim = L->slot[(size_t)set * L->ways + vw];
    mh_level_install(L, set, vw, mh_slot_make(line, write && L->write_back ? MH_SL_DIRTY : 0));
    if (write && write_covers_line(L, r->addr, r->size, la))
        o->fetch = 0;
}

/* The fill for request r from level L's next level: one line, or the whole request when it spans
 * several lines (Cachegrind looks every line of a missing reference up in LL); nlines = lines
 * filled, counted as L's bytes from next. */
static inline mh_req fill_request(mh_level *L, const mh_req *r, uint64_t first, uint64_t nlines, int single)
{
    int k = r->kind == MH_OP_WRITE ? MH_OP_READ : r->kind;
    int src = r->src == MH_SRC_PF ? MH_SRC_PF : MH_SRC_FETCH;
    uint32_t bytes = (uint32_t)(nlines * L->line);
    L->st.bytes_from_next += bytes;
    mh_req f = {first << L->line_shift, L->line, bytes, k, src, L->inclusion == MH_INC_EXCLUSIVE};
    if (!single) {
        f.addr = r->addr;
        f.size = r->size;
    }
    return f;
}

/* fill_request's request, sent down from level li. Returns the serving level. */
static int fill_from_below(mh_hier *h, int li, const mh_req *r, uint64_t first, uint64_t nlines,
                           int single, unsigned *flags)
{
    mh_req f = fill_request(&h->lv[li], r, first, nlines, single);
    return level_req(h, h->lv[li].next, &f, flags);
}

#define MULTI_MAX 64 /* lines of one request handled with a single fill below */

/* The flags f a several-line request's fill brought up to level L: onto its nfill installed
 * lines (filled), or on up when none was installed. */
static void multi_flags(mh_level *L, const uint64_t *filled, size_t nfill, unsigned f, unsigned *up_flags)
{
    *up_flags |= nfill ? 0 : f;
    for (size_t i = 0; i < nfill && (f & MH_SL_DIRTY); i++)
        add_flags(L, filled[i], MH_SL_DIRTY);
}

/* The fill of a request of several lines at level li of which nfetch missed (none: nothing to
 * do): one request below for the whole reference; the dirty flag it brings goes onto the nfill
 * lines installed here, or up when none was. Returns the serving level given served so far. */
static int multi_fill(mh_hier *h, int li, const mh_req *r, uint64_t first, size_t nfetch, const uint64_t *filled,
                      size_t nfill, unsigned *up_flags, int served)
{
    if (!nfetch)
        return served;
    unsigned f = 0;
    served = deeper(h, served, fill_from_below(h, li, r, first, nfetch, 0, &f));
    multi_flags(&h->lv[li], filled, nfill, f, up_flags);
    return served;
}

/* General path of level_req: every policy, 3C, prefetchers, inclusion, multi-line requests. */
static __attribute__((noinline)) int general_req(mh_hier *h, int li, const mh_req *r, unsigned *up_flags)
{
    mh_level *L = &h->lv[li];
    uint64_t first = r->addr >> L->line_shift, last = (r->addr + r->size - 1) >> L->line_shift;
    const int write = r->kind == MH_OP_WRITE;
    /* exclusive senders: fills move the line up, writes never allocate here */
    const int alloc = write ? L->allocate && !r->excl : !r->excl;
    const int demand = demand_req(r->kind, r->src);
    const int single = first == last || last - first >= MULTI_MAX;
    uint64_t cand[PF_MAX], victims[MULTI_MAX + 1], filled[MULTI_MAX + 1];
    size_t ncand = 0, nvict = 0, nfill = 0, nfetch = 0;
    int served = li, missed = 0, cls = 0, pass_down = write && !L->write_back;

    L->st.kind[r->kind].accesses++;
    for (uint64_t line = first; line <= last; line++) {
        line_res o;
        line_step(h, li, r, line, alloc, demand, up_flags, &o, &cls);
        missed |= !o.hit;
        pass_down |= o.pass_write;
        if (single) { /* fill now, then the victim (DineroIV order: fetch before write-back) */
            if (o.fetch) {
                unsigned f = 0;
                served = deeper(h, served, fill_from_below(h, li, r, line, 1, 1, &f));
                *up_flags |= o.installed ? 0 : f;
                if (o.installed && (f & MH_SL_DIRTY))
                    add_flags(L, line, MH_SL_DIRTY);
            }
            if (o.victim)
                evict(h, li, o.victim);
        } else {
            nfetch += (size_t)o.fetch;
            if (o.installed)
                filled[nfill++] = line;
            if (o.victim)
                victims[nvict++] = o.victim;
        }
        /* a lower level's prefetcher also learns from the upper levels' prefetch requests, as
         * real L2 stream prefetchers see the L1 prefetcher's fills (pf_trains) */
        if (L->pf && pf_trains(h, li, r->kind, r->src) && ncand < PF_MAX)
            ncand += mh_pf_observe(L->pf, line, !o.hit, cand + ncand, PF_MAX - ncand);
    }
    served = multi_fill(h, li, r, first, nfetch, filled, nfill, up_flags, served);
    for (size_t i = 0; i < nvict; i++)
        evict(h, li, victims[i]);
    if (missed)
        count_miss(h, &L->st.kind[r->kind], cls);
    if (pass_down)
        served = lean_pass_down(h, li, r, served, missed);
    if (ncand)
        issue_prefetches(h, li, cand, ncand);
    return served;
}

/* What the lines of one several-line request leave to do at their level (multi_lines). */
typedef struct multi_state {
    uint64_t victims[MULTI_MAX]; /* slots the installs pushed out */
    uint64_t filled[MULTI_MAX];  /* lines installed */
    size_t nvict, nfill, nfetch; /* their counts, and the lines to fetch from below */
    int missed, pass_down;       /* some line missed; the write goes down too */
} multi_state;

/* The access and every line first..last (< MULTI_MAX lines) of request r at lean level li, as
 * general_req's line_step would take them with ordered-set operations: a hit's promotion, flags
 * and victim-cache drop, a miss installed or passed through. Fills *m (all of it). */
static inline __attribute__((always_inline)) void multi_lines(mh_hier *h, int li, const mh_req *r, uint64_t first,
                                                              uint64_t last, multi_state *m, unsigned *up_flags)
{
    mh_level *L = &h->lv[li];
    const int write = r->kind == MH_OP_WRITE;
    const int alloc = write ? L->allocate && !r->excl : !r->excl; /* as general_req */
    const uint32_t ways = L->ways;
    m->nvict = m->nfill = m->nfetch = 0;
    m->missed = 0;
    m->pass_down = write && !L->write_back;
    L->st.kind[r->kind].accesses++;
    for (uint64_t line = first; line <= last; line++) {
        uint64_t *s = L->slot + (size_t)(line & L->set_mask) * ways;
        uint32_t w = lean_scan(s, ways, (line + 1) << MH_SL_SHIFT);
        if (w < ways) { /* line_step's hit */
            if (L->promote && w) {
                mh_set_promote(s, w);
                w = 0;
            }
            if ((s[w] & MH_SL_PF) && demand_req(r->kind, r->src))
                pf_used(h, L, &s[w], line);
            if (write && L->write_back)
                s[w] |= MH_SL_DIRTY;
            if (r->excl && !write) { /* victim cache: the line moves up */
                *up_flags |= (unsigned)(s[w] & MH_SL_DIRTY);
                lean_drop_way(s, ways, w);
            }
            continue;
        }
        m->missed = 1;
        if (!alloc) { /* a write passes down; an exclusive upper's fill passes through */
            m->pass_down |= write;
            m->nfetch += !write;
            continue;
        }
        uint64_t v = lean_push(s, ways, mh_slot_make(line, write && L->write_back ? MH_SL_DIRTY : 0));
        m->filled[m->nfill++] = line;
        if (v)
            m->victims[m->nvict++] = v;
        m->nfetch += !(write && write_covers_line(L, r->addr, r->size, line << L->line_shift));
    }
}

/* general_req for a request of 2..MULTI_MAX lines at lean level li without a 3C shadow or a
 * prefetcher (an instruction fetch across a line boundary, say): the same lookups, installs,
 * fill, victims and counts in the same order, with ordered-set operations. */
static __attribute__((noinline)) int lean_multi(mh_hier *h, int li, const mh_req *r, uint64_t first, uint64_t last,
                                                unsigned *up_flags)
{
    mh_level *L = &h->lv[li];
    multi_state m;
    multi_lines(h, li, r, first, last, &m, up_flags);
    int served = multi_fill(h, li, r, first, m.nfetch, m.filled, m.nfill, up_flags, li);
    for (size_t i = 0; i < m.nvict; i++)
        evict(h, li, m.victims[i]);
    if (m.missed)
        L->st.kind[r->kind].misses++;
    if (m.pass_down)
        served = lean_pass_down(h, li, r, served, m.missed);
    return served;
}

/* Handles request r at level li (-1 = memory): the lean path for one-line requests at lean
 * levels, else the general one. Returns the level that supplied the data. */
static int level_req(mh_hier *h, int li, const mh_req *r, unsigned *up_flags)
{
    if (li < 0)
        return mem_req(h, r);
    const mh_level *L = &h->lv[li];
    uint64_t first = r->addr >> L->line_shift;
    uint64_t last = (r->addr + r->size - 1) >> L->line_shift;
    if (L->lean && first == last)
        return lean_req(h, li, r, first, up_flags);
    if (L->lean && !L->shadow && !L->pf && last - first < MULTI_MAX)
        return lean_multi(h, li, r, first, last, up_flags);
    return general_req(h, li, r, up_flags);
}

/* Writes back (and keeps) the dirty lines of level li inside [addr, addr+len). */
static void copyback_range(mh_hier *h, int li, uint64_t addr, uint64_t len)
{
    mh_level *L = &h->lv[li];
    for (uint64_t line = addr >> L->line_shift; line <= (addr + len - 1) >> L->line_shift; line++) {
        uint32_t set = (uint32_t)(line & L->set_mask);
        int way = mh_level_find(L, set, line);
        uint64_t *s = way >= 0 ? &L->slot[(size_t)set * L->ways + (uint32_t)way] : NULL;
        if (!s || !(*s & MH_SL_DIRTY))
            continue;
        *s &= ~(uint64_t)MH_SL_DIRTY;
        L->st.writebacks++;
        L->st.bytes_to_next += L->line;
        mh_req wb = {line << L->line_shift, L->line, L->line, MH_OP_WRITE, MH_SRC_WB,
                     L->inclusion == MH_INC_EXCLUSIVE};
        unsigned f = 0;
        level_req(h, h->opts.wb_bypass ? -1 : L->next, &wb, &f);
    }
}

/* COPYBACK record: the covered lines are written back along the data path, top to bottom. */
static void op_copyback(mh_hier *h, const mh_rec *r)
{
    int hops = 0;
    for (int li = h->data; li >= 0 && hops < MH_MAX_LEVELS; li = h->lv[li].next, hops++)
        copyback_range(h, li, r->addr, r->size ? r->size : 1);
}

/* INVALIDATE record: the covered lines leave every level (upper levels first); dirty data is
 * written back on the way down so nothing is lost. */
static void op_invalidate(mh_hier *h, const mh_rec *r)
{
    uint64_t len = r->size ? r->size : 1;
    for (size_t i = 0; i < h->n; i++) {
        int li = h->order[i];
        mh_level *L = &h->lv[li];
        copyback_range(h, li, r->addr, len);
        for (uint64_t line = r->addr >> L->line_shift; line <= (r->addr + len - 1) >> L->line_shift; line++) {
            uint32_t set = (uint32_t)(line & L->set_mask);
            int way = mh_level_find(L, set, line);
            shadow_drop(h, L, line);
            if (way < 0)
                continue;
            if (L->slot[(size_t)set * L->ways + (uint32_t)way] & MH_SL_PF)
                L->st.pf_useless++;
            mh_level_remove(L, set, (uint32_t)way);
        }
    }
}

/* ---- lean path: one-line requests at levels with an ordered policy (lru, fifo), any inclusion,
 * with or without 3C and hardware prefetchers. The same semantics as general_req, without its
 * bookkeeping: each lookup goes to the level's 3C shadow (when it has one) as line_step sends it,
 * a miss counts with its class, and the prefetcher observes and issues last (pf_turn). ---- */

/* Passes write r down from level li (write-through, or a write miss without allocation);
 * returns the serving level given the level so far and whether r missed here. */
static int lean_pass_down(mh_hier *h, int li, const mh_req *r, int served, int missed)
{
    mh_level *L = &h->lv[li];
    mh_req wt = {r->addr, r->size, r->size, MH_OP_WRITE, r->src == MH_SRC_WB ? MH_SRC_WB : MH_SRC_WT,
                 L->inclusion == MH_INC_EXCLUSIVE};
    unsigned f = 0;
    L->st.bytes_to_next += r->size;
    int sv = level_req(h, L->next, &wt, &f);
    return missed ? deeper(h, served, sv) : served;
}

/* Miss of one-line request r (already counted as an access, 3C class cls) on line in lean level
 * li, whose set is s: install, fill, victim, then the write going down (general_req's order). */
static int lean_miss_body(mh_hier *h, int li, const mh_req *r, uint64_t line, uint64_t *s, unsigned *up_flags,
                          int cls)
{
    mh_level *L = &h->lv[li];
    const int write = r->kind == MH_OP_WRITE;
    const int alloc = write ? L->allocate && !r->excl : !r->excl;
    int served = li;
    unsigned f = 0;
    count_miss(h, &L->st.kind[r->kind], cls);
    if (!alloc) {
        if (write) /* no-write-allocate: the write itself goes down */
            return lean_pass_down(h, li, r, served, 1);
        /* exclusive upper's fill: pass through, keep nothing */
        served = deeper(h, served, fill_from_below(h, li, r, line, 1, 1, &f));
        *up_flags |= f;
        return served;
    }
    uint64_t victim = lean_push(s, L->ways, mh_slot_make(line, write && L->write_back ? MH_SL_DIRTY : 0));
    uint64_t la = line << L->line_shift;
    if (victim && L->next >= 0) /* the victim's set below is needed after the fill: overlap the two */
        prefetch_set(&h->lv[L->next], mh_slot_line(victim) << L->line_shift);
    if (!(write && write_covers_line(L, r->addr, r->size, la))) {
        served = deeper(h, served, fill_from_below(h, li, r, line, 1, 1, &f));
        if (f & MH_SL_DIRTY)
            add_flags(L, line, MH_SL_DIRTY);
    }
    if (victim)
        evict(h, li, victim);
    if (write && !L->write_back)
        served = lean_pass_down(h, li, r, served, 1);
    return served;
}

/* Miss of one-line request r (already counted as an access, 3C class cls) on line in lean level
 * li, whose set is s; then the level's prefetcher takes its turn. */
static __attribute__((noinline)) int lean_miss(mh_hier *h, int li, const mh_req *r, uint64_t line,
                                               uint64_t *s, unsigned *up_flags, int cls)
{
    int served = lean_miss_body(h, li, r, line, s, up_flags, cls);
    pf_turn(h, li, line, 1, r->kind, r->src);
    return served;
}

/* Handles one-line request r for `line` at lean level li; returns the serving level. */
static inline int lean_req(mh_hier *h, int li, const mh_req *r, uint64_t line, unsigned *up_flags)
{
    mh_level *L = &h->lv[li];
    uint64_t *s = L->slot + (size_t)(line & L->set_mask) * L->ways;
    uint32_t w = lean_scan(s, L->ways, (line + 1) << MH_SL_SHIFT);
    const int write = r->kind == MH_OP_WRITE;
    L->st.kind[r->kind].accesses++;
    int cls = L->shadow ? classify(h, L, line, w < L->ways, write ? L->allocate && !r->excl : !r->excl) : 0;
    if (w == L->ways)
        return lean_miss(h, li, r, line, s, up_flags, cls);
    if (h->slow && (s[w] & MH_SL_PF) && demand_req(r->kind, r->src)) /* a demand hit on a prefetched line */
        pf_used(h, L, &s[w], line);
    if (write && L->write_back)
        s[w] |= MH_SL_DIRTY;
    if (r->excl && !write) { /* victim cache: the line moves up (promoting it first would not
                                change the order the other lines are left in) */
        *up_flags |= (unsigned)(s[w] & MH_SL_DIRTY);
        lean_drop_way(s, L->ways, w);
    } else if (L->promote && w) {
        mh_set_promote(s, w);
    }
    int served = write && !L->write_back ? lean_pass_down(h, li, r, li, 0) : li;
    pf_turn(h, li, line, 0, r->kind, r->src);
    return served;
}

/* ---- chain path: a one-line miss at an entry level whose whole path down is lean with one line
 * size (ordered policies) and which writes back and allocates. The fill
 * walks down the levels in one loop instead of a call per level, then the victims are handled
 * on the way back up, deepest first: the order, and every count, of lean_miss's recursion. ---- */

/* One level the fill passed on the way down. */
typedef struct chain_step {
    int li;          /* level */
    int installed;   /* 1: the line was installed here; 0: passed through (exclusive upper) */
    uint64_t victim; /* slot the install pushed out (0 = none) */
} chain_step;

/* chain_miss's body; slow (a constant): some level may have a 3C shadow or a prefetcher (0: the
 * compiler drops their hooks). */
static inline __attribute__((always_inline)) int chain_miss_t(mh_hier *h, int li, const mh_rec *r, uint64_t line,
                                                              uint64_t *s, int cls, const int slow)
{
    chain_step st[MH_MAX_LEVELS];
    mh_level *L = &h->lv[li];
    const int k = r->op, write = k == MH_OP_WRITE, fk = write ? MH_OP_READ : k;
    const uint32_t size = r->size ? r->size : 1;
    const uint64_t la = line << L->line_shift, want = (line + 1) << MH_SL_SHIFT;
    int n = 0, served = -1;
    count_miss(h, &L->st.kind[k], cls);
    uint64_t victim = lean_push(s, L->ways, mh_slot_make(line, write ? MH_SL_DIRTY : 0));
    if (write && write_covers_line(L, r->addr, size, la)) { /* not fetched */
        if (victim)
            evict(h, li, victim);
        if (slow)
            pf_turn(h, li, line, 1, k, MH_SRC_CPU);
        return li;
    }
    st[n++] = (chain_step){li, 1, victim};
    unsigned carry = 0;
    int excl = L->inclusion == MH_INC_EXCLUSIVE, cur = L->next;
    L->st.bytes_from_next += L->line;
    if (victim && cur >= 0 && !victim_stays(L, victim)) /* the set below serves its write-back */
        prefetch_set(&h->lv[cur], mh_slot_line(victim) << L->line_shift);
    while (cur >= 0) {
        mh_level *N = &h->lv[cur];
        uint64_t *t = N->slot + (size_t)(line & N->set_mask) * N->ways;
        uint32_t w = lean_scan(t, N->ways, want);
        N->st.kind[fk].accesses++;
        int c = slow && N->shadow ? classify(h, N, line, w < N->ways, !excl) : 0; /* a fill allocates unless
                                                                                  its sender is exclusive */
        if (w < N->ways) {
            if (slow && (t[w] & MH_SL_PF) && demand_req(fk, MH_SRC_FETCH)) /* a demand fill, prefetched line */
                pf_used(h, N, &t[w], line);
            if (excl) { /* victim cache: the line moves up */
                carry = (unsigned)(t[w] & MH_SL_DIRTY);
                lean_drop_way(t, N->ways, w);
            } else if (N->promote && w) {
                mh_set_promote(t, w);
            }
            served = cur;
            if (slow)
                pf_turn(h, cur, line, 0, fk, MH_SRC_FETCH);
            break;
        }
        count_miss(h, &N->st.kind[fk], c);
        N->st.bytes_from_next += N->line;
        if (excl) {
            st[n++] = (chain_step){cur, 0, 0};
        } else {
            uint64_t v = lean_push(t, N->ways, mh_slot_make(line, 0));
            st[n++] = (chain_step){cur, 1, v};
            if (v && N->next >= 0)
                prefetch_set(&h->lv[N->next], mh_slot_line(v) << N->line_shift);
        }
        excl = N->inclusion == MH_INC_EXCLUSIVE;
        cur = N->next;
    }
    if (cur < 0)
        h->mem_read += L->line;
    while (n-- > 0) {
        const chain_step *c = &st[n];
        if (c->installed) { /* else an exclusive upper's fill passed through: the dirty flag goes on up */
            if (carry) {
                add_flags(&h->lv[c->li], line, MH_SL_DIRTY);
                carry = 0;
            }
            if (c->victim)
                chain_evict(h, c->li, c->victim);
        }
        if (slow)
            pf_turn(h, c->li, line, 1, n ? fk : k, n ? MH_SRC_FETCH : MH_SRC_CPU);
    }
    return served;
}

/* Miss of trace record r on line at chain entry level li (access counted, 3C class cls; s = its
 * set); returns the serving level (-1 = memory). A hierarchy without shadows and prefetchers. */
static __attribute__((noinline)) int chain_miss_fast(mh_hier *h, int li, const mh_rec *r, uint64_t line,
                                                     uint64_t *s, int cls)
{
    return chain_miss_t(h, li, r, line, s, cls, 0);
}

/* chain_miss_fast for a hierarchy with a 3C shadow or a prefetcher somewhere. */
static __attribute__((noinline)) int chain_miss_slow(mh_hier *h, int li, const mh_rec *r, uint64_t line,
                                                     uint64_t *s, int cls)
{
    return chain_miss_t(h, li, r, line, s, cls, 1);
}

/* ---- chain shapes: the usual three-level paths (entry level, middle, last level, then memory)
 * with their associativities as constants, so every set scan, push and drop is straight-line
 * code. The same semantics as chain_miss_t in a hierarchy without prefetchers (so no line carries
 * MH_SL_PF), with or without 3C shadows; link_levels gives a chain entry level the shape of its
 * path (L->shape), or -1 for chain_miss. ---- */

/* What a shape's miss path for one record kind reads of its levels, taken once per batch. */
#define CTX_UPS 2 /* inclusive uppers of a middle level that evict_mid_k drops from (L1i and L1d) */
typedef struct chain_ctx {
    mh_counts *fill[2];    /* the fill's counters at the middle and last level (a write's fill is a read) */
    int mid_k;             /* the middle level's victims take evict_mid_k (its uppers and the last level fit) */
    int nup;               /* the middle level's inclusive uppers, when mid_k */
    mh_level *up[CTX_UPS]; /* those uppers */
} chain_ctx;

/* Fills *x for records of kind op entering chain entry level li, whose path is a shape of W0 ways
 * at the entry and W2 at the last level. */
static inline void chain_ctx_init(mh_hier *h, int li, int op, uint32_t W0, uint32_t W2, chain_ctx *x)
{
    const int fk = op == MH_OP_WRITE ? MH_OP_READ : op;
    mh_level *N1 = &h->lv[h->lv[li].next], *N2 = &h->lv[N1->next];
    x->fill[0] = &N1->st.kind[fk];
    x->fill[1] = &N2->st.kind[fk];
    const int mid = (int)(N1 - h->lv);
    x->mid_k = N1->up_ways == W0 && (!N1->down_lean || N2->ways == W2) && h->niup[mid] <= CTX_UPS;
    x->nup = x->mid_k ? h->niup[mid] : 0;
    for (int k = 0; k < x->nup; k++)
        x->up[k] = &h->lv[h->iup[mid][k]];
}

/* Drops line from every inclusive upper of a middle level (x->up), each a lean leaf of `ways`
 * ways (its up_ways); returns MH_SL_DIRTY when a dropped copy was dirty. */
static inline __attribute__((always_inline)) unsigned drop_uppers_k(const chain_ctx *x, uint64_t line,
                                                                    const uint32_t ways)
{
    unsigned dirty = 0;
    for (int k = 0; k < x->nup; k++) {
        mh_level *U = x->up[k];
        uint32_t set = (uint32_t)(line & U->set_mask);
        uint32_t way = lean_scan(U->slot + (size_t)set * ways, ways, (line + 1) << MH_SL_SHIFT);
        if (way < ways)
            dirty |= drop_line(U, set, way);
    }
    return dirty;
}

/* evict for victim old of middle level li whose uppers (x->up) have up_ways == W0 and which moves
 * its victims down into an ordered level of W2 ways (down_lean) or is not exclusive. */
static inline __attribute__((always_inline)) void evict_mid_k(mh_hier *h, int li, const chain_ctx *x, uint64_t old,
                                                              const uint32_t W0, const uint32_t W2)
{
    mh_level *L = &h->lv[li];
    uint64_t line = mh_slot_line(old);
    unsigned dirty = (unsigned)(old & MH_SL_DIRTY) | drop_uppers_k(x, line, W0);
    L->st.evictions++;
    if (old & MH_SL_PF)
        L->st.pf_useless++;
    if (L->inclusion != MH_INC_EXCLUSIVE) {
        if (dirty)
            write_back(h, li, line << L->line_shift);
        return;
    }
    L->st.bytes_to_next += L->line;
    if (dirty)
        L->st.writebacks++;
    mh_level *D = &h->lv[L->next];
    uint64_t *s = D->slot + (size_t)(line & D->set_mask) * W2;
    uint32_t way = lean_scan(s, W2, (line + 1) << MH_SL_SHIFT);
    if (way < W2) {
        s[way] |= dirty;
        return;
    }
    uint64_t v = lean_push_k(s, W2, mh_slot_make(line, dirty));
    if (v)
        chain_evict(h, L->next, v);
}

/* count_miss, or only the miss count when classes (a constant) says no level classifies. */
static inline __attribute__((always_inline)) void count_miss_k(mh_hier *h, mh_counts *c, int cls,
                                                              const int classes)
{
    if (classes)
        count_miss(h, c, cls);
    else
        c->misses++;
}

/* Hit of a fill on way w of set t (W ways) at a level below the entry: an exclusive sender (excl)
 * takes the line up (returns its dirty flag), else an LRU level promotes it. */
static inline __attribute__((always_inline)) unsigned fill_hit_k(mh_level *N, uint64_t *t, uint32_t w, int excl,
                                                                 const uint32_t W)
{
    if (excl) {
        unsigned carry = (unsigned)(t[w] & MH_SL_DIRTY);
        mh_set_drop_k(t, W, w);
        return carry;
    }
    if (N->promote && w)
        mh_set_promote(t, w);
    return 0;
}

/* chain_miss_t for a path of exactly three levels of W0, W1 and W2 ways and a hierarchy without
 * prefetchers; classes (a constant): levels may have 3C shadows (the entry level's class is cls);
 * x: chain_ctx_init's for r's kind. */
static inline __attribute__((always_inline)) int chain3_k(mh_hier *h, int li, const mh_rec *r, uint64_t line,
                                                          uint64_t *s, int cls, const uint32_t W0, const uint32_t W1,
                                                          const uint32_t W2, const int classes, const chain_ctx *x)
{
    mh_counts *k1 = x->fill[0], *k2 = x->fill[1];
    mh_level *L = &h->lv[li];
    const int k = r->op, write = k == MH_OP_WRITE;
    const uint64_t want = (line + 1) << MH_SL_SHIFT;
    count_miss_k(h, &L->st.kind[k], cls, classes);
    uint64_t v0 = lean_push_k(s, W0, mh_slot_make(line, write ? MH_SL_DIRTY : 0));
    if (write && write_covers_line(L, r->addr, r->size ? r->size : 1, line << L->line_shift)) { /* not fetched */
        if (v0)
            evict(h, li, v0);
        return li;
    }
    L->st.bytes_from_next += L->line;
    const int n1 = L->next;
    mh_level *N1 = &h->lv[n1];
    if (v0 && !victim_stays(L, v0)) /* the set below serves its write-back */
        prefetch_set(N1, mh_slot_line(v0) << L->line_shift);
    uint64_t *t1 = N1->slot + (size_t)(line & N1->set_mask) * W1;
    uint32_t w1 = lean_scan(t1, W1, want);
    k1->accesses++;
    int c1 = classes && N1->shadow ? classify(h, N1, line, w1 < W1, L->inclusion != MH_INC_EXCLUSIVE) : 0;
    unsigned carry = 0;
    int served = n1;
    if (w1 < W1) {
        carry = fill_hit_k(N1, t1, w1, L->inclusion == MH_INC_EXCLUSIVE, W1);
    } else {
        count_miss_k(h, k1, c1, classes);
        N1->st.bytes_from_next += N1->line;
        const int n2 = N1->next, in1 = L->inclusion != MH_INC_EXCLUSIVE; /* else passed through */
        mh_level *N2 = &h->lv[n2];
        uint64_t v1 = in1 ? lean_push_k(t1, W1, mh_slot_make(line, 0)) : 0;
        if (v1)
            prefetch_set(N2, mh_slot_line(v1) << N1->line_shift);
        uint64_t *t2 = N2->slot + (size_t)(line & N2->set_mask) * W2;
        uint32_t w2 = lean_scan(t2, W2, want);
        k2->accesses++;
        int c2 = classes && N2->shadow ? classify(h, N2, line, w2 < W2, N1->inclusion != MH_INC_EXCLUSIVE) : 0;
        if (w2 < W2) {
            carry = fill_hit_k(N2, t2, w2, N1->inclusion == MH_INC_EXCLUSIVE, W2);
            served = n2;
        } else {
            count_miss_k(h, k2, c2, classes);
            N2->st.bytes_from_next += N2->line;
            h->mem_read += L->line;
            served = -1;
            uint64_t v2 = N1->inclusion != MH_INC_EXCLUSIVE ? lean_push_k(t2, W2, mh_slot_make(line, 0)) : 0;
            if (v2)
                chain_evict(h, n2, v2);
        }
        if (in1) {
            if (carry) {
                add_flags(N1, line, MH_SL_DIRTY);
                carry = 0;
            }
            if (v1 && victim_stays(N1, v1))
                N1->st.evictions++;
            else if (v1 && x->mid_k)
                evict_mid_k(h, n1, x, v1, W0, W2);
            else if (v1)
                evict(h, n1, v1);
        }
    }
    if (carry)
        add_flags(L, line, MH_SL_DIRTY);
    if (v0)
        chain_evict(h, li, v0);
    return served;
}

/* A chain shape's miss path (chain3_k with its ways). */
typedef int (*chain_fn)(mh_hier *h, int li, const mh_rec *r, uint64_t line, uint64_t *s, int cls);

/* One chain shape: a registry entry. */
typedef struct chain_shape {
    uint32_t ways[3]; /* entry, middle and last level */
    chain_fn miss;    /* chain3_k for them, without 3C */
    chain_fn miss_3c; /* chain3_k for them, levels with 3C shadows */
} chain_shape;

#define CHAIN3(a, b, c)                                                                                          \
    static __attribute__((noinline)) int chain3_##a##_##b##_##c(mh_hier *h, int li, const mh_rec *r,         \
                                                                 uint64_t line, uint64_t *s, int cls)         \
    {                                                                                                          \
        chain_ctx x;                                                                                           \
        chain_ctx_init(h, li, r->op, a, c, &x);                                                                \
        return chain3_k(h, li, r, line, s, cls, a, b, c, 0, &x);                                               \
    }                                                                                                          \
    static __attribute__((noinline)) int chain3_3c_##a##_##b##_##c(mh_hier *h, int li, const mh_rec *r,      \
                                                                    uint64_t line, uint64_t *s, int cls)      \
    {                                                                                                          \
        chain_ctx x;                                                                                           \
        chain_ctx_init(h, li, r->op, a, c, &x);                                                                \
        return chain3_k(h, li, r, line, s, cls, a, b, c, 1, &x);                                               \
    }
CHAIN3(8, 8, 16)  /* AMD Zen 2-4: 8-way L1d, 8-way L2, 16-way L3 slice */
CHAIN3(8, 4, 16)  /* Intel Skylake client: 4-way L2 */
CHAIN3(8, 16, 16) /* 16-way L2 (Skylake server, Ice Lake client's 20-way aside) */
CHAIN3(12, 8, 16) /* 48 KiB 12-way L1d (Zen 5, Intel since Ice Lake) over an 8-way L2 */
CHAIN3(12, 16, 16) /* 12-way L1d, 16-way L2 */

#define SHAPE(a, b, c) {{a, b, c}, chain3_##a##_##b##_##c, chain3_3c_##a##_##b##_##c}
static const chain_shape shapes[] = {
    SHAPE(8, 8, 16), SHAPE(8, 4, 16), SHAPE(8, 16, 16), SHAPE(12, 8, 16), SHAPE(12, 16, 16),
};

/* The shapes entry for chain entry level li's path, or -1 (not three levels, other ways). */
static int find_shape(const mh_hier *h, int li)
{
    const mh_level *L = &h->lv[li];
    if (!L->chain || L->next < 0 || h->lv[L->next].next < 0 || h->lv[h->lv[L->next].next].next >= 0)
        return -1;
    const mh_level *N1 = &h->lv[L->next], *N2 = &h->lv[N1->next];
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        if (shapes[i].ways[0] == L->ways && shapes[i].ways[1] == N1->ways && shapes[i].ways[2] == N2->ways)
            return (int)i;
    return -1;
}

/* The chain path that fits h and entry level li (slow: h->slow when it is a constant, else -1). */
static inline int chain_miss(mh_hier *h, int li, const mh_rec *r, uint64_t line, uint64_t *s, int cls, int slow)
{
    if (slow < 0)
        slow = h->slow;
    int sh = h->lv[li].shape;
    if (sh >= 0)
        return slow ? shapes[sh].miss_3c(h, li, r, line, s, cls) : shapes[sh].miss(h, li, r, line, s, cls);
    return slow ? chain_miss_slow(h, li, r, line, s, cls) : chain_miss_fast(h, li, r, line, s, cls);
}

/* r itself, or r cut at the top of the address space into *cut when it ends past 2^64 - 1
 * (accesses never wrap). */
static const mh_rec *cut_at_top(const mh_rec *r, mh_rec *cut)
{
    if (r->size <= 1 || r->addr <= UINT64_MAX - (r->size - 1u))
        return r;
    *cut = *r;
    cut->size = (uint16_t)(UINT64_MAX - r->addr + 1u);
    return cut;
}

/* lean_multi for request r over the two lines A and A + 1 at level li of a lean path without
 * prefetchers or 3C shadows whose levels all have li's line size (a chain entry level's path),
 * with the fills below sent straight to the next level's pair_req instead of through
 * fill_from_below and level_req (an instruction fetch across a line boundary, as a rule).
 * Returns the serving level (-1 = memory); ORs the flags an exclusive level hands up into
 * *up_flags. Nothing passes down as a write: the entry level writes back and allocates, and the
 * requests below are fills. */
static int pair_req(mh_hier *h, int li, const mh_req *r, uint64_t A, unsigned *up_flags)
{
    mh_level *L = &h->lv[li];
    multi_state m;
    multi_lines(h, li, r, A, A + 1, &m, up_flags);
    int served = li;
    if (m.nfetch) { /* multi_fill's steps */
        unsigned f = 0;
        mh_req q = fill_request(L, r, A, m.nfetch, 0);
        served = deeper(h, served, L->next < 0 ? mem_req(h, &q) : pair_req(h, L->next, &q, A, &f));
        multi_flags(L, m.filled, m.nfill, f, up_flags);
    }
    for (size_t i = 0; i < m.nvict; i++)
        evict(h, li, m.victims[i]);
    if (m.missed)
        L->st.kind[r->kind].misses++;
    return served;
}

/* A trace record that is not a one-line hit at a lean level: the request goes the usual way
 * (w = the way lean_find returned, or MH_WAY_NONE when the lean path does not apply), or, across
 * one line boundary at a chain entry level of a hierarchy without 3C or prefetchers, pair_req's. */
#define MH_WAY_NONE UINT32_MAX
static __attribute__((noinline)) int cpu_slow(mh_hier *h, int li, const mh_rec *r, uint32_t w, int cls)
{
    mh_level *L = &h->lv[li];
    mh_rec cut;
    r = cut_at_top(r, &cut);
    mh_req q = {r->addr, r->size ? r->size : 1, 0, r->op, MH_SRC_CPU, 0};
    unsigned f = 0;
    const uint64_t first = q.addr >> L->line_shift;
    if (w == MH_WAY_NONE && L->chain && !h->slow && ((q.addr + q.size - 1) >> L->line_shift) == first + 1)
        return pair_req(h, li, &q, first, &f);
    if (w == MH_WAY_NONE)
        return level_req(h, li, &q, &f);
    uint64_t line = r->addr >> L->line_shift;
    uint64_t *s = L->slot + (size_t)(line & L->set_mask) * L->ways;
    if (L->chain)
        return chain_miss(h, li, r, line, s, cls, -1);
    return lean_miss(h, li, &q, line, s, &f, cls);
}

/* What the inline hit path reads of the entry level of one record kind, copied out once per
 * batch: locals the compiler need not reload after every counter or slot store. */
typedef struct hot_level {
    _Alignas(128) uint64_t *slot; /* L->slot; 128: a power-of-two size, so hot[op] is a shift away */
    uint64_t set_mask; /* L->set_mask */
    mh_counts *cnt;    /* L->st.kind[op] */
    int li;            /* the level */
    uint32_t ways;     /* L->ways */
    int line_shift;    /* L->line_shift */
    int lean;          /* L->lean */
    int write_back;    /* L->write_back */
    int promote;       /* L->promote */
    int chain;         /* L->chain */
    int allocate;      /* L->allocate */
    mh_level *L;       /* the level itself (its 3C shadow) */
    chain_ctx cx;      /* a shape path's miss context (chain_ctx_init), else zero */
} hot_level;

/* The usual entry-level shape, replayed with these as constants (straight-line set code). */
#define FIX_WAYS 8
#define FIX_SHIFT 6

/* Copies the hot fields of level li, for records of kind op, into *e. */
static void hot_init(hot_level *e, mh_hier *h, int li, int op)
{
    mh_level *L = &h->lv[li];
    *e = (hot_level){L->slot,       L->set_mask, &L->st.kind[op], li,         L->ways,     L->line_shift,
                     L->lean,       L->write_back, L->promote,    L->chain,   L->allocate, L, {{NULL, NULL}, 0, 0, {NULL, NULL}}};
    if (L->shape >= 0)
        chain_ctx_init(h, li, op, shapes[L->shape].ways[0], shapes[L->shape].ways[2], &e->cx);
}

/* 1 when e has the shape the constant-folded replay assumes (lean, FIX_WAYS, FIX_SHIFT, write-back). */
static int hot_fixed(const hot_level *e)
{
    return e->lean && e->ways == FIX_WAYS && e->line_shift == FIX_SHIFT && e->write_back;
}

/* A record over lines A and A + 1 (two sets) at the lean, write-back entry level e of a hierarchy
 * without 3C shadows or prefetchers: when both lines hit, what pair_req and lean_multi would do
 * (one access, each line's promotion and dirty bit), inline; else their way through cpu_slow.
 * Returns the serving level. */
static inline __attribute__((always_inline)) int pair_hit(mh_hier *h, const hot_level *e, const mh_rec *r,
                                                          uint64_t A, const uint32_t ways, int write)
{
    uint64_t *sa = e->slot + (size_t)(A & e->set_mask) * ways;
    uint64_t *sb = e->slot + (size_t)((A + 1) & e->set_mask) * ways;
    uint32_t wa = lean_find(sa, ways, (A + 1) << MH_SL_SHIFT), wb = lean_find(sb, ways, (A + 2) << MH_SL_SHIFT);
    if (wa == ways || wb == ways) /* nothing changed yet */
        return cpu_slow(h, e->li, r, MH_WAY_NONE, 0);
    e->cnt->accesses++;
    sa[wa] |= write ? MH_SL_DIRTY : 0;
    sb[wb] |= write ? MH_SL_DIRTY : 0;
    if (e->promote && wa)
        mh_set_promote(sa, wa);
    if (e->promote && wb)
        mh_set_promote(sb, wb);
    return e->li;
}

/* Handles trace record r (op < MH_KINDS) at its entry level (hot fields e); returns the serving
 * level. The common case, a one-line hit at a lean level, is handled inline; fixed (a constant):
 * e has hot_fixed's shape, so its geometry folds into the code; slow (a constant): some level may
 * have a 3C shadow, which sees every lookup, or a prefetcher, which sees demand lookups and is
 * told of hits on the lines it fetched (0: none has either); shape (a constant): the shapes entry
 * of both entry levels' chain paths, whose miss path is then inlined here, or -1. */
static inline __attribute__((always_inline)) int cpu_req(mh_hier *h, const hot_level *e, const mh_rec *r,
                                                         const int fixed, const int slow, const int shape)
{
    const uint32_t ways = fixed ? FIX_WAYS : e->ways;
    const int shift = fixed ? FIX_SHIFT : e->line_shift;
    const uint64_t line = r->addr >> shift;
    const int write = r->op == MH_OP_WRITE;
    /* r's last byte, with no test for size 0 (counted as 1): r->addr - 1 is then in r's own line,
     * or in the line before, which sends r to cpu_slow and its size-0 handling */
    const uint64_t end = r->addr + r->size - 1;
    if (!(fixed || e->lean) || (write && !(fixed || e->write_back)))
        return cpu_slow(h, e->li, r, MH_WAY_NONE, 0);
    if ((end >> shift) != line) /* two lines in two sets (an instruction across a line boundary) */
        return !slow && (end >> shift) == line + 1 && e->set_mask ? pair_hit(h, e, r, line, ways, write)
                                                                  : cpu_slow(h, e->li, r, MH_WAY_NONE, 0);
    uint64_t *s = e->slot + (size_t)(line & e->set_mask) * ways;
    uint32_t w = lean_find(s, ways, (line + 1) << MH_SL_SHIFT);
    e->cnt->accesses++;
    int cls = slow && e->L->shadow ? classify(h, e->L, line, w < ways, !write || e->allocate) : 0;
    if (w == ways)
    {
        if (shape >= 0) /* both entry levels' paths have this shape: its miss path inline */
            return chain3_k(h, e->li, r, line, s, 0, shapes[shape].ways[0], shapes[shape].ways[1],
                            shapes[shape].ways[2], 0, &e->cx);
        return fixed && e->chain ? chain_miss(h, e->li, r, line, s, cls, slow) : cpu_slow(h, e->li, r, w, cls);
    }
    if (slow && (s[w] & MH_SL_PF) && demand_req(r->op, MH_SRC_CPU)) /* a demand hit on a prefetched line */
        pf_used(h, e->L, &s[w], line);
    s[w] |= write ? MH_SL_DIRTY : 0; /* no branch: stack reads and writes interleave */
    if (e->promote && w)
        mh_set_promote(s, w);
    if (slow)
        pf_turn(h, e->li, line, 0, r->op, MH_SRC_CPU);
    return e->li;
}

/* Asks the host to load far level F's sets for the k records at r (they are replayed next-but-one
 * chunk): one tight loop per chunk keeps F's fields in registers. */
static void prefetch_far(const hot_level *F, const mh_rec *r, size_t k)
{
    for (size_t i = 0; i < k; i++)
        prefetch_slots(F->slot + (size_t)((r[i].addr >> F->line_shift) & F->set_mask) * F->ways, F->ways);
}

/* Chunks the far level's sets are prefetched for after a chunk that reached it: a trace that
 * seldom gets that far (a program's, mostly hits) skips the prefetch loop's ~8 instructions per
 * record, one that often does keeps it. Results do not depend on it (a hint to the host). */
#define FAR_WARM 4

/* The far level's accesses so far, every kind. */
static inline uint64_t level_accesses(const mh_level *L)
{
    uint64_t a = 0;
    for (int k = 0; k < MH_KINDS; k++)
        a += L->st.kind[k].accesses;
    return a;
}

/* What the replay does with each record's serving level (a constant where replay is inlined). */
#define TM_NONE 0 /* nothing: count-only */
#define TM_ACCOUNT 1 /* the timing model accounts it at once */
#define TM_LOG 2 /* h->tlog keeps it for mh_hier_timing_run */

/* Replays n records in order; timing (TM_*), fixed and shape (constants where it is inlined) say
 * what becomes of each record's serving level, whether both entry levels have hot_fixed's shape and which chain shape (cpu_req). Records go in chunks of MH_LOOKAHEAD,
 * the far level's sets of the next chunk prefetched before each. A record wrapping past 2^64 - 1
 * takes the slow path (its last line is not its first), which cuts it. */
static inline __attribute__((always_inline)) void replay(mh_hier *h, const hot_level *hot, const mh_rec *recs,
                                                         size_t n, int timing, const int fixed, const int slow,
                                                         const int shape)
{
    hot_level far = {0}; /* h->far */
    const int have_far = h->far >= 0;
    uint64_t far_seen = 0;        /* the far level's accesses when the last chunk began */
    unsigned far_warm = FAR_WARM; /* chunks to prefetch for since the far level was last reached */
    if (have_far) {
        hot_init(&far, h, h->far, 0);
        far_seen = level_accesses(far.L);
    }
    for (size_t i = 0; i < n;) {
        size_t end = n - i > MH_LOOKAHEAD ? i + MH_LOOKAHEAD : n;
        if (have_far) {
            uint64_t now = level_accesses(far.L);
            far_warm = now != far_seen ? FAR_WARM : far_warm - (far_warm > 0);
            far_seen = now;
            if (far_warm)
                prefetch_far(&far, recs + end, n - end > MH_LOOKAHEAD ? MH_LOOKAHEAD : n - end);
        }
        if (slow && timing != TM_LOG && have_far && far.L->shadow) { /* its shadow too: buckets a chunk
                                                                          ahead, then nodes (not the
                                                                          other thread's, when logged) */
            mh_shadow_prefetch(far.L->shadow, recs + end, n - end > MH_LOOKAHEAD ? MH_LOOKAHEAD : n - end,
                               far.line_shift, 0);
            mh_shadow_prefetch(far.L->shadow, recs + i, end - i, far.line_shift, 1);
        }
        for (; i < end; i++) {
            const mh_rec *r = &recs[i];
            if (timing == TM_LOG)
                h->tlog->at = (uint32_t)i;
            if (r->op >= MH_KINDS) {
                mh_rec cut;
                if (r->op == MH_OP_COPYBACK)
                    op_copyback(h, cut_at_top(r, &cut));
                else if (r->op == MH_OP_INVALIDATE)
                    op_invalidate(h, cut_at_top(r, &cut));
                continue; /* unknown ops are ignored: records are not validated here */
            }
            int served = cpu_req(h, &hot[r->op], r, fixed, slow, shape);
            if (timing == TM_ACCOUNT)
                mh_timing_account(h->tm, r, served);
            else if (timing == TM_LOG)
                h->tlog->served[i] = (int8_t)(served < 0 ? -1 : served);
        }
    }
}

/* The shapes entry that both entry levels' chain paths have, when the fixed replay can inline it
 * (an entry level of FIX_WAYS ways, no shadows or prefetchers), else -1. */
static int inline_shape(const mh_hier *h, int fixed)
{
    int sh = h->lv[h->data].shape;
    if (!fixed || h->slow || sh < 0 || h->lv[h->ifetch].shape != sh || shapes[sh].ways[0] != FIX_WAYS)
        return -1;
    return sh;
}

/* replay with timing mode tm, fixed, slow and shape as constants: one copy per timing mode. */
#define REPLAY_TM(tm, fixed, slow, shape)                                                    \
    (tm == TM_ACCOUNT ? replay(h, hot, recs, n, TM_ACCOUNT, fixed, slow, shape)              \
     : tm == TM_LOG   ? replay(h, hot, recs, n, TM_LOG, fixed, slow, shape)                  \
                      : replay(h, hot, recs, n, TM_NONE, fixed, slow, shape))

/* replay with the fixed entry-level shape and chain shape sh (< CHAIN_INLINED) and timing mode tm
 * as constants. */
#define CHAIN_INLINED 3 /* the first shapes entries, those with FIX_WAYS ways at the entry */
static void replay_shaped(mh_hier *h, const hot_level *hot, const mh_rec *recs, size_t n, int sh, int tm)
{
    switch (sh) {
    case 0:
        REPLAY_TM(tm, 1, 0, 0);
        break;
    case 1:
        REPLAY_TM(tm, 1, 0, 1);
        break;
    default:
        REPLAY_TM(tm, 1, 0, 2);
        break;
    }
}

/* replay with the entry levels' fixed shape (fixed), slowness (slow) and timing mode tm as
 * constants, no chain shape inlined. */
static void replay_general(mh_hier *h, const hot_level *hot, const mh_rec *recs, size_t n, int tm, int fixed,
                           int slow)
{
    if (slow) /* shadows' and prefetchers' work dwarfs the constant folding: one copy each */
        REPLAY_TM(tm, 0, 1, -1);
    else if (fixed)
        REPLAY_TM(tm, 1, 0, -1);
    else
        REPLAY_TM(tm, 0, 0, -1);
}

/* Replays n records in order with timing mode tm. */
static void hier_replay(mh_hier *h, const mh_rec *recs, size_t n, int tm)
{
    hot_level hot[MH_KINDS];
    int fixed = 1;
    for (int k = 0; k < MH_KINDS; k++) {
        hot_init(&hot[k], h, k == MH_OP_IFETCH ? h->ifetch : h->data, k);
        fixed &= hot_fixed(&hot[k]);
    }
    int sh = inline_shape(h, fixed);
    if (!h->slow && sh >= 0 && sh < CHAIN_INLINED)
        replay_shaped(h, hot, recs, n, sh, tm);
    else
        replay_general(h, hot, recs, n, tm, fixed, h->slow);
}

/* Replays n records in order. */
int mh_hier_access(mh_hier *h, const mh_rec *recs, size_t n)
{
    hier_replay(h, recs, n, h->tm ? TM_ACCOUNT : TM_NONE);
    return MH_OK;
}

/* Replays the caches' side of n records in order, logging the timing model's inputs into g. */
int mh_hier_access_logged(mh_hier *h, const mh_rec *recs, size_t n, mh_tlog *g, mh_error *err)
{
    if (!h || !g)
        return mh_error_set(err, MH_EINVAL, "timing log: no hierarchy or no log");
    int rc = mh_hier_can_log(h, err);
    if (rc != MH_OK)
        return rc;
    if (n > g->cap)
        return mh_error_set(err, MH_EINVAL, "timing log: %zu records, the log holds %zu", n, g->cap);
    g->n = n;
    g->nev = 0;
    g->failed = 0;
    h->tlog = g;
    hier_replay(h, recs, n, TM_LOG);
    h->tlog = NULL;
    return MH_OK;
}

/* MH_OK when h's timing can be logged and run apart (mh_hier_access_logged). */
int mh_hier_can_log(const mh_hier *h, mh_error *err)
{
    if (!h->tm)
        return mh_error_set(err, MH_EUNSUPPORTED, "timing thread: timing is off");
    if (!mh_timing_self_contained(h->tm))
        return mh_error_set(err, MH_EUNSUPPORTED,
                            "timing thread: walk = cached reads the page tables through the caches during timing");
    return MH_OK;
}

/* Records copied per step of mh_hier_replay_part: a part's records, gathered without a branch on
 * the part (random addresses would mispredict every other record), then replayed as one batch. */
#define MH_PART_CHUNK 2048

/* See hier_int.h. */
size_t mh_hier_replay_part(mh_hier *h, const mh_rec *recs, const uint8_t *tag, size_t n, uint8_t want)
{
    mh_rec buf[MH_PART_CHUNK];
    size_t i = 0;
    while (i < n) {
        size_t m = 0, stop = n;
        for (; i < n && m < MH_PART_CHUNK; i++) {
            if (tag[i] == MH_PART_SHARED) {
                stop = i;
                break;
            }
            buf[m] = recs[i];
            m += tag[i] == want;
        }
        mh_hier_access(h, buf, m);
        if (stop != n)
            return stop;
    }
    return n;
}

/* walk = cached: a page walk's read of the page-table entry at addr, an 8-byte load through the
 * data entry level. It is counted as a `misc` read (DineroIV label 3), so the demand read counts
 * stay those of the trace. Returns the level that served it (-1 = memory). */
static int walk_read(void *ctx, uint64_t addr)
{
    mh_hier *h = ctx;
    mh_rec r = {addr, 0, 8, MH_OP_MISC, 0};
    hot_level e;
    hot_init(&e, h, h->data, MH_OP_MISC);
    return cpu_req(h, &e, &r, 0, 1, -1);
}

/* Writes every dirty line back, upper levels first (DineroIV cmdmain.c end-of-run copy-back). */
void mh_hier_flush(mh_hier *h)
{
    for (size_t i = 0; i < h->n; i++) {
        int li = h->order[i];
        mh_level *L = &h->lv[li];
        for (uint32_t set = L->sets; set-- > 0;)
            for (uint32_t w = L->ways; w-- > 0;) {
                uint64_t v = L->slot[(size_t)set * L->ways + w];
                if (v & MH_SL_DIRTY)
                    copyback_range(h, li, mh_slot_line(v) << L->line_shift, L->line);
            }
    }
}

/* Checks the level graph of c: entry levels and next links in range, no cycle. */
static int check_graph(const mh_config *c, mh_error *err)
{
    if (c->nlevels < 1 || c->nlevels > MH_MAX_LEVELS)
        return mh_error_set(err, MH_ECONFIG, "%s: %zu cache levels, must be 1..%d", c->source, c->nlevels,
                            MH_MAX_LEVELS);
    if (c->ifetch < 0 || (size_t)c->ifetch >= c->nlevels || c->data < 0 || (size_t)c->data >= c->nlevels)
        return mh_error_set(err, MH_ECONFIG, "%s: [hierarchy] ifetch/data level index out of range", c->source);
    for (size_t i = 0; i < c->nlevels; i++) {
        int li = (int)i;
        for (size_t hops = 0; li >= 0; hops++) {
            if (li >= (int)c->nlevels || c->level[li].next < -1)
                return mh_error_set(err, MH_ECONFIG, "%s: [%s] next = %d, no such level", c->source,
                                    c->level[i].name, c->level[li].next);
            if (hops > c->nlevels)
                return mh_error_set(err, MH_ECONFIG, "%s: [%s] next links form a cycle", c->source,
                                    c->level[i].name);
            li = c->level[li].next;
        }
    }
    return MH_OK;
}

/* Fills depth, uppers, topological order and lean-path flags. */
static void link_levels(mh_hier *h)
{
    for (size_t i = 0; i < h->n; i++)
        h->lv[i].depth = 0;
    for (size_t pass = 0; pass < h->n; pass++)
        for (size_t i = 0; i < h->n; i++) {
            int nx = h->lv[i].next;
            if (nx >= 0 && h->lv[nx].depth < h->lv[i].depth + 1)
                h->lv[nx].depth = h->lv[i].depth + 1;
        }
    for (size_t i = 0; i < h->n; i++) {
        int nx = h->lv[i].next;
        if (nx >= 0)
            h->up[nx][h->nup[nx]++] = (int)i;
        if (nx >= 0 && h->lv[i].inclusion == MH_INC_INCLUSIVE)
            h->iup[nx][h->niup[nx]++] = (int)i;
    }
    for (size_t i = 0; i < h->n; i++) {
        mh_level *L = &h->lv[i];
        L->lean = L->pol->reorder;
        h->slow |= L->shadow != NULL || L->pf != NULL;
    }
    for (size_t i = 0; i < h->n; i++) { /* evict's shortcuts */
        mh_level *L = &h->lv[i];
        L->stays = !h->niup[i] && L->inclusion != MH_INC_EXCLUSIVE;
        L->ev_lean = 1;
        for (int k = 0; k < h->niup[i]; k++) {
            const mh_level *U = &h->lv[h->iup[i][k]];
            L->ev_lean &= U->lean && !h->niup[h->iup[i][k]] && U->line >= L->line;
        }
        L->down_lean = L->inclusion == MH_INC_EXCLUSIVE && L->next >= 0 && h->lv[L->next].pol->reorder &&
                       h->lv[L->next].line >= L->line;
    }
    for (size_t i = 0; i < h->n; i++) { /* chain_miss's entry levels */
        mh_level *L = &h->lv[i];
        L->chain = L->write_back && L->allocate && !h->opts.wb_bypass;
        for (int li = (int)i, hops = 0; li >= 0 && hops < MH_MAX_LEVELS; li = h->lv[li].next, hops++)
            L->chain &= h->lv[li].lean && h->lv[li].line == L->line;
    }
    int pf = 0; /* a prefetcher anywhere keeps every path off the shapes */
    for (size_t i = 0; i < h->n; i++)
        pf |= h->lv[i].pf != NULL;
    for (size_t i = 0; i < h->n; i++) { /* chain shapes, and the uppers' common ways */
        mh_level *L = &h->lv[i];
        L->up_ways = L->ev_lean && h->niup[i] ? h->lv[h->iup[i][0]].ways : 0;
        for (int k = 1; k < h->niup[i]; k++)
            L->up_ways = h->lv[h->iup[i][k]].ways == L->up_ways ? L->up_ways : 0;
        L->shape = pf ? -1 : find_shape(h, (int)i);
    }
    h->far = -1; /* the last level on the data path whose slots outgrow the host's L2 cache */
    for (int li = h->data, hops = 0; li >= 0 && hops < MH_MAX_LEVELS; li = h->lv[li].next, hops++)
        if ((uint64_t)h->lv[li].sets * h->lv[li].ways * sizeof(uint64_t) >= MH_FAR_BYTES)
            h->far = li;
    size_t k = 0;
    for (int d = 0; d <= (int)h->n; d++)
        for (size_t i = 0; i < h->n; i++)
            if (h->lv[i].depth == d)
                h->order[k++] = (int)i;
}

/* Returns the defaults. */
mh_hier_opts mh_hier_opts_default(void)
{
    mh_hier_opts o = {1, 1, 0};
    return o;
}

/* Builds a cold hierarchy from c. */
int mh_hier_create(const mh_config *c, const mh_hier_opts *opts, mh_hier **out, mh_error *err)
{
    if (!c || !out)
        return mh_error_set(err, MH_EINVAL, "mh_hier_create: config and out must not be NULL");
    int rc = check_graph(c, err);
    if (rc != MH_OK)
        return rc;
    mh_hier *h = calloc(1, sizeof *h);
    if (!h || !(h->lv = calloc(c->nlevels, sizeof *h->lv))) {
        free(h);
        return mh_error_set(err, MH_ENOMEM, "%s: out of memory for the hierarchy", c->source);
    }
    h->opts = opts ? *opts : mh_hier_opts_default();
    h->ifetch = c->ifetch;
    h->data = c->data;
    for (size_t i = 0; i < c->nlevels && rc == MH_OK; i++) {
        rc = mh_level_init(&h->lv[i], &c->level[i], h->opts.classify_3c, err);
        h->n = rc == MH_OK ? i + 1 : i;
        if (rc == MH_OK)
            rc = mh_pf_create(&c->level[i], &h->lv[i].pf, err);
    }
    if (rc == MH_OK && h->opts.timing && (rc = mh_timing_create(c, &h->tm, err)) == MH_OK)
        mh_timing_set_walker(h->tm, walk_read, h);
    if (rc != MH_OK) {
        mh_hier_destroy(h);
        return rc;
    }
    link_levels(h);
    h->log_tm = h->tm;
    for (size_t i = 0; i < h->n; i++)
        h->log_shadow[i] = h->lv[i].shadow;
    *out = h;
    return MH_OK;
}

/* Number of cache levels. */
size_t mh_hier_levels(const mh_hier *h)
{
    return h->n;
}

/* Copies level i's statistics (hits derived, cycles and late prefetches from the timing model). */
int mh_hier_level_stats(const mh_hier *h, size_t i, mh_level_stats *out)
{
    if (!h || i >= h->n || !out)
        return MH_EINVAL;
    *out = h->lv[i].st;
    for (int k = 0; k < MH_KINDS; k++) {
        out->kind[k].hits = out->kind[k].accesses - out->kind[k].misses;
        out->kind[k].conflict += h->log_cls[i][k][0]; /* the classes found from logs */
        out->kind[k].capacity += h->log_cls[i][k][1];
        out->kind[k].compulsory += h->log_cls[i][k][2];
    }
    if (h->tm) {
        mh_level_stats lv[MH_MAX_LEVELS];
        mh_time_stats ts;
        memset(lv, 0, sizeof lv);
        mh_timing_stats(h->tm, &ts, lv, h->n);
        out->cycles = lv[i].cycles;
        out->pf_late = lv[i].pf_late; /* the model tells late from timely */
    }
    return MH_OK;
}

/* Bytes read from / written to memory. */
void mh_hier_mem_traffic(const mh_hier *h, uint64_t *bytes_read, uint64_t *bytes_written)
{
    if (bytes_read)
        *bytes_read = h->mem_read;
    if (bytes_written)
        *bytes_written = h->mem_written;
}

/* Copies the timing statistics. */
int mh_hier_time_stats(const mh_hier *h, mh_time_stats *out)
{
    if (!h || !h->tm)
        return MH_EUNSUPPORTED;
    mh_level_stats lv[MH_MAX_LEVELS];
    memset(lv, 0, sizeof lv);
    mh_timing_stats(h->tm, out, lv, h->n);
    return MH_OK;
}

/* Marks pages resident in the timing model's page table (before any record is replayed). */
int mh_hier_resident(mh_hier *h, uint64_t addr, uint64_t len, mh_error *err)
{
    if (!h || !h->tm)
        return mh_error_set(err, MH_EUNSUPPORTED, "resident pages: timing is off (no page table)");
    if (mh_timing_resident(h->tm, addr, len) != MH_OK)
        return mh_error_set(err, MH_ENOMEM, "resident pages: out of memory at 0x%llx + %llu bytes",
                            (unsigned long long)addr, (unsigned long long)len);
    return MH_OK;
}

/* Touches pages in the timing model's page table, counting their first touches (before replay). */
int mh_hier_touch_pages(mh_hier *h, uint64_t addr, uint64_t len, mh_error *err)
{
    if (!h || !h->tm)
        return mh_error_set(err, MH_EUNSUPPORTED, "touched pages: timing is off (no page table)");
    if (mh_timing_touch_pages(h->tm, addr, len) != MH_OK)
        return mh_error_set(err, MH_ENOMEM, "touched pages: out of memory at 0x%llx + %llu bytes",
                            (unsigned long long)addr, (unsigned long long)len);
    return MH_OK;
}

/* Frees h. */
void mh_hier_destroy(mh_hier *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++)
        mh_level_fini(&h->lv[i]);
    mh_timing_destroy(h->tm);
    free(h->lv);
    free(h);
}
