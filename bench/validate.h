/* validate.h — simulated against measured: trace replay with warm-up, error percentages,
 * summary statistics, the counter <-> simulated-count pairings, and the validation CSV rows.
 *
 * Per-access normalisation: measured ns/access = the harness's median (time / loads+stores of a
 * repetition). Simulated ns/access = simulated ns of one pass / demand records of the pass
 * (software-prefetch records are replayed but not counted as accesses, as natively). Warm-up: a
 * trace holding a whole repetition is replayed twice and only the second pass counts (the native
 * run is measured after warm-up); a truncated trace (budget hit) is replayed once, cold, for its
 * first-touch minor faults, and timed by a second cold replay with every page it touches resident
 * (the native pages were). */
#ifndef BENCH_VALIDATE_H
#define BENCH_VALIDATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "memhier.h"
#include "resident.h"

#define VAL_MAX_LEVELS 16
#define VAL_WITHIN 15.0               /* the target band, percent */
/* validate's default --records: whole repetitions at the default sizes (the stack at 64 MiB
 * takes 16.8M records: its first 2M are the descent's stores, none of the loads coming back). */
#define VAL_RECORDS_DEFAULT (32ull << 20)

/* The measured pass of one replay (deltas over the second pass when warm). */
typedef struct val_sim {
    uint64_t records;                 /* records in the trace */
    uint64_t accesses;                /* demand records (all but software prefetches) */
    int warm;                         /* 1: two passes, second counted; 0: one cold pass */
    double ns;                        /* simulated ns of the counted pass (if cold: pages resident) */
    double ns_per_access;             /* ns / accesses */
    mh_time_stats ts;                 /* counted pass (cycle fields are deltas) */
    uint64_t first_touch_faults;      /* minor faults of the first (cold) pass */
    size_t nlevels;
    char names[VAL_MAX_LEVELS][32];   /* level names */
    double level_cycles[VAL_MAX_LEVELS]; /* counted pass, per level */
    uint64_t level_misses[VAL_MAX_LEVELS]; /* demand misses (read+write+misc), counted pass */
    uint64_t level_accesses[VAL_MAX_LEVELS]; /* demand accesses, counted pass */
} val_sim;

/* Replays trace at path on c (timing on); complete = 1 when the trace holds a whole repetition
 * (see file comment). The pages listed in path.resident, when it exists, start resident. */
int val_replay(const mh_config *c, const char *path, int complete, val_sim *out, mh_error *err);
/* Replays n in-memory records (same semantics; used by val_replay and tests); resident (NULL:
 * none) = pages resident before the first record. */
int val_replay_recs(const mh_config *c, const mh_rec *recs, size_t n, int complete, const bench_pages *resident,
                    val_sim *out, mh_error *err);

/* (simulated - measured) / measured x 100; NAN when measured <= 0 (0 when both are 0). */
double val_error_pct(double measured, double simulated);

/* Summary of absolute errors. */
typedef struct val_summary {
    size_t points;                    /* finite errors summarised */
    double median_abs;                /* median |error| % */
    double p90_abs;                   /* 90th percentile |error| % (linear interpolation) */
    double within;                    /* % of points with |error| <= VAL_WITHIN */
} val_summary;

/* Summarises the finite entries of err_pct[0..n-1] (NAN entries are skipped). */
void val_summarise(const double *err_pct, size_t n, val_summary *out);

/* The simulated count a counter is compared with, and how (the pairing text). */
typedef enum val_sim_kind {
    VAL_SIM_NONE = 0, VAL_SIM_L1_MISS, VAL_SIM_L2_MISS, VAL_SIM_L3_MISS, VAL_SIM_CYCLES,
    VAL_SIM_INSTR, VAL_SIM_MINOR, VAL_SIM_MAJOR, VAL_SIM_FAULTS, VAL_SIM_TASK_NS
} val_sim_kind;

/* Looks up event name; *pairing gets the text (e.g. "PAPI_L1_DCM <-> L1d demand misses ...").
 * Returns VAL_SIM_NONE for events without a simulated counterpart. */
val_sim_kind val_pairing(const char *event, const char **pairing);
/* The simulated count of kind per native repetition: counted-pass value x rep_accesses / accesses. */
double val_sim_count(const val_sim *s, val_sim_kind kind, uint64_t rep_accesses, double freq_ghz);

/* Writes the validation.csv header. */
void val_csv_header(FILE *f);
/* Writes one row; measured < 0 or NAN means "not measured" (p10/p90 ignored when NAN). */
void val_csv_row(FILE *f, const char *kernel, const char *variant, size_t size, const char *metric,
                 double measured, double p10, double p90, double simulated, const char *pairing);

/* Why the model likely misses a timing point (kernel, size vs caches, sign of the error). */
const char *val_reason(const char *kernel, const char *variant, size_t size, double err_pct,
                       uint64_t l1, uint64_t llc);
#define VAL_NOISY_PCT 30.0            /* p10..p90 spread (% of the median) called noisy */
/* A point the machine ran at two speeds, the model matching the faster: 1 when p10 lies more than
 * VAL_WITHIN % below the median and simulated is within VAL_WITHIN % of p10 (*fast_err gets that
 * error, %); else 0 (*fast_err untouched). Such a point misses by the machine's slower state,
 * which comes and goes in phases of milliseconds (README, "Two speeds"). */
int val_two_speeds(double median, double p10, double simulated, double *fast_err);
/* Writes " [two speeds: ...]" (the error from the faster, p10 and the median) to f when
 * val_two_speeds holds for the point; nothing otherwise. */
void val_two_speeds_tag(FILE *f, double median, double p10, double simulated);

/* The run's clock (val_clock.c): the core probes of a validate run (each round's start and before
 * each point's measurement). */
/* The median of ghz[0..n) that are > 0; 0 when none is. */
double val_clock_median(const double *ghz, size_t n);
/* Writes dir/clock.csv, one row per probe with ghz > 0 (round[i] its round, from 1; busy[i] 1 when
 * it read a busy core, busy NULL: none did), atomically; MH_OK or MH_EIO with context. */
int val_clock_write(const char *dir, const int *round, const double *ghz, const double *cpi,
                    const unsigned char *busy, size_t n, mh_error *err);
/* Reads dir/clock.csv's median into *ghz (0 when the file is absent; runs before the busy column
 * are read too); MH_EFORMAT names file:line. */
int val_clock_read(const char *dir, double *ghz, mh_error *err);


/* A quiet core (val_quiet.c): validate measures a point after a core probe that reads the issue
 * rate of calibration (the config's base_cpi); a busy sibling hyperthread lowers it. */
#define VAL_BUSY_RATIO 1.25           /* probe cycles per add above this x base_cpi: a busy core */
#define VAL_BUSY_PAUSE 0.02           /* seconds between the probes of a wait */
#define VAL_BUSY_TOTAL 60.0           /* seconds a run waits at most, over all its measurements */
/* A core probe: *ghz (clock) and *cpi (cycles per independent add); MH_OK or an error code. */
typedef int (*val_probe_fn)(void *ctx, double *ghz, double *cpi);
/* Probes the core, then again every pause_s seconds while it reads busy (cpi > ref_cpi x
 * VAL_BUSY_RATIO), for at most limit_s seconds. Returns 1 when the last probe read quiet (always
 * when ref_cpi <= 0: nothing to compare with), 0 when the core was still busy at limit_s, -1 when
 * a probe failed. *ghz and *cpi get the last probe's reading, *waited_s the seconds spent waiting
 * (0 when the first probe read quiet). */
int val_quiet_wait(val_probe_fn probe, void *ctx, double ref_cpi, double limit_s, double pause_s, double *ghz,
                   double *cpi, double *waited_s);
/* Keeps a point's rounds measured on a quiet core: moves the med, p10 and p90 of the rounds with
 * busy[k] == 0 to the front, in order, and returns how many; when every round was busy, leaves
 * the arrays as they are and returns rounds. */
int val_quiet_rounds(const unsigned char *busy, int rounds, double *med, double *p10, double *p90);
/* Keeps a point's rounds that measured the captured layout: moves the busy flag, med, p10 and p90
 * of the rounds k with layout[k] == layout[0] (round 0 is the captured one) to the front, in
 * order, and returns how many (at least 1). */
int val_layout_rounds(const uint64_t *layout, int rounds, unsigned char *busy, double *med, double *p10,
                      double *p90);
#endif
