/* calibrate.h — latency calibration from the pointer-chase ladder (chase only), the minor-fault
 * cost probe, and the measured-point runner shared with validation (validate.c).
 *
 * Fit (cal_fit): each cache level's load-to-use latency is the median of the page-local ladder
 * points well inside that level (size > 2 x previous capacity and <= capacity / 2) that lie within
 * CAL_PLATEAU_NEAR x the median of the window's smaller half (contention only adds time), the window
 * ending early at its first step (a point > CAL_STEP_RATIO x the one before it, or > CAL_PLATEAU_JUMP
 * x the window's median so far, confirmed by the next point: a shared or virtualised cache's
 * effective capacity). A window that starts past the step (its first point > CAL_PLATEAU_JUMP x the
 * ladder point just below it, itself past the previous level) has no plateau of its own: the point
 * just below the step is the latency. RAM is never raised to a level: a level dearer than RAM (or
 * the level below it) is lowered to it and flagged. When the
 * page-local ladder is prefetcher-assisted (page-local clearly faster than global where both fit
 * the same level and the DTLB), the plateaus come from the global ladder minus the translation
 * cost the model charges (second-level TLB lookup, plus the fitted walk beyond its reach); main memory
 * and the TLB-miss cost come from sizes >= 4 x the last level, where the global shuffle pays a
 * second-level-TLB lookup plus a page walk on nearly every load and the page-local shuffle on one
 * load in 64: global = R + T, page = R + T/64, so T = (global - page) x 64/63, R = page - T/64. */
#ifndef BENCH_CALIBRATE_H
#define BENCH_CALIBRATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "harness.h"
#include "kernels.h"
#include "memhier.h"

#define CAL_MAX_LEVELS 16          /* cache levels on the data path */
#define CAL_PAGE_LINES 64.0        /* loads per 4 KiB page in the page-local shuffle */
 /* Where both shuffles hit the same level and the DTLB, page-local order differs from global only
  * in spatial locality: being clearly faster (ratio below this) means a hardware prefetcher. */
#define CAL_PF_RATIO 0.85
 /* A chase in address order past the second level at under half the page-local time of the same
  * size: a prefetcher follows the lines (one load per line, so nothing else can speed it). */
#define CAL_SEQ_RATIO 0.5
#define CAL_PLATEAU_JUMP 2.0       /* a plateau ends at a point dearer than this x its median so far */
#define CAL_STEP_RATIO 1.6         /* ... or dearer than this x the point before it */
#define CAL_PLATEAU_NEAR 1.25      /* the plateau's median uses its points within this x the median
                                      of its smaller half (the least contended sizes) */

/* One ladder point: working-set size and the measured ns per access. */
typedef struct cal_point {
    size_t size;                   /* bytes */
    double ns;                     /* median ns per access */
} cal_point;

/* What the fit needs: the data path's levels and both ladders. */
typedef struct cal_input {
    size_t nlevels;                        /* cache levels from the data entry level down */
    char names[CAL_MAX_LEVELS][32];        /* their section names */
    uint64_t capacity[CAL_MAX_LEVELS];     /* their sizes in bytes */
    double tlb2_ns;                        /* second-level TLB lookup, ns (from the config) */
    uint64_t tlb1_reach;                   /* first-level DTLB entries x page size (0: unknown) */
    uint64_t tlb2_reach;                   /* second-level TLB entries x page size (0: none) */
    const cal_point *page, *global;        /* ladders (any order) */
    size_t npage, nglobal;
    cal_point seq;                         /* chase in address order past the second level (size 0:
                                              not measured): a prefetcher hides its misses */
} cal_input;

/* The fit. A value whose *_points is 0 was not measured: keep the config's value. */
typedef struct cal_fit_out {
    double level_ns[CAL_MAX_LEVELS];       /* load-to-use latency per level, ns */
    size_t level_points[CAL_MAX_LEVELS];   /* ladder points the median used */
    size_t level_lo[CAL_MAX_LEVELS], level_hi[CAL_MAX_LEVELS]; /* plateau window (lo, hi] */
    int level_clamped[CAL_MAX_LEVELS];     /* 1: raised to the level above (noise); 2: lowered to below / RAM */
    double level_unclamped_ns[CAL_MAX_LEVELS]; /* the fitted value before a lowering (clamped 2) */
    size_t level_cut[CAL_MAX_LEVELS];      /* plateau ended early at this size (0: it did not) */
    size_t level_end[CAL_MAX_LEVELS];      /* the last plateau point before a step at most the level's
                                              capacity, when <= capacity / 2: the capacity the level
                                              showed (0: no such step) */
    size_t level_exit[CAL_MAX_LEVELS];     /* the step's point (0: none) */
    double level_exit_ns[CAL_MAX_LEVELS];  /* its ns */
    double level_step_ns[CAL_MAX_LEVELS];  /* ns of the point at level_cut */
    size_t level_below[CAL_MAX_LEVELS];    /* window began past the step: latency = the point at this size (0: no) */
    double ram_ns;                         /* main memory, TLB cost removed */
    size_t ram_points;                     /* page-local points >= 4 x LLC */
    double tlb_miss_ns;                    /* T: second-level TLB lookup + walk */
    double walk_ns;                        /* T minus the second-level TLB lookup (>= 0) */
    size_t tlb_points;                     /* global points >= 4 x LLC */
    double pf_ratio;                       /* page-local / global ns inside L2 and the DTLB reach (0: none) */
    int prefetch_detected;                 /* pf_ratio < CAL_PF_RATIO: a spatial hardware prefetcher */
    int levels_from_global;                /* 1: level plateaus from the global ladder minus TLB cost */
    double seq_ratio;                      /* in->seq / the page-local point of its size (0: none) */
    size_t seq_page_size;                  /* the size of that page-local point */
    int seq_prefetch;                      /* seq_ratio < CAL_SEQ_RATIO: a prefetcher that needs the
                                              lines in order (Intel's streamer); levels still fit
                                              from the page-local ladder, which it does not speed */
} cal_fit_out;

/* Median of v[0..n-1] (sorts v in place); 0 when n = 0. */
double cal_median(double *v, size_t n);
#define CAL_MAX_ROUNDS 15      /* measurement rounds of a ladder or validation point, at most */
/* Folds a point measured in `rounds` rounds into st: its ns/access median, p10 and p90 become the
 * medians over the rounds (st unchanged for one round; med, p10 and p90 get reordered). Returns
 * the rounds' spread: (max - min) of med over the new median, % (0 for one round or median 0). */
double cal_fold_rounds(bench_stats *st, double *med, double *p10, double *p90, int rounds);
/* Fits latencies from in (see the file comment); MH_EINVAL when there are no levels. */
int cal_fit(const cal_input *in, cal_fit_out *out, mh_error *err);
/* The memory-miss split of the chase gN variants (N lines of one page loaded in a row): least
 * squares of t[i] = *r + *w / lines[i] over n points. Returns 0, or -1 (r, w untouched) when
 * fewer than two distinct lines, or a value not finite and > 0. */
int cal_split_fit(const double *lines, const double *t, size_t n, double *r, double *w);

/* Writes into buf (n bytes) the header comment lines (each "; " + 8 spaces, newline-ended) saying
 * how level i's fit deviated: plateau cut (effective capacity; eff = the size cal_apply gave the
 * level, 0 = nominal size kept), point below the step, clamping; "" when it did not. */
void cal_fit_note(const cal_input *in, const cal_fit_out *f, size_t i, uint64_t eff, char *buf, size_t n);

/* Effective size of level i (in->names[i]) of c, for a ladder that stepped below the nominal
 * capacity: the largest size with the level's line, its ways (see cal_effective_ways) and a
 * power-of-two set count that is <= f->level_end[i] and > the level above's capacity. A cache
 * shared with other cores or tenants holds only part of its lines for this one. Returns 0 when
 * there is no step or no such size smaller than the nominal one. */
uint64_t cal_effective_size(const mh_config *c, const cal_input *in, const cal_fit_out *f, size_t i);
/* The ways that go with cal_effective_size: the level's, or the largest power of two below them
 * when those are not one and that holds more under f->level_end[i]; 0 when the size is 0. */
uint32_t cal_effective_ways(const mh_config *c, const cal_input *in, const cal_fit_out *f, size_t i);

/* Fills in->nlevels/names/capacity/tlb2_ns from config c (data entry level, then next...). */
int cal_levels_from_config(const mh_config *c, cal_input *in, mh_error *err);
#define CAL_APPLY_PF 1     /* cal_apply: model a detected prefetcher */
#define CAL_APPLY_SIZES 2  /* cal_apply: give a level whose ladder stepped early its effective size */
/* Writes the fit into c with mh_config_set (level latency in cycles = ns x frequency_ghz;
 * [RAM] latency_ns and row_hit_ns; [hierarchy] walk_latency; [RAM] minor_fault_ns when
 * fault_ns > 0; with CAL_APPLY_PF in flags, prefetch_detected or seq_prefetch and no prefetcher on
 * the data path, the first level gets prefetcher = stride and the second prefetcher = stream; with
 * CAL_APPLY_SIZES, each level's size = cal_effective_size when that is not 0). Unmeasured values
 * are kept. On error c holds the values set before the failing one. */
int cal_apply(mh_config *c, const cal_input *in, const cal_fit_out *f, double fault_ns, unsigned flags,
              mh_error *err);
/* Model-consistent main memory (cal_refine.c). The model replays the chase points at >= 4 x the
 * last level (page-local and global, the largest CAL_REFINE_MAX measured in both) and RAM latency
 * R, then walk W, are rescaled until the medians of the replays equal the measured medians:
 * R *= (ram_part + measured - simulated) / ram_part on the page-local replays, W likewise on the
 * global ones (net of what the new R adds there), at most CAL_REFINE_ROUNDS rounds, R kept in
 * [R0 / 2, 3 R0] and W in [0, 3 W0]. */
#define CAL_REFINE_MAX 3
#define CAL_REFINE_ROUNDS 6
/* One replay of chase point i of variant (0 page-local, 1 global) with x = {R ns, W ns}: *ns =
 * simulated ns per access, *part = ns per access charged to RAM (variant 0) or walks (variant 1). */
typedef int (*cal_refine_fn)(void *ctx, int variant, size_t i, const double x[2], double *ns, double *part,
                             mh_error *err);
/* The model the solver drives. */
typedef struct cal_refine_model {
    cal_refine_fn fn;                 /* replays one point */
    void *ctx;                        /* its context */
    size_t n;                         /* points per variant (1..CAL_REFINE_MAX) */
} cal_refine_model;
/* What the refinement did ([0] page-local / RAM, [1] global / walk). */
typedef struct cal_refine_out {
    int done;                         /* 1: refined (0: nothing to refine, config unchanged) */
    int rounds;                       /* rescaling rounds run */
    double x0[2], x[2];               /* R and W in ns: analytic, refined */
    double meas[2];                   /* measured medians, ns per access */
    double sim0[2], sim[2];           /* replay medians with x0 and with x */
    size_t sizes[CAL_REFINE_MAX];     /* the chase sizes replayed */
    size_t nsizes;
} cal_refine_out;
/* Solves for x from x0 against the measured medians meas; returns MH_OK or the model's error. */
int cal_refine_solve(const cal_refine_model *m, const double meas[2], const double x0[2], cal_refine_out *out,
                     mh_error *err);
/* Captures the chase points (records each, seed) to a temporary directory ($TMPDIR or /tmp),
 * solves on the real model, and writes RAM.latency_ns, RAM.row_hit_ns and hierarchy.walk_latency
 * into c. Does nothing (out->done = 0) when the fit has no RAM and walk values or no point >= 4 x
 * the last level; on error c keeps the analytic values. */
int cal_refine_memory(mh_config *c, const cal_input *in, const cal_fit_out *fit, uint64_t seed, uint64_t records,
                      cal_refine_out *out, mh_error *err);

/* Creates $TMPDIR/memhier-WHAT-XXXXXX (or under /tmp) for a step's chase traces and writes its path
 * to dir; MH_OK, or MH_EIO naming the parent (cal_refine.c). */
int cal_make_tmpdir(char *dir, size_t cap, const char *what, mh_error *err);

/* The page-walk model (cal_walk.c): the global chase past twice the first-level DTLB's reach,
 * captured and replayed with the fixed walk and with walk = nested at the fixed part whose replays
 * fit best (the second-level TLB as configured); see README. */
#define CAL_WALK_MAX 12                /* global chase points replayed */
#define CAL_WALK_CANDS 2               /* fixed, nested */
typedef struct cal_walk_cand {
    int nested;                        /* 0: walk = fixed, 1: walk = nested */
    uint32_t entries;                  /* tlb.L2 entries (0: none) */
    double walk_latency;               /* cycles: the whole walk (fixed) or its fixed part (nested) */
    double sim[CAL_WALK_MAX];          /* replays, ns per load */
    double median_err, within;         /* median |error| %, share within 15 % */
} cal_walk_cand;
typedef struct cal_walk_out {
    int done;                          /* 1: compared (0: too few points, or no fixed walk fitted) */
    size_t npoints;
    size_t sizes[CAL_WALK_MAX];        /* the chase sizes, largest first */
    double meas[CAL_WALK_MAX];         /* measured ns per load */
    int ncand, chosen;                 /* candidates run; the one written into the config */
    cal_walk_cand cand[CAL_WALK_CANDS]; /* [0] the fixed walk as refined */
} cal_walk_out;
/* The candidate to keep: the lowest median |error|, a nested one only below 0.8 x the fixed walk's;
 * 0 (fixed) otherwise (any number of candidates, [0] the fixed walk). */
int cal_walk_choose(const cal_walk_out *o);
/* Captures the points (records each, seed) to a temporary directory, replays the candidates and
 * writes hierarchy.walk and walk_latency of the chosen one into c. Does nothing
 * (out->done = 0) without a fitted fixed walk, 4 such points or one >= 4 x the last level; on
 * error c keeps the fixed walk. */
int cal_refine_walk(mh_config *c, const cal_input *in, uint64_t seed, uint64_t records, cal_walk_out *out,
                    mh_error *err);

/* Prefetches across pages (cal_refine.c): the dependent chase in address order at a size >= 4 x the
 * last level, measured, is captured and replayed through the calibrated config with the data entry
 * level's prefetcher kept inside each 4 KiB page (cross_pages = no) and let past it (yes); the
 * closer replay sets the key. Only the chase is used. */
typedef struct cal_cross_out {
    int done;                         /* 1: decided (0: no measurement, or no such prefetcher) */
    size_t size;                      /* the chase's buffer, bytes */
    double meas;                      /* measured ns per load */
    double sim[2];                    /* replays, ns per load: [0] cross_pages = no, [1] yes */
    int cross;                        /* the value set: 1 yes */
} cal_cross_out;
/* 1 when sim_yes is strictly closer to meas than sim_no (all finite, meas > 0), else 0. */
int cal_cross_choose(double meas, double sim_no, double sim_yes);
/* Captures the chase seq at size (records, seed) to a temporary directory ($TMPDIR or /tmp), replays
 * it both ways and sets <data level>.cross_pages in c. Does nothing (out->done = 0) when meas <= 0
 * or the data entry level has no next-line, stride or stream prefetcher; on error c keeps its
 * cross_pages. */
int cal_refine_cross(mh_config *c, size_t size, uint64_t seed, uint64_t records, double meas, cal_cross_out *out,
                     mh_error *err);

/* Writes header (comment lines, each starting "; ") then c as INI to path (temp + rename). */
int cal_write_config(const mh_config *c, const char *header, const char *path, mh_error *err);

/* Times the first touch of `pages` fresh 4 KiB pages (mmap, no huge pages), `trials` times:
 * *ns_per_page = median ns per page; *faults_per_page = perf::MINOR-FAULTS per page, or -1 when
 * that event cannot be counted. */
int cal_minor_fault(size_t pages, unsigned trials, double *ns_per_page, double *faults_per_page,
                    mh_error *err);

/* Core probe (x86-64): *ghz = the core clock, from a dependent chain of integer adds (one cycle
 * each: that chain also gives induction_latency = 1); *cpi = cycles per instruction of a loop of
 * 8 independent adds, 8 register moves and its add; cmp; jne (CAL_LOOP_INSTR x86 instructions,
 * counted as objdump lists them, like the kernels' gap estimates): the core's issue width, which
 * neither a loop-carried chain nor the ALUs' count limits. MH_EUNSUPPORTED elsewhere. No memory
 * access: not a held-out kernel. */
int cal_core_probe(double *ghz, double *cpi, mh_error *err);
#define CAL_LOOP_INSTR 19.0
/* Load-pipe probe (x86-64, calprobe.c): *mem_cpi = cycles per load at ghz of 16 independent loads
 * of one L1-resident block per iteration (the pipes' throughput; no held-out kernel). */
int cal_mem_cpi_probe(double ghz, double *mem_cpi, mh_error *err);
/* Bandwidth probe (calprobe.c): *gbs = the best bytes/ns of `trials` read sweeps (every byte,
 * vector loads) over a fresh `bytes` buffer, after a warm-up sweep. */
int cal_bandwidth_probe(size_t bytes, unsigned trials, double *gbs, mh_error *err);

/* Interleaved chase probe (cal_chains.c): *ns = the best ns per load over `trials` trials of
 * `chains` (1..CAL_CHAINS_MAX) interleaved pointer chases through `lines` lines `stride` bytes
 * apart, a random order split into equal cycles (in_order: chase c takes lines c, c + chains, ...,
 * so the chases stepped in turn load the lines in address order, which prefetchers follow), after
 * a warm-up that visits every line twice. The
 * best: other cores can only slow it. Lines one entry-set period apart (the data entry level's sets
 * x line) all fall into one of its sets: the one-set chase, CAL_SET_CHAINS chases; lines one line
 * apart inside a lower level: the link chase, CAL_LINK_CHAINS chases (enough to reach the rate at
 * which the level delivers lines, past the core's misses in flight). */
#define CAL_CHAINS_MAX 64
#define CAL_SET_CHAINS 16
#define CAL_LINK_CHAINS 64
int cal_chains_probe(size_t lines, size_t stride, unsigned chains, unsigned trials, int in_order, double *ns,
                     mh_error *err);
/* The line order of k chases through n lines (n >= k): order[c x (n / k) + j] is the j-th line of
 * chase c. A random permutation of the n lines, or with in_order line j x k + c (then entries past
 * k x (n / k) hold their own index, unused). */
void cal_chains_order(size_t n, unsigned k, int in_order, size_t *order);
/* Lines for a one-set chase held by data-path level i (i >= 1), given the entry level's set count
 * and the path's sets[] and ways[]: lines one entry-set period apart map to sets[j] / entry_sets
 * sets of level j (1 when it has fewer sets), so level j holds that many times ways[j] of them.
 * Returns min(4 x what level i-1 holds, half what level i holds), or 0 when that is not past
 * twice what level i-1 holds or under 2 x CAL_SET_CHAINS (no probe). */
size_t cal_set_lines(uint32_t entry_sets, const uint32_t *sets, const uint32_t *ways, size_t i);

/* What the TLB probe found (zeros where it saw no step). */
typedef struct cal_tlb_out {
    uint32_t l1_entries;     /* first-level DTLB entries (4 KiB pages): the largest ladder reach */
    uint32_t l1_low;         /* the smallest ladder reach (how far a busy spell or a sibling cut it) */
    unsigned ladders;        /* ladders the reach was taken over */
    double l2_latency;       /* cycles a second-level TLB hit adds to a load */
    double base_ns;          /* ns per load inside the first-level reach */
} cal_tlb_out;
#define CAL_TLB_STEP_NS 0.4   /* a rise of ~1.5 cycles over the base marks leaving the L1 DTLB */
#define CAL_TLB_PASSES 3      /* TLB ladders per probe (odd: their per-count medians are fitted) */
/* The first-level reach of one ladder (pages[i] pages took ns[i] per load, ascending): the last
 * count before the time rises by CAL_TLB_STEP_NS over the mean of the first three (a single
 * noisy point does not end it); 0 when no step shows inside the ladder. *base_ns (may be NULL)
 * gets that mean. */
uint32_t cal_tlb_reach(const size_t *pages, const double *ns, size_t n, double *base_ns);
/* TLB probe (calprobe.c): pointer chases with one line per page over 8..512 pages. */
int cal_tlb_probe(double ghz, cal_tlb_out *out, mh_error *err);

/* Second-level TLB probe (calprobe.c): for 256, 384, 512, ... 4096 pages, a chase with one line
 * per page minus one through as many lines packed 64 to a page (inside the first level's reach):
 * what the data costs cancels, and each load's translation is left, a second-level hit's latency
 * until the pages pass that level's reach, then a walk. CAL_TLB_PASSES ladders. */
#define CAL_TLB2_COUNTS 9
#define CAL_TLB2_STEP_NS 2.0  /* a rise over the second-level hit that marks walks (even cached ones) */
typedef struct cal_tlb2_out {
    size_t n;                        /* page counts probed */
    size_t pages[CAL_TLB2_COUNTS];
    double diff_ns[CAL_TLB2_COUNTS]; /* per count, the median over the ladders: one line per page - packed */
    double tlb2_ns;                  /* the second-level hit the rise is measured from */
    uint32_t reach;                  /* the largest ladder reach (0: a ladder showed no step) */
    unsigned no_step;                /* ladders that showed no step inside the probe */
} cal_tlb2_out;
/* The second-level reach of one ladder: the last count before diff rises past tlb2_ns +
 * CAL_TLB2_STEP_NS (a single noisy point does not end it); 0 when no step shows. */
uint32_t cal_tlb2_reach(const size_t *pages, const double *diff, size_t n, double tlb2_ns);
int cal_tlb2_probe(double tlb2_ns, cal_tlb2_out *out, mh_error *err);
/* The tlb.L2.entries a probed reach gives a TLB of entries x ways: the reach itself, with
 * *fit_ways = the configured ways or the fewest more for a power-of-two set count (cal_tlb_ways;
 * fully associative, ways == entries, stays so); 0 to keep the configured size (no reach, one not
 * below it, or less than one set: a probe only shrinks the TLB). */
uint32_t cal_tlb2_entries(uint32_t reach, uint32_t entries, uint32_t ways, uint32_t *fit_ways);

/* Latency-spread probe (cal_spread.c): a random-cycle chase through the lines of `bytes`, plain
 * and prefetching each node `dist` nodes ahead through a jump pointer: *plain_ns and *pf_ns, the
 * medians of `trials` (1..64) trials, ns per node. MH_EINVAL on sizes under 2 x dist lines. */
int cal_spread_probe(size_t bytes, unsigned dist, unsigned trials, double *plain_ns, double *pf_ns,
                     mh_error *err);
/* ns per node of a walk prefetching `dist` (1..64) nodes ahead when every fill takes lat_ns x
 * (1 + spread x u), u uniform in [-1, 1), and a node follows the one before at least hit_ns later. */
double cal_spread_walk(double lat_ns, double hit_ns, unsigned dist, double spread);
/* The spread in [0, CAL_SPREAD_MAX] for which cal_spread_walk gives pf_ns (bisection): 0 when the
 * walk is no slower than fixed latencies give, CAL_SPREAD_MAX when it is slower than that gives. */
double cal_spread_fit(double lat_ns, double hit_ns, unsigned dist, double pf_ns);
#define CAL_SPREAD_DIST 8
#define CAL_SPREAD_MAX 0.9
/* The software prefetch's extra time from the second level (cal_spread.c): the spread probe's
 * walks inside it at distance CAL_SWPF_DIST, where the prefetch bounds the walk: each node's line
 * was prefetched dist nodes earlier, so a node takes P / dist, P the prefetch's issue to use, and
 * P - plain_ns is what it takes beyond a demand miss. Returns that in ns, in [0, plain_ns] (past
 * plain_ns the walk is its own misses' and says no more); 0 when the walk ran at the hit bound
 * (hit_ns, within 5 %: the prefetch was in time) or an input is not positive. */
double cal_swpf_extra_fit(double plain_ns, double pf_ns, double hit_ns, unsigned dist);
#define CAL_SWPF_DIST 2
/* The swpf probe's buffer under a level of `above` bytes inside one of `level` bytes: 4 x above
 * (inside a 72-entry DTLB's reach for a 32 or 48 KiB L1d), when that is at most half the level;
 * else 0 (no probe). */
size_t cal_swpf_bytes(uint64_t level, uint64_t above);

/* What cal_machine_probe measured and set. */
typedef struct cal_machine {
    double mem_cpi;                      /* cycles per record on the load pipes (0: not probed) */
    cal_tlb_out tlb;                     /* TLB probe */
    cal_tlb2_out tlb2;                   /* second-level TLB probe (ran: tlb2.n > 0) */
    uint32_t tlb2_entries;               /* tlb.L2.entries written from it (0: left as configured) */
    uint32_t tlb2_ways;                  /* the tlb.L2.ways written with it */
    int tlb1_set, tlb2_set;              /* tlb.L1d.entries / tlb.L2.latency were set */
    unsigned tlb1_ways;                  /* tlb.L1d.ways written with the entries */
    size_t nlevels;                      /* data-path levels */
    char names[CAL_MAX_LEVELS][32];      /* their names */
    double link_gbs[CAL_MAX_LEVELS];     /* [i]: GB/s streamed into level i from level i+1: the slower
                                            of link_rand_gbs[i] and link_seq_gbs[i] (0: not probed) */
    double link_rand_gbs[CAL_MAX_LEVELS]; /* [i]: the best link chase in a random order */
    double link_seq_gbs[CAL_MAX_LEVELS]; /* [i]: the best link chase in address order */
    uint64_t link_resized[CAL_MAX_LEVELS]; /* [i]: level i+1's size after the fit, when the fit
                                            resized it and a probe inside it beat link_gbs[i] */
    double ram_gbs;                      /* GB/s streamed from RAM, the best probe */
    double ram_gbs_low;                  /* the lowest RAM probe (how far a busy spell pulled it down) */
    int bw_probes;                       /* bandwidth probes taken (at moments spread over the run) */
    double set_ns[CAL_MAX_LEVELS];       /* [i]: one-set chase held by level i, ns per load, the median
                                            of its probes (0: not probed) */
    double set_probe[CAL_MAX_LEVELS][CAL_MAX_ROUNDS + 1]; /* [i]: those probes, in order */
    int set_probes[CAL_MAX_LEVELS];      /* [i]: how many */
    size_t set_lines[CAL_MAX_LEVELS];    /* [i]: the lines that chase walked */
    size_t set_stride;                   /* their spacing: the data entry level's sets x line */
    double spread;                       /* the last level's (and RAM's) spread, from the medians of
                                            the spread probes' walks (spread_probes 0: not probed) */
    double spread_pf[CAL_MAX_ROUNDS + 1]; /* those walks, ns per node */
    double spread_plain[CAL_MAX_ROUNDS + 1]; /* the plain walks beside them */
    int spread_probes;                   /* how many */
    size_t spread_bytes;                 /* the buffer they walked */
    double spread_lat_ns, spread_walk_ns; /* the medians of the plain and the prefetching walks */
    double spread_hit_ns;                /* the data entry level's latency, ns: a node's least time */
    int spread_resized;                  /* the fit resized the last level: probed again inside it */
    double swpf_ns;                      /* the second level's swpf_extra in ns (0: none or not probed) */
    double swpf_plain[CAL_MAX_ROUNDS + 1]; /* its probes' plain walks, ns per node */
    double swpf_pf[CAL_MAX_ROUNDS + 1];  /* and their walks prefetching CAL_SWPF_DIST ahead */
    int swpf_probes;                     /* how many (0: not probed) */
    size_t swpf_bytes;                   /* the buffer they walked */
    double swpf_plain_ns, swpf_pf_ns;    /* the medians of those walks */
    double mlp_lines;                    /* misses the core keeps in flight (the RAM chases'; 0: not known) */
    double link_mlp[CAL_MAX_LEVELS];     /* [i]: lines the random link chase kept in flight when that
                                            was the core's limit and link i took the address order's
                                            rate (cal_machine_mlp_links); 0: the slower order's */
} cal_machine;
/* Runs the load-pipe, TLB, bandwidth and one-set probes at c's frequency_ghz and sets
 * hierarchy.mem_cpi, tlb.L1d.entries, tlb.L2.latency, each data-path link's bandwidth,
 * RAM.bandwidth_gbs and each lower level's set_gap in c (cal_machine.c). */
int cal_machine_probe(mh_config *c, cal_machine *m, mh_error *err);
/* Probes the TLB, the bandwidths of c's links and RAM and the one-set chases again and keeps, in m
 * and c, the best of all probes so far (the largest DTLB reach, the highest bandwidths; the set
 * gaps take the median of their probes, see cal_machine.c): other cores share the L3 and
 * the memory channel, and another thread may share the core's DTLB; they only lower a probe, so
 * probes spread over the calibration catch a quiet moment. MH_OK, or an error with c as it was
 * after the last probe that succeeded. */
int cal_machine_again(mh_config *c, cal_machine *m, mh_error *err);
/* After the fit: probes again (probes times, keeping the best) the link into each level whose size
 * in c differs from probed[] (the sizes the probes used), since a chase over half the nominal size
 * of a level that holds less measured the level below; the best of all probes stays (a chase past
 * the level only reads slower). A level cal_link_bytes gives no chase keeps its value. MH_OK or
 * the first error. */
int cal_machine_relink(mh_config *c, cal_machine *m, const uint64_t *probed, int probes, mh_error *err);
/* Share of the core's misses in flight at which a random link chase counts as bounded by them. */
#define CAL_MLP_SHARE 0.85
/* After the fit and relink: a link whose random-order chase is the slower and kept at least
 * CAL_MLP_SHARE x `inflight` lines in flight (its rate x the level's latency in c / the line) met
 * the core's miss queue, not the link; the model bounds that queue with the MSHRs, so the link
 * takes the address order's rate (in m, link_mlp[i] set, and in c). inflight <= 0 changes
 * nothing. MH_OK or the first error. */
int cal_machine_mlp_links(mh_config *c, cal_machine *m, double inflight, mh_error *err);
/* Bytes of the link chase that measures the link into a level of `level` bytes from the one
 * below it, under a level of `above` bytes: half the level when that is past twice the level
 * above (the chase then misses the level above and hits this one); else, for a level of more
 * than twice the level above (a shared cache that showed less than its size: 4 MiB under 1 MiB
 * gives 3 MiB), the midpoint of the two; else 0: no chase fits between them. */
size_t cal_link_bytes(uint64_t level, uint64_t above);
/* After the clock was probed again (c's frequency_ghz about to move from `from` to `to` GHz): sets
 * the cycle values the machine probes derived from times at `from` (mem_cpi, tlb.L2.latency, the
 * link bandwidths in bytes/cycle, the set gaps) for `to`, in m and c. MH_OK or the first error. */
int cal_machine_reclock(mh_config *c, cal_machine *m, double from, double to, mh_error *err);
/* Appends the calibrated config's header lines for m to buf (cap bytes, NUL-terminated). */
void cal_machine_header(const cal_machine *m, double ghz, char *buf, size_t cap);
/* Ways for a first-level DTLB of entries: want (the configured ways; entries = fully associative) or
 * the fewest more that make entries / ways a power of two (96 entries, 4 wanted: 6 ways x 16 sets). */
unsigned cal_tlb_ways(unsigned entries, unsigned want);

/* One measured point, as cal_measure_point returns it. */
typedef struct cal_measured {
    bench_info info;               /* iterations, accesses per repetition */
    bench_stats st;                /* distribution and event medians (events malloc'ed) */
    bench_metrics m;               /* heap/pool metrics */
    char label[32];                /* variant label ("read", "s256", "d4") */
    const bench_variant *v;        /* the variant */
    int skipped;                   /* 1: the kernel refused the size (reason in skip_msg) */
    char skip_msg[512];
    long long first_touch_faults;  /* perf::MINOR-FAULTS over setup + first repetition, or -1 */
    uint64_t resident_pages;       /* pages the captured trace touches that were resident before setup */
    uint64_t records;              /* records captured (0 without capture) */
    double capture_ns_per_rec;     /* capture cost */
    uint64_t layout;               /* k->layout of the state measured (0: the kernel has none) */
} cal_measured;

/* Sets up kernel k (variant label e.g. "global", "s256", "d4") at size, optionally counts the
 * first-touch minor faults with ft (may be NULL), measures it with h (if h->min_time > 0), and
 * captures one repetition to capture_path (if non-NULL, budget records). Frees everything but
 * out->st.events (bench_stats_free). A size the kernel rejects as unsupported sets skipped. */
int cal_measure_point(const bench_kernel *k, const char *variant, size_t size, uint64_t seed,
                      const bench_harness *h, ctr_set *ft, const char *capture_path, uint64_t budget,
                      const mh_meta *meta, cal_measured *out, mh_error *err);

/* Writes the bench CSV header (fixed columns + one per event of ctr, which may be NULL). */
void cal_csv_header(FILE *f, const ctr_set *ctr);
/* Writes one bench CSV row for kernel k and measured point p (core -1: empty). */
void cal_csv_row(FILE *f, const bench_kernel *k, size_t size, const cal_measured *p, int core);

/* Current UTC time as "YYYY-MM-DDTHH:MM:SSZ". */
void cal_utc_now(char *buf, size_t n);

#endif
