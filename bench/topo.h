/* topo.h — the machine's cache/NUMA topology (hwloc), thread pinning, and host config writing.
 * A topo_t comes from the live machine or from an hwloc XML export; the caches are those above
 * the first PU (or, after topo_pin, above the pinned PU), ordered by depth, then i before d. */
#ifndef MH_TOPO_H
#define MH_TOPO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "memhier.h"

typedef struct topo topo_t;

/* Kind of cache, as hwloc reports it. */
typedef enum topo_cache_type {
    TOPO_CACHE_DATA = 0,
    TOPO_CACHE_INSTRUCTION = 1,
    TOPO_CACHE_UNIFIED = 2
} topo_cache_type;

/* One cache level as seen from one PU. Unknown numbers are 0 (ways: see below). */
typedef struct topo_cache {
    char name[8];        /* config section name: "L1d", "L1i", "L1" (unified), "L2", "L3" ... */
    int depth;           /* 1..n */
    int type;            /* topo_cache_type */
    uint64_t size;       /* bytes of one instance; 0 = unknown */
    unsigned line;       /* line size in bytes; 0 = unknown */
    int ways;            /* hwloc convention: -1 fully associative, 0 unknown, else ways */
    unsigned sharing;    /* PUs sharing one instance */
    unsigned instances;  /* instances of this level in the whole machine */
    int inclusive;       /* 1 inclusive of the levels above, 0 not, -1 unknown (hwloc "Inclusive" info) */
} topo_cache;

/* One TLB for 4 KiB pages as the CPU describes it (hwloc does not report TLBs). */
typedef struct topo_tlb {
    unsigned entries;    /* 0: not described */
    unsigned ways;       /* ways to configure (= entries: fully associative); see topo_tlb_ways */
    unsigned ways_lo;    /* associativity as reported: exact (lo = hi), or AMD's range code's */
    unsigned ways_hi;    /*   bounds (code 6h: 8..15); both 0 when fully associative */
} topo_tlb;

/* The TLBs CPUID describes, or why they are unknown. */
typedef struct topo_tlbs {
    topo_tlb l1d;        /* first-level data TLB (Intel: the load TLB where stores have their own) */
    topo_tlb l2;         /* second-level TLB that data translations use (shared or data-only) */
    topo_tlb l1i;        /* first-level instruction TLB */
    topo_tlb l2i;        /* a second level for instructions alone (AMD's L2 ITLB); Intel's is l2 */
    char source[96];     /* the CPUID leaves read ("CPUID 0x18 (Intel)"), or why none */
} topo_tlbs;

/* Where topo_pin bound the calling thread. */
typedef struct topo_pinning {
    int core;            /* hwloc logical index of the core */
    int pu;              /* OS index of the PU the thread is bound to */
    char caches[256];    /* caches above that PU, e.g. "L1d 48K, L1i 32K, L2 1M, L3 32M (2 PUs)" */
} topo_pinning;

/* Loads the live machine's topology (instruction caches included). */
int topo_create(topo_t **out, mh_error *err);
/* Loads a topology from an hwloc XML file (lstopo --of xml); pinning is then unsupported. */
int topo_create_xml(const char *path, topo_t **out, mh_error *err);
/* Frees t; NULL is a no-op. */
void topo_destroy(topo_t *t);

/* Number of cache levels above the reference PU. */
size_t topo_cache_count(const topo_t *t);
/* Cache i (0 <= i < topo_cache_count), or NULL when out of range. */
const topo_cache *topo_cache_get(const topo_t *t, size_t i);
/* The first data or unified cache at depth (1..n), or NULL. */
const topo_cache *topo_cache_at(const topo_t *t, int depth);
/* Size in bytes of the last-level data/unified cache above the reference PU (0 if none). */
uint64_t topo_llc_bytes(const topo_t *t);
/* Number of NUMA nodes (>= 1). */
int topo_numa_nodes(const topo_t *t);
/* Total memory of the machine in bytes (0 if unknown): hwloc's, or on this machine the kernel's when
 * hwloc's NUMA nodes hold over 10% less (a VM's hot-plugged memory they miss). */
uint64_t topo_memory_bytes(const topo_t *t);
/* The two sources: hwloc's NUMA nodes, and the kernel (this machine only; 0 for XML or unknown). */
uint64_t topo_hwloc_memory(const topo_t *t);
uint64_t topo_kernel_memory(const topo_t *t);
/* The choice topo_memory_bytes makes between them. */
uint64_t topo_pick_memory(uint64_t hwloc_bytes, uint64_t kernel_bytes);
/* Number of cores and of PUs (hardware threads). */
int topo_cores(const topo_t *t);
int topo_pus(const topo_t *t);
/* CPU model string from hwloc (e.g. "AMD EPYC"), "" if unknown. */
const char *topo_cpu_model(const topo_t *t);
/* Nominal CPU frequency in GHz: from the model string ("@ 2.80GHz"), else for the live machine
 * cpufreq's base_frequency or cpuinfo_max_freq, else /proc/cpuinfo "cpu MHz"; 0 if unknown. */
double topo_frequency_ghz(const topo_t *t);
/* Where the frequency came from: "the CPU model string", a sysfs/procfs path, or "unknown". */
const char *topo_frequency_source(const topo_t *t);

/* The data TLBs: the live machine's CPUID (read at create, and again by topo_pin on the pinned
 * core), for an XML topology none (its source says so) until topo_set_tlbs. Never NULL for a
 * non-NULL t. */
const topo_tlbs *topo_get_tlbs(const topo_t *t);
/* Replaces t's TLB description (e.g. decoded from the CPUID of the machine an XML came from). */
void topo_set_tlbs(topo_t *t, const topo_tlbs *tlbs);

/* CPUID decoders (bench/topo_tlb.c, any host; each fills *out, source included, and returns
 * the number of data TLBs it found, 0..2; the instruction TLB is decoded beside them; a TLB it
 * does not find keeps entries 0). */
/* AMD/Hygon: EBX of leaves 0x80000005 (L1 DTLB and ITLB) and 0x80000006 (L2 DTLB and ITLB), 4 KiB
 * pages. */
int topo_tlb_amd(uint32_t ebx5, uint32_t ebx6, topo_tlbs *out);
/* Intel leaf 0x18: sub[i] = {eax, ebx, ecx, edx} of subleaf i, n subleaves. */
int topo_tlb_intel18(const uint32_t (*sub)[4], unsigned n, topo_tlbs *out);
/* Intel leaf 2 (one descriptor round): regs = {eax, ebx, ecx, edx}. */
int topo_tlb_intel2(const uint32_t regs[4], topo_tlbs *out);
/* Ways to configure for entries reported with ways_lo..ways_hi (0..0: fully associative): the
 * first in the range that leaves a power-of-two set count (the config's rule), else entries. */
unsigned topo_tlb_ways(unsigned entries, unsigned ways_lo, unsigned ways_hi);
/* Writes t's reported associativity into buf ("fully associative", "4-way", "8..15-way"). */
void topo_tlb_assoc(const topo_tlb *t, char *buf, size_t n);
/* Reads this CPU's TLBs through CPUID (bench/topo_cpuid_*.c, chosen by the Makefile); returns
 * the number of data TLBs found; with 0, out->source says why. */
int topo_tlb_cpuid(topo_tlbs *out);

/* OS index of the reference PU (the caches are those above it), -1 when there is none. */
int topo_reference_pu(const topo_t *t);
/* The CPU kinds hwloc reports (a hybrid CPU's P- and E-cores): how many (0 or 1: one kind), and in
 * buf the reference PU's ("IntelAtom, efficiency 0 of 0..1"; "" with fewer than two kinds). */
int topo_core_kind(const topo_t *t, char *buf, size_t n);

/* Makes the first PU of core `core` (hwloc logical index; -1 = the last core) the reference PU
 * without binding anything (XML topologies too), so the caches are those above it (a hybrid CPU's
 * cores have different ones); fills *where (may be NULL). MH_EINVAL for a core that does not
 * exist, t unchanged. */
int topo_select_core(topo_t *t, int core, topo_pinning *where, mh_error *err);

/* Pins the calling thread to core `core` (hwloc logical index; -1 = the last core, away from
 * core 0's interrupts) with HWLOC_CPUBIND_THREAD|HWLOC_CPUBIND_STRICT, falling back to non-strict
 * binding if the OS refuses strict; the caches and TLBs are then that core's (topo_select_core);
 * fills *where (may be NULL). MH_EUNSUPPORTED for XML topologies, MH_EINVAL for a core that does
 * not exist; t is unchanged on failure. */
int topo_pin(topo_t *t, int core, topo_pinning *where, mh_error *err);

/* Writes a multi-line human summary (caches, sharing, NUMA, memory) into buf; returns chars needed. */
size_t topo_summary(const topo_t *t, char *buf, size_t n);

/* Writes a memhier INI config for t to f (issue 2 contract + [tlb.L1d] [tlb.L2] [RAM] [disk]).
 * Unknown values get the documented defaults and one line each in warn ("\n"-separated,
 * truncated to warn_size; may be NULL). name = [hierarchy] name (NULL: "host"). */
int topo_config_write(const topo_t *t, FILE *f, const char *name, char *warn, size_t warn_size,
                      mh_error *err);
/* Levels whose cache above the reference PU (depth <= max_depth) has a size other than the config
 * level of the same name gives: their count, and "L2 2M here, 1280K in the config" lines ("; "
 * between) in buf. Run after topo_pin, it says whether c describes the pinned core. */
size_t topo_config_diff(const topo_t *t, const mh_config *c, int max_depth, char *buf, size_t n);
/* Same, to path via a temporary file renamed into place (no partial file on failure). */
int topo_write_config(const topo_t *t, const char *path, const char *name, char *warn,
                      size_t warn_size, mh_error *err);

#endif
