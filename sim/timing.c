/* timing.c — the timing model: turns the hierarchy's per-record outcome (which level served it)
 * into cycles. One clock `now` is the cycle at which the next record issues. Per record:
 *   1. compute: now += gap x base_cpi; a record that continues a constant-stride address sequence
 *      one loop iteration later (>= SEQ_ITER instructions on) issues no earlier than
 *      induction_latency after that sequence's previous record: its address comes from one
 *      dependent add (the loop's induction variable);
 *   2. a record flagged MH_FLAG_DEP waits until the previous load completed (a dependent
 *      software prefetch only starts then: it never stalls issue); with rob > 0, a record also
 *      waits until the instruction rob places before it has retired (in order: every older load
 *      complete; stores and software prefetches retire at issue), so a late prefetch or a long
 *      miss stops issue once the reorder buffer is full; with store_queue > 0, a store also waits
 *      for a store-queue entry (each holds its store until the store's line is owned, and they
 *      free oldest first), so stores that miss stop issue once the queue is full;
 *   3. translation: L1 DTLB, second-level TLB, page walk. A dependent record waits for them (the
 *      issue clock advances); an independent one only starts its access after them, so walks of
 *      independent accesses overlap (bounded by the MSHRs a missing access holds meanwhile).
 *      Minor/major fault costs always stall the issue clock (a fault is a precise exception);
 *   3b. pipes: with mem_cpi > 0, at most ceil(1 / mem_cpi) data accesses start in one cycle; one
 *      ready when they are taken (accounted later in program order: younger) starts a cycle later;
 *   4. issue: a miss at the entry level takes an MSHR (waiting for the earliest to free), its
 *      fill crosses each link down to the serving level, each link busy line/bandwidth cycles;
 *      completion = max(start + latency(served) (+ its swpf_extra for a software prefetch), last
 *      link transfer end). The line's fill is remembered while in flight: a later
 *      hit on that line completes no earlier than it (but for a prefetch's, no later than a miss
 *      of its own would);
 *   5. the record takes one issue slot (base_cpi), or with mem_cpi > 0 one slot of the load/store
 *      pipes, which work alongside the ALUs: issue waits only when those pipes are still busy with
 *      earlier records; an instruction-fetch miss stalls until done.
 * Every advance of `now` is charged to one stall component, and the final wait for the last
 * outstanding access is charged to its level, so the components add up to the total exactly:
 * time is kept in integer ticks of 1/4096 cycle (exact sums, and integer adds on the hot path).
 * mh_timing_account_n takes runs of instruction fetches whose steps reduce to step 5 in a loop of
 * their own (fetch_run), with the same results. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dram_int.h"
#include "timing_int.h"
#include "tlb_int.h"
#include "vmem_int.h"

#define FLIGHT_BITS 12          /* in-flight hardware prefetch table: 4096 entries */
#define FILL_BITS 10            /* in-flight demand fill table: 1024 entries (>> any MSHR count) */
#define MEM (-1)                /* "served by main memory" */
#define MAX_WALKERS 64          /* most page walkers a config may name */
#define RAM_SLOT MH_MAX_LEVELS  /* stall slot of main memory */
#define TLB_SLOT (RAM_SLOT + 1) /* stall slot of second-level TLB lookups */
#define WALK_SLOT (RAM_SLOT + 2) /* stall slot of page walks */
#define NSLOTS (RAM_SLOT + 3)
#define TICKS 4096.0            /* ticks per cycle */
#define SEQ_BITS 2              /* log2 NSEQ */
#define NSEQ (1 << SEQ_BITS)    /* address sequences tracked for induction_latency */
#define SEQ_REACH 4096          /* largest stride (bytes) learnt as a sequence */
#define SEQ_ITER 4              /* instructions from one iteration's record to the next (>= 3 + itself) */
#define DO_INDUCTION 1          /* data_work: induction_latency is on */
#define DO_TLB 2                /* data_work: a data TLB is present */
#define VM_SEEN 1024            /* unlimited frames: direct-mapped filter of pages touched before */
#define PIPE_BITS 8             /* load/store pipe bins: the 256 cycles around the latest starts */

typedef int64_t tick;           /* time in 1/4096 cycle: 2^51 cycles (10 days at 2.6 GHz) of range */

/* Notice reported for traces with no dependency flags and no instruction gaps (din, Lackey). */
static const char defaults_note[] =
    "trace has no dependency flags or instruction gaps: every load timed as independent "
    "(misses overlap up to the MSHRs), gap 0, one issue slot of base_cpi per record";

/* Outstanding misses of one entry level: a binary min-heap on completion time, so the MSHR that
 * frees first is at the root (O(log n) per miss). Its fields are separate arrays, so a sift step
 * indexes them without scaling and moves two words. */
typedef struct window {
    tick *done;                 /* heap of n fill completions, then n + 1 that never free (leaves' children) */
    int *slot;                  /* per register: stall slot of the level serving it */
    uint32_t n;                 /* number of MSHRs */
    uint32_t depth;             /* levels below the root: floor(log2 n) */
} window;

/* A hardware prefetch fill still (possibly) in flight. */
typedef struct flight {
    uint64_t key;               /* line address + 1; 0 = empty */
    tick done;                  /* completion */
} flight;

/* A demand fill of the entry level (possibly) still in flight; a stale entry (done in the past)
 * or one overwritten by a colliding line only loses a wait, never adds one. */
typedef struct fill {
    uint64_t key;               /* line number + 1 at the entry level; 0 = empty */
    tick done;                  /* completion of the fill */
    tick own;                   /* a software prefetch's fill that takes longer than a demand's: the
                                   demand's time (a demand meeting it waits at most that); 0 = none */
    int slot;                   /* stall slot of the level serving it */
} fill;

/* A record in the reorder buffer (rob > 0). */
typedef struct robent {
    uint64_t idx;               /* instruction count at the record (gaps + records so far) */
    tick done;                  /* when it can retire */
    int slot;                   /* stall slot a wait for it is charged to */
} robent;

/* The NSEQ constant-stride address sequences (loops' induction variables) induction_latency
 * tracks, one array per field; [i] is sequence i. */
typedef struct seq {
    uint64_t last[NSEQ];        /* address of its latest record */
    uint64_t next[NSEQ];        /* last + stride: the address that continues it */
    int64_t stride[NSEQ];       /* bytes between its records; 0 = not learnt yet */
    tick at[NSEQ];              /* issue time of its latest record */
    uint64_t idx[NSEQ];         /* instruction count at that record */
} seq;

/* A second-level TLB: the shared one, or the instructions' own. */
typedef struct xl2 {
    mh_tlb *tlb;                /* NULL when absent */
    tick cost;                  /* a lookup */
    uint64_t hits, misses;      /* its lookups; mh_timing_stats reports them */
} xl2;

/* A first-level TLB (data or instructions) and its same-page fast path. */
typedef struct xl1 {
    mh_tlb *tlb;                /* NULL when absent */
    unsigned shift;             /* its page shift */
    uint64_t last;              /* page number + 1 of its last translation */
    tick ready;                 /* when that translation completes (its walk may still run) */
    uint64_t hits, misses;      /* its lookups (same-page ones are hits); mh_timing_stats reports them */
    xl2 *next;                  /* the second level its misses look up (its tlb NULL: none) */
} xl1;

struct mh_timing {
    tick now;                   /* issue time of the next record */
    tick cpi;                   /* base_cpi */
    tick induction;             /* induction_latency; 0 = off */
    tick mem_cpi;               /* mem_cpi; 0 = records take a base_cpi issue slot */
    tick pipe_free;             /* mem_cpi > 0: when the load/store pipes take the next record */
    uint32_t pipes;             /* mem_cpi > 0: data records that start their access in one cycle */
    int64_t pipe_cyc[1 << PIPE_BITS]; /* per bin: the cycle it counts (cycle & mask = bin); -1 = none */
    uint32_t pipe_n[1 << PIPE_BITS];  /* per bin: accesses started in that cycle */
    seq sq;                     /* address sequences seen lately */
    uint32_t seq_rr;            /* round-robin cursor replacing them */
    uint32_t rob;               /* reorder-buffer entries; 0 = unbounded */
    robent *rq;                 /* records in the reorder buffer, a ring of rob entries, oldest first */
    uint32_t rq_head, rq_n;     /* ring start and fill */
    uint32_t stq;               /* store-queue entries; 0 = unbounded (stores never wait) */
    robent *sqe;                /* stores in the queue, a ring of stq entries, oldest first (done = owned) */
    uint32_t sq_head, sq_n;     /* ring start and fill */
    uint64_t icount;            /* instructions so far (gaps + records) */
    tick retired;               /* when the youngest retired record could retire */
    int retired_slot;           /* stall slot of the record that set it */
    tick last_done;             /* completion of the most recent load (for MH_FLAG_DEP) */
    int last_slot;              /* stall slot of the level that served it */
    int max_slot;               /* stall slot of the latest-completing access */
    tick max_done;              /* latest completion of any access */
    tick late_ready;            /* pending: the current demand waits for a late prefetch until this */
    tick ahead;                 /* front-end run-ahead: work dispatched during the last dependency wait */
    int plain;                  /* rob = 0, mem_cpi = 0 and no hardware prefetch so far: account's plain loop */
    int quick;                  /* rob = 0: fetch_run may account fetches' hits */
    unsigned fetch_page_shift;  /* the smaller of the ITLB's and the page table's page shifts (63: neither) */
    uint8_t data_work[2];       /* [fetch]: DO_INDUCTION | DO_TLB, decided once (fetches: DO_TLB only) */
    int seen_dep;               /* some record had a dependency flag (gaps: st.instructions) */
    int entry[2];               /* [0] data entry level, [1] ifetch entry level */
    size_t nlevels;
    tick lat[MH_MAX_LEVELS];    /* load-to-use latency of each level */
    tick swpf_extra[MH_MAX_LEVELS]; /* of each level: a software prefetch's fill beyond a demand's */
    int next[MH_MAX_LEVELS];    /* next level towards memory */
    tick xfer[MH_MAX_LEVELS];   /* time one line occupies the link below level i; 0 = unbounded */
    tick link_free[MH_MAX_LEVELS]; /* when each link is free again */
    tick set_gap[MH_MAX_LEVELS]; /* spacing of misses into one data-entry set served by level i */
    double spread[NSLOTS];      /* latency spread of fills from level i, [RAM_SLOT] memory's (0 = fixed) */
    tick *set_free;             /* per data-entry set: when its next miss may start; NULL = no gaps */
    uint64_t set_mask;          /* data-entry sets - 1 */
    tick stall[NSLOTS];         /* time charged per level; RAM, TLB and walk slots after them */
    tick tk_compute, tk_minor, tk_disk; /* the other components */
    window win[2];              /* MSHRs of the data entry level; [1] of ifetch (may alias [0]) */
    double freq;                /* GHz: cycles per ns */
    tick ram_row_miss;          /* RAM access to a closed row */
    tick ram_row_hit;           /* open-row hit */
    double ram_bpc;             /* RAM bytes per cycle; 0 = unbounded */
    tick ram_xfer;              /* time one last-level line occupies the memory channel */
    tick ram_free;              /* when the memory channel (fills only) is free again */
    xl1 xl[2];                  /* [fetch]: the first-level TLB of data, of instructions */
    xl2 l2[2];                  /* second-level TLBs: [0] tlb.L2 (data, and fetches without [1]), [1] tlb.L2i */
    unsigned line_shift[2];     /* log2 line size of the [0] data and [1] ifetch entry levels */
    fill *fills;                /* in-flight demand fills of the entry levels, direct mapped */
    tick walk_cost;             /* a page walk (walk = fixed, or no reader installed) */
    int walk_cached;            /* walk = cached or nested */
    int walk_nested;            /* walk = nested: the host's entries for the data page follow */
    uint64_t host_frames;       /* nested: guest frames the host maps ([RAM] capacity / 4 KiB) */
    uint32_t walkers;           /* page walkers; 0 = unbounded */
    tick walker_free[MAX_WALKERS]; /* when each walker finishes its current walk */
    mh_walk_read_fn walker;     /* reads page-table entries through the caches (walk = cached) */
    void *walker_ctx;           /* its context (the hierarchy) */
    mh_vmem *vm;                /* page table and frames; NULL without [RAM] page_size */
    unsigned vm_shift;          /* log2 of [RAM] page_size */
    int vm_unlimited;           /* capacity 0: a page once touched stays resident */
    uint64_t vm_seen[VM_SEEN];  /* vm_unlimited: page number + 1 of pages touched before, by its low bits */
    tick minor_cost;            /* per minor fault */
    tick disk_cost;             /* per page read from or written to disk */
    mh_dram *dram;              /* open rows; NULL = no row model */
    flight *fl;                 /* in-flight prefetches, direct mapped */
    mh_time_stats st;           /* event counters (the cycle fields are filled by mh_timing_stats) */
    uint64_t pf_late[MH_MAX_LEVELS]; /* per level: demand hits that found their prefetch in flight */
};

/* Converts cycles to ticks (rounded). */
static tick ticks(double cycles)
{
    return (tick)llround(cycles * TICKS);
}

/* Converts ticks to cycles. */
static double cycles(tick t)
{
    return (double)t / TICKS;
}

/* Returns the stall slot of level lv (MEM -> RAM_SLOT). */
static int slot_of(int lv)
{
    return lv == MEM ? RAM_SLOT : lv;
}

/* Allocates an MSHR window of n entries (0 = default), all free at time 0. */
static int window_init(window *w, uint32_t n)
{
    w->n = n ? n : MH_MSHRS_DEFAULT;
    w->done = calloc(2 * (size_t)w->n + 1, sizeof *w->done);
    w->slot = calloc(2 * (size_t)w->n + 1, sizeof *w->slot);
    if (!w->done || !w->slot)
        return -1;
    for (size_t k = w->n; k < 2 * (size_t)w->n + 1; k++)
        w->done[k] = INT64_MAX;
    for (w->depth = 0; (2ull << w->depth) <= w->n; w->depth++)
        ;
    return 0;
}

/* Replaces the heap root (the MSHR that frees first) with a miss completing at done. The usual
 * later completion sinks to the bottom, so the hole goes down `depth` steps along the earlier
 * child with one compare each, and comes back up past the ones completing no earlier than done
 * (rarely any): the same heap as a sift-down that stops there. The never-freeing entries past n
 * are never earlier, so done lands inside the heap. */
static void window_replace_top(window *w, tick done, int slot)
{
    tick *dn = w->done;
    int *sl = w->slot;
    size_t i = 0;
    for (uint32_t d = 0, depth = w->depth; d < depth; d++) {   /* depth in a register: the stores may alias w */
        size_t c = 2 * i + 1;
        c += dn[c + 1] < dn[c];
        dn[i] = dn[c];
        sl[i] = sl[c];
        i = c;
    }
    for (size_t p; i > 0 && dn[p = (i - 1) / 2] >= done; i = p) {
        dn[i] = dn[p];
        sl[i] = sl[p];
    }
    dn[i] = done;
    sl[i] = slot;
}

/* Checks the values the model divides by or indexes with. */
static int check_config(const mh_config *c, mh_error *err)
{
    if (!(c->frequency_ghz > 0))
        return mh_error_set(err, MH_ECONFIG, "%s: [hierarchy] frequency_ghz = %g, must be > 0", c->source, c->frequency_ghz);
    if (c->rob > (1u << 20))
        return mh_error_set(err, MH_ECONFIG, "%s: [hierarchy] rob = %llu, must be 0 (unbounded) to 1048576",
                            c->source, (unsigned long long)c->rob);
    if (c->store_queue > (1u << 16))
        return mh_error_set(err, MH_ECONFIG, "%s: [hierarchy] store_queue = %llu, must be 0 (unbounded) to 65536",
                            c->source, (unsigned long long)c->store_queue);
    if (c->walkers > MAX_WALKERS)
        return mh_error_set(err, MH_ECONFIG, "%s: [hierarchy] walkers = %llu, must be 0 (unbounded) to %d",
                            c->source, (unsigned long long)c->walkers, MAX_WALKERS);
    if (!(c->base_cpi >= 0))
        return mh_error_set(err, MH_ECONFIG, "%s: [hierarchy] base_cpi = %g, must be >= 0", c->source, c->base_cpi);
    if (c->nlevels == 0 || c->nlevels > MH_MAX_LEVELS || c->data < 0 || (size_t)c->data >= c->nlevels ||
        c->ifetch < 0 || (size_t)c->ifetch >= c->nlevels)
        return mh_error_set(err, MH_ECONFIG, "%s: hierarchy needs 1 to %d levels and valid data/ifetch entry levels",
                            c->source, MH_MAX_LEVELS);
    return MH_OK;
}

/* Fills the per-level latency, next and link tables, and the RAM channel. */
static void setup_levels(mh_timing *t, const mh_config *c)
{
    t->nlevels = c->nlevels;
    for (size_t i = 0; i < c->nlevels; i++) {
        const mh_level_cfg *l = &c->level[i];
        t->lat[i] = ticks(l->latency);
        t->swpf_extra[i] = ticks(l->swpf_extra);
        t->next[i] = l->next;
        t->xfer[i] = l->bandwidth > 0 ? ticks(l->line / l->bandwidth) : 0;
        t->set_gap[i] = (int)i == c->data ? 0 : ticks(l->set_gap);
        t->spread[i] = l->spread;
    }
    t->spread[RAM_SLOT] = c->ram.spread;
    t->ram_row_miss = ticks(c->ram.latency_ns * c->frequency_ghz);
    t->ram_row_hit = ticks((c->ram.row_hit_ns > 0 ? c->ram.row_hit_ns : c->ram.latency_ns) * c->frequency_ghz);
    t->ram_bpc = c->ram.bandwidth_gbs > 0 ? c->ram.bandwidth_gbs / c->frequency_ghz : 0;
    int last = c->data;
    for (int k = 0; k < MH_MAX_LEVELS && c->level[last].next >= 0; k++) last = c->level[last].next;
    t->ram_xfer = t->ram_bpc > 0 ? ticks(c->level[last].line / t->ram_bpc) : 0;
}

/* Allocates the per-set start table when some level has a set_gap; nonzero when out of memory. */
static int setup_set_gaps(mh_timing *t, const mh_config *c)
{
    int any = 0;
    for (size_t i = 0; i < c->nlevels; i++) any |= t->set_gap[i] > 0;
    uint32_t sets = c->level[c->data].sets ? c->level[c->data].sets : 1;
    t->set_mask = sets - 1;
    return any && !(t->set_free = calloc(sets, sizeof *t->set_free));
}

/* Builds the TLBs, page table and DRAM banks; walks cost walk_latency (also with walk = cached). */
static int setup_memory(mh_timing *t, const mh_config *c, mh_error *err)
{
    mh_tlb **made[MH_TLBS] = { &t->xl[0].tlb, &t->l2[0].tlb, &t->xl[1].tlb, &t->l2[1].tlb };
    int rc;
    for (int i = 0; i < MH_TLBS; i++)
        if (c->tlb[i].present && (rc = mh_tlb_create(&c->tlb[i], mh_cfg_tlb_names[i], made[i], err)) != MH_OK)
            return rc;
    if (!t->xl[0].tlb && t->l2[0].tlb) { t->xl[0].tlb = t->l2[0].tlb; t->l2[0].tlb = NULL; }  /* lone TLB: first level */
    t->l2[0].cost = t->l2[0].tlb ? ticks(c->tlb[MH_TLB_L2].latency) : 0;
    t->l2[1].cost = t->l2[1].tlb ? ticks(c->tlb[MH_TLB_L2I].latency) : 0;
    t->xl[0].next = &t->l2[0];
    t->xl[1].next = t->l2[1].tlb ? &t->l2[1] : &t->l2[0];
    for (int f = 0; f < 2; f++)
        if (t->xl[f].tlb) t->xl[f].shift = mh_tlb_page_shift(t->xl[f].tlb);
    t->data_work[0] = (uint8_t)((t->induction ? DO_INDUCTION : 0) | (t->xl[0].tlb ? DO_TLB : 0));
    t->data_work[1] = t->xl[1].tlb ? DO_TLB : 0;
    t->walk_cost = ticks(c->walk_latency);
    t->walk_cached = c->walk != MH_WALK_FIXED;
    t->walk_nested = c->walk == MH_WALK_NESTED;
    t->host_frames = c->ram.capacity ? c->ram.capacity >> 12 : (64ull << 30) >> 12;
    t->walkers = (uint32_t)c->walkers;
    if (c->ram.page_size && (rc = mh_vmem_create(&c->ram, &t->vm, err)) != MH_OK) return rc;
    if (t->vm) t->vm_shift = (unsigned)__builtin_ctzll(c->ram.page_size);
    t->vm_unlimited = t->vm && mh_vmem_frames(t->vm) == 0;
    t->minor_cost = ticks(c->ram.minor_fault_ns * c->frequency_ghz);
    double ns = c->disk.latency_us * 1000.0;
    if (c->disk.bandwidth_mbs > 0) ns += (double)c->ram.page_size / (c->disk.bandwidth_mbs * 1e6) * 1e9;
    t->disk_cost = ticks(ns * c->frequency_ghz);
    return mh_dram_create(&c->ram, &t->dram, err);
}

/* Builds the timing state for config c (TLBs, page table, DRAM rows, MSHR windows). */
int mh_timing_create(const mh_config *c, mh_timing **out, mh_error *err)
{
    int rc = check_config(c, err);
    if (rc != MH_OK) return rc;
    mh_timing *t = calloc(1, sizeof *t);
    if (!t) return mh_error_set(err, MH_ENOMEM, "timing: out of memory");
    t->cpi = ticks(c->base_cpi);
    t->induction = ticks(c->induction_latency);
    t->mem_cpi = ticks(c->mem_cpi);
    t->rob = (uint32_t)c->rob;
    t->stq = (uint32_t)c->store_queue;
    t->plain = t->rob == 0 && t->mem_cpi == 0 && t->stq == 0;
    t->quick = t->rob == 0;
    t->pipes = c->mem_cpi > 0 ? (uint32_t)ceil(1.0 / c->mem_cpi - 0.01) : 0;   /* issue spacing */
    memset(t->pipe_cyc, 0xff, sizeof t->pipe_cyc);                           /* never stricter */
    t->freq = c->frequency_ghz;
    t->last_slot = t->max_slot = c->data;
    t->entry[0] = c->data;
    t->entry[1] = c->ifetch;
    for (int k = 0; k < 2; k++) {
        uint32_t line = c->level[t->entry[k]].line;
        t->line_shift[k] = line ? (unsigned)__builtin_ctz(line) : 6;
    }
    setup_levels(t, c);
    rc = MH_ENOMEM;
    t->fl = calloc((size_t)1 << FLIGHT_BITS, sizeof *t->fl);
    t->fills = calloc((size_t)1 << FILL_BITS, sizeof *t->fills);
    if (setup_set_gaps(t, c)) goto fail;
    if ((t->rob && !(t->rq = calloc(t->rob, sizeof *t->rq))) ||
        (t->stq && !(t->sqe = calloc(t->stq, sizeof *t->sqe))))
        goto fail;
    if (!t->fl || !t->fills || window_init(&t->win[0], c->level[c->data].mshrs) ||
        (c->ifetch != c->data && window_init(&t->win[1], c->level[c->ifetch].mshrs)))
        goto fail;
    if (c->ifetch == c->data) t->win[1] = t->win[0];
    if ((rc = setup_memory(t, c, err)) != MH_OK) goto fail;
    t->fetch_page_shift = t->xl[1].tlb ? t->xl[1].shift : 63;
    if (t->vm && t->vm_shift < t->fetch_page_shift) t->fetch_page_shift = t->vm_shift;
    *out = t;
    return MH_OK;
fail:
    mh_timing_destroy(t);
    return rc == MH_ENOMEM ? mh_error_set(err, MH_ENOMEM, "timing: out of memory") : rc;
}

/* Time of one memory access to addr (open-row hit or row miss), counting rows. */
static tick dram_cost(mh_timing *t, uint64_t addr)
{
    if (!t->dram) return t->ram_row_miss;
    if (mh_dram_access(t->dram, addr)) { t->st.row_hits++; return t->ram_row_hit; }
    t->st.row_misses++;
    return t->ram_row_miss;
}

/* Latency of a fill of line from level lv (MEM = memory) for the record at instruction idx: lat x
 * (1 + spread x u), u uniform in [-1, 1) from a hash of the two, so a run always draws the same.
 * Zero mean: a chase keeps its mean latency, a walk prefetching ahead waits for its slower fills. */
static tick spread_lat(const mh_timing *t, int lv, tick lat, uint64_t line, uint64_t idx)
{
    double f = t->spread[slot_of(lv)];
    if (f == 0) return lat;
    uint64_t h = (line + 1) * 0x9E3779B97F4A7C15ull ^ idx * 0xC2B2AE3D27D4EB4Full;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 32;
    double u = (double)(h >> 11) * 0x1p-52 - 1.0;   /* 53 bits -> [0, 2) -> [-1, 1) */
    return (tick)((double)lat * (1.0 + f * u) + 0.5);
}

/* When a data-entry miss of line served by level `from` may start, at `at` or later: misses into
 * one set of the entry level that a level with set_gap serves start that far apart (a core that
 * overlaps few misses into one L1 set, which calibrate's one-set chase measures). */
static tick set_start(mh_timing *t, uint64_t line, int from, tick at)
{
    if (!t->set_free || from < 0 || (size_t)from >= t->nlevels || !t->set_gap[from]) return at;
    tick *f = &t->set_free[line & t->set_mask];
    if (*f > at) at = *f;
    *f = at + t->set_gap[from];
    return at;
}

/* Occupies a link for x starting no earlier than at (nor before it is free); returns the end. */
static tick occupy(tick *free_at, tick at, tick x)
{
    tick s = *free_at > at ? *free_at : at;
    *free_at = s + x;
    return s + x;
}

/* A fill from level `from` into `into` issued at `at` with latency completion `done`: returns the
 * completion once every link on the way has carried the line at its bandwidth. */
static tick cross_links(mh_timing *t, int into, int from, tick at, tick done)
{
    int i = into;
    for (int k = 0; k < MH_MAX_LEVELS && i >= 0 && i != from; k++, i = t->next[i]) {
        if (t->xfer[i] > 0) {
            tick e = occupy(&t->link_free[i], at, t->xfer[i]);
            if (e > done) done = e;
        }
    }
    if (from == MEM && t->ram_xfer > 0) {
        tick e = occupy(&t->ram_free, at, t->ram_xfer);
        if (e > done) done = e;
    }
    return done;
}

/* Reads one page-table entry at pte through the caches; returns its latency. */
static tick walk_read(mh_timing *t, uint64_t pte)
{
    int served = t->walker(t->walker_ctx, pte);
    return served < 0 || (size_t)served >= t->nlevels ? dram_cost(t, pte) : t->lat[served];
}

/* walk = nested: the host's PD and PT entries for the guest frame of virtual page vpn, read through
 * the caches after the guest's. Guest frames lie scattered over the guest's memory (a hash of the
 * page), so the host's entries take a line per page where the guest's share a line among 8. */
static tick host_walk(mh_timing *t, uint64_t vpn)
{
    uint64_t h = (vpn + 1) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    uint64_t frame = (h ^ (h >> 32)) % t->host_frames;
    return walk_read(t, MH_WALK_PT_BASE + (4ull << 40) + 8 * (frame >> 9)) +
           walk_read(t, MH_WALK_PT_BASE + (3ull << 40) + 8 * frame);
}

/* walk = cached or nested: reads the PD entry and (4K pages) the PT entry of addr through the
 * caches, nested then the host's entries (host_walk) plus walk_latency; returns the sum of their
 * latencies (a dependent chain). A late prefetch met by these reads is ignored. Out of line, like
 * the other paths most records skip, so the per-record path keeps its registers. */
static __attribute__((noinline)) tick walk_loads(mh_timing *t, uint64_t addr, unsigned shift)
{
    tick cost = 0, late = t->late_ready;
    uint64_t vpn = addr >> 12;
    int last = shift >= 21 ? 2 : 1;               /* 2M pages end the walk at the page directory */
    for (int level = 2; level >= last; level--)
        cost += walk_read(t, MH_WALK_PT_BASE + ((uint64_t)level << 40) + 8 * (vpn >> (9 * (level - 1))));
    if (t->walk_nested)
        cost += t->walk_cost + host_walk(t, vpn);
    t->late_ready = late;
    return cost;
}

/* A translation's cost: second-level TLB lookup and page walk. */
typedef struct xlat {
    tick tlb;                   /* second-level TLB lookup */
    tick walk;                  /* page walk */
} xlat;

/* walkers > 0: a walk of `walk` cycles that could begin at `begin` takes the walker free
 * earliest; returns how long it waits for it (0 when one is free). Out of line: walks are rare. */
static __attribute__((noinline)) tick walker_wait(mh_timing *t, tick begin, tick walk)
{
    uint32_t k = 0;
    for (uint32_t i = 1; i < t->walkers; i++)
        k = t->walker_free[i] < t->walker_free[k] ? i : k;
    tick wait = t->walker_free[k] > begin ? t->walker_free[k] - begin : 0;
    t->walker_free[k] = begin + wait + walk;
    return wait;
}

/* First-level TLB l (data or instructions), its second level and page walk for an access to addr
 * at time now; returns their costs. A further access to the same page (the fast path) waits for
 * that page's translation to finish. Forced inline, like translate and induction_wait: with two
 * account loops gcc would call them. */
static inline __attribute__((always_inline)) xlat translate_tlb(mh_timing *t, xl1 *l, uint64_t addr, tick now)
{
    xlat x = { 0, 0 };
    uint64_t page = (addr >> l->shift) + 1;
    if (page == l->last) {
        l->hits++;
        if (l->ready > now) x.tlb = l->ready - now;   /* charged as TLB time if waited on */
        return x;
    }
    int64_t *r0, *r1;
    l->last = page;
    l->ready = now;
    if (mh_tlb_lookup_at(l->tlb, addr, &r0)) {
        l->hits++;
        if (*r0 > now) x.tlb = (l->ready = *r0) - now; /* an earlier lookup's walk still runs */
        return x;
    }
    l->misses++;
    xl2 *n = l->next;
    if (n->tlb) {
        x.tlb = n->cost;
        if (mh_tlb_lookup_at(n->tlb, addr, &r1)) {
            n->hits++;
            if (*r1 > now + x.tlb) x.tlb = *r1 - now;
            *r0 = l->ready = now + x.tlb;
            return x;
        }
        n->misses++;
    }
    t->st.page_walks++;
    x.walk = t->walk_cached && t->walker ? walk_loads(t, addr, l->shift) : t->walk_cost;
    if (t->walkers) x.walk += walker_wait(t, now + x.tlb, x.walk);
    *r0 = l->ready = now + x.tlb + x.walk;
    if (n->tlb) *r1 = *r0;
    return x;
}

/* Page-table touch of r, whose page key (number + 1) has vm_seen slot *seen: minor/major fault
 * and dirty write-out costs; returns the time they add. Out of line: most records skip it. */
static __attribute__((noinline)) tick touch_page(mh_timing *t, const mh_rec *r, uint64_t *seen, uint64_t key)
{
    int wrote = 0;
    tick cost = 0;
    int res = mh_vmem_touch(t->vm, r->addr, r->op == MH_OP_WRITE, &wrote);
    if (t->vm_unlimited && res >= 0) *seen = key;
    if (res == MH_VM_HIT && !wrote) return 0;
    if (res == MH_VM_MINOR) {
        t->st.minor_faults++;
        t->tk_minor += t->minor_cost;
        cost += t->minor_cost;
    } else if (res == MH_VM_MAJOR) {
        t->st.major_faults++;
        t->st.disk_reads++;
        t->tk_disk += t->disk_cost;
        cost += t->disk_cost;
    }
    if (wrote) {
        t->st.disk_writes++;
        t->tk_disk += t->disk_cost;
        cost += t->disk_cost;
    }
    return cost;
}

/* Page-table costs of r (see touch_page). With unlimited frames a page touched before is resident
 * and a touch changes nothing, so the vm_seen filter skips the page table's hash lookup for it. */
static tick translate_page(mh_timing *t, const mh_rec *r)
{
    uint64_t key = (r->addr >> t->vm_shift) + 1;
    uint64_t *seen = &t->vm_seen[key % VM_SEEN];
    return *seen == key ? 0 : touch_page(t, r, seen, key);
}

/* Returns the demand-fill table entry of line number `line`. */
static fill *fill_slot(const mh_timing *t, uint64_t line)
{
    return &t->fills[((line + 1) * 0x9E3779B97F4A7C15ull) >> (64 - FILL_BITS)];
}

/* Translation of a record whose address is ready at `start`, by the first-level TLB of its kind: a
 * record that stalls the issue clock (stall = 1: a dependent record, or an instruction fetch, which
 * the front end cannot make before its translation) waits for it there (charged to TLB and walk
 * time); returns the earliest start of the access, and sets *xslot to the slot of the translation
 * part an independent access's completion hides. */
static inline __attribute__((always_inline)) tick translate(mh_timing *t, const mh_rec *r, int fetch, tick *now,
                                                            tick start, int stall, int *xslot)
{
    xlat x = translate_tlb(t, &t->xl[fetch], r->addr, start);
    if (stall) {
        if (x.tlb | x.walk) {               /* mostly not: a fetch's page is usually its predecessor's */
            t->stall[TLB_SLOT] += x.tlb;
            t->stall[WALK_SLOT] += x.walk;
            *now += x.tlb + x.walk;
        }
        return *now;
    }
    *xslot = x.walk > x.tlb ? WALK_SLOT : TLB_SLOT;
    return start + x.tlb + x.walk;
}

/* induction_latency: returns the earliest issue time (>= now) of a data record at addr, the
 * idx-th instruction. A record continuing a sequence (addr = last + stride) at least SEQ_ITER
 * instructions after its previous record (a loop's increment, compare and branch lie between:
 * a new iteration, not an unrolled neighbour) waits until induction after that record; otherwise
 * the nearest sequence within SEQ_REACH learns the stride, or a new one starts. */
static inline __attribute__((always_inline)) tick induction_wait(mh_timing *t, uint64_t addr, uint64_t idx,
                                                                 tick now)
{
    seq *q = &t->sq;
    int hit = -1;
    unsigned m = 0;
    for (int i = 0; i < NSEQ; i++) /* all of them: which one matches is data, not a pattern */
        m |= (unsigned)(addr == q->next[i] && q->stride[i] != 0) << i;
    if (m) { /* the first sequence it continues */
        hit = __builtin_ctz(m);
        tick ready = q->at[hit] + t->induction;
        now = ready > now && idx - q->idx[hit] >= SEQ_ITER ? ready : now;
        q->last[hit] = addr;
        q->next[hit] = addr + (uint64_t)q->stride[hit];
        q->at[hit] = now;
        q->idx[hit] = idx;
        return now;
    }
    uint64_t best = UINT64_MAX;              /* distance << SEQ_BITS | i of the nearest within SEQ_REACH */
    for (int i = 0; i < NSEQ; i++) {         /* the first nearest wins ties: i is the low bits */
        uint64_t x = addr - q->last[i] + SEQ_REACH;   /* 0 .. 2 SEQ_REACH when within reach */
        uint64_t d = x >= SEQ_REACH ? x - SEQ_REACH : SEQ_REACH - x;
        uint64_t key = x <= 2 * SEQ_REACH ? d << SEQ_BITS | (uint64_t)i : UINT64_MAX;
        best = key < best ? key : best;
    }
    if (best >> SEQ_BITS == 0) return now;          /* the same address again: no stride news */
    int k;
    if (best == UINT64_MAX) {                /* none within reach: a new sequence */
        k = (int)t->seq_rr;
        t->seq_rr = (t->seq_rr + 1) % NSEQ;
        q->stride[k] = 0;
    } else {
        k = (int)(best & (NSEQ - 1));
        q->stride[k] = (int64_t)(addr - q->last[k]);
    }
    q->last[k] = addr;
    q->next[k] = addr + (uint64_t)q->stride[k];
    q->at[k] = now;
    q->idx[k] = idx;
    return now;
}

/* rob > 0: retires the records at least rob instructions older than instruction idx and returns
 * when idx may enter the reorder buffer (the latest completion among them; 0 when none). */
static tick rob_enter(mh_timing *t, uint64_t idx)
{
    while (t->rq_n && t->rq[t->rq_head].idx + t->rob <= idx) {
        const robent *e = &t->rq[t->rq_head];
        if (e->done > t->retired) {
            t->retired = e->done;
            t->retired_slot = e->slot;
        }
        t->rq_head = t->rq_head + 1 == t->rob ? 0 : t->rq_head + 1;
        t->rq_n--;
    }
    return t->retired;
}

/* store_queue > 0: frees the entries of stores committed by now; when the queue is still full,
 * returns when its oldest store commits (the store about to issue waits for that), else now.
 * *slot gets the stall slot of that store. */
static tick stq_enter(mh_timing *t, tick now, int *slot)
{
    while (t->sq_n && t->sqe[t->sq_head].done <= now) {
        t->sq_head = t->sq_head + 1 == t->stq ? 0 : t->sq_head + 1;
        t->sq_n--;
    }
    if (t->sq_n < t->stq) return now;
    const robent *e = &t->sqe[t->sq_head];
    *slot = e->slot;
    now = e->done;
    t->sq_head = t->sq_head + 1 == t->stq ? 0 : t->sq_head + 1;
    t->sq_n--;
    return now;
}

/* store_queue > 0: queues a store whose line is owned at done. Entries free oldest first, so a
 * store leaves the queue no earlier than the stores before it (commits are in program order). */
static void stq_push(mh_timing *t, tick done, int slot)
{
    uint32_t i = t->sq_head + t->sq_n;
    robent *e = &t->sqe[i >= t->stq ? i - t->stq : i];
    e->done = done;
    e->slot = slot;
    t->sq_n++;
}

/* rob > 0: appends a record (instruction idx) that can retire at done. */
static void rob_push(mh_timing *t, uint64_t idx, tick done, int slot)
{
    uint32_t i = t->rq_head + t->rq_n;
    robent *e = &t->rq[i >= t->rob ? i - t->rob : i];
    e->idx = idx;
    e->done = done;
    e->slot = slot;
    t->rq_n++;
}

/* Returns when a data access ready at `start` gets a load/store pipe: the first cycle from
 * start's on in which fewer than `pipes` accesses started. Records are accounted in program order,
 * so older accesses take a cycle's pipes first, as the schedulers pick the oldest ready op. */
static tick pipe_start(mh_timing *t, tick start)
{
    int64_t cyc = start / (int64_t)TICKS;
    for (tick k = 0;; k++, cyc++) {
        uint32_t b = (uint32_t)cyc & ((1u << PIPE_BITS) - 1);
        if (t->pipe_cyc[b] != cyc) {        /* a bin last used for another cycle: free */
            t->pipe_cyc[b] = cyc;
            t->pipe_n[b] = 0;
        }
        if (t->pipe_n[b] < t->pipes) {
            t->pipe_n[b]++;
            return start + k * (tick)TICKS;
        }
    }
}

/* Accounts one record after the caches handled it (see the file comment for the steps); plain (a
 * constant where inlined): rob = 0, mem_cpi = 0 and no hardware prefetch issued yet (so none is
 * late), so their steps drop out of the code and free its registers. */
static inline __attribute__((always_inline)) void account(mh_timing *t, const mh_rec *r, int served,
                                                          const int plain)
{
    int fetch = r->op == MH_OP_IFETCH;
    if ((unsigned)served >= t->nlevels) served = MEM;   /* negative or past the last level */
    int slot = slot_of(served), entry = t->entry[fetch];
    int dep = (r->flags & MH_FLAG_DEP) != 0;
    tick c = (tick)r->gap * t->cpi;          /* branch-free: gaps are usually small and varied */
    tick hid = c < t->ahead ? c : t->ahead;  /* dispatched while the core waited: hidden */
    t->ahead -= hid;
    c -= hid;
    tick now = t->now + c;
    uint64_t idx = t->icount += (uint64_t)r->gap + 1;
    unsigned work = t->data_work[fetch];
    if (work & DO_INDUCTION) {               /* the address waits for its induction add: core time */
        tick ready = induction_wait(t, r->addr, idx, now);
        c += ready - now;
        now = ready;
    }
    t->st.records++;
    t->st.instructions += r->gap;
    t->tk_compute += c;
    t->seen_dep |= dep;
    tick wait = t->last_done - now;          /* dependent: wait for the previous load; masks, */
    wait &= -(tick)dep;                      /* not branches: flags vary record by record */
    wait &= ~(wait >> 63);                   /* negative (already done) -> 0 */
    int swpf = r->op == MH_OP_PREFETCH;      /* a dependent software prefetch starts late but */
    tick stall = wait & -(tick)!swpf;        /* never stalls issue: nothing waits for it */
    t->stall[t->last_slot] += stall;
    now += stall;
    t->ahead = stall ? stall : t->ahead;     /* the front end ran ahead while the core waited */
    if (!plain && t->rob) {                  /* a full reorder buffer stops issue */
        tick free_at = rob_enter(t, idx);
        if (free_at > now) {
            t->stall[t->retired_slot] += free_at - now;
            now = free_at;
        }
    }
    int store = r->op == MH_OP_WRITE;
    if (!plain && t->stq && store) {         /* a full store queue stops issue */
        int qslot = slot;
        tick free_at = stq_enter(t, now, &qslot);
        t->stall[qslot] += free_at - now;
        now = free_at;
    }
    tick start = now + (wait - stall);       /* when the access itself begins */
    int xslot = slot;
    if (work & DO_TLB) start = translate(t, r, fetch, &now, start, fetch | (dep && !swpf), &xslot);
    int at_issue = start == now;             /* not waiting for a translation or a fault */
    if (!plain && t->pipes && !fetch) start = pipe_start(t, start);   /* pipes full this cycle */
    if (t->vm) {
        tick f = translate_page(t, r);       /* faults stall the issue clock */
        now += f;
        start += f;
    }
    tick lat = served == MEM ? dram_cost(t, r->addr) : t->lat[served];
    uint64_t line = r->addr >> t->line_shift[fetch];
    fill *fl = fill_slot(t, line);
    tick done;
    if (served == entry) {
        done = start + lat;
        if (fl->key == line + 1 && fl->done > done) {   /* hit under the line's own miss */
            tick cap = fl->own ? start + fl->own : INT64_MAX;   /* or its own miss, if sooner */
            done = fl->done < cap ? fl->done : cap > done ? cap : done;
            slot = fl->slot;
        }
    } else {                                 /* a miss at the entry level: take an MSHR */
        window *w = &t->win[fetch];
        if (w->done[0] > start) {            /* every MSHR busy: wait for the earliest */
            tick free_at = w->done[0];
            if (at_issue) {                  /* issue stalls; one waiting for its translation */
                t->stall[w->slot[0]] += free_at - now;   /* sits in the load queue instead */
                now = free_at;
            }
            start = free_at;
        }
        if (!fetch) start = set_start(t, line, served, start);
        lat = spread_lat(t, served, lat, line, idx);
        tick extra = swpf && served != MEM ? t->swpf_extra[served] : 0;
        done = cross_links(t, entry, served, start, start + lat + extra);
        window_replace_top(w, done, slot);
        fl->key = line + 1;
        fl->done = done;
        fl->own = extra ? lat : 0;
        fl->slot = slot;
    }
    if (start - now > lat) slot = xslot;     /* an overlapped walk dominates this access */
    if (!plain && t->late_ready) {           /* a late prefetch: wait for the rest of its fill */
        if (t->late_ready > done) done = t->late_ready;
        t->late_ready = 0;
    }
    tick need = t->cpi;                      /* the record's own issue slot (or its wait for */
    if (!plain && t->mem_cpi) need = t->pipe_free > now ? t->pipe_free - now : 0;   /* the load/store pipes), */
    tick slot_t = need < t->ahead ? 0 : need;   /* unless dispatched during the last dependency wait */
    t->ahead -= need - slot_t;
    t->stall[slot] += slot_t;
    now += slot_t;
    if (!plain)
        t->pipe_free = now + t->mem_cpi;    /* read only with mem_cpi > 0 */
    if (!plain && t->stq && store) stq_push(t, done, slot);
    int load = r->op == MH_OP_READ || r->op == MH_OP_MISC;   /* selects, not branches: ops mix */
    if (!plain && t->rob)                    /* loads and fetches retire once done; stores and */
        rob_push(t, idx, load || fetch ? done : now, slot);   /* software prefetches at issue */
    t->last_done = load ? done : t->last_done;
    t->last_slot = load ? slot : t->last_slot;
    if (fetch && served != entry && done > now) {
        t->stall[slot] += done - now;        /* the front end waits for instructions */
        now = done;
    }
    int later = done > t->max_done;
    t->max_slot = later ? slot : t->max_slot;
    t->max_done = later ? done : t->max_done;
    t->now = now;
}

/* Accounts one record: the loop compiled for plain configs, or the general one. */
void mh_timing_account(mh_timing *t, const mh_rec *r, int served)
{
    if (t->plain)
        account(t, r, served, 1);
    else
        account(t, r, served, 0);
}

/* 1 when an instruction fetch at addr, ready to start at `at`, finds its translation done in the
 * ITLB, or there is none (its last page, or another it holds, which becomes the last:
 * translate_tlb's hit); else 0, and account translates it. (An ITLB entry is always done by then
 * while fetches wait for their translations; the checks keep runs exact if they ever do not.) */
static int fetch_tlb_ready(mh_timing *t, uint64_t addr, tick at)
{
    xl1 *l = &t->xl[1];
    if (!l->tlb) return 1;
    uint64_t page = (addr >> l->shift) + 1;
    int64_t *r0;
    if (page == l->last) return l->ready <= at;
    if (!mh_tlb_find(l->tlb, addr, &r0) || *r0 > at) return 0;   /* found: already its set's MRU, */
    l->last = page;                                               /* as account's lookup would make it */
    l->ready = at;
    return 1;
}

/* Accounts the instruction fetches from r[i] on that account would only give their issue slot
 * (and a first touch's fault), and returns the index of the first record it left (i when none).
 * Such a fetch hits the ifetch entry level, is not dependent, finds its translation done
 * (fetch_tlb_ready) and its line not in flight, in a config with no reorder buffer (quick) and
 * with no late prefetch pending; ops the caches alone handle pass. Its page is touched in the
 * page table as account touches it, once per page in a run (a touch again changes nothing). The
 * clock and counters stay in locals (stores through t would make the compiler reload them). */
static inline __attribute__((always_inline)) size_t fetch_run_as(mh_timing *t, const mh_rec *r, const int8_t *served,
                                                                  size_t i, size_t n, const int pipes)
{
    const int entry = t->entry[1];
    const unsigned ls = t->line_shift[1], ps = t->fetch_page_shift;
    const tick cpi = t->cpi, lat = t->lat[entry], mem_cpi = t->mem_cpi;
    uint64_t page = 0, line = 0, icount = t->icount, gaps = 0, taken = 0;
    tick now = t->now, ahead = t->ahead, fill_done = 0, compute = 0, slots = 0, pipe_free = t->pipe_free;
    tick max_done = t->max_done;
    int max_slot = t->max_slot;
    for (; i < n; i++) {
        const mh_rec *x = &r[i];
        if (x->op >= MH_KINDS) continue;
        if (x->op != MH_OP_IFETCH || served[i] != entry || (x->flags & MH_FLAG_DEP)) break;
        tick c = (tick)x->gap * cpi;
        tick hid = c < ahead ? c : ahead;
        tick at = now + c - hid;
        if ((x->addr >> ls) + 1 != line) {  /* no fill changes in this run */
            line = (x->addr >> ls) + 1;
            const fill *fl = fill_slot(t, line - 1);
            fill_done = fl->key == line ? fl->done : 0;
        }
        tick done = at + lat;
        if (fill_done > done) break;         /* a hit under the line's own miss (a fault only delays) */
        if ((x->addr >> ps) + 1 != page) {
            if (!fetch_tlb_ready(t, x->addr, at)) break;
            page = (x->addr >> ps) + 1;
            tick f = t->vm ? translate_page(t, x) : 0;   /* a fault stalls issue (its cost counted) */
            at += f;
            done += f;
        }
        ahead -= hid;
        icount += (uint64_t)x->gap + 1;
        gaps += x->gap;
        compute += c - hid;
        tick need = !pipes ? cpi : pipe_free > at ? pipe_free - at : 0;   /* account's issue slot */
        tick slot_t = need < ahead ? 0 : need;
        ahead -= need - slot_t;
        slots += slot_t;
        now = at + slot_t;
        if (pipes) pipe_free = now + mem_cpi;
        int later = done > max_done;
        max_slot = later ? entry : max_slot;
        max_done = later ? done : max_done;
        taken++;
    }
    t->icount = icount;
    t->st.records += taken;
    t->xl[1].hits += t->xl[1].tlb ? taken : 0;   /* each a hit of translate_tlb */
    t->st.instructions += gaps;
    t->tk_compute += compute;
    t->stall[entry] += slots;
    t->now = now;
    t->ahead = ahead;
    if (pipes) t->pipe_free = pipe_free;    /* read only with mem_cpi > 0 */
    t->max_done = max_done;
    t->max_slot = max_slot;
    return i;
}

/* fetch_run_as compiled for configs with load/store pipes (mem_cpi > 0) and without. */
static size_t fetch_run(mh_timing *t, const mh_rec *r, const int8_t *served, size_t i, size_t n)
{
    if (t->late_ready) return i;             /* account's to wait for */
    return t->mem_cpi ? fetch_run_as(t, r, served, i, n, 1) : fetch_run_as(t, r, served, i, n, 0);
}

/* Accounts records r[0..n), served by served[i], skipping ops the caches alone handle; plain
 * (a constant) as in account. Nothing in between can end plainness (only a prefetch does). */
static void account_run(mh_timing *t, const mh_rec *r, const int8_t *served, size_t n, const int plain)
{
    const int quick = t->quick;              /* fixed at creation: the stores below would reload it */
    for (size_t i = 0; i < n; i++) {
        if (quick && r[i].op == MH_OP_IFETCH && (i = fetch_run(t, r, served, i, n)) == n) break;
        if (r[i].op < MH_KINDS) account(t, &r[i], served[i], plain);
    }
}

/* See timing_int.h. */
void mh_timing_account_n(mh_timing *t, const mh_rec *r, const int8_t *served, size_t n)
{
    if (t->plain)
        account_run(t, r, served, n, 1);
    else
        account_run(t, r, served, n, 0);
}

/* Returns the flight-table slot of line address a. */
static flight *flight_slot(const mh_timing *t, uint64_t a)
{
    return &t->fl[((a + 1) * 0x9E3779B97F4A7C15ull) >> (64 - FLIGHT_BITS)];
}

/* A hardware prefetch of line_addr into `into`, supplied by `from` (MEM = memory), issued now.
 * A prefetch into an entry level holds one of its MSHRs (fill buffers) like a demand miss, so it
 * starts when one is free and competes with demand misses; deeper levels' queues are not bounded. */
void mh_timing_prefetch(mh_timing *t, int into, int from, uint64_t line_addr)
{
    t->plain = 0;                            /* from now on a demand access may meet it late */
    if (from < 0 || (size_t)from >= t->nlevels) from = MEM;
    if (into < 0 || (size_t)into >= t->nlevels) return;
    tick lat = from == MEM ? dram_cost(t, line_addr) : t->lat[from];
    lat = spread_lat(t, from, lat, line_addr >> t->line_shift[0], t->icount);
    window *w = into == t->entry[0] ? &t->win[0] : into == t->entry[1] ? &t->win[1] : NULL;
    tick start = w && w->done[0] > t->now ? w->done[0] : t->now;
    if (into == t->entry[0]) start = set_start(t, line_addr >> t->line_shift[0], from, start);
    flight *f = flight_slot(t, line_addr);
    f->key = line_addr + 1;
    f->done = cross_links(t, into, from, start, start + lat);
    if (w) window_replace_top(w, f->done, slot_of(from));
}

/* Returns 1 (and makes the current record wait for the fill, counted late at `level`) when
 * line_addr's prefetch is in flight. */
int mh_timing_prefetch_late(mh_timing *t, int level, uint64_t line_addr)
{
    flight *f = flight_slot(t, line_addr);
    if (f->key != line_addr + 1) return 0;
    f->key = 0;
    if (f->done <= t->now) return 0;
    if (f->done > t->late_ready) t->late_ready = f->done;
    if (level >= 0 && (size_t)level < t->nlevels) t->pf_late[level]++;
    return 1;
}

/* 1 when the model never calls back into the caches (no walk = cached reader). */
int mh_timing_self_contained(const mh_timing *t)
{
    return !(t->walk_cached && t->walker);
}

/* A dirty line written to memory: opens its DRAM row. Posted: it holds none of the channel time
 * fills wait for. [RAM] bandwidth_gbs is one core's read bandwidth (calibrate's read sweep), which
 * its outstanding fills bound, not the DRAM bus; the memory controller drains write-backs beside
 * it (a 64 MiB copy on the development VM moves its source and destination lines once each at
 * that rate: 0.173 ns per access measured, 0.176 modelled, 0.212 with write-backs on the channel). */
void mh_timing_writeback(mh_timing *t, uint64_t line_addr)
{
    if (t->dram) (void)dram_cost(t, line_addr);
}

/* See timing_int.h. */
int mh_timing_resident(mh_timing *t, uint64_t addr, uint64_t len)
{
    if (!t->vm) return MH_OK; /* no [RAM] page_size: no faults are simulated */
    return mh_vmem_preload(t->vm, addr, len) ? MH_ENOMEM : MH_OK;
}

/* See timing_int.h. The faults are counted, not timed: the touches ran before the trace's clock. */
int mh_timing_touch_pages(mh_timing *t, uint64_t addr, uint64_t len)
{
    if (!t->vm || !len) return MH_OK;
    uint64_t last = addr + (len - 1) < addr ? UINT64_MAX : addr + (len - 1);
    for (uint64_t pg = addr >> t->vm_shift; pg <= last >> t->vm_shift; pg++) {
        int wrote = 0;
        int res = mh_vmem_touch(t->vm, pg << t->vm_shift, 1, &wrote);
        if (res < 0) return MH_ENOMEM;
        t->st.minor_faults += res == MH_VM_MINOR;
        t->st.major_faults += res == MH_VM_MAJOR;
        t->st.disk_reads += res == MH_VM_MAJOR;
        t->st.disk_writes += (uint64_t)wrote;
        if (pg == UINT64_MAX >> t->vm_shift) break; /* the top page: pg + 1 would wrap */
    }
    return MH_OK;
}

/* Copies totals and per-level cycles; the wait for the last outstanding access goes to its level. */
void mh_timing_stats(const mh_timing *t, mh_time_stats *out, mh_level_stats *lv, size_t nlevels)
{
    tick tail = t->max_done > t->now ? t->max_done - t->now : 0;
    *out = t->st;
    out->tlb_hits[MH_TLB_L1D] = t->xl[0].hits;   /* the public order is the config's TLB slots */
    out->tlb_misses[MH_TLB_L1D] = t->xl[0].misses;
    out->tlb_hits[MH_TLB_L1I] = t->xl[1].hits;
    out->tlb_misses[MH_TLB_L1I] = t->xl[1].misses;
    for (int i = 0; i < 2; i++) {
        out->tlb_hits[i ? MH_TLB_L2I : MH_TLB_L2] = t->l2[i].hits;
        out->tlb_misses[i ? MH_TLB_L2I : MH_TLB_L2] = t->l2[i].misses;
    }
    out->cycles = cycles(t->now + tail);
    out->ns = out->cycles / t->freq;
    out->cycles_compute = cycles(t->tk_compute);
    out->cycles_tlb = cycles(t->stall[TLB_SLOT] + (t->max_slot == TLB_SLOT ? tail : 0));
    out->cycles_walk = cycles(t->stall[WALK_SLOT] + (t->max_slot == WALK_SLOT ? tail : 0));
    out->cycles_minor_fault = cycles(t->tk_minor);
    out->cycles_disk = cycles(t->tk_disk);
    out->cycles_ram = cycles(t->stall[RAM_SLOT] + (t->max_slot == RAM_SLOT ? tail : 0));
    out->defaults_note = t->st.records && !t->st.instructions && !t->seen_dep ? defaults_note : NULL;
    for (size_t i = 0; lv && i < nlevels; i++) {
        lv[i].cycles = i < t->nlevels ? cycles(t->stall[i] + ((int)i == t->max_slot ? tail : 0)) : 0;
        lv[i].pf_late = i < t->nlevels ? t->pf_late[i] : 0;
    }
}

/* Installs the page-table reader for walk = cached. */
void mh_timing_set_walker(mh_timing *t, mh_walk_read_fn fn, void *ctx)
{
    t->walker = fn;
    t->walker_ctx = ctx;
}

/* Frees t and everything it owns. */
void mh_timing_destroy(mh_timing *t)
{
    if (!t) return;
    free(t->win[0].done);
    free(t->win[0].slot);
    if (t->win[1].done != t->win[0].done) {
        free(t->win[1].done);
        free(t->win[1].slot);
    }
    mh_tlb_destroy(t->xl[0].tlb);
    mh_tlb_destroy(t->xl[1].tlb);
    mh_tlb_destroy(t->l2[0].tlb);
    mh_tlb_destroy(t->l2[1].tlb);
    mh_vmem_destroy(t->vm);
    mh_dram_destroy(t->dram);
    free(t->fl);
    free(t->fills);
    free(t->set_free);
    free(t->rq);
    free(t->sqe);
    free(t);
}
