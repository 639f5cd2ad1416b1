/* hier_int.h — the hierarchy handle (sim/hier.c): levels linked by `next`, the same routing
 * code for every level. Internal to the library. */
#ifndef MH_HIER_INT_H
#define MH_HIER_INT_H

#include "level_int.h"
#include "timing_int.h"
#include "tlog_int.h"

/* Who sent a request to a level; decides counting and prefetch training. */
enum mh_src {
    MH_SRC_CPU,   /* a trace record */
    MH_SRC_FETCH, /* line fill for an upper level's miss */
    MH_SRC_WT,    /* write passed down: write-through, or no-write-allocate miss */
    MH_SRC_WB,    /* dirty line written back by an upper level */
    MH_SRC_PF     /* line fill for an upper level's hardware prefetch */
};

/* One request to one level. Every request counts as one access there, and as one miss when
 * any line it covers misses; a multi-line request that misses goes down whole (Cachegrind). */
typedef struct mh_req {
    uint64_t addr;   /* first byte */
    uint32_t size;   /* bytes (>= 1) */
    uint32_t bytes;  /* traffic on the link: fill bytes the sender receives, or bytes written */
    int kind;        /* statistics kind (mh_op < MH_KINDS) */
    int src;         /* enum mh_src */
    int excl;        /* 1: the sender keeps this level exclusive of itself (victim cache) */
} mh_req;

struct mh_hier {
    size_t n;                               /* cache levels */
    mh_level *lv;                           /* n levels, config order */
    int ifetch, data;                       /* entry levels */
    int order[MH_MAX_LEVELS];               /* level indices, upper levels first */
    int nup[MH_MAX_LEVELS];                 /* number of levels whose next is this one */
    int up[MH_MAX_LEVELS][MH_MAX_LEVELS];   /* those levels */
    int niup[MH_MAX_LEVELS];                /* number of those that are inclusive (back-invalidated) */
    int iup[MH_MAX_LEVELS][MH_MAX_LEVELS];  /* those inclusive levels */
    int far;                                /* data-path level with a slot array too big for the
                                               host's caches (prefetched ahead), -1 = none */
    int slow;                               /* some level has a 3C shadow or a prefetcher */
    mh_hier_opts opts;                      /* as created */
    mh_timing *tm;                          /* timing model, NULL when opts.timing = 0 */
    mh_tlog *tlog;                          /* inside mh_hier_access_logged: the model's calls go
                                               there instead of to tm (read by another thread) */
    uint64_t mem_read, mem_written;         /* bytes crossing the memory boundary */
    char log_pad[64];                       /* keeps what follows off the caches' host lines: */
    /* read or written only by mh_hier_timing_run (another thread than the caches') */
    mh_timing *log_tm;                      /* tm, read from here: tm's line holds the caches' counters */
    mh_shadow *log_shadow[MH_MAX_LEVELS];   /* each level's shadow, likewise (set at creation) */
    uint64_t log_cls[MH_MAX_LEVELS][MH_KINDS][3]; /* 3C classes counted from logs */
    uint8_t log_pending[MH_MAX_LEVELS];     /* per level: the class its logged lookups found so far */
    char log_tail_pad[64];                  /* keeps the next allocation (the levels) off these lines */
};

/* Replays, in order, the records of recs[0..n) tagged want (mh_part_tag) up to the first one
 * tagged MH_PART_SHARED; returns that record's index, or n (mh_hier_split). */
size_t mh_hier_replay_part(mh_hier *h, const mh_rec *recs, const uint8_t *tag, size_t n, uint8_t want);

#endif
