/* memhier.h — the one public header of the memhier simulator library.
 *
 * Lifecycle of every handle: create/open -> use -> destroy/close. A function that
 * fails returns a negative MH_E* code, leaves its out-parameters untouched and, when
 * given an mh_error, fills it with "where: what, allowed" context. The library never
 * prints and never exits; it keeps no global mutable state.
 *
 * Sections are owned by modules; keep each section's declarations together. */
#ifndef MEMHIER_H
#define MEMHIER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ===== errors (sim/error.c) ===== */

enum mh_status {
    MH_OK = 0,
    MH_ENOMEM = -1,       /* allocation failed */
    MH_EINVAL = -2,       /* bad argument or option value */
    MH_ECONFIG = -3,      /* configuration invalid */
    MH_EIO = -4,          /* read or write failed (errno in the message) */
    MH_EFORMAT = -5,      /* trace malformed or of unknown format */
    MH_ECORRUPT = -6,     /* .mht checksum mismatch or truncation */
    MH_ENOTFOUND = -7,    /* named level, key or entry does not exist */
    MH_EUNSUPPORTED = -8, /* valid request this build or machine cannot do */
    MH_EINTR = -9         /* interrupted (signal) */
};

/* Error context: code plus a one-line message such as
 * "configs/x.ini:12: [L1d] ways = 0, must be >= 1". */
typedef struct mh_error {
    int code;       /* the MH_E* code returned */
    char msg[512];  /* human-readable context, NUL-terminated */
} mh_error;

/* Returns a static description of a status code; never NULL. */
const char *mh_strerror(int code);

/* Fills err (if non-NULL) with code and a printf-style message; returns code. */
int mh_error_set(mh_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ===== access records (shared by traces and the hierarchy) ===== */

/* Operation of a record. The first MH_KINDS values are the statistics kinds. */
typedef enum mh_op {
    MH_OP_READ = 0,       /* data load */
    MH_OP_WRITE = 1,      /* data store */
    MH_OP_IFETCH = 2,     /* instruction fetch */
    MH_OP_MISC = 3,       /* misc read (DineroIV label 3) */
    MH_OP_PREFETCH = 4,   /* software prefetch: a load nothing waits for */
    MH_OP_COPYBACK = 5,   /* write back the line if dirty (DineroIV label 4) */
    MH_OP_INVALIDATE = 6  /* drop the line everywhere (DineroIV label 5) */
} mh_op;

#define MH_KINDS 5        /* read, write, ifetch, misc, prefetch */
#define MH_OP_COUNT 7

#define MH_FLAG_DEP 0x01  /* this load's address depends on the previous load */

/* One memory access: 16 bytes, so batches stay cache-friendly. */
typedef struct mh_rec {
    uint64_t addr;   /* byte address */
    uint32_t gap;    /* non-memory instructions since the previous record */
    uint16_t size;   /* bytes accessed (>= 1) */
    uint8_t op;      /* mh_op */
    uint8_t flags;   /* MH_FLAG_* */
} mh_rec;

/* Returns "read", "write", "ifetch", "misc", "prefetch", "copyback", "invalidate". */
const char *mh_op_name(int op);

/* ===== configuration (sim/config.c) ===== */

typedef struct mh_config mh_config;

/* Parses an INI file; on success *out owns a validated config. */
int mh_config_load(const char *path, mh_config **out, mh_error *err);
/* Parses INI text; name is used in messages in place of a file name. */
int mh_config_parse(const char *text, const char *name, mh_config **out, mh_error *err);
/* Sets "section.key" (e.g. "L1d.size") to value and revalidates; on failure c is unchanged. */
int mh_config_set(mh_config *c, const char *key, const char *value, mh_error *err);
/* Sets n "section.key" values at once (of a repeated key the last wins) and revalidates once, so
 * keys that only make sense together (size with ways) can change; n <= 64. Returns MH_OK, or
 * MH_EINVAL / MH_ECONFIG naming the override at fault; on failure c is unchanged. */
int mh_config_set_many(mh_config *c, const char *const *keys, const char *const *values, size_t n,
                       mh_error *err);
/* Returns a deep copy, or NULL when out of memory. */
mh_config *mh_config_clone(const mh_config *c);
/* Writes the config as INI text that mh_config_parse accepts; returns MH_OK or MH_EIO. */
int mh_config_write_ini(const mh_config *c, FILE *f);
/* Returns the hierarchy name ([hierarchy] name). */
const char *mh_config_name(const mh_config *c);
/* Returns the path or name the config came from. */
const char *mh_config_source(const mh_config *c);
/* Frees c; NULL is a no-op. */
void mh_config_free(mh_config *c);

/* ===== hierarchy and statistics (sim/hier.c, sim/level.c, sim/policy_*.c) ===== */

typedef struct mh_hier mh_hier;

/* Options chosen when the hierarchy is created. */
typedef struct mh_hier_opts {
    int classify_3c;  /* 1: classify misses compulsory/capacity/conflict (FA-LRU shadow) */
    int timing;       /* 1: run the timing model (cycles, TLB, pages, DRAM) */
    int wb_bypass;    /* 1: write-backs go straight to memory, lower caches never see them
                         (Cachegrind, which simulates no write-backs); 0: they are writes to the
                         next level (DineroIV) */
} mh_hier_opts;

/* Returns the defaults: classify_3c = 1, timing = 1, wb_bypass = 0. */
mh_hier_opts mh_hier_opts_default(void);

/* Per-kind counts; the same shape at every level. */
typedef struct mh_counts {
    uint64_t accesses;    /* demand references that reached this level */
    uint64_t hits;
    uint64_t misses;
    uint64_t compulsory;  /* first reference to the line ever */
    uint64_t capacity;    /* would miss in a fully associative LRU cache of equal size */
    uint64_t conflict;    /* hit in that shadow, missed here */
} mh_counts;

/* Statistics of one level; identical shape for every level. */
typedef struct mh_level_stats {
    const char *name;            /* level name from the config */
    mh_counts kind[MH_KINDS];    /* indexed by mh_op < MH_KINDS */
    uint64_t evictions;          /* valid lines replaced */
    uint64_t writebacks;         /* dirty lines written to the next level */
    uint64_t bytes_from_next;    /* fill traffic (demand; prefetch fills counted apart) */
    uint64_t bytes_to_next;      /* write-back and write-through traffic */
    uint64_t back_invalidations; /* lines dropped because an inclusive lower level evicted them */
    uint64_t pf_issued;          /* hardware prefetches issued into this level */
    uint64_t pf_fill_bytes;      /* bytes fetched by those prefetches */
    uint64_t pf_useful;          /* prefetched lines hit by a demand access before eviction */
    uint64_t pf_late;            /* useful, but the demand access came before the fill finished */
    uint64_t pf_useless;         /* prefetched lines evicted unused */
    double cycles;               /* time attributed to accesses served here (timing mode) */
} mh_level_stats;

/* Whole-run timing statistics (timing mode). */
typedef struct mh_time_stats {
    uint64_t records;            /* records replayed */
    uint64_t instructions;       /* sum of gaps */
    double cycles;               /* simulated total */
    double ns;                   /* cycles / frequency */
    double cycles_compute;       /* gap x base_cpi */
    double cycles_tlb;           /* TLB lookups beyond a first-level TLB hit */
    double cycles_walk;          /* page walks */
    double cycles_minor_fault;   /* first touches */
    double cycles_disk;          /* major faults and dirty page write-outs */
    double cycles_ram;           /* accesses served by RAM */
    uint64_t tlb_hits[4], tlb_misses[4]; /* [0] L1 DTLB, [1] second-level TLB, [2] L1 ITLB, [3] L2 ITLB */
    uint64_t page_walks;
    uint64_t minor_faults, major_faults;
    uint64_t disk_reads, disk_writes;
    uint64_t row_hits, row_misses;
    const char *defaults_note;   /* non-NULL when the trace lacked dependency/gap info */
} mh_time_stats;

/* Builds an empty (cold) hierarchy from c; c may be freed afterwards. opts NULL = defaults. */
int mh_hier_create(const mh_config *c, const mh_hier_opts *opts, mh_hier **out, mh_error *err);
/* Replays n records in order; returns MH_OK (records are not validated here). */
int mh_hier_access(mh_hier *h, const mh_rec *recs, size_t n);
/* Writes every dirty line back to memory, counting the traffic (DineroIV's end-of-run copy-back). */
void mh_hier_flush(mh_hier *h);
/* Number of cache levels, in config order. */
size_t mh_hier_levels(const mh_hier *h);
/* Copies level i's statistics into *out; MH_EINVAL when i is out of range. */
int mh_hier_level_stats(const mh_hier *h, size_t i, mh_level_stats *out);
/* Bytes read from / written to memory below the last level. */
void mh_hier_mem_traffic(const mh_hier *h, uint64_t *bytes_read, uint64_t *bytes_written);
/* Copies the timing statistics; MH_EUNSUPPORTED when timing is off. */
int mh_hier_time_stats(const mh_hier *h, mh_time_stats *out);
/* Warm start for the page table: the pages overlapping [addr, addr + len) count as already
 * touched by the traced process (resident, clean), so their first touch in the trace is no minor
 * fault. Call before replaying. Returns MH_OK (also when the config simulates no pages),
 * MH_EUNSUPPORTED when timing is off, MH_ENOMEM (pages marked so far stay marked). */
int mh_hier_resident(mh_hier *h, uint64_t addr, uint64_t len, mh_error *err);
/* Touches (writes) the pages overlapping [addr, addr + len) as code outside the trace did before it
 * (a benchmark's setup filling a buffer that the traced loop reads only in part): each page not yet
 * resident counts one minor fault in mh_time_stats.minor_faults, with no cycles and no cache
 * access, and is resident (dirty) afterwards. Call before replaying. Returns MH_OK (also when the
 * config simulates no pages), MH_EUNSUPPORTED when timing is off, MH_ENOMEM (pages touched so
 * far stay touched). */
int mh_hier_touch_pages(mh_hier *h, uint64_t addr, uint64_t len, mh_error *err);
/* Frees h; NULL is a no-op. */
void mh_hier_destroy(mh_hier *h);

/* ---- timing on a thread of its own (sim/hier_tlog.c): the caches' replay of a batch logs what
 * the timing model needs (each record's serving level, the prefetches, write-backs and late
 * prefetch checks on the way), and the model runs from that log later, on another thread while
 * the caches replay the next batch. Results equal mh_hier_access's over the same records.
 * Lifecycle: mh_hier_can_log -> mh_tlog_create (one per batch in flight) -> for every batch, in
 * trace order: mh_hier_access_logged, then mh_hier_timing_run with the same records and log,
 * batches run through mh_hier_timing_run in the order they were logged -> mh_tlog_destroy.
 * mh_hier_access_logged changes only the caches' state and mh_hier_timing_run only the model's,
 * so each may run on its own thread; anything else on h (stats, flush, resident, mh_hier_access)
 * waits until every logged batch has been run. ---- */
typedef struct mh_tlog mh_tlog;

/* Returns MH_OK when h's timing can run from a log; MH_EUNSUPPORTED with the reason in err when
 * timing is off or the model reads through the caches while it runs (walk = cached). */
int mh_hier_can_log(const mh_hier *h, mh_error *err);
/* Creates an empty log for batches of up to max_records records. Returns MH_OK, MH_EINVAL
 * (max_records 0 or above 2^32 - 1) or MH_ENOMEM; on failure *out is NULL. */
int mh_tlog_create(size_t max_records, mh_tlog **out, mh_error *err);
/* Frees g; NULL is a no-op. */
void mh_tlog_destroy(mh_tlog *g);
/* Replays recs[0..n) through h's caches, as mh_hier_access does, logging the timing model's
 * inputs in g (replacing what g held). Returns MH_OK; MH_EUNSUPPORTED (mh_hier_can_log) or
 * MH_EINVAL (n above g's size) with nothing replayed. */
int mh_hier_access_logged(mh_hier *h, const mh_rec *recs, size_t n, mh_tlog *g, mh_error *err);
/* Runs h's timing model over the batch logged in g, whose records are recs[0..n). Returns MH_OK;
 * MH_EINVAL when n is not the logged count; MH_ENOMEM when the log ran out of memory while it was
 * written (the model has then not run this batch: the run's timing is incomplete). */
int mh_hier_timing_run(mh_hier *h, const mh_rec *recs, size_t n, mh_tlog *g, mh_error *err);

/* ---- set-partitioned replay (sim/hier_split.c): a count-only hierarchy whose every level's set
 * index contains the same address bits replays on several threads, one part of those bits' values
 * each. Sets of different parts never meet (a line, its victims, write-backs and
 * back-invalidations stay in sets of its part), so each part's records replay independently and
 * the statistics, summed, are those of mh_hier_access over all records in order.
 * Lifecycle: mh_hier_split -> mh_part_replay (or mh_part_deal + mh_part_replay_own) on every
 * part (each on its own thread), with mh_part_replay_shared for each record that spans parts ->
 * mh_hier_join. ---- */
typedef struct mh_hier_part mh_hier_part;

/* Splits h into nparts parts (a power of two, 2..64) in parts[0..nparts). Returns MH_OK;
 * MH_EUNSUPPORTED with the reason in err when h cannot be split (timing or 3C classification on,
 * a hardware prefetcher, a random or brrip level, too few set-index bits common to all levels for
 * nparts); MH_EINVAL for a bad nparts; MH_ENOMEM. On failure nothing is split. Until
 * mh_hier_join, h may be used only through its parts. */
int mh_hier_split(mh_hier *h, unsigned nparts, mh_hier_part **parts, mh_error *err);
/* Tag of a record that spans parts: its first and last bytes lie in different parts, it wraps
 * past 2^64 - 1, or it is a copyback or invalidate (every part must stop at it). */
#define MH_PART_SHARED 255
/* Writes into tag[i] the part number of recs[i] (< nparts), or MH_PART_SHARED. Any part of one
 * split tags alike: tag a batch once and give the tags to every part. */
void mh_part_tag(const mh_hier_part *p, const mh_rec *recs, size_t n, uint8_t *tag);
/* Replays, in order, part p's records of recs[0..n) (tags from mh_part_tag), up to the first
 * record tagged MH_PART_SHARED; returns that record's index, or n. Parts may run concurrently. */
size_t mh_part_replay(mh_hier_part *p, const mh_rec *recs, const uint8_t *tag, size_t n);
/* Deals recs[0..n) out to their parts in order, up to the first record that spans parts: part j's
 * records are appended at out[j][count[j]] (count[j] advanced; out[j] needs room for n more).
 * Returns that record's index (nothing is written for it), or n. Any part of one split deals alike. */
size_t mh_part_deal(const mh_hier_part *p, const mh_rec *recs, size_t n, mh_rec *const *out, size_t *count);
/* Replays recs[0..n), a list dealt to part p, in order, up to the first record that is not p's
 * alone (the spanning records a caller put in every part's list); returns its index, or n. Parts
 * may run concurrently. */
size_t mh_part_replay_own(mh_hier_part *p, const mh_rec *recs, size_t n);
/* Replays record r, which spans parts, through part p. Every other part must be stopped at the
 * same record (mh_part_replay returned its index) until this returns. */
void mh_part_replay_shared(mh_hier_part *p, const mh_rec *r);
/* Adds the parts' statistics into h and frees them: h is whole again, in the state that
 * mh_hier_access over the same records would have left. parts is the array mh_hier_split filled. */
void mh_hier_join(mh_hier *h, mh_hier_part **parts, unsigned nparts);

/* ---- trace stripping (sim/strip.c): records certain to hit their entry level's most recently
 * used line without changing anything but a counter are taken out of batches before the replay,
 * and counted as the hits they are (Puzak's trace stripping, exact here). A one-line record is
 * such a hit when the last record whose line has its low address bits (the set-index bits every
 * level shares) was on the same line at the same entry level: nothing in between can have
 * touched a set that holds the line, at any level. A count-only hierarchy without 3C shadows or
 * hardware prefetchers, lru or fifo entry levels and one line size throughout; a write is taken
 * out only where an earlier write, still the last record of its line's bits, dirtied the line.
 * Lifecycle: mh_strip_create (on h before, or after, records replayed without it) -> for every
 * batch, in trace order: mh_strip_run, then mh_hier_access on the kept records and
 * mh_hier_count_hits on the counts -> mh_strip_destroy. A batch may instead go to mh_hier_access
 * whole, followed or preceded by mh_strip_skip. Anything else that changes h in between
 * (mh_hier_flush, mh_hier_resident) needs a new stripper. It is meant for a thread of its own
 * (the decoding thread): it reads h only in mh_strip_create. ---- */
typedef struct mh_strip mh_strip;

/* Creates a stripper for hierarchy h in *out. Returns MH_OK; MH_EUNSUPPORTED with the reason in
 * err when a repeated hit could change h's state or results (timing model, 3C shadows, hardware
 * prefetchers, an entry level that is not lru or fifo, lines of several sizes); MH_EINVAL for
 * NULL arguments; MH_ENOMEM. On failure *out is NULL. */
int mh_strip_create(const mh_hier *h, mh_strip **out, mh_error *err);
/* Takes out of recs[0..n) every record certain to hit as above (the rest keep their order,
 * moved to the front); returns how many are kept, and adds the taken ones, by kind, to
 * hits[0..MH_KINDS). */
size_t mh_strip_run(mh_strip *s, mh_rec *recs, size_t n, uint64_t hits[MH_KINDS]);
/* Tells s that records reach h without it (a batch replayed whole, as when stripping would cost
 * the decoding thread more than it saves the replaying one): s forgets every line, so later
 * batches are stripped exactly again, of fewer records at first. */
void mh_strip_skip(mh_strip *s);
/* Frees s; NULL is a no-op. */
void mh_strip_destroy(mh_strip *s);
/* Counts hits[k] accesses (hits) of kind k at h's entry level for that kind: the records
 * mh_strip_run took out. */
void mh_hier_count_hits(mh_hier *h, const uint64_t hits[MH_KINDS]);

/* ===== traces (sim/trace*.c) ===== */

/* Trace metadata: small key/value list (source, kernel, params, host, created, version...). */
#define MH_META_MAX 24
typedef struct mh_meta {
    size_t n;
    struct { char key[32]; char value[224]; } kv[MH_META_MAX];
} mh_meta;

/* Sets key to value (replacing); MH_ENOMEM when full. */
int mh_meta_set(mh_meta *m, const char *key, const char *value);
/* Returns the value of key, or NULL. */
const char *mh_meta_get(const mh_meta *m, const char *key);

typedef struct mh_trace mh_trace;

/* Opens path ("-" = stdin) for streaming; the format is detected from content. */
int mh_trace_open(const char *path, mh_trace **out, mh_error *err);
/* Opens with a named format ("din", "xdin", "lackey", "mht"), no detection. */
int mh_trace_open_format(const char *path, const char *format, mh_trace **out, mh_error *err);
/* Reads up to cap records into buf; *n = 0 at end of trace. Errors name file and line/record/block. */
int mh_trace_read(mh_trace *t, mh_rec *buf, size_t cap, size_t *n, mh_error *err);
/* Returns the detected format name. */
const char *mh_trace_format(const mh_trace *t);
/* Returns the trace metadata (empty for formats without any). */
const mh_meta *mh_trace_meta(const mh_trace *t);
/* 1 when records carry dependency flags and instruction gaps (.mht), else 0. */
int mh_trace_has_timing_info(const mh_trace *t);
/* Closes t; NULL is a no-op. */
void mh_trace_close(mh_trace *t);

typedef struct mh_writer mh_writer;

/* Creates a writer for format ("mht" or "din") writing to "path.tmp.<pid>"; "-" = stdout; an
 * existing path that is not a regular file (/dev/null, a FIFO) is written in place. */
int mh_writer_open(const char *path, const char *format, const mh_meta *meta, mh_writer **out, mh_error *err);
/* Sets an option of the writer's format before its first record: mht's "laps" = "on" (the
 * default: lap blocks where they pay, see the format) or "off" (faster to read, random walks
 * larger); din has none. MH_EINVAL naming the key and the allowed values, or after a record was
 * written; the writer is unchanged then. */
int mh_writer_set(mh_writer *w, const char *key, const char *value, mh_error *err);
/* Appends n records. */
int mh_writer_write(mh_writer *w, const mh_rec *recs, size_t n, mh_error *err);
/* Flushes, fsyncs and renames the temporary file over path; frees w in every case. */
int mh_writer_close(mh_writer *w, mh_error *err);
/* Removes the temporary file and frees w; NULL is a no-op. */
void mh_writer_abort(mh_writer *w);

/* ===== miss-ratio curves: one-pass LRU stack distances (sim/stackdist.c) ===== */

/* One pass over a trace gives the exact misses of many LRU caches of one line size: every
 * associativity up to the deepest requested, for each requested set count. */
typedef struct mh_mrc mh_mrc;

/* One cache geometry: sets (power of two) × ways lines. Fully associative = 1 set. */
typedef struct mh_mrc_geom {
    uint32_t sets;
    uint32_t ways;
} mh_mrc_geom;

/* Creates a curve for line-byte lines and n geometries; op_mask (bits 1 << mh_op) selects the
 * record kinds the cache sees (invalidate records always apply). */
int mh_mrc_create(uint32_t line, const mh_mrc_geom *geoms, size_t n, unsigned op_mask, mh_mrc **out,
                  mh_error *err);
/* Feeds n records (each touches every line it covers, as in the hierarchy). */
void mh_mrc_access(mh_mrc *m, const mh_rec *recs, size_t n);
/* Fills out[kind] (accesses, hits, misses) of the sets × ways cache; MH_ENOTFOUND if not requested. */
int mh_mrc_misses(const mh_mrc *m, uint32_t sets, uint32_t ways, mh_counts out[MH_KINDS]);
/* MH_OK when level `name` of c can be simulated in one pass (an LRU, write-allocate entry level
 * without prefetcher or inclusive back-invalidation); else MH_EUNSUPPORTED/MH_ENOTFOUND, why in err. */
int mh_mrc_level_check(const mh_config *c, const char *name, mh_error *err);
/* Creates one curve for level `name` of n configs (same line size and routing in all). */
int mh_mrc_from_configs(const mh_config *const *cfgs, size_t n, const char *name, mh_mrc **out, mh_error *err);
/* Fills out[kind] for config c's geometry of the curve's level (c: one of those configs). */
int mh_mrc_misses_for(const mh_mrc *m, const mh_config *c, mh_counts out[MH_KINDS]);
/* Frees m; NULL is a no-op. */
void mh_mrc_destroy(mh_mrc *m);

/* ===== result files (sim/tmpfile.c) ===== */

/* Creates path's temporary sibling "path.tmp.<pid>" (its name goes to tmp[n]); returns the
 * stream, or NULL with err set (MH_EIO). An existing path that is not a regular file (/dev/null,
 * a FIFO) is opened in place instead, and tmp is set to "". */
FILE *mh_tmpfile_open(const char *path, char *tmp, size_t n, mh_error *err);
/* Closes f; when ok, flushes, syncs and renames tmp over path, else (or on any failure) removes
 * tmp. Returns MH_OK, or MH_EIO (err set only when ok). */
int mh_tmpfile_commit(FILE *f, const char *tmp, const char *path, int ok, mh_error *err);

/* ===== statistics output (sim/report.c) ===== */

typedef enum mh_format { MH_FMT_TABLE = 0, MH_FMT_CSV = 1, MH_FMT_JSON = 2 } mh_format;

/* Writes the hierarchy's statistics in fmt; c and meta may be NULL (omitted from JSON). */
int mh_report_write(const mh_hier *h, const mh_config *c, const mh_meta *meta, mh_format fmt,
                    FILE *f, mh_error *err);

#ifdef __cplusplus
}
#endif
#endif /* MEMHIER_H */
