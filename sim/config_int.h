/* config_int.h — the parsed configuration, shared inside the library only.
 * Produced and validated by sim/config.c; read by the hierarchy and the timing model. */
#ifndef MH_CONFIG_INT_H
#define MH_CONFIG_INT_H

#include "memhier.h"

#define MH_MAX_LEVELS 16
#define MH_NAME_MAX 32

enum mh_policy { MH_POL_LRU, MH_POL_FIFO, MH_POL_RANDOM, MH_POL_PLRU, MH_POL_SRRIP, MH_POL_BRRIP };
enum mh_inclusion { MH_INC_NINE, MH_INC_INCLUSIVE, MH_INC_EXCLUSIVE };
enum mh_prefetcher { MH_PF_NONE, MH_PF_NEXT_LINE, MH_PF_STRIDE, MH_PF_STREAM, MH_PF_REGION };

#define MH_MSHRS_DEFAULT 16 /* outstanding misses of an entry level whose mshrs is 0 (timing) */
enum mh_page_policy { MH_PAGE_LRU, MH_PAGE_CLOCK };
enum mh_walk { MH_WALK_FIXED, MH_WALK_CACHED, MH_WALK_NESTED };

/* One cache level ([L1d], [L2], ...). */
typedef struct mh_level_cfg {
    char name[MH_NAME_MAX];   /* section name */
    uint64_t size;            /* bytes = sets * ways * line */
    uint32_t ways;            /* associativity; == size/line when fully associative */
    int fully_assoc;          /* ways = full was given */
    uint32_t line;            /* bytes, power of two */
    uint32_t sets;            /* size / (ways * line), power of two */
    int policy;               /* enum mh_policy */
    int write_back;           /* 1 back, 0 through */
    int allocate;             /* 1 write-allocate, 0 no-write-allocate */
    int inclusion;            /* enum mh_inclusion: relation to the next level */
    double latency;           /* hit latency, cycles */
    int next;                 /* index of the next level, -1 = main memory */
    uint64_t seed;            /* random replacement seed */
    uint32_t mshrs;           /* outstanding misses (timing; 0 = MH_MSHRS_DEFAULT) */
    double bandwidth;         /* bytes/cycle to the next level; 0 = unbounded */
    double set_gap;           /* cycles between the starts of misses into one data-entry set that
                               * this level serves (timing); 0 = no limit */
    double spread;            /* fills this level serves take latency x (1 + spread x u), u uniform
                               * in [-1, 1) (timing); 0 = fixed */
    double swpf_extra;        /* cycles a software prefetch's fill from this level takes beyond a
                               * demand miss's; a demand meeting it waits at most for its own (timing) */
    int prefetcher;           /* enum mh_prefetcher */
    uint32_t pf_degree;       /* lines per prefetch trigger */
    uint32_t pf_distance;     /* lines ahead of the demand stream */
    int pf_cross;             /* 1: next-line, stride and stream proposals may leave the 4 KiB page */
} mh_level_cfg;

/* The TLBs of a config, by slot: the first-level data TLB, the second level (data translations,
 * and instruction translations where there is no tlb.L2i), the first-level instruction TLB, and a
 * second level of its own for instruction translations (AMD's L2 ITLB). */
enum { MH_TLB_L1D, MH_TLB_L2, MH_TLB_L1I, MH_TLB_L2I, MH_TLBS };
/* Section names of the TLBs, by slot: "tlb.L1d", "tlb.L2", "tlb.L1i", "tlb.L2i" (config_keys.c). */
extern const char *const mh_cfg_tlb_names[MH_TLBS];

/* A TLB ([tlb.L1d], [tlb.L2], [tlb.L1i], [tlb.L2i]). */
typedef struct mh_tlb_cfg {
    int present;              /* section given */
    uint32_t entries;
    uint32_t ways;            /* == entries when fully associative */
    uint64_t page_size;       /* 4096 or 2 MiB */
    double latency;           /* cycles per lookup at this TLB */
} mh_tlb_cfg;

/* Main memory ([RAM]). */
typedef struct mh_ram_cfg {
    double latency_ns;        /* row-miss access latency */
    double row_hit_ns;        /* open-row hit latency */
    double spread;            /* memory fills take their latency x (1 + spread x u), as a level's */
    double bandwidth_gbs;     /* 0 = unbounded */
    uint64_t row_size;        /* bytes per DRAM row */
    uint32_t banks;
    uint64_t capacity;        /* bytes of simulated physical memory; 0 = unlimited */
    uint64_t page_size;       /* virtual-memory page size, bytes */
    int page_policy;          /* enum mh_page_policy */
    double minor_fault_ns;    /* first touch of a page */
} mh_ram_cfg;

/* Backing store ([disk]). */
typedef struct mh_disk_cfg {
    double latency_us;
    double bandwidth_mbs;     /* 0 = unbounded */
} mh_disk_cfg;

struct mh_config {
    char name[64];            /* [hierarchy] name */
    char source[256];         /* file path or parse name */
    int ifetch;               /* level index receiving instruction fetches */
    int data;                 /* level index receiving loads/stores */
    double frequency_ghz;     /* cycles -> ns */
    double base_cpi;          /* cycles per non-memory instruction */
    int walk;                 /* enum mh_walk */
    double walk_latency;      /* cycles per page walk when walk = fixed */
    double induction_latency; /* cycles between records of one constant-stride address sequence; 0 = off */
    double mem_cpi;           /* cycles per record on the load/store pipes; 0 = a base_cpi issue slot */
    uint64_t rob;             /* reorder-buffer entries (instructions in flight); 0 = unbounded */
    uint64_t store_queue;     /* stores waiting for their lines, freed oldest first; 0 = unbounded */
    uint64_t walkers;         /* page walks in flight at once; 0 = unbounded */
    size_t nlevels;
    mh_level_cfg level[MH_MAX_LEVELS];
    mh_tlb_cfg tlb[MH_TLBS];  /* by slot MH_TLB_*: tlb.L1d, tlb.L2, tlb.L1i, tlb.L2i */
    mh_ram_cfg ram;
    mh_disk_cfg disk;
};

/* Returns the index of the level called name (exact match) in c, or -1 (sim/config.c). */
int mh_config_level_index(const mh_config *c, const char *name);

/* Size and number helpers (sim/config_units.c), shared by config parsing and the CLI. */
/* Parses "32K", "2M", "1G", "4096", "64KiB" (binary suffixes K M G T, optional B/iB, any case)
 * into *out; returns 0, or -1 on bad syntax, overflow or trailing junk. */
int mh_parse_size(const char *s, uint64_t *out);
/* Parses a plain non-negative decimal integer; returns 0 or -1. */
int mh_parse_u64(const char *s, uint64_t *out);
/* Parses a finite decimal number; returns 0 or -1. */
int mh_parse_double(const char *s, double *out);
/* Writes v with the largest exact binary suffix ("32K", "2M", "100"). */
void mh_format_size(uint64_t v, char *buf, size_t n);
/* Writes v in the shortest form that parses back to exactly v. */
void mh_format_double(double v, char *buf, size_t n);
/* Returns 1 when v is a power of two (v >= 1). */
int mh_is_pow2(uint64_t v);

#endif
