/* timing_int.h — the timing model (sim/timing.c and its parts: TLB, virtual memory, DRAM).
 * The hierarchy resolves each record's cache behaviour and reports it here; the timing model
 * turns that into cycles. Created only when mh_hier_opts.timing is set. */
#ifndef MH_TIMING_INT_H
#define MH_TIMING_INT_H

#include "config_int.h"

typedef struct mh_timing mh_timing;

/* Builds the timing state for config c (TLBs, page table, DRAM rows, MSHR windows). */
int mh_timing_create(const mh_config *c, mh_timing **out, mh_error *err);
/* Accounts one record after the caches handled it. served = index (config order) of the cache
 * level that supplied the data, or -1 when main memory did; for a record spanning several
 * lines, the slowest line's level. COPYBACK/INVALIDATE records are not passed here. */
void mh_timing_account(mh_timing *t, const mh_rec *r, int served);
/* Accounts records r[0..n) in order as mh_timing_account does, r[i] served by served[i]; records
 * whose op is not below MH_KINDS (copyback, invalidate) are skipped. */
void mh_timing_account_n(mh_timing *t, const mh_rec *r, const int8_t *served, size_t n);
/* A hardware prefetch of line_addr (byte address of the line) was issued into level `into`,
 * supplied by level `from` (-1 = memory), at the current time. Lets a later demand access that
 * arrives before the fill completes wait for the rest (a late prefetch). */
void mh_timing_prefetch(mh_timing *t, int into, int from, uint64_t line_addr);
/* Returns 1 if the demand access to line_addr at level `level` found a prefetch still in flight
 * (late), which is then counted in that level's pf_late (mh_timing_stats). */
int mh_timing_prefetch_late(mh_timing *t, int level, uint64_t line_addr);
/* A dirty line was written to main memory (its DRAM row; posted: no channel time). */
void mh_timing_writeback(mh_timing *t, uint64_t line_addr);
/* Marks the pages of [addr, addr + len) resident before replay (no fault counted; see
 * mh_hier_resident). Returns MH_OK (also without a page table) or MH_ENOMEM. */
int mh_timing_resident(mh_timing *t, uint64_t addr, uint64_t len);
/* Touches (writes) the pages of [addr, addr + len) outside the trace: each first touch counts a
 * minor fault, with no time and no cache access (see mh_hier_touch_pages). Returns MH_OK (also
 * without a page table) or MH_ENOMEM (pages touched so far stay so). */
int mh_timing_touch_pages(mh_timing *t, uint64_t addr, uint64_t len);
/* Copies totals into *out and per-level cycles and late prefetches into lv[i].cycles and
 * lv[i].pf_late for i < nlevels. */
void mh_timing_stats(const mh_timing *t, mh_time_stats *out, mh_level_stats *lv, size_t nlevels);
/* Returns 1 when the model never calls back into the caches (no walk = cached page-table reader
 * installed): its inputs can then be logged on one thread and accounted on another. */
int mh_timing_self_contained(const mh_timing *t);
/* Frees t; NULL is a no-op. */
void mh_timing_destroy(mh_timing *t);

/* walk = cached or nested: reads the page-table entry at addr through the data caches (as a load of 8 bytes)
 * and returns the level that served it (-1 = memory). Supplied by the hierarchy. */
typedef int (*mh_walk_read_fn)(void *ctx, uint64_t addr);
/* Installs the reader used by page walks when the config says walk = cached or nested: each walk
 * then reads its page-directory and page-table entries (paging-structure caches are assumed to hold
 * the upper levels; 2M pages read one entry) and costs the sum of their latencies; nested then
 * reads the host's PD and PT entries for the page's guest frame (levels 4 and 3, the frame a hash
 * of the page below [RAM] capacity) and adds walk_latency. Without a reader, or with walk = fixed,
 * a walk costs walk_latency. Entries live at MH_WALK_PT_BASE + level * 2^40 + 8 * (vpn >> 9*(level-1)). */
void mh_timing_set_walker(mh_timing *t, mh_walk_read_fn fn, void *ctx);
#define MH_WALK_PT_BASE 0xffff800000000000ull  /* synthetic page tables: the top half, clear of user addresses */

#endif
